// The three-stage transfer pipeline (src/train/README.md), end to end:
//
//   prepare   validate the config, load the tokenizer and the base model, read EVERY data file
//             (a bad file stops the run here, before the run folder is touched)
//   stage 1   source warm-up: source adapter + upper layers + source head, best by source validation
//   [vocab]   optional vocabulary expansion on the target text (before stage 2)
//   stage 2   alignment: mixed batches, MLM (target) + DANN (both) + source task loss
//   stage 3   few-shot target: only the target adapter + target head, best by target validation
//   ablation  few-shot-only from the raw backbone (same recipe as stage 3), when asked
//   outputs   evaluation after every stage, metrics.json, report.html
//
// Each stage starts from the previous stage's checkpoint folder on disk (RUN/stage1 → stage 2
// → ...), so a run is the same whether it went through in one go or was resumed. Resume:
// finished stages are skipped; an unfinished one continues from RUN/progress/<stage>/last; the log
// is cut back to what that checkpoint had seen (run-folder.ts).
import { resolveModelRef } from '../hub/index.js';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDirAtomic } from '../io/atomic.js';
import { fileSha1 } from '../io/hash.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import { loadModel, modelWeightFiles, readModelConfig, type AdapterModel } from '../models/index.js';
import { loadTokenizer, type Tokenizer } from '../text/index.js';
import { projectBeforeAfter } from '../eval/projection.js';
import { parseLog, writeReport } from '../eval/report.js';
import type { DomainConfusion, Metrics, RunMetrics } from '../eval/types.js';
import type { Example } from '../data/index.js';
import { bowDannBaseline, tfidfBaselines } from '../baselines/index.js';
import { baselineSettings, resolveModelDependent, stageLrs, validateConfig, type PipelineConfig, type StageCommon, type TaskConfig } from './config.js';
import { DOMAIN_ID, dataFingerprint, EncodingCache, loadPipelineData, type PipelineData } from './data.js';
import { DISCRIMINATOR_STATS_ROWS, linearProbeInit, setDiscriminatorStatistics } from './head-init.js';
import { centreDomains } from './domain-centres.js';
import { alignmentBatchesPerEpoch, alignmentHooks } from './alignment.js';
import { loadCheckpoint, readTrainerState, TRAINER_STATE_NAME, verifyCheckpoint, writeManifest, type TrainerState } from './checkpoint.js';
import { silentProgress, type ProgressSink } from '../engine/progress.js';
import { fingerprintText, RunFolder, STAGES, type ModelFingerprint, type RunJson, type StageName } from './run-folder.js';
import { deriveSeed } from '../engine/seeds.js';
import { withMatmulPrecision } from '../tensor/precision.js';
import { adapterSpec, buildOptimizer, copyAdapter, ensureAdapter, ensureDiscriminator, ensureMlmHead, ensureTaskHead, featureKind, setTrainable, stage2SourceAdapter, type GroupLrs } from './setup.js';
import { evaluateStage, type StageEvaluation, type StageFeatures } from './stage-eval.js';
import { evaluateTask } from './evaluate.js';
import { batchesPerEpoch, supervisedHooks } from './supervised.js';
import { InterruptedError, runStage, type StageHooks } from './trainer.js';
import { StoppedBySignal, type StopRequest } from '../engine/signals.js';
import { checkVocabExpansion, exampleText, extendModelVocabulary, type VocabInfo } from './vocab.js';

export interface PipelineOptions {
  progress?: ProgressSink;
  /** Simulate a crash after this many optimizer steps in this process (tests, `--stop-after-steps`). */
  stopAfterSteps?: number | null;
  /** Signal policy: when it is requested, the running stage stops after its step with a checkpoint (StoppedBySignal). */
  stop?: StopRequest;
}

export interface PipelineResult {
  runDir: string;
  metrics: RunMetrics;
  reportPath: string;
}

interface Ctx {
  cfg: PipelineConfig;
  run: RunFolder;
  data: PipelineData;
  enc: EncodingCache;
  fp: ModelFingerprint;
  baseTokenizer: Tokenizer;
  /** The base model loaded (and checked) in prepare, handed to stage 1 once. */
  baseModel: AdapterModel | null;
  freezeLayers: number;
  leaveOut: number[];
  progress: ProgressSink;
  budget: { stopAfterSteps: number | null; stepsDone: number };
  stop: StopRequest | null;
}

const EVALUATION_NAME = 'evaluation.json';
const FEATURES_NAME = 'features.safetensors';
const VOCAB_NAME = 'vocab.json';
const ORDER: StageName[] = [...STAGES, 'fewshot_only'];

export function fingerprintOf(modelDir: string): ModelFingerprint {
  const c = readModelConfig(modelDir) as unknown as Record<string, unknown>;
  return {
    model_type: String(c['model_type']),
    hidden_size: Number(c['hidden_size']),
    num_hidden_layers: Number(c['num_hidden_layers']),
    num_attention_heads: Number(c['num_attention_heads']),
    vocab_size: Number(c['vocab_size']),
  };
}

function stageEnabled(cfg: PipelineConfig, s: StageName): boolean {
  return s === 'fewshot_only' ? cfg.ablation : cfg[s].enabled;
}

function isComplete(dir: string): boolean {
  if (!existsSync(dir)) return false;
  verifyCheckpoint(dir); // a published stage folder is whole: a missing or changed file is damage, not "not done yet"
  return readTrainerState(dir).complete;
}

