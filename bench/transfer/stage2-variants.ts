// Stage-2 variants on one shared stage-1 checkpoint, scored on labelled TARGET rows that are not
// the benchmark's held-out rows: target validation (200) and the few-shot set (200; stage 2
// never reads its labels). For choosing a stage-2 recipe without looking at the test rows.
//
//   node --import tsx bench/transfer/stage2-variants.ts PAIR_FOLDER SEED OUT VARIANT [key=value ...]
//   node --import tsx bench/transfer/stage2-variants.ts --summary [--base VARIANT] OUT|RESULTS.jsonl ...
//   node --import tsx bench/transfer/stage2-variants.ts --heldout PAIR_FOLDER SEED OUT VARIANT
//   node --import tsx bench/transfer/stage2-variants.ts --merge BENCH.json OUT VARIANT NEW.json
//
// PAIR_FOLDER: a pair folder of a `bench:transfer --out DIR` run (DIR/books-kitchen): its data/
// and run/run.json give the splits and the pipeline config. Stage 1 runs once per pair and seed
// (OUT/<pair>-s<seed>/base, stages 2-3, ablation and baselines off, target.test = the validation
// file); each VARIANT copies that folder, applies the key=value overrides (as --set) and resumes
// with stage 2 only. One JSON line per variant goes to OUT/results.jsonl; --summary prints each
// variant's mean difference from stage 1 (source only) over the pairs and seeds of the given run
// folders or results files, and each variant's difference from `cur` (or `--base NAME`) paired by
// pair and seed.
//
// --heldout, once a variant has been CHOSEN on those rows: the variant's folder is copied to
// VARIANT.heldout, its target test file set back to the benchmark's held-out reviews, and stage 3
// run (the demo's settings, from the variant's stage 2); stages 1, 2 and 3 are then scored on the
// held-out reviews and one line goes to OUT/heldout.jsonl. Stage 1 is the benchmark's own stage 1
// (same data, seed and settings), so its row must equal the source-only row of a `bench:transfer`
// run of the same seed — the check that this shortcut measures what the benchmark measures.
// --merge writes NEW.json, a copy of that `bench:transfer` results file (same seed) with the
// + alignment and + few-shot rows and the domain classifier after stage 2 taken from
// OUT/heldout.jsonl, after checking that every pair's source-only row and domain classifier before
// alignment are identical (so combine.ts can put it beside the other seeds).
import { execSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { parseSetFlag, validateConfig, type TaskConfig } from '../../src/train/config.js';
import { evaluateTask, poolFeatures } from '../../src/train/evaluate.js';
import { featureKind, stage2SourceAdapter } from '../../src/train/setup.js';
import { domainConfusion } from '../../src/eval/domain-confusion.js';
import { deriveSeed } from '../../src/engine/seeds.js';
import { dataFingerprint } from '../../src/train/data.js';
import { resumePipeline, trainPipeline } from '../../src/train/pipeline.js';
import { means, type PairResult } from './results.js';
import { encodeLabelled } from './rows.js';

interface Score {
  accuracy: number;
  macroF1: number;
}
interface VariantResult {
  pair: string;
  seed: number;
  variant: string;
  sets: string[];
  /** Source only (stage 1; target rows through the source adapter) and the variant's stage 2. */
  validation: { stage1: Score; stage2: Score };
  fewShot: { stage1: Score; stage2: Score };
  /** Source validation accuracy at the end of stage 2. */
  sourceValidation: number | null;
  /** Held-out linear domain classifier (source vs target features) after stages 1 and 2. */
  domainClassifier: [number | null, number | null];
  /** Mean logged discriminator accuracy over the last 20 stage-2 steps. */
  discriminatorLast20: number | null;
}

type Json = Record<string, unknown>;

function setPath(o: Json, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur = o;
  for (const k of keys.slice(0, -1)) cur = (cur[k] ??= {}) as Json;
  cur[keys.at(-1)!] = value;
}

function readJson(file: string): Json {
  return JSON.parse(readFileSync(file, 'utf8')) as Json;
}

/** Accuracy of `stage`'s checkpoint in `runDir` on the target few-shot rows (as the ablation scores the target). */
function fewShotScore(runDir: string, stage: 'stage1' | 'stage2'): Score {
  const cfg = (
    readJson(join(runDir, 'run.json')) as { config: { max_length: number; source: { name: string }; target: { name: string; few_shot: string; task: string }; tasks: Record<string, TaskConfig> } }
  ).config;
  const { model, tokenizer } = loadCheckpoint(join(runDir, stage), { seed: 1 });
  const rows = encodeLabelled(cfg.target.few_shot, tokenizer, cfg.max_length, 1);
  const m = evaluateTask(model, rows, {
    adapter: stage === 'stage1' ? cfg.source.name : cfg.target.name,
    domain: cfg.target.name,
    head: cfg.target.task,
    task: cfg.tasks[cfg.target.task]!,
    batchSize: 64,
    padId: tokenizer.specialIds.pad,
  });
  return { accuracy: m.accuracy, macroF1: m.macroF1 };
}

async function runVariant(pairDir: string, seed: number, out: string, variant: string, sets: string[]): Promise<VariantResult> {
  const pair = basename(pairDir);
  const root = join(out, `${pair}-s${seed}`);
  const base = join(root, 'base');
  if (!existsSync(join(base, 'metrics.json'))) {
    const raw = (readJson(join(pairDir, 'run', 'run.json')) as { config: Json }).config;
    raw['output'] = base;
    raw['seed'] = seed;
    const target = raw['target'] as Json;
    target['test'] = target['validation'];
    setPath(raw, 'stage2.enabled', false);
    setPath(raw, 'stage3.enabled', false);
    raw['ablation'] = false;
    raw['baselines'] = false;
    await trainPipeline(validateConfig(raw, `${pairDir}/run/run.json`, process.cwd()));
  }
  const dir = join(root, variant);
  if (!existsSync(join(dir, 'stage2'))) {
    if (existsSync(dir)) throw new Error(`${dir}: an unfinished variant folder; remove it to run the variant again`);
    cpSync(base, dir, { recursive: true });
    const runJson = readJson(join(dir, 'run.json')) as { config: Json };
    runJson.config['output'] = dir;
    setPath(runJson.config, 'stage2.enabled', true);
    for (const s of sets) {
      const o = parseSetFlag(s);
      setPath(runJson.config, o.path, o.value);
    }
    const cfg = validateConfig(runJson.config, `variant ${variant}`, process.cwd());
    // a variant may swap a data file (e.g. target.unlabelled): the resume check compares the files the
    // run started with, so record the variant's own (stage 1 did not read the swapped file)
    if (sets.some((s) => /^(source|target)\./.test(s))) (runJson as Json)['dataFiles'] = dataFingerprint(cfg);
    writeFileSync(join(dir, 'run.json'), JSON.stringify(runJson, null, 2));
    await resumePipeline(dir);
  }
  const m = readJson(join(dir, 'metrics.json')) as { stages: Record<string, { target_test: Score; domain_confusion?: { accuracy: number } }> };
  const log = readFileSync(join(dir, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Json);
  const sval = log.filter((e) => e['type'] === 'eval' && e['stage'] === 'stage2' && e['split'] === 'validation' && e['domain'] === 'source').at(-1);
  const steps = log.filter((e) => e['type'] === 'step' && e['stage'] === 'stage2' && typeof e['discAcc'] === 'number').slice(-20);
  const score = (s: Score): Score => ({ accuracy: s.accuracy, macroF1: s.macroF1 });
  return {
    pair,
    seed,
    variant,
    sets,
    validation: { stage1: score(m.stages['stage1']!.target_test), stage2: score(m.stages['stage2']!.target_test) },
    fewShot: { stage1: fewShotScore(base, 'stage1'), stage2: fewShotScore(dir, 'stage2') },
    sourceValidation: sval !== undefined ? (sval['metrics'] as Score).accuracy : null,
    domainClassifier: [m.stages['stage1']!.domain_confusion?.accuracy ?? null, m.stages['stage2']!.domain_confusion?.accuracy ?? null],
    discriminatorLast20: steps.length > 0 ? steps.reduce((a, e) => a + (e['discAcc'] as number), 0) / steps.length : null,
  };
}

interface HeldoutResult {
  pair: string;
  seed: number;
  variant: string;
  /** On the held-out target reviews: stage 1 through the source adapter, stages 2 and 3 through the target adapter. */
  stage1: Score;
  stage2: Score;
  stage3: Score;
  /** Held-out linear domain classifier after stages 1 and 2 (source test vs held-out target features). */
  domainClassifier: [number, number];
}

/**
 * `stage`'s checkpoint in `runDir` on the target's held-out reviews (`file`) as the pipeline's
 * stage evaluation scores them: target rows through the target adapter (stage 1: the source
 * one), and the held-out domain classifier on source test vs those rows' features.
 */
function heldoutStage(runDir: string, stage: 'stage1' | 'stage2', file: string): { score: Score; domainClassifier: number } {
  const cfg = validateConfig((readJson(join(runDir, 'run.json')) as { config: Json }).config, `${runDir}/run.json`, process.cwd());
  const { model, tokenizer } = loadCheckpoint(join(runDir, stage), { seed: 1 });
  const src = cfg.source.name;
  const tgt = cfg.target.name;
  const srcAdapter = stage === 'stage1' ? src : stage2SourceAdapter(cfg, src, tgt);
  const tgtAdapter = stage === 'stage1' ? src : tgt;
  const encode = (f: string, domain: number) => encodeLabelled(f, tokenizer, cfg.max_length, domain);
  const target = encode(file, 1);
  const source = encode(cfg.source.test!, 0);
  const opts = { batchSize: cfg.evaluation.batch_size, padId: tokenizer.specialIds.pad };
  const task = cfg.tasks[cfg.target.task]!;
  const m = evaluateTask(model, target, { adapter: tgtAdapter, domain: tgt, head: cfg.target.task, task, ...opts });
  const f = { features: featureKind(cfg, model), ...opts };
  const dc = domainConfusion(
    poolFeatures(model, source, { ...f, adapter: srcAdapter, domain: src }),
    poolFeatures(model, target, { ...f, adapter: tgtAdapter, domain: tgt }),
    deriveSeed(cfg.seed, 'domain-confusion', stage),
    {
      maxPerDomain: cfg.evaluation.confusion_max_per_domain,
    },
  );
  return { score: { accuracy: m.accuracy, macroF1: m.macroF1 }, domainClassifier: dc.accuracy };
}

async function runHeldout(pairDir: string, seed: number, out: string, variant: string): Promise<HeldoutResult> {
  const pair = basename(pairDir);
  const from = join(out, `${pair}-s${seed}`, variant);
  if (!existsSync(join(from, 'stage2'))) throw new Error(`${from}: the variant has not finished stage 2; run it first`);
  const heldout = ((readJson(join(pairDir, 'run', 'run.json')) as { config: Json }).config['target'] as Json)['test'] as string;
  const dir = `${from}.heldout`;
  if (!existsSync(join(dir, 'stage3'))) {
    if (existsSync(dir)) throw new Error(`${dir}: an unfinished held-out folder; remove it to run it again`);
    cpSync(from, dir, { recursive: true });
    const runJson = readJson(join(dir, 'run.json')) as { config: Json };
    runJson.config['output'] = dir;
    (runJson.config['target'] as Json)['test'] = heldout;
    setPath(runJson.config, 'stage3.enabled', true);
    (runJson as Json)['dataFiles'] = dataFingerprint(validateConfig(runJson.config, `${variant} held-out`, process.cwd()));
    writeFileSync(join(dir, 'run.json'), JSON.stringify(runJson, null, 2));
    await resumePipeline(dir);
  }
  const m = readJson(join(dir, 'metrics.json')) as { stages: Record<string, { target_test: Score; domain_confusion?: { accuracy: number } }> };
  const s3 = m.stages['stage3']!.target_test;
  const s1 = heldoutStage(dir, 'stage1', heldout);
  const s2 = heldoutStage(dir, 'stage2', heldout);
  return { pair, seed, variant, stage1: s1.score, stage2: s2.score, stage3: { accuracy: s3.accuracy, macroF1: s3.macroF1 }, domainClassifier: [s1.domainClassifier, s2.domainClassifier] };
}

/** --merge: the benchmark's results with the variant's held-out stage-2 and stage-3 rows in place of its own. */
function mergeHeldout(benchFile: string, out: string, variant: string, newFile: string): void {
  if (existsSync(newFile)) throw new Error(`--merge: ${newFile} exists; remove it to write it again`);
  const bench = readJson(benchFile) as Json & { seed: number; pairs: PairResult[] };
  const rows = readFileSync(join(out, 'heldout.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as HeldoutResult)
    .filter((r) => r.variant === variant && r.seed === bench.seed);
  const pairs = bench.pairs.map((p) => {
    const name = `${p.source}-${p.target}`;
    const r = rows.filter((x) => x.pair === name).at(-1);
    if (r === undefined) throw new Error(`${out}/heldout.jsonl: no ${variant} row for ${name}, seed ${bench.seed}`);
    const s1 = p.rows.source_only;
    if (s1.accuracy !== r.stage1.accuracy || s1.macroF1 !== r.stage1.macroF1 || p.domainConfusion.before !== r.domainClassifier[0]) {
      throw new Error(`${name}: stage 1 differs from ${benchFile} (${JSON.stringify(r.stage1)} vs ${JSON.stringify(s1)}): not the benchmark's stage 1`);
    }
    const m = readJson(join(out, `${name}-s${bench.seed}`, `${variant}.heldout`, 'metrics.json')) as { stages: Record<string, { domain_confusion?: { accuracy: number } }> };
    return {
      ...p,
      rows: {
        ...p.rows,
        alignment: { ...r.stage2, domainAccuracy: r.domainClassifier[1] },
        few_shot: { ...r.stage3, domainAccuracy: m.stages['stage3']!.domain_confusion?.accuracy ?? null },
      },
      domainConfusion: { before: p.domainConfusion.before, after: r.domainClassifier[1] },
    };
  });
  const sets = (readJson(join(out, `${bench.pairs[0]!.source}-${bench.pairs[0]!.target}-s${bench.seed}`, variant, 'run.json')) as { config: Json }).config['stage2'];
  const merged = {
    ...bench,
    commit: execSync('git rev-parse HEAD').toString().trim(),
    date: new Date().toISOString(),
    mean: means(pairs),
    pairs,
    mergedFrom: `${benchFile} (commit ${String(bench['commit'])}) with the + alignment and + few-shot rows of stage2-variants.ts variant '${variant}' (stage 2 from the same stage-1 checkpoint; its stage2 config: ${JSON.stringify(sets)}), held-out scoring by --heldout; timings and sizes are the benchmark run's`,
  };
  writeFileSync(newFile, JSON.stringify(merged, null, 2) + '\n');
}

/** Rows of results.jsonl files (a run folder or the file itself); a (pair, seed, variant) seen twice keeps its last row. */
function readResults(sources: string[]): VariantResult[] {
  const byKey = new Map<string, VariantResult>();
  for (const src of sources) {
    const file = src.endsWith('.jsonl') ? src : join(src, 'results.jsonl');
    for (const l of readFileSync(file, 'utf8').trim().split('\n')) {
      const r = JSON.parse(l) as VariantResult;
      byKey.set(`${r.pair}|${r.seed}|${r.variant}`, r);
    }
  }
  return [...byKey.values()];
}

function summary(sources: string[], base = 'cur'): string {
  const rows = readResults(sources);
  const pct = (x: number) => (x * 100).toFixed(1);
  const lines = [
    '| variant | pair-seeds | validation Δ ± sd (wins) | few-shot rows Δ ± sd (wins) | both Δ | source val | domain clf before → after | disc. acc (last 20 steps) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const variants = [...new Set(rows.map((r) => r.variant))];
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));
  const wins = (d: number[]) => d.filter((x) => x > 0).length;
  const dVal = (r: VariantResult) => r.validation.stage2.accuracy - r.validation.stage1.accuracy;
  const dFew = (r: VariantResult) => r.fewShot.stage2.accuracy - r.fewShot.stage1.accuracy;
  for (const v of variants) {
    const rs = rows.filter((r) => r.variant === v);
    const dv = rs.map(dVal);
    const df = rs.map(dFew);
    lines.push(
      `| ${v} | ${rs.length} | ${pct(mean(dv))} ± ${pct(sd(dv))} (${wins(dv)}) | ${pct(mean(df))} ± ${pct(sd(df))} (${wins(df)}) | ${pct((mean(dv) + mean(df)) / 2)} | ${pct(mean(rs.map((r) => r.sourceValidation ?? NaN)))} | ${pct(mean(rs.map((r) => r.domainClassifier[0] ?? NaN)))} → ${pct(mean(rs.map((r) => r.domainClassifier[1] ?? NaN)))} | ${pct(mean(rs.map((r) => r.discriminatorLast20 ?? NaN)))} |`,
    );
  }
  // Paired against the recipe on the same pair and seed (same stage-1 checkpoint): the pair-to-pair
  // spread cancels, so this is the comparison that can tell variants apart.
  const cur = new Map(rows.filter((r) => r.variant === base).map((r) => [`${r.pair}|${r.seed}`, r]));
  const paired = variants.filter((v) => v !== base);
  if (cur.size > 0 && paired.length > 0) {
    lines.push('', `| variant − ${base} | pair-seeds | both sets, mean ± standard error (wins) |`, '|---|---:|---:|');
    for (const v of paired) {
      const d = rows
        .filter((r) => r.variant === v && cur.has(`${r.pair}|${r.seed}`))
        .map((r) => {
          const c = cur.get(`${r.pair}|${r.seed}`)!;
          return (dVal(r) + dFew(r) - dVal(c) - dFew(c)) / 2;
        });
      if (d.length === 0) continue;
      lines.push(`| ${v} | ${d.length} | ${pct(mean(d))} ± ${pct(sd(d) / Math.sqrt(d.length))} (${wins(d)}) |`);
    }
  }
  return lines.join('\n');
}

const argv = process.argv.slice(2);
if (argv[0] === '--summary') {
  const sources = argv.slice(1);
  const at = sources.indexOf('--base');
  const base = at >= 0 ? sources.splice(at, 2)[1] : undefined;
  if (at >= 0 && base === undefined) throw new Error('--base: name a variant');
  console.log(summary(sources.length > 0 ? sources : ['.'], base));
} else if (argv[0] === '--merge') {
  const [benchFile, out, variant, newFile] = argv.slice(1);
  if (benchFile === undefined || out === undefined || variant === undefined || newFile === undefined) throw new Error('usage: stage2-variants.ts --merge BENCH.json OUT VARIANT NEW.json');
  mergeHeldout(benchFile, out, variant, newFile);
} else if (argv[0] === '--heldout') {
  const [pairDir, seed, out, variant] = argv.slice(1);
  if (pairDir === undefined || seed === undefined || out === undefined || variant === undefined) throw new Error('usage: stage2-variants.ts --heldout PAIR_FOLDER SEED OUT VARIANT');
  const r = await runHeldout(pairDir, Number(seed), out, variant);
  console.log(JSON.stringify(r));
  appendFileSync(join(out, 'heldout.jsonl'), JSON.stringify(r) + '\n');
} else {
  const [pairDir, seed, out, variant, ...sets] = argv;
  if (pairDir === undefined || seed === undefined || out === undefined || variant === undefined) {
    throw new Error('usage: stage2-variants.ts PAIR_FOLDER SEED OUT VARIANT [key=value ...] | --summary OUT|RESULTS.jsonl ...');
  }
  const r = await runVariant(pairDir, Number(seed), out, variant, sets);
  console.log(JSON.stringify(r));
  appendFileSync(join(out, 'results.jsonl'), JSON.stringify(r) + '\n');
}
