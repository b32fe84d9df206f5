// Training checkpoints: one self-describing folder, written atomically (built in a temp
// sibling, fsynced, renamed into place), so a crash leaves the previous checkpoint whole.
//
//   <dir>/config.json, model.safetensors, adaptext.json, tokenizer files   HF model folder (src/models saveModel)
//   <dir>/adapters/<domain>/   adapter_config.json + adapter.safetensors      AdapterHub layout
//   <dir>/heads/<task>/        head_config.json + model_head.safetensors
//   <dir>/optimizer.safetensors   AdamW moments; `__metadata__.adamw` = the JSON part (step counts, groups)
//   <dir>/trainer_state.json      TrainerState: format version, stage, step, epoch, position in
//                                 the epoch, early-stopping state, RNG states, sampler state,
//                                 log length, base-model fingerprint
//   <dir>/<extra files>           e.g. evaluation.json, features.safetensors of a finished stage
//   <dir>/manifest.json           SHA-1 of every file above, written last; verified on load, so a
//                                 damaged, truncated or partly deleted checkpoint is refused, not resumed
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileSha1 } from '../io/hash.js';
import { parseJson, v, validate } from '../io/validate.js';
import { writeDirAtomic } from '../io/atomic.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import { loadModel, saveAdapter, saveHead, saveModel, type AdapterModel } from '../models/index.js';
import { loadTokenizer, type Tokenizer } from '../text/index.js';
import type { AdamW, AdamWStateDict, AdamWStateMeta } from '../optim/index.js';
import type { MixedSamplerState } from '../data/index.js';
import { fingerprintText, STAGES, type ModelFingerprint } from './run-folder.js';

export const TRAINER_STATE_NAME = 'trainer_state.json';
export const OPTIMIZER_NAME = 'optimizer.safetensors';
export const CHECKPOINT_FORMAT_VERSION = 1;
export const MANIFEST_NAME = 'manifest.json';

export interface TrainerState {
  format: 'adaptext.trainer_state';
  formatVersion: number;
  stage: string;
  /** The stage finished: this folder is its final checkpoint (stage1/, stage2/, ...). */
  complete: boolean;
  /** The training loop ended (finalisation may still be pending). */
  trainingDone: boolean;
  /** Optimizer steps taken in this stage. */
  step: number;
  totalSteps: number;
  /** Epoch in progress and the number of its batches already done. */
  epoch: number;
  batchInEpoch: number;
  /** Best validation metric so far (early stopping) and where it was reached. */
  best: { metric: number; step: number; epoch: number } | null;
  badEpochs: number;
  stopped: 'max_steps' | 'early_stopping' | 'epochs' | null;
  rng: {
    /** The model's generator (dropout masks, init of new modules). */
    model: number[];
    /** Stage 2: the MLM masking generator. */
    mlm?: number[];
  };
  /** Stage 2: the mixed sampler's state at the START of `epoch` (the plan is rebuilt from it). */
  sampler?: MixedSamplerState;
  /** log.jsonl lines when this checkpoint was taken. */
  logLines: number;
  /** Base model the run started from. */
  baseModel: ModelFingerprint;
  /** Vocabulary size of the checkpoint's tokenizer (grows with vocabulary expansion). */
  vocabSize: number;
  savedAt: string;
}

export interface CheckpointParts {
  model: AdapterModel;
  tokenizer: Tokenizer;
  optimizer: AdamW | null;
  state: TrainerState;
  /** Extra files (name → text or bytes) written into the same folder. */
  extra?: Record<string, string | Uint8Array>;
  /** Extra safetensors files (name → tensors). */
  tensors?: Record<string, Map<string, { shape: readonly number[]; data: Float32Array }>>;
}