/** Everything that can fail on bad input, done before the run folder is created or changed. */
function prepare(cfg: PipelineConfig, progress: ProgressSink): Omit<Ctx, 'run' | 'budget' | 'stop'> {
  const fp = fingerprintOf(cfg.model);
  const { freezeLayers, leaveOut } = resolveModelDependent(cfg, fp.num_hidden_layers);
  const baseTokenizer = loadTokenizer(cfg.model);
  const { model } = loadModel(cfg.model, { seed: deriveSeed(cfg.seed, 'stage1', 'model') });
  if (baseTokenizer.vocabSize > model.cfg.vocabSize) {
    throw new Error(`${cfg.model}: the tokenizer has ${baseTokenizer.vocabSize} ids but the model only ${model.cfg.vocabSize} embedding rows`);
  }
  const offset = model.cfg.family === 'roberta' ? model.cfg.padTokenId + 1 : 0;
  const maxLen = Math.max(cfg.max_length, ...[cfg.stage1, cfg.stage2, cfg.stage3].map((s) => s.max_length ?? 0));
  if (maxLen + offset > model.cfg.maxPositions) {
    throw new Error(`max_length: ${maxLen} tokens do not fit the model's ${model.cfg.maxPositions - offset} positions (max_position_embeddings ${model.cfg.maxPositions})`);
  }
  if (cfg.vocab.enabled) checkVocabExpansion(baseTokenizer, model.cfg.vocabSize, 'vocab');
  const data = loadPipelineData(cfg);
  return { cfg, data, enc: new EncodingCache({ wholeWords: cfg.stage2.whole_word_mask }), fp, baseTokenizer, baseModel: model, freezeLayers, leaveOut, progress };
}

function dataSummary(d: PipelineData): Record<string, unknown> {
  const side = (x: PipelineData['source']) => ({
    name: x.name,
    task: x.taskName,
    train: x.train.length,
    validation: x.validation.length,
    test: x.test.length,
    fewShot: x.fewShot.length,
    unlabelled: x.unlabelled.length,
    skippedEmpty: x.stats.reduce((n, s) => n + s.skippedEmpty, 0),
    skippedMalformed: x.stats.reduce((n, s) => n + s.skippedMalformed, 0),
    notes: x.notes,
  });
  return { source: side(d.source), target: side(d.target) };
}

/** Start a new run. Bad input throws before anything is written. */
export async function trainPipeline(config: PipelineConfig, opts: PipelineOptions = {}): Promise<PipelineResult> {
  const progress = opts.progress ?? silentProgress;
  // a hub model id becomes its cached snapshot folder (the commit is in its path): run.json
  // records that folder, so a resume uses the same files, offline too
  const modelDir = await resolveModelRef(config.model, { progress });
  if (modelDir !== config.model) progress.note(`model ${config.model}: ${modelDir}`);
  const cfg: PipelineConfig = modelDir === config.model ? config : Object.freeze({ ...config, model: modelDir });
  const p = prepare(cfg, progress);
  const run = RunFolder.create(cfg.output, {
    config: cfg,
    seed: cfg.seed,
    model: cfg.model,
    modelFingerprint: p.fp,
    ...({ data: dataSummary(p.data), dataFiles: dataFingerprint(cfg), modelFiles: weightsFingerprint(cfg.model) } as object),
  });
  for (const n of [...p.data.source.notes, ...p.data.target.notes]) progress.note(n);
  try {
    return await withMatmulPrecision(cfg.precision, () => execute({ ...p, run, budget: { stopAfterSteps: opts.stopAfterSteps ?? null, stepsDone: 0 }, stop: opts.stop ?? null }));
  } finally {
    run.release();
  }
}

/** Continue a run after a crash from its last checkpoint. */
export async function resumePipeline(runDir: string, opts: PipelineOptions & { expectModel?: string } = {}): Promise<PipelineResult> {
  const { run, info } = RunFolder.open(runDir, { lock: 'train --resume' });
  try {
    return await resumeLocked(run, info, runDir, opts);
  } finally {
    run.release();
  }
}

