// `adaptext demo` as a library call: books → kitchen (or any ordered pair of the bundled Amazon
// domains; with lang 'zh' books → hotel or any pair of the bundled Chinese shopping categories)
// through the whole pipeline with ablation and baselines, on the language's bundled backbone.
//
// Output folder (OUT):
//   OUT/data/      the fixed splits used (JSON Lines), so the run can be re-run or resumed as is
//   OUT/run/       the pipeline run folder (docs/run-format.md): checkpoints, log.jsonl, metrics.json, report.html
//   OUT/demo.json  the table rows, the domain-classifier accuracies, the settings and time per stage
//   OUT/table.txt  the table as printed
import { loadavg, cpus } from 'node:os';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readDataset } from '../data/index.js';
import type { RunMetrics } from '../eval/types.js';
import type { Override } from '../train/config.js';
import { trainPipeline } from '../train/pipeline.js';
import { kernels } from '../tensor/index.js';
import { formatDuration, silentProgress, type ProgressSink } from '../engine/progress.js';
import { checkNewOutputDir } from '../io/atomic.js';
import { bundledDataDir, bundledModelDir, checkModelDir, demoCorpus, demoDomainError, unlabelledFile, type DemoCorpus, type DemoDomain, type DemoLanguage } from './bundled.js';
import { demoConfig, demoConfigObject, FULL_SETTINGS, QUICK_SETTINGS, type DemoSettings } from './settings.js';
import { DEFAULT_SPLIT_SEED, fewShotSet, heldOutTarget, splitDomain, writeFewShot, writeHeldOut, writeSplits } from './splits.js';
import { alignmentConfusion, formatConfusionLine, formatTable, rowsFromMetrics, type DemoRow } from './table.js';
import { TimingProgress, type StageTiming } from './timing.js';
import type { StopRequest } from '../engine/signals.js';

export interface DemoOptions {
  /** Bundled data and backbone: 'en' (Amazon reviews, default) or 'zh' (Chinese shopping reviews). */
  lang?: string;
  source?: string;
  target?: string;
  /** HF model folder; default the language's bundled backbone (models/adaptext-mini-en, models/adaptext-mini-zh). */
  model?: string;
  /** Output folder; default ./adaptext-demo-runs/<source>-<target>-<timestamp>. */
  out?: string;
  /** Training seed (data order, init, dropout). Default 42. */
  seed?: number;
  /** Seed of the data splits and the few-shot draw. Default 42 (the documented splits). */
  splitSeed?: number;
  quick?: boolean;
  /** Target few-shot labels; default 200. */
  shots?: number;
  /** Pipeline config overrides (`--set stage1.epochs=1`), applied last. */
  overrides?: Override[];
  progress?: ProgressSink;
  /** Signal policy (see src/engine/signals.ts): stop the training at a checkpoint when requested. */
  stop?: StopRequest;
  /** Folder with `<domain>.labeled.jsonl.gz` / `.unlabeled.jsonl.gz`; default the language's bundled data. */
  dataDir?: string;
}

export interface DemoResult {
  lang: DemoLanguage;
  source: DemoDomain;
  target: DemoDomain;
  model: string;
  outDir: string;
  runDir: string;
  reportPath: string;
  settings: DemoSettings;
  rows: DemoRow[];
  domainConfusion: { before: number | null; after: number | null };
  /** targetTest: the held-out target reviews every row is scored on (heldOutTarget in splits.ts). */
  sizes: { sourceTrain: number; targetTest: number; fewShot: number; targetUnlabelled: number };
  timings: StageTiming[];
  load: { cpus: number; loadavgStart: number[]; loadavgEnd: number[] };
  /** The tensor backend that ran (kernels().description): a benchmark says whether a pair fell back to slower kernels. */
  kernels: string;
  metrics: RunMetrics;
  /** The table as printed (title, rows, domain-classifier line). */
  text: string;
}

function domainArg(corpus: DemoCorpus, flag: string, v: string): DemoDomain {
  const why = demoDomainError(corpus, flag, v);
  if (why !== null) throw new Error(why);
  return v;
}

function timestamp(d = new Date()): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export function defaultOutDir(source: string, target: string): string {
  return resolve('adaptext-demo-runs', `${source}-${target}-${timestamp()}`);
}

export function demoSettings(quick: boolean, shots?: number): DemoSettings {
  const base = quick ? QUICK_SETTINGS : FULL_SETTINGS;
  return structuredClone({ ...base, shots: shots ?? base.shots }) as DemoSettings;
}