export function saveCheckpoint(dir: string, parts: CheckpointParts): void {
  const { model, tokenizer, optimizer, state } = parts;
  writeDirAtomic(dir, (tmp) => {
    saveModel(model, tmp, { tokenizer });
    for (const a of model.adapterNames()) saveAdapter(model, a, join(tmp, 'adapters', a));
    for (const h of model.headNames()) saveHead(model, h, join(tmp, 'heads', h));
    if (optimizer !== null) {
      const sd = optimizer.stateDict();
      const tensors = new Map(Object.entries(sd.tensors).map(([k, data]) => [k, { shape: [data.length], data }]));
      writeSafetensors(join(tmp, OPTIMIZER_NAME), tensors, { metadata: { format: 'adaptext.adamw', adamw: JSON.stringify(sd.meta) } });
    }
    for (const [name, content] of Object.entries(parts.extra ?? {})) writeFileSync(join(tmp, name), content);
    for (const [name, t] of Object.entries(parts.tensors ?? {})) writeSafetensors(join(tmp, name), t);
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(tmp, TRAINER_STATE_NAME), JSON.stringify(state, null, 2) + '\n');
    writeManifest(tmp);
  });
}

/** (Re)write `dir`'s manifest.json from its files: the last write of every checkpoint folder. */
export function writeManifest(dir: string): void {
  writeFileSync(join(dir, MANIFEST_NAME), JSON.stringify({ format: 'adaptext.manifest', sha1: fileHashes(dir) }, null, 1) + '\n');
}

