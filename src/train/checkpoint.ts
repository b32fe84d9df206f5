// A stage's checkpoint: the shared checkpoint store (src/checkpoint/store.ts: model folder,
// adapters, heads, optimizer, manifest) with this state as its trainer_state.json — format
// version, stage, step, epoch, position in the epoch, early-stopping state, RNG states, sampler
// state, log length, base-model fingerprint — validated by the config schema machinery on load.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { v, validate } from '../io/validate.js';
import { loadModel, type AdapterModel } from '../models/index.js';
import { loadTokenizer, type Tokenizer } from '../text/index.js';
import type { MixedSamplerState } from '../data/index.js';
import { readStateFile, TRAINER_STATE_NAME, verifyCheckpoint, writeCheckpoint, type CheckpointParts } from '../checkpoint/index.js';
import { fingerprintText, STAGES, type ModelFingerprint } from './run-folder.js';

export { loadOptimizerState, TRAINER_STATE_NAME, verifyCheckpoint, writeManifest } from '../checkpoint/index.js';
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

/** Write a stage checkpoint (atomically, with its manifest). */
export function saveCheckpoint(dir: string, parts: CheckpointParts<TrainerState>): void {
  writeCheckpoint(dir, parts);
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
  const { path, value } = readStateFile(dir);
  const s = value as TrainerState;
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
    a.model_type === b.model_type && a.hidden_size === b.hidden_size && a.num_hidden_layers === b.num_hidden_layers && a.num_attention_heads === b.num_attention_heads && a.vocab_size === b.vocab_size
  );
}

/**
 * Load a checkpoint folder: model (adapters and heads from its sidecar), tokenizer, trainer
 * state. `expect` is the base model of the run: a checkpoint made from another model is refused
 * with both descriptions, before any weights are read. The model's generator continues from the
 * saved state (resume) unless `restoreRng: false` (a new stage seeds its own).
 */
export function loadCheckpoint(dir: string, opts: { seed: number; expect?: ModelFingerprint; restoreRng?: boolean }): { model: AdapterModel; tokenizer: Tokenizer; state: TrainerState } {
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

/** The latest finished stage folder of a run (stage3, else stage2, else stage1), or null. */
export function latestFinishedStage(runDir: string): string | null {
  for (const s of [...STAGES].reverse()) {
    const d = join(runDir, s);
    if (existsSync(join(d, TRAINER_STATE_NAME)) && readTrainerState(d).complete) return d;
  }
  return null;
}