async function resumeLocked(run: RunFolder, info: RunJson, runDir: string, opts: PipelineOptions & { expectModel?: string }): Promise<PipelineResult> {
  const progress = opts.progress ?? silentProgress;
  const cfg = validateConfig(info.config, run.runJsonPath, run.dir);
  if (opts.expectModel !== undefined) {
    const want = fingerprintOf(await resolveModelRef(opts.expectModel, { progress: opts.progress ?? silentProgress }));
    const had = info.modelFingerprint;
    if (JSON.stringify(want) !== JSON.stringify(had)) {
      throw new Error(`${runDir}: the run was started from ${cfg.model} (${describeFp(had)}); ${opts.expectModel} is a different model (${describeFp(want)})`);
    }
  }
  const now = fingerprintOf(cfg.model);
  if (JSON.stringify(now) !== JSON.stringify(info.modelFingerprint)) {
    throw new Error(`${cfg.model}: now holds a different model (${describeFp(now)}) than run ${runDir} started from (${describeFp(info.modelFingerprint)})`);
  }
  const p = prepare(cfg, progress);
  const saved = (info as unknown as { dataFiles?: Record<string, string> }).dataFiles ?? {};
  const files = dataFingerprint(cfg);
  for (const [f, h] of Object.entries(saved)) {
    if (files[f] !== h) throw new Error(`${f}: changed since run ${runDir} started; a resumed run would not reproduce it (start a new run instead)`);
  }
  // the base model's weights too (same architecture, other weights: the fingerprint above cannot tell)
  const savedWeights = (info as unknown as { modelFiles?: Record<string, string> }).modelFiles ?? {};
  const weights = Object.keys(savedWeights).length > 0 ? weightsFingerprint(cfg.model) : {};
  for (const [f, h] of Object.entries(savedWeights)) {
    if (weights[f] !== h) {
      throw new Error(
        `${f}: the base model's weights changed since run ${runDir} started (sha1 ${h.slice(0, 12)} then, ${weights[f]?.slice(0, 12) ?? 'missing'} now); a resumed run would not reproduce it (start a new run instead)`,
      );
    }
  }
  // Find the checkpoint we continue from, and check every checkpoint we will read belongs to this
  // run's model BEFORE touching anything; then cut the log back to that checkpoint.
  let lines = 0;
  for (const s of ORDER) {
    if (!stageEnabled(cfg, s)) continue;
    const dir = run.stageDir(s);
    if (isComplete(dir)) {
      lines = checkedState(dir, p.fp).logLines;
      continue;
    }
    const last = run.progressDir(s, 'last');
    // an in-stage checkpoint folder is written whole or not at all: if it is there, it must check out
    if (existsSync(last)) {
      verifyCheckpoint(last);
      lines = checkedState(last, p.fp).logLines;
    }
    break;
  }
  run.truncateLog(lines);
  // the log the report will read: a damaged line is reported now, not after all the training
  if (existsSync(run.logPath)) parseLog(readFileSync(run.logPath, 'utf8'), run.logPath);
  progress.note(`resuming ${run.dir} (log cut back to ${lines} lines)`);
  return withMatmulPrecision(cfg.precision, () => execute({ ...p, run, budget: { stopAfterSteps: opts.stopAfterSteps ?? null, stepsDone: 0 }, stop: opts.stop ?? null }));
}

function checkedState(dir: string, fp: ModelFingerprint): TrainerState {
  const st = readTrainerState(dir);
  if (JSON.stringify(st.baseModel) !== JSON.stringify(fp)) {
    throw new Error(`${dir}: checkpoint comes from a different model (${fingerprintText(st.baseModel)}); this run uses ${fingerprintText(fp)}`);
  }
  return st;
}

/** SHA-1 of each weight file of the base model (streamed). */
function weightsFingerprint(modelDir: string): Record<string, string> {
  return Object.fromEntries(modelWeightFiles(modelDir).map((f) => [f, fileSha1(f)]));
}

function describeFp(f: ModelFingerprint): string {
  return `${f.model_type}, ${f.num_hidden_layers} layers, hidden ${f.hidden_size}, vocab ${f.vocab_size}`;
}

async function execute(ctx: Ctx): Promise<PipelineResult> {
  try {
    return await executeStages(ctx);
  } catch (e) {
    if (e instanceof InterruptedError) e.runDir = ctx.run.dir;
    if (e instanceof StoppedBySignal) throw new StoppedBySignal(e.signal, `${e.message}; continue with: adaptext train --resume ${ctx.run.dir}`);
    throw e;
  }
}

async function executeStages(ctx: Ctx): Promise<PipelineResult> {
  const { cfg } = ctx;
  if (cfg.stage1.enabled) await stage1(ctx);
  if (cfg.stage2.enabled) await stage2(ctx);
  if (cfg.stage3.enabled) await stage3(ctx);
  if (cfg.ablation) await fewShotOnly(ctx);
  const metrics = assembleMetrics(ctx, true);
  ctx.run.writeMetrics(metrics);
  const reportPath = writeReport(ctx.run.dir);
  ctx.progress.note(`report: ${reportPath}`);
  return { runDir: ctx.run.dir, metrics, reportPath };
}

// ------------------------------------------------------------------------------------ stages

interface Start {
  model: AdapterModel;
  tokenizer: Tokenizer;
  vocab: VocabInfo | null;
}

interface Built {
  hooks: StageHooks;
  totalSteps: number;
  lrs: GroupLrs;
}

/**
 * Shared stage driver: skip a finished stage; resume from progress/<stage>/last or call
 * `start`; `build` sets the trainable parameters and the hooks (it must not draw from the
 * model's generator: on resume the generator state comes from the checkpoint); train;
 * finalise (evaluate the final checkpoint, publish RUN/<stage>).
 */
async function driveStage(ctx: Ctx, name: StageName, settings: StageCommon, start: () => Start, build: (s: Start) => Built): Promise<void> {
  const stageDir = ctx.run.stageDir(name);
  if (isComplete(stageDir)) {
    ctx.run.clearProgress(name);
    ctx.progress.note(`${name}: already finished (${stageDir})`);
    return;
  }
  const lastDir = ctx.run.progressDir(name, 'last');
  let s: Start;
  let resumeFrom: { dir: string; state: TrainerState } | null = null;
  if (existsSync(lastDir)) {
    const ck = loadCheckpoint(lastDir, { seed: 0, expect: ctx.fp });
    s = { model: ck.model, tokenizer: ck.tokenizer, vocab: readVocab(lastDir) };
    resumeFrom = { dir: lastDir, state: ck.state };
    ctx.progress.note(`${name}: resuming at step ${ck.state.step} (epoch ${ck.state.epoch + 1}, batch ${ck.state.batchInEpoch})`);
  } else {
    s = start();
  }
  const b = build(s);
  const o = ctx.cfg.optimizer;
  const optimizer = buildOptimizer(s.model, b.lrs, {
    totalSteps: b.totalSteps,
    warmupRatio: settings.warmup_ratio ?? o.warmup_ratio,
    weightDecay: o.weight_decay,
    betas: o.betas,
    eps: o.eps,
  });
  const vocabJson = s.vocab !== null ? JSON.stringify(s.vocab, null, 2) + '\n' : null;
  const hooks: StageHooks = vocabJson === null ? b.hooks : { ...b.hooks, extraFiles: () => ({ [VOCAB_NAME]: vocabJson }) };
  const result = await runStage(
    {
      stage: name,
      run: ctx.run,
      model: s.model,
      tokenizer: s.tokenizer,
      optimizer,
      epochs: settings.epochs,
      totalSteps: b.totalSteps,
      patience: settings.patience,
      clipNorm: o.clip_norm,
      saveEvery: ctx.cfg.checkpoint.save_every_steps,
      baseModel: ctx.fp,
      progress: ctx.progress,
      budget: ctx.budget,
      stop: ctx.stop,
      resumeFrom,
      // supervised stages keep their starting point when no epoch beats it on validation
      validateAtStart: settings.validate_at_start === true,
    },
    hooks,
  );
  finalize(ctx, name, result.finalDir, result.state);
}

