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
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeDirAtomic } from '../io/atomic.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import { loadModel, saveAdapter, saveHead, saveModel, type AdapterModel } from '../models/index.js';
import { loadTokenizer, type Tokenizer } from '../text/index.js';
import type { AdamW, AdamWStateDict, AdamWStateMeta } from '../optim/index.js';
import type { MixedSamplerState } from '../data/index.js';
import { fingerprintText, type ModelFingerprint } from './run-folder.js';

export const TRAINER_STATE_NAME = 'trainer_state.json';
export const OPTIMIZER_NAME = 'optimizer.safetensors';
export const CHECKPOINT_FORMAT_VERSION = 1;

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
  });
}

export function readTrainerState(dir: string): TrainerState {
  const path = join(dir, TRAINER_STATE_NAME);
  if (!existsSync(path)) throw new Error(`${dir}: not a training checkpoint (no ${TRAINER_STATE_NAME})`);
  let s: TrainerState;
  try {
    s = JSON.parse(readFileSync(path, 'utf8')) as TrainerState;
  } catch (e) {
    throw new Error(`${path}: invalid JSON (${(e as Error).message})`);
  }
  if (s.format !== 'adaptext.trainer_state') throw new Error(`${path}: field 'format' must be 'adaptext.trainer_state'`);
  if (s.formatVersion !== CHECKPOINT_FORMAT_VERSION) {
    throw new Error(`${path}: checkpoint format version ${JSON.stringify(s.formatVersion)} is not supported (expected ${CHECKPOINT_FORMAT_VERSION})`);
  }
  return s;
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
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}