export async function runDemo(o: DemoOptions = {}): Promise<DemoResult> {
  const corpus = demoCorpus(o.lang ?? 'en');
  const source = domainArg(corpus, '--source', o.source ?? corpus.defaultSource);
  const target = domainArg(corpus, '--target', o.target ?? corpus.defaultTarget);
  if (source === target) throw new Error(`--target: the source and target domains must differ (both '${source}')`);
  const model = resolve(o.model ?? bundledModelDir(corpus.lang));
  checkModelDir(model);
  const dataDir = resolve(o.dataDir ?? bundledDataDir(corpus.lang));
  const splitSeed = o.splitSeed ?? DEFAULT_SPLIT_SEED;
  const settings = demoSettings(o.quick === true, o.shots);
  const outDir = resolve(o.out ?? defaultOutDir(corpus.lang === 'en' ? source : `${corpus.lang}-${source}`, target));
  checkNewOutputDir(outDir, 'choose a new one with --out DIR');
  const inner = o.progress ?? silentProgress;

  // Splits first (a bad data file fails here, before any training).
  const src = splitDomain(source, { seed: splitSeed, dataDir });
  const tgt = splitDomain(target, { seed: splitSeed, dataDir });
  const few = fewShotSet(tgt, settings.shots, splitSeed);
  const heldOut = heldOutTarget(tgt, few);
  const unlabelled = unlabelledFile(target, dataDir);
  if (!existsSync(unlabelled)) throw new Error(`${unlabelled}: missing (the target's unlabelled reviews)`);
  const nUnlabelled = readDataset(unlabelled, { task: 'unlabelled' }).examples.length;

  const runDir = join(outDir, 'run');
  const raw = demoConfigObject({
    model,
    output: runDir,
    seed: o.seed ?? 42,
    settings,
    stage2Recipe: corpus.stage2,
    files: {
      source: { name: source, ...join3(join(outDir, 'data'), source) },
      target: {
        name: target,
        ...join3(join(outDir, 'data'), target),
        test: join(outDir, 'data', `${target}.heldout.jsonl`),
        unlabelled,
        fewShot: join(outDir, 'data', `${target}.fewshot-${few.length}.jsonl`),
      },
    },
  });
  // Validate before writing anything (a --set typo must not leave a folder behind).
  const cfg = demoConfig(raw, o.overrides ?? []);
  mkdirSync(outDir, { recursive: true });
  writeSplits(src, join(outDir, 'data'));
  writeSplits(tgt, join(outDir, 'data'));
  writeFewShot(target, few, join(outDir, 'data'));
  writeHeldOut(target, heldOut, join(outDir, 'data'));

  inner.note(
    `demo ${source} -> ${target} (${settings.name}): ${src.train.length} ${source} train reviews, ${nUnlabelled} ${target} unlabelled, ` +
      `${few.length} ${target} few-shot labels, ${heldOut.length} held-out ${target} reviews scored; backbone ${model}`,
  );
  const loadavgStart = loadavg();
  const timing = new TimingProgress(inner);
  const r = await trainPipeline(cfg, { progress: timing, ...(o.stop !== undefined ? { stop: o.stop } : {}) });
  const timings = timing.finish();
  const loadavgEnd = loadavg();

  const rows = rowsFromMetrics(r.metrics, join(r.runDir, 'metrics.json'));
  const domainConfusion = alignmentConfusion(r.metrics);
  const title = `${source} -> ${target}: scored on ${heldOut.length} held-out ${target} reviews, ${few.length} target labels for few-shot (${settings.name} settings)`;
  const text = formatTable(rows, title) + formatConfusionLine(domainConfusion) + '\n';
  const result: DemoResult = {
    lang: corpus.lang,
    source,
    target,
    model,
    outDir,
    runDir: r.runDir,
    reportPath: r.reportPath,
    settings,
    rows,
    domainConfusion,
    sizes: { sourceTrain: src.train.length, targetTest: heldOut.length, fewShot: few.length, targetUnlabelled: nUnlabelled },
    timings,
    load: { cpus: cpus().length, loadavgStart, loadavgEnd },
    kernels: kernels().description,
    metrics: r.metrics,
    text,
  };
  const summary: Omit<DemoResult, 'metrics'> & { metrics?: unknown } = { ...result };
  delete summary.metrics; // demo.json is the summary; metrics.json has the full metrics
  writeFileSync(join(outDir, 'demo.json'), JSON.stringify({ ...summary, splitSeed, seed: o.seed ?? 42, overrides: (o.overrides ?? []).map((x) => x.origin) }, null, 2) + '\n');
  writeFileSync(join(outDir, 'table.txt'), text);
  return result;
}

function join3(dir: string, domain: string): { train: string; validation: string; test: string } {
  return { train: join(dir, `${domain}.train.jsonl`), validation: join(dir, `${domain}.validation.jsonl`), test: join(dir, `${domain}.test.jsonl`) };
}

/** Per-stage wall time lines for the terminal. */
export function formatTimings(t: readonly StageTiming[], load: DemoResult['load']): string {
  // Whole seconds from 1 minute up (rounding the seconds part alone printed "1m60s").
  const fmt = (s: number) => (s >= 59.95 ? formatDuration(Math.round(s)) : `${s.toFixed(1)}s`);
  const parts = t.map((x) => `${x.name} ${fmt(x.seconds)}`);
  const cpu = t.map((x) => `${x.name} ${fmt(x.cpuSeconds)}`);
  const la = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ');
  return (
    `time per stage: ${parts.join(', ')}\n` +
    `CPU time (all threads): ${cpu.join(', ')}\n` +
    `machine: ${load.cpus} CPUs, load average ${la(load.loadavgStart)} at start, ${la(load.loadavgEnd)} at end\n`
  );
}