/** Evaluate the stage's final checkpoint (reloaded from disk) and publish RUN/<stage> atomically. */
function finalize(ctx: Ctx, name: StageName, finalDir: string, last: TrainerState): void {
  const ck = loadCheckpoint(finalDir, { seed: 0, expect: ctx.fp });
  const { evaluation, features } = evaluateStage({
    stage: name,
    cfg: ctx.cfg,
    model: ck.model,
    tokenizer: ck.tokenizer,
    data: ctx.data,
    enc: ctx.enc,
    run: ctx.run,
    step: last.step,
    progress: ctx.progress,
  });
  const state: TrainerState & { stepsRun: number } = {
    ...ck.state,
    complete: true,
    trainingDone: true,
    stopped: last.stopped,
    stepsRun: last.step,
    logLines: ctx.run.logLines,
  };
  writeDirAtomic(ctx.run.stageDir(name), (tmp) => {
    cpSync(finalDir, tmp, { recursive: true });
    writeFileSync(join(tmp, EVALUATION_NAME), JSON.stringify(evaluation, null, 2) + '\n');
    if (features !== null)
      writeSafetensors(join(tmp, FEATURES_NAME), featureTensors(features), { metadata: { labels: JSON.stringify({ source: features.sourceLabels, target: features.targetLabels }) } });
    writeFileSync(join(tmp, TRAINER_STATE_NAME), JSON.stringify(state, null, 2) + '\n');
    writeManifest(tmp);
  });
  ctx.run.clearProgress(name);
  ctx.run.writeMetrics(assembleMetrics(ctx, false));
}

function featureTensors(f: StageFeatures): Map<string, { shape: number[]; data: Float32Array }> {
  const pack = (rows: Float32Array[]) => {
    const H = rows[0]!.length;
    const data = new Float32Array(rows.length * H);
    rows.forEach((r, i) => data.set(r, i * H));
    return { shape: [rows.length, H], data };
  };
  return new Map([
    ['source', pack(f.source)],
    ['target', pack(f.target)],
  ]);
}

function readFeatures(dir: string): StageFeatures | null {
  const path = join(dir, FEATURES_NAME);
  if (!existsSync(path)) return null;
  const st = readSafetensors(path);
  const unpack = (name: string) => {
    const t = st.get(name)!;
    const [n, H] = t.shape as [number, number];
    return Array.from({ length: n }, (_, i) => t.data.slice(i * H, (i + 1) * H));
  };
  const labels = JSON.parse(st.metadata['labels'] ?? '{"source":[],"target":[]}') as { source: string[]; target: string[] };
  return { source: unpack('source'), target: unpack('target'), sourceLabels: labels.source, targetLabels: labels.target };
}

function readVocab(dir: string): VocabInfo | null {
  const p = join(dir, VOCAB_NAME);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as VocabInfo) : null;
}

function readEvaluation(dir: string): StageEvaluation | null {
  const p = join(dir, EVALUATION_NAME);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as StageEvaluation) : null;
}

/** Starting point of a stage: the latest finished earlier stage, else the raw backbone. */
function previousCheckpoint(ctx: Ctx, before: StageName, seedName: string): Start {
  const order: StageName[] = ['stage1', 'stage2', 'stage3'];
  const i = order.indexOf(before);
  for (let k = i - 1; k >= 0; k--) {
    const s = order[k]!;
    if (!ctx.cfg[s as 'stage1'].enabled) continue;
    const dir = ctx.run.stageDir(s);
    const ck = loadCheckpoint(dir, { seed: deriveSeed(ctx.cfg.seed, seedName, 'model'), expect: ctx.fp, restoreRng: false });
    return { model: ck.model, tokenizer: ck.tokenizer, vocab: readVocab(dir) };
  }
  return rawBackbone(ctx, seedName);
}

function rawBackbone(ctx: Ctx, seedName: string): Start {
  const seed = deriveSeed(ctx.cfg.seed, seedName, 'model');
  const model = ctx.baseModel !== null && seedName === 'stage1' ? ctx.baseModel : loadModel(ctx.cfg.model, { seed }).model;
  if (seedName === 'stage1') ctx.baseModel = null;
  return { model, tokenizer: ctx.baseTokenizer, vocab: null };
}

/**
 * A task head created for this stage starts as a linear probe of its features (LP-FT, head-init.ts)
 * unless the stage says `head_init: random`. An existing head (stage 3 after stages 1–2 on the
 * same task) is refitted when `refit` is 'always', or under 'auto' only when the probe's
 * validation accuracy beats the existing head's (else its weights are put back). Called from a
 * stage's fresh start only: a resumed stage has the head's trained weights in its checkpoint.
 */