/** SHA-1 of every file under `dir` (relative paths, sorted), the manifest itself excluded. */
function fileHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p !== join(dir, MANIFEST_NAME)) out[relative(dir, p)] = fileSha1(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * Check a checkpoint folder against its manifest: every listed file present with the same bytes,
 * nothing missing. (Checkpoints written before manifests existed have none and are not checked.)
 */
export function verifyCheckpoint(dir: string): void {
  const path = join(dir, MANIFEST_NAME);
  if (!existsSync(path)) {
    if (!existsSync(join(dir, TRAINER_STATE_NAME))) throw new Error(`${dir}: not a training checkpoint (no ${TRAINER_STATE_NAME})`);
    return;
  }
  let want: Record<string, string>;
  try {
    want = (JSON.parse(readFileSync(path, 'utf8')) as { sha1: Record<string, string> }).sha1;
    if (typeof want !== 'object' || want === null) throw new Error('no sha1 map');
  } catch (e) {
    throw new Error(`${path}: damaged (${(e as Error).message}); the checkpoint cannot be trusted`, { cause: e });
  }
  for (const [f, h] of Object.entries(want)) {
    const p = join(dir, f);
    if (!existsSync(p)) throw new Error(`${dir}: checkpoint file ${f} is missing (the manifest lists it); the checkpoint cannot be resumed`);
    const got = fileSha1(p);
    if (got !== h) throw new Error(`${dir}: checkpoint file ${f} is damaged (sha1 ${got.slice(0, 12)}, written as ${h.slice(0, 12)}); the checkpoint cannot be resumed`);
  }
}

const RngState = v.array(v.integer({ min: 0, max: 2 ** 32 - 1 }), { minItems: 4, maxItems: 4 });
const StateSchema = v.object({
  format: v.literal('adaptext.trainer_state'),
  formatVersion: v.integer(),
  stage: v.string({ nonEmpty: true }),
  complete: v.boolean(),
  trainingDone: v.boolean(),
  step: v.integer({ min: 0 }),
  totalSteps: v.integer({ min: 0 }),
  epoch: v.integer({ min: 0 }),
  batchInEpoch: v.integer({ min: 0 }),
  best: v.nullable(v.object({ metric: v.number(), step: v.integer({ min: 0 }), epoch: v.integer({ min: 0 }) })),
  badEpochs: v.integer({ min: 0 }),
  stopped: v.nullable(v.enum(['max_steps', 'early_stopping', 'epochs'])),
  rng: v.object({ model: RngState, mlm: v.optional(RngState) }),
  sampler: v.optional(v.object({ rng: RngState, targetOrder: v.array(v.integer({ min: 0 })), targetCursor: v.integer({ min: 0 }), epochs: v.integer({ min: 0 }) })),
  logLines: v.integer({ min: 0 }),
  /** a finished stage: the steps its training loop ran */
  stepsRun: v.optional(v.integer({ min: 0 })),
  baseModel: v.object({
    model_type: v.string({ nonEmpty: true }),
    hidden_size: v.integer({ min: 1 }),
    num_hidden_layers: v.integer({ min: 1 }),
    num_attention_heads: v.integer({ min: 1 }),
    vocab_size: v.integer({ min: 1 }),
  }),
  vocabSize: v.integer({ min: 1 }),
  savedAt: v.string(),
});

export function readTrainerState(dir: string): TrainerState {
  const path = join(dir, TRAINER_STATE_NAME);
  if (!existsSync(path)) throw new Error(`${dir}: not a training checkpoint (no ${TRAINER_STATE_NAME})`);
  const s = parseJson(readFileSync(path, 'utf8'), path) as TrainerState;
  if (s === null || typeof s !== 'object' || s.format !== 'adaptext.trainer_state') throw new Error(`${path}: field 'format' must be 'adaptext.trainer_state'`);
  if (s.formatVersion !== CHECKPOINT_FORMAT_VERSION) {
    throw new Error(`${path}: checkpoint format version ${JSON.stringify(s.formatVersion)} is not supported (expected ${CHECKPOINT_FORMAT_VERSION})`);
  }
  // the same schema machinery as configs: a hand-edited or damaged state is named, not resumed into
  const st = validate(StateSchema, s, { source: path, freeze: false }) as unknown as TrainerState;
  if (st.step > st.totalSteps) throw new Error(`${path}: step ${st.step} is beyond totalSteps ${st.totalSteps}`);
  return st;
}

function sameFingerprint(a: ModelFingerprint, b: ModelFingerprint): boolean {
  return (
    a.model_type === b.model_type &&
    a.hidden_size === b.hidden_size &&
    a.num_hidden_layers === b.num_hidden_layers &&
    a.num_attention_heads === b.num_attention_heads &&
    a.vocab_size === b.vocab_size
  );
}

/**
 * Load a checkpoint folder: model (adapters and heads from its sidecar), tokenizer, trainer
 * state. `expect` is the base model of the run: a checkpoint made from another model is refused
 * with both descriptions, before any weights are read. The model's generator continues from the
 * saved state (resume) unless `restoreRng: false` (a new stage seeds its own).
 */
export function loadCheckpoint(
  dir: string,
  opts: { seed: number; expect?: ModelFingerprint; restoreRng?: boolean },
): { model: AdapterModel; tokenizer: Tokenizer; state: TrainerState } {
  verifyCheckpoint(dir);
  const state = readTrainerState(dir);
  if (opts.expect !== undefined && !sameFingerprint(state.baseModel, opts.expect)) {
    throw new Error(`${dir}: checkpoint comes from a different model (${fingerprintText(state.baseModel)}); this run uses ${fingerprintText(opts.expect)}`);
  }
  const { model } = loadModel(dir, { seed: opts.seed });
  const tokenizer = loadTokenizer(dir);
  if (tokenizer.vocabSize !== model.cfg.vocabSize) {
    throw new Error(`${dir}: tokenizer has ${tokenizer.vocabSize} ids but the model's vocab_size is ${model.cfg.vocabSize}`);
  }
  if (opts.restoreRng !== false) model.rng.setState(state.rng.model);
  return { model, tokenizer, state };
}

/** Restore the optimizer moments and step count saved with a checkpoint. */
export function loadOptimizerState(dir: string, optimizer: AdamW): void {
  const path = join(dir, OPTIMIZER_NAME);
  if (!existsSync(path)) throw new Error(`${dir}: no ${OPTIMIZER_NAME} (cannot resume the optimizer)`);
  const st = readSafetensors(path);
  const metaText = st.metadata['adamw'];
  if (metaText === undefined) throw new Error(`${path}: no 'adamw' metadata (not an adaptext optimizer state)`);
  const meta = JSON.parse(metaText) as AdamWStateMeta;
  const tensors: Record<string, Float32Array> = {};
  for (const [k, t] of st) tensors[k] = t.data;
  const sd: AdamWStateDict = { meta, tensors };
  try {
    optimizer.loadStateDict(sd);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** The latest finished stage folder of a run (stage3, else stage2, else stage1), or null. */
export function latestFinishedStage(runDir: string): string | null {
  for (const s of [...STAGES].reverse()) {
    const d = join(runDir, s);
    if (existsSync(join(d, TRAINER_STATE_NAME)) && readTrainerState(d).complete) return d;
  }
  return null;
}
