// `npm run bench:transfer [-- options]` — quality of cross-domain transfer on the bundled reviews:
// every ordered pair of the language's four domains (12 pairs; English: books / dvd / electronics /
// kitchen, Chinese: books / hotel / tablet / fruit) through the demo
// pipeline (src/demo: fixed splits, stage settings, ablation + TF-IDF baselines), per pair and
// mean, written as JSON and as a Markdown table with the commit and the date. Not part of
// `npm test`: the full run takes hours on 2 cores.
//
//   --lang en|zh                            bundled data and backbone (default en: Amazon reviews)
//   --pairs books:kitchen,dvd:electronics   subset (default: all 12 ordered pairs)
//   --quick                                 the demo's --quick settings
//   --model DIR                             backbone (default the language's, models/adaptext-mini-en|zh)
//   --out DIR                               run folders (default .bench/transfer/<time>, gitignored)
//   --json FILE  --markdown FILE            results (rewritten after every pair, so a cut-short run keeps what finished)
//   --seed N  --split-seed N  --shots N     as in `adaptext demo`
//   --set key=value                         pipeline config override (repeatable)
//   --keep-checkpoints                      keep every stage's weights (default: only metrics, log, report)
//
// Each pair runs in a child process (this file with --one source:target): a crash in one pair
// (e.g. a fatal V8 error, which no try/catch sees) costs that pair only. When the child dies
// after the pipeline wrote its final metrics.json (with the baseline rows) — i.e. while writing
// report.html — the pair's numbers are still taken from metrics.json and the failure is noted.
// A pair folder already in --out (a cut-short earlier run) is refused before any work, naming it:
// the demo never writes into a non-empty folder, so it would only be skipped later. A run that
// skipped a pair ends with exit code 1 after writing what finished.
import { execSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import {
  ROW_IDS,
  alignmentConfusion,
  bundledModelDir,
  demoCorpus,
  demoSettings,
  formatTimings,
  type DemoCorpus,
  packageRoot,
  rowsFromMetrics,
  runDemo,
  type DemoResult,
  type RowId,
} from '../../src/demo/index.js';
import type { RunMetrics } from '../../src/eval/types.js';
import { parseSetFlag, type Override } from '../../src/train/config.js';
import { CliProgress } from '../../src/engine/progress.js';
import { LABELS, means, pct, type PairResult } from './results.js';

interface Options {
  corpus: DemoCorpus;
  pairs: Array<[string, string]>;
  quick: boolean;
  model: string;
  out: string;
  json: string | null;
  markdown: string | null;
  seed: number;
  splitSeed: number;
  shots: number | undefined;
  sets: Override[];
  keepCheckpoints: boolean;
  /** Child mode: run this one pair in this process. */
  one: [string, string] | null;
}

function allPairs(domains: readonly string[]): Array<[string, string]> {
  return domains.flatMap((s) => domains.filter((t) => t !== s).map((t) => [s, t] as [string, string]));
}

function stamp(): string {
  return new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

function parseArgs(argv: string[]): Options {
  // --lang first: the pairs and the default backbone depend on it.
  const langAt = argv.indexOf('--lang');
  const corpus = demoCorpus(langAt >= 0 ? (argv[langAt + 1] ?? '') : 'en', 'bench:transfer: --lang');
  const o: Options = {
    corpus,
    pairs: allPairs(corpus.domains),
    quick: false,
    model: bundledModelDir(corpus.lang),
    out: join(packageRoot(), '.bench', 'transfer', stamp()),
    json: null,
    markdown: null,
    seed: 42,
    splitSeed: 42,
    shots: undefined,
    sets: [],
    keepCheckpoints: false,
    one: null,
  };
  const int = (flag: string, v: string): number => {
    if (!/^\d+$/.test(v)) throw new Error(`bench:transfer: ${flag} must be a non-negative integer, got '${v}'`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench:transfer: ${a} needs a value`);
      return v;
    };
    if (a === '--pairs') {
      o.pairs = next()
        .split(',')
        .map((p) => {
          const [s, t, extra] = p.trim().split(':');
          if (s === undefined || t === undefined || extra !== undefined || !corpus.domains.includes(s) || !corpus.domains.includes(t) || s === t) {
            throw new Error(`bench:transfer: --pairs: '${p}' is not source:target of two different domains among ${corpus.domains.join(', ')}`);
          }
          return [s, t] as [string, string];
        });
    } else if (a === '--lang') next();
    else if (a === '--quick') o.quick = true;
    else if (a === '--model') o.model = resolve(next());
    else if (a === '--out') o.out = resolve(next());
    else if (a === '--json') o.json = resolve(next());
    else if (a === '--markdown') o.markdown = resolve(next());
    else if (a === '--seed') o.seed = int(a, next());
    else if (a === '--split-seed') o.splitSeed = int(a, next());
    else if (a === '--shots') o.shots = int(a, next());
    else if (a === '--set') o.sets.push(parseSetFlag(next()));
    else if (a === '--keep-checkpoints') o.keepCheckpoints = true;
    else if (a === '--one') {
      const [x, y] = next().split(':');
      o.one = [x ?? '', y ?? ''];
    } else throw new Error(`bench:transfer: unknown option ${a} (see the header of bench/transfer/run.ts)`);
  }
  return o;
}

function git(cmd: string): string | null {
  try {
    return execSync(`git ${cmd}`, { cwd: packageRoot(), stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

function fileHash(path: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 12);
  } catch {
    return null;
  }
}

function markdown(meta: Record<string, unknown>, pairs: PairResult[], planned: number, corpus: DemoCorpus): string {
  const m = means(pairs);
  const head = `| pair | ${ROW_IDS.map((id) => LABELS[id]).join(' | ')} | domain clf before → after |`;
  const sep = `|---|${ROW_IDS.map(() => '---:').join('|')}|---:|`;
  const line = (name: string, get: (id: RowId) => number | null, dc: { before: number | null; after: number | null }) =>
    `| ${name} | ${ROW_IDS.map((id) => pct(get(id))).join(' | ')} | ${pct(dc.before)} → ${pct(dc.after)} |`;
  const table = (metric: 'accuracy' | 'macroF1') => [
    head,
    sep,
    ...pairs.map((p) => line(`${p.source} → ${p.target}`, (id) => p.rows[id][metric], p.domainConfusion)),
    line(`**mean (${pairs.length} pairs)**`, (id) => m.rows[id][metric], m.domainConfusion),
  ];
  const s = meta['settings'] as { name: string; maxLength: number; shots: number };
  const lines = [
    `# Transfer benchmark (bundled ${corpus.description}, ${corpus.dataFolder})`,
    '',
    `- commit: \`${meta['commit']}\`${meta['dirty'] ? ' (with uncommitted changes)' : ''}, date: ${meta['date']}`,
    `- backbone: \`${meta['modelShown']}\` (model.safetensors sha256 ${meta['modelHash']})`,
    `- settings: ${s.name} (\`adaptext demo${s.name === 'quick' ? ' --quick' : ''}\` stage settings, max length ${s.maxLength}, ${s.shots} target few-shot labels)` +
      `, seed ${meta['seed']}, split seed ${meta['splitSeed']}${(meta['overrides'] as string[]).length ? `, overrides ${(meta['overrides'] as string[]).join(' ')}` : ''}`,
    `- pairs: ${pairs.length} of ${planned} finished; machine: ${meta['cpus']} CPUs shared with other jobs (load average per pair in the JSON)`,
    `- command: \`${meta['command']}\``,
    '',
    `Target test accuracy (%), each pair on the target domain's fixed test split (${corpus.dataFolder}/README.md);`,
    'domain clf = accuracy of a fresh domain classifier on held-out source/target features after stage 1 and after stage 2 (50 = indistinguishable).',
    '',
    ...table('accuracy'),
    '',
    'Macro-F1 (%):',
    '',
    ...table('macroF1'),
    '',
    ...pairs.filter((p) => p.failure !== undefined).map((p) => `- ${p.source} → ${p.target}: ${p.failure}; numbers from its final metrics.json.`),
  ];
  return lines.join('\n');
}

/** Child mode (--one source:target): one pair through runDemo, its table and timings on stderr. */
async function runOne(o: Options, source: string, target: string): Promise<void> {
  const r = await runDemo({
    lang: o.corpus.lang,
    source,
    target,
    model: o.model,
    out: join(o.out, `${source}-${target}`),
    seed: o.seed,
    splitSeed: o.splitSeed,
    quick: o.quick,
    shots: o.shots,
    overrides: o.sets,
    progress: new CliProgress(process.stderr, { mode: 'lines' }),
  });
  process.stderr.write(`${r.text}${formatTimings(r.timings, r.load)}`);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.one !== null) {
    await runOne(o, o.one[0], o.one[1]);
    return;
  }
  const settings = demoSettings(o.quick, o.shots);
  const commit = git('rev-parse HEAD') ?? 'unknown';
  const dirty = (git('status --porcelain --untracked-files=no') ?? '') !== '';
  const meta: Record<string, unknown> = {
    lang: o.corpus.lang,
    commit,
    dirty,
    date: new Date().toISOString(),
    model: o.model,
    modelShown: relative(packageRoot(), o.model).startsWith('..') ? o.model : relative(packageRoot(), o.model),
    modelHash: fileHash(join(o.model, 'model.safetensors')),
    settings,
    seed: o.seed,
    splitSeed: o.splitSeed,
    overrides: o.sets.map((s) => s.origin),
    cpus: cpus().length,
    command: `npm run bench:transfer -- ${process.argv.slice(2).join(' ')}`.trim(),
  };
  const leftover = o.pairs.map(([s, t]) => join(o.out, `${s}-${t}`)).filter((d) => existsSync(d));
  if (leftover.length > 0) throw new Error(`bench:transfer: ${leftover.join(', ')} already exist${leftover.length === 1 ? 's' : ''} (an earlier run?); remove them or choose another --out`);
  // the results files are rewritten after every pair: a file of an earlier run would be lost
  for (const [flag, f] of [
    ['--json', o.json],
    ['--markdown', o.markdown],
  ] as const) {
    if (f !== null && existsSync(f)) throw new Error(`bench:transfer: ${flag} ${f} already exists (an earlier run?); remove it or choose another file`);
  }
  mkdirSync(o.out, { recursive: true });
  const pairs: PairResult[] = [];
  const skipped: string[] = [];
  const write = () => {
    const m = means(pairs);
    const json = { ...meta, planned: o.pairs.map(([s, t]) => `${s}:${t}`), finished: pairs.length, mean: m, pairs };
    if (o.json !== null) writeFileSync(o.json, JSON.stringify(json, null, 2) + '\n');
    if (o.markdown !== null) writeFileSync(o.markdown, markdown(meta, pairs, o.pairs.length, o.corpus));
    writeFileSync(join(o.out, 'results.json'), JSON.stringify(json, null, 2) + '\n');
  };
  process.stderr.write(`bench:transfer: ${o.pairs.length} pairs, ${settings.name} settings, backbone ${o.model}, runs in ${o.out}\n`);
  for (const [source, target] of o.pairs) {
    const t0 = performance.now();
    process.stderr.write(
      `\n=== ${source} -> ${target} (${pairs.length + 1}/${o.pairs.length}), load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}\n`,
    );
    const pairOut = join(o.out, `${source}-${target}`);
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...process.argv.slice(2), '--out', o.out, '--one', `${source}:${target}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const seconds = (performance.now() - t0) / 1000;
    const metricsPath = join(pairOut, 'run', 'metrics.json');
    const demoPath = join(pairOut, 'demo.json');
    const metrics = existsSync(metricsPath) ? (JSON.parse(readFileSync(metricsPath, 'utf8')) as RunMetrics) : null;
    const failed = child.status !== 0;
    const why = failed ? `pair process ended with ${child.signal ?? `exit code ${child.status}`}` : undefined;
    if (metrics === null || metrics.baselines === undefined) {
      process.stderr.write(`bench:transfer: ${source} -> ${target}: no final metrics (${why ?? 'metrics.json incomplete'}); pair skipped\n`);
      skipped.push(`${source}:${target}`);
      continue;
    }
    if (failed) process.stderr.write(`bench:transfer: ${source} -> ${target}: ${why} after the final metrics.json was written (report.html missing); numbers taken from metrics.json\n`);
    const demo = existsSync(demoPath) ? (JSON.parse(readFileSync(demoPath, 'utf8')) as Pick<DemoResult, 'sizes' | 'timings' | 'load' | 'kernels'>) : null;
    const rows = rowsFromMetrics(metrics, metricsPath);
    if (!o.keepCheckpoints) for (const s of ['stage1', 'stage2', 'stage3', 'fewshot_only', 'progress']) rmSync(join(pairOut, 'run', s), { recursive: true, force: true });
    pairs.push({
      source,
      target,
      rows: Object.fromEntries(rows.map((x) => [x.id, { accuracy: x.accuracy, macroF1: x.macroF1, domainAccuracy: x.domainAccuracy }])) as PairResult['rows'],
      domainConfusion: alignmentConfusion(metrics),
      sizes: demo?.sizes ?? null,
      seconds,
      timings: demo?.timings ?? null,
      load: demo?.load ?? null,
      kernels: demo?.kernels ?? null,
      run: join(pairOut, 'run'),
      ...(failed ? { failure: `${why} while writing report.html` } : {}),
    });
    write();
  }
  const m = means(pairs);
  process.stdout.write(markdown(meta, pairs, o.pairs.length, o.corpus));
  process.stderr.write(`\nmean accuracy over ${pairs.length} pairs: ${ROW_IDS.map((id) => `${LABELS[id]} ${pct(m.rows[id].accuracy)}`).join(', ')}\n`);
  if (skipped.length > 0) throw new Error(`bench:transfer: ${skipped.length} pair(s) skipped: ${skipped.join(', ')} (see above); the results hold the other ${pairs.length}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exitCode = 1;
});