function initHead(
  ctx: Ctx,
  name: StageName,
  s: Start,
  a: {
    head: string;
    task: TaskConfig;
    created: boolean;
    refit: 'auto' | 'always' | 'never';
    headInit: 'linear_probe' | 'random';
    adapter: string;
    rows: Example[];
    validation: Example[];
    maxLength: number;
    domain: number;
    /** Labelled source rows offered to the probe (stage 3), with candidate total weights. */
    source?: { rows: Example[]; adapter: string; domain: string; weights: readonly number[] };
    /** Whose centre the rows' features are taken relative to (default: the adapter's domain); stage 2 runs source rows through the target adapter. */
    featureDomain?: string;
  },
): void {
  if (a.headInit !== 'linear_probe' || (!a.created && a.refit === 'never')) return;
  const train = ctx.enc.get(s.tokenizer, a.rows, a.maxLength, a.domain);
  const validation = ctx.enc.get(s.tokenizer, a.validation, ctx.cfg.max_length, a.domain);
  const source =
    a.source !== undefined && a.source.weights.some((w) => w > 0)
      ? { rows: ctx.enc.get(s.tokenizer, a.source.rows, a.maxLength, DOMAIN_ID.source), adapter: a.source.adapter, domain: a.source.domain, weights: a.source.weights }
      : undefined;
  const opts = { batchSize: ctx.cfg.evaluation.batch_size, padId: s.tokenizer.specialIds.pad, ...(a.featureDomain !== undefined ? { domain: a.featureDomain } : {}) };
  const compare = !a.created && a.refit === 'auto' && validation.length > 0;
  const kept = compare
    ? s.model
        .getHead(a.head)
        .parameters()
        .map((p) => p.data.slice())
    : null;
  const before = compare ? evaluateTask(s.model, validation, { adapter: a.adapter, head: a.head, task: a.task, ...opts }).accuracy : null;
  const r = linearProbeInit(s.model, { head: a.head, adapter: a.adapter, train, validation, ...(source !== undefined ? { source } : {}), ...opts });
  if (r === null) return;
  const keep = before !== null && !(r.validationAccuracy! > before);
  if (keep)
    s.model
      .getHead(a.head)
      .parameters()
      .forEach((p, i) => p.data.set(kept![i]!));
  ctx.run.log({
    type: 'head_init',
    stage: name,
    head: a.head,
    method: keep ? 'kept' : 'linear_probe',
    rows: r.rows,
    C: r.C,
    source_weight: r.sourceWeight,
    train_accuracy: r.trainAccuracy,
    validation_accuracy: r.validationAccuracy,
    ...(before !== null ? { existing_validation_accuracy: before } : {}),
    iterations: r.iterations,
  });
  const pc = (x: number) => `${(x * 100).toFixed(1)}%`;
  const va = r.validationAccuracy === null ? '' : `, validation ${pc(r.validationAccuracy)}`;
  ctx.progress.note(
    keep
      ? `${name}: kept head '${a.head}' (validation ${pc(before!)}; a linear probe on ${r.rows} rows reached ${pc(r.validationAccuracy!)})`
      : `${name}: head '${a.head}' initialised as a linear probe of its features (${r.rows} rows${r.sourceWeight > 0 ? ` with the source rows at weight ${r.sourceWeight}` : ''}, C ${r.C}, train accuracy ${pc(r.trainAccuracy)}${va}${before !== null ? `; the existing head had ${pc(before)}` : ''})`,
  );
}

function totalSteps(settings: StageCommon, perEpoch: number): number {
  return Math.min(settings.max_steps ?? Infinity, settings.epochs * perEpoch);
}

async function stage1(ctx: Ctx): Promise<void> {
  const { cfg, data } = ctx;
  const src = data.source;
  const s1 = cfg.stage1;
  await driveStage(
    ctx,
    'stage1',
    s1,
    () => {
      const s = rawBackbone(ctx, 'stage1');
      ensureAdapter(s.model, src.name, adapterSpec(cfg, ctx.leaveOut));
      const created = !s.model.headNames().includes(src.taskName);
      ensureTaskHead(s.model, src.taskName, src.task);
      initHead(ctx, 'stage1', s, {
        head: src.taskName,
        task: src.task,
        created,
        refit: 'never',
        headInit: s1.head_init,
        adapter: src.name,
        rows: src.train,
        validation: src.validation,
        maxLength: s1.max_length ?? cfg.max_length,
        domain: DOMAIN_ID.source,
      });
      s.model.setMainHead(src.taskName);
      s.model.setActiveAdapter(src.name);
      s.model.setActiveHeads([src.taskName]);
      return s;
    },
    (s) => {
      setTrainable(s.model, { freezeLayers: ctx.freezeLayers, adapters: [src.name], heads: [src.taskName] });
      const maxLength = s1.max_length ?? cfg.max_length;
      const train = ctx.enc.get(s.tokenizer, src.train, maxLength, DOMAIN_ID.source);
      const validation = ctx.enc.get(s.tokenizer, src.validation, cfg.max_length, DOMAIN_ID.source);
      return {
        totalSteps: totalSteps(s1, batchesPerEpoch(train.length, s1.batch_size)),
        lrs: stageLrs(cfg, s1),
        hooks: supervisedHooks({
          stage: 'stage1',
          run: ctx.run,
          model: s.model,
          adapter: src.name,
          head: src.taskName,
          task: src.task,
          role: 'source',
          train,
          validation,
          batchSize: s1.batch_size,
          evalBatchSize: cfg.evaluation.batch_size,
          padId: s.tokenizer.specialIds.pad,
          seed: cfg.seed,
          metric: s1.metric,
          progress: ctx.progress,
        }),
      };
    },
  );
}

