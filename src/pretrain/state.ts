// The resumable state of a pretraining run: OUT/checkpoint/ is a checkpoint of the shared store
// (src/checkpoint/store.ts — the HF model folder with its MLM head, or with ELECTRA its
// replaced-token head and the generator in generator/, optimizer.safetensors, a manifest) whose trainer_state.json is this state: format/version, step, tokens seen, data
// position, RNG states (masking, dropout), elapsed time, log length. Everything needed to
// continue *exactly* is in it; the run's options are in OUT/run.json.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { v, validate } from '../io/validate.js';
import type { AdapterModel } from '../models/index.js';
import type { AdamW } from '../optim/index.js';
import type { Tokenizer } from '../text/index.js';
import { readStateFile, TRAINER_STATE_NAME, verifyCheckpoint, writeCheckpoint } from '../checkpoint/index.js';

export const STATE_FORMAT = 'adaptext.pretrain';
// 2: the shared checkpoint store and run log (state version 1 had its own layout and log format)
export const STATE_VERSION = 2;

export interface DataPosition {
  /** Passes over the training sequences completed. */
  epoch: number;
  /** Next index into this epoch's permutation. */
  cursor: number;
}

export interface PretrainState {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  /** Optimizer steps taken. */
  step: number;
  /** Tokens fed to the model (incl. [CLS]/[SEP]; packed sequences have no padding). */
  tokensSeen: number;
  position: DataPosition;
  /** Rng.getState() of the model's generator (dropout), of the MLM masking stream (also ELECTRA's
   * token sampling) and, with objective electra, of the generator model's dropout. */
  rng: { model: number[]; mlm: number[]; generator?: number[] };
  /** Training seconds across all sessions of the run. */
  elapsedSeconds: number;
  /** CPU seconds (user + system, all threads) across all sessions; absent in states written before it was kept. */
  cpuSeconds?: number;
  /** log.jsonl lines when this checkpoint was taken (a resumed run cuts the log back to them). */
  logLines: number;
  savedAt: string;
}

const RngState = v.array(v.integer({ min: 0, max: 2 ** 32 - 1 }), { minItems: 4, maxItems: 4 });
const StateSchema = v.object({
  format: v.literal(STATE_FORMAT),
  version: v.literal(STATE_VERSION),
  step: v.integer({ min: 0 }),
  tokensSeen: v.integer({ min: 0 }),
  position: v.object({ epoch: v.integer({ min: 0 }), cursor: v.integer({ min: 0 }) }),
  rng: v.object({ model: RngState, mlm: RngState, generator: v.optional(RngState) }),
  elapsedSeconds: v.number({ min: 0 }),
  cpuSeconds: v.optional(v.number({ min: 0 })),
  logLines: v.integer({ min: 0 }),
  savedAt: v.string(),
});

export function checkpointDir(out: string): string {
  return join(out, 'checkpoint');
}

export function savePretrainCheckpoint(
  out: string,
  model: AdapterModel,
  tokenizer: Tokenizer,
  optimizer: AdamW,
  st: Omit<PretrainState, 'format' | 'version' | 'savedAt'>,
  models: Record<string, AdapterModel> = {},
): void {
  writeCheckpoint(checkpointDir(out), {
    model,
    models,
    tokenizer,
    optimizer,
    state: { format: STATE_FORMAT, version: STATE_VERSION, ...st, savedAt: new Date().toISOString() },
    diverged: { what: 'pretrain', step: st.step, hint: 'lower --lr or raise --warmup-steps' },
  });
}

/** The checkpoint's state, after its files were checked against the manifest. */
export function readPretrainState(out: string): PretrainState {
  const dir = checkpointDir(out);
  if (!existsSync(join(dir, TRAINER_STATE_NAME))) throw new Error(`--resume ${out}: no checkpoint (${join(dir, TRAINER_STATE_NAME)} is missing); nothing to resume`);
  const { path, value } = readStateFile(dir);
  const s = value as { format?: unknown; version?: unknown } | null;
  if (s === null || typeof s !== 'object' || s.format !== STATE_FORMAT) throw new Error(`${path}: not an adaptext pretraining state (format ${JSON.stringify(s?.format)})`);
  if (s.version === 1) {
    throw new Error(
      `${path}: written by an earlier adaptext (pretraining state version 1, an older checkpoint layout and log format) and cannot be resumed; ` +
        `its weights are in ${out}: continue from them with adaptext pretrain --model ${out} --out NEW_FOLDER`,
    );
  }
  verifyCheckpoint(dir);
  return validate(StateSchema, value, { source: path, freeze: false }) as PretrainState;
}