async function stage2(ctx: Ctx): Promise<void> {
  const { cfg, data } = ctx;
  const src = data.source;
  const tgt = data.target;
  const s2 = cfg.stage2;
  const targetTask = s2.loss_weights.target_task > 0;
  await driveStage(
    ctx,
    'stage2',
    s2,
    () => {
      const s = previousCheckpoint(ctx, 'stage2', 'stage2');
      ensureAdapter(s.model, src.name, adapterSpec(cfg, ctx.leaveOut));
      ensureTaskHead(s.model, src.taskName, src.task);
      if (cfg.vocab.enabled) {
        const texts = tgt.unlabelled.map(exampleText);
        const v = extendModelVocabulary(s.model, s.tokenizer, texts, {
          topK: cfg.vocab.top_k,
          minFrequency: cfg.vocab.min_frequency,
          candidateVocabSize: cfg.vocab.candidate_vocab_size,
        });
        s.tokenizer = v.tokenizer;
        s.vocab = v.info;
        ctx.progress.note(`vocab: added ${v.info.added} target sub-words; sub-words per target word ${v.info.fragmentationBefore.toFixed(3)} → ${v.info.fragmentationAfter.toFixed(3)}`);
      }
      if (!s.model.adapterNames().includes(tgt.name)) {
        if (cfg.adapters.target_init === 'copy_source') copyAdapter(s.model, src.name, tgt.name);
        else s.model.addAdapter(tgt.name, adapterSpec(cfg, ctx.leaveOut));
      }
      ensureMlmHead(s.model);
      const maxLength = s2.max_length ?? cfg.max_length;
      const sourceRows = () => ctx.enc.get(s.tokenizer, src.train, maxLength, DOMAIN_ID.source);
      const targetRows = () => ctx.enc.get(s.tokenizer, tgt.unlabelled, maxLength, DOMAIN_ID.target);
      if (s2.centre_features) centreStage2Domains(ctx, s, 'set');
      const disc = ensureDiscriminator(s.model, cfg, [src.name, tgt.name]);
      if (cfg.stage2.discriminator.standardize) {
        const n = DISCRIMINATOR_STATS_ROWS;
        setDiscriminatorStatistics(s.model, disc, {
          source: { adapter: stage2SourceAdapter(cfg, src.name, tgt.name), domain: src.name, rows: sourceRows().slice(0, n) },
          target: { adapter: tgt.name, domain: tgt.name, rows: targetRows().slice(0, n) },
          batchSize: cfg.evaluation.batch_size,
          padId: s.tokenizer.specialIds.pad,
        });
      }
      if (targetTask) ensureTaskHead(s.model, tgt.taskName, tgt.task);
      return s;
    },
    (s) => {
      const mlm = ensureMlmHead(s.model);
      const disc = ensureDiscriminator(s.model, cfg, [src.name, tgt.name]);
      const heads = new Set([src.taskName, mlm, disc]);
      if (targetTask) heads.add(tgt.taskName);
      const sourceAdapter = stage2SourceAdapter(cfg, src.name, tgt.name);
      setTrainable(s.model, {
        freezeLayers: s2.freeze_layers ?? ctx.freezeLayers,
        adapters: [...new Set([sourceAdapter, tgt.name])],
        heads: [...heads],
        trainWordEmbeddings: cfg.vocab.enabled && cfg.vocab.train_embeddings,
      });
      const maxLength = s2.max_length ?? cfg.max_length;
      const train = ctx.enc.get(s.tokenizer, src.train, maxLength, DOMAIN_ID.source);
      const stream = [...ctx.enc.get(s.tokenizer, tgt.unlabelled, maxLength, DOMAIN_ID.target), ...(targetTask ? ctx.enc.get(s.tokenizer, tgt.fewShot, maxLength, DOMAIN_ID.target) : [])];
      const total = totalSteps(s2, alignmentBatchesPerEpoch(train.length, stream.length, s2));
      return {
        totalSteps: total,
        lrs: stageLrs(cfg, s2),
        hooks: alignmentHooks({
          run: ctx.run,
          model: s.model,
          tokenizer: s.tokenizer,
          stage2: s2,
          source: { domain: src.name, adapter: sourceAdapter, head: src.taskName, task: src.task, train, validation: ctx.enc.get(s.tokenizer, src.validation, cfg.max_length, DOMAIN_ID.source) },
          target: { domain: tgt.name, adapter: tgt.name, head: targetTask ? tgt.taskName : null, task: tgt.task, stream },
          mlmHead: mlm,
          discriminator: disc,
          features: featureKind(cfg, s.model),
          ...(s2.centre_features || s2.refit_head !== 'never' ? { endEpoch: () => stage2EpochEnd(ctx, s) } : {}),
          totalSteps: total,
          evalBatchSize: cfg.evaluation.batch_size,
          padId: s.tokenizer.specialIds.pad,
          seed: cfg.seed,
          progress: ctx.progress,
        }),
      };
    },
  );
}

/**
 * Stage 2's epoch end, before validation and the checkpoint: re-centre the domains
 * (centre_features), then refit the source head to the encoder as it now is (refit_head) — on
 * the source train rows through the adapter stage 2 runs them through, relative to their centre.
 */
function stage2EpochEnd(ctx: Ctx, s: Start): void {
  const { cfg } = ctx;
  const src = ctx.data.source;
  if (cfg.stage2.centre_features) centreStage2Domains(ctx, s, 're-set');
  if (cfg.stage2.refit_head === 'never') return;
  initHead(ctx, 'stage2', s, {
    head: src.taskName,
    task: src.task,
    created: false,
    refit: cfg.stage2.refit_head,
    headInit: 'linear_probe',
    adapter: stage2SourceAdapter(cfg, src.name, ctx.data.target.name),
    rows: src.train,
    validation: src.validation,
    maxLength: cfg.stage2.max_length ?? cfg.max_length,
    domain: DOMAIN_ID.source,
    featureDomain: src.name,
  });
}

/**
 * stage2.centre_features: each domain's centre = the mean of its pooled vectors through the
 * adapter its stage-2 rows use (source train rows, target unlabelled rows); the source task head
 * absorbs the change. Called when stage 2 starts and again at every epoch end, because the
 * encoder moves during the stage and a centre of the old encoder no longer centres its features.
 */
function centreStage2Domains(ctx: Ctx, s: Start, what: 'set' | 're-set'): void {
  const { cfg, data } = ctx;
  const src = data.source;
  const tgt = data.target;
  const maxLength = cfg.stage2.max_length ?? cfg.max_length;
  const kind = featureKind(cfg, s.model);
  const c = centreDomains(s.model, {
    pooling: kind === 'pooled' ? 'pooler' : kind,
    domains: [
      { name: src.name, adapter: stage2SourceAdapter(cfg, src.name, tgt.name), rows: ctx.enc.get(s.tokenizer, src.train, maxLength, DOMAIN_ID.source) },
      { name: tgt.name, adapter: tgt.name, rows: ctx.enc.get(s.tokenizer, tgt.unlabelled, maxLength, DOMAIN_ID.target) },
    ],
    trainedOn: { domain: src.name, heads: [src.taskName] },
    batchSize: cfg.evaluation.batch_size,
    padId: s.tokenizer.specialIds.pad,
  });
  ctx.progress.note(`stage2: domain centres ${what} (${kind} features; distance between the domain means ${c.distance.toFixed(3)})`);
}

/** Stage 3 and the few-shot-only ablation: target adapter + target head on the few-shot set. */
function fewShotBuild(ctx: Ctx, name: StageName, s: Start): Built {
  const { cfg, data } = ctx;
  const tgt = data.target;
  const s3 = cfg.stage3;
  s.model.trainOnly({ adapters: [tgt.name], heads: [tgt.taskName] });
  const maxLength = s3.max_length ?? cfg.max_length;
  const train = ctx.enc.get(s.tokenizer, tgt.fewShot, maxLength, DOMAIN_ID.target);
  const validation = ctx.enc.get(s.tokenizer, tgt.validation, cfg.max_length, DOMAIN_ID.target);
  return {
    totalSteps: totalSteps(s3, batchesPerEpoch(train.length, s3.batch_size)),
    lrs: stageLrs(cfg, s3),
    hooks: supervisedHooks({
      stage: name,
      run: ctx.run,
      model: s.model,
      adapter: tgt.name,
      head: tgt.taskName,
      task: tgt.task,
      role: 'target',
      train,
      validation,
      batchSize: s3.batch_size,
      evalBatchSize: cfg.evaluation.batch_size,
      padId: s.tokenizer.specialIds.pad,
      seed: cfg.seed,
      metric: s3.metric,
      progress: ctx.progress,
    }),
  };
}

async function stage3(ctx: Ctx): Promise<void> {
  const { cfg, data } = ctx;
  const src = data.source;
  const tgt = data.target;
  await driveStage(
    ctx,
    'stage3',
    cfg.stage3,
    () => {
      const s = previousCheckpoint(ctx, 'stage3', 'stage3');
      if (!s.model.adapterNames().includes(tgt.name)) {
        if (cfg.adapters.target_init === 'copy_source' && s.model.adapterNames().includes(src.name)) copyAdapter(s.model, src.name, tgt.name);
        else s.model.addAdapter(tgt.name, adapterSpec(cfg, ctx.leaveOut));
      }
      const created = !s.model.headNames().includes(tgt.taskName);
      ensureTaskHead(s.model, tgt.taskName, tgt.task);
      initHead(ctx, 'stage3', s, {
        head: tgt.taskName,
        task: tgt.task,
        created,
        refit: cfg.stage3.refit_head,
        headInit: cfg.stage3.head_init,
        adapter: tgt.name,
        rows: tgt.fewShot,
        validation: tgt.validation,
        maxLength: cfg.stage3.max_length ?? cfg.max_length,
        domain: DOMAIN_ID.target,
        // source rows through the adapter that last trained on them, relative to their own centre
        source: { rows: src.train, adapter: cfg.stage2.enabled ? stage2SourceAdapter(cfg, src.name, tgt.name) : src.name, domain: src.name, weights: cfg.stage3.probe_source_weights },
      });
      s.model.setMainHead(tgt.taskName);
      s.model.setActiveAdapter(tgt.name);
      s.model.setActiveHeads([tgt.taskName]);
      return s;
    },
    (s) => fewShotBuild(ctx, 'stage3', s),
  );
}

async function fewShotOnly(ctx: Ctx): Promise<void> {
  const { cfg, data } = ctx;
  const tgt = data.target;
  await driveStage(
    ctx,
    'fewshot_only',
    cfg.stage3,
    () => {
      const s = rawBackbone(ctx, 'fewshot_only');
      s.model.addAdapter(tgt.name, adapterSpec(cfg, ctx.leaveOut));
      const created = !s.model.headNames().includes(tgt.taskName);
      ensureTaskHead(s.model, tgt.taskName, tgt.task);
      initHead(ctx, 'fewshot_only', s, {
        head: tgt.taskName,
        task: tgt.task,
        created,
        refit: 'never',
        headInit: cfg.stage3.head_init,
        adapter: tgt.name,
        rows: tgt.fewShot,
        validation: tgt.validation,
        maxLength: cfg.stage3.max_length ?? cfg.max_length,
        domain: DOMAIN_ID.target,
      });
      s.model.setMainHead(tgt.taskName);
      s.model.setActiveAdapter(tgt.name);
      s.model.setActiveHeads([tgt.taskName]);
      return s;
    },
    (s) => fewShotBuild(ctx, 'fewshot_only', s),
  );
}

// ------------------------------------------------------------------------------------ metrics

const ABLATION_ROWS: Array<{ stage: StageName; name: string; description: string }> = [
  { stage: 'stage1', name: 'source only (stage 1)', description: 'source warm-up only; target rows through the source adapter' },
  { stage: 'stage2', name: 'stages 1+2', description: 'source warm-up + alignment (MLM + DANN); target adapter, no target labels' },
  { stage: 'stage3', name: 'stages 1+2+3', description: 'full pipeline: + few-shot tuning of the target adapter and head' },
  { stage: 'fewshot_only', name: 'few-shot only', description: 'raw backbone, only a fresh target adapter + head trained on the few-shot set (stage-3 recipe)' },
];

function assembleMetrics(ctx: Ctx, final: boolean): RunMetrics {
  const { cfg, data, run } = ctx;
  const m: RunMetrics = { labels: [...data.target.task.labels], stages: {} };
  const evals = new Map<StageName, StageEvaluation>();
  for (const s of ORDER) {
    const ev = readEvaluation(run.stageDir(s));
    if (ev === null) continue;
    evals.set(s, ev);
    if (s === 'fewshot_only') continue;
    const entry: { target_test?: Metrics; source_test?: Metrics; domain_confusion?: DomainConfusion } = {};
    if (ev.target_test) entry.target_test = ev.target_test;
    if (ev.source_test) entry.source_test = ev.source_test;
    if (ev.domain_confusion) entry.domain_confusion = ev.domain_confusion;
    m.stages[s] = entry;
  }
  if (cfg.ablation) {
    const rows = ABLATION_ROWS.flatMap((r) => {
      const ev = evals.get(r.stage);
      if (ev?.target_test === undefined) return [];
      return [{ name: r.name, description: r.description, stage: r.stage, target: ev.target_test, ...(ev.domain_confusion ? { domain_confusion: ev.domain_confusion } : {}) }];
    });
    if (rows.length > 0) m.ablation = rows;
  }
  const vocab = readVocab(run.stageDir('stage2'));
  if (vocab !== null) m.vocab = { added: vocab.added, fragmentationBefore: vocab.fragmentationBefore, fragmentationAfter: vocab.fragmentationAfter, examples: vocab.examples };
  const before = readFeatures(run.stageDir('stage1'));
  const after = readFeatures(run.stageDir('stage2'));
  if (before !== null && after !== null) {
    // label names mark the points; token-classification rows have none ('')
    const named = (l: string[]) => (l.length > 0 && l.every((x) => x !== '') ? l : undefined);
    const snap = (f: StageFeatures) => ({ source: f.source, target: f.target, sourceLabels: named(f.sourceLabels), targetLabels: named(f.targetLabels) });
    const pr = projectBeforeAfter(snap(before), snap(after), { maxPointsPerDomain: cfg.evaluation.projection_points, seed: deriveSeed(cfg.seed, 'projection') });
    m.projection = { before: pr.before, after: pr.after };
  }
  const baselines = baselineSettings(cfg.baselines);
  if (final && baselines.enabled) {
    const src = data.source;
    const tgt = data.target;
    if (src.taskName === tgt.taskName && src.task.type === 'sequence_classification' && tgt.test.length > 0) {
      const texts = (ex: typeof src.train) => ({
        texts: ex.map((e) => (e.kind === 'text' ? e.text : e.words.join(' '))),
        labels: ex.map((e) => (e.kind === 'text' ? (e.label ?? 0) : 0)),
      });
      m.baselines = tfidfBaselines({
        labels: [...src.task.labels],
        source: texts(src.train),
        targetTest: texts(tgt.test),
        targetFewShot: texts(tgt.fewShot),
        options: { analyzer: baselines.tfidf.analyzer, ...(baselines.tfidf.ngram_range !== null ? { ngramRange: [baselines.tfidf.ngram_range[0]!, baselines.tfidf.ngram_range[1]!] } : {}) },
      });
      // The shallow DANN of Ganin et al. (2016) on bag-of-words: the same adversarial pieces
      // (GRL, discriminator head, λ schedule) where the published result is known.
      if (tgt.unlabelled.length > 0) {
        m.baselines.push(
          bowDannBaseline({
            labels: [...src.task.labels],
            source: texts(src.train),
            targetUnlabelled: texts(tgt.unlabelled).texts,
            targetTest: texts(tgt.test),
            seed: deriveSeed(cfg.seed, 'bow-dann'),
          }),
        );
      }
    }
  }
  return m;
}
