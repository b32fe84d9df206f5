// The resumable state of a pretraining run, and its checkpoint folder:
//   OUT/checkpoint/model/              HF folder (config, model.safetensors F32, tokenizer)
//   OUT/checkpoint/optimizer.safetensors   AdamW moments (`<param>.exp_avg`, `.exp_avg_sq`)
//   OUT/checkpoint/trainer_state.json  format/version, step, tokens seen, data position,
//                                      RNG states (masking, dropout), elapsed time, log length,
//                                      optimizer meta
// The folder is written atomically (built aside, renamed into place), so a crash leaves the
// previous checkpoint intact. Everything needed to continue *exactly* is in it; the run's
// options are in OUT/run.json.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDirAtomic } from '../io/atomic.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import { saveModel, type AdapterModel } from '../models/index.js';
import type { AdamW, AdamWStateMeta } from '../optim/index.js';
import type { Tokenizer } from '../text/index.js';
import { parseJson } from '../io/validate.js';

export const STATE_FORMAT = 'adaptext.pretrain';
// 2: the run log moved to the shared schema (src/engine/run-log.ts) and the state records its length
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
  /** Rng.getState() of the MLM masking stream and of the model's dropout stream. */
  maskRng: number[];
  modelRng: number[];
  /** Training seconds across all sessions of the run. */
  elapsedSeconds: number;
  /** log.jsonl lines when this checkpoint was taken (a resumed run cuts the log back to them). */
  logLines: number;
  optimizer: AdamWStateMeta;
}

export function checkpointDir(out: string): string {
  return join(out, 'checkpoint');
}

export function saveCheckpoint(out: string, model: AdapterModel, tok: Tokenizer, opt: AdamW, st: Omit<PretrainState, 'format' | 'version' | 'optimizer'>, mlmHead: string): void {
  const sd = opt.stateDict();
  const state: PretrainState = { format: STATE_FORMAT, version: STATE_VERSION, ...st, optimizer: sd.meta };
  writeDirAtomic(checkpointDir(out), (tmp) => {
    saveModel(model, join(tmp, 'model'), { mainHead: mlmHead, tokenizer: tok });
    writeSafetensors(join(tmp, 'optimizer.safetensors'), new Map(Object.entries(sd.tensors).map(([k, v]) => [k, { shape: [v.length], data: v }])));
    writeFileSyncJson(join(tmp, 'trainer_state.json'), state);
  });
}

function writeFileSyncJson(path: string, v: unknown): void {
  // inside the atomic folder build: a plain write is enough (the folder is fsynced before publish)
  writeFileSync(path, JSON.stringify(v, null, 2) + '\n');
}

export function readPretrainState(out: string): PretrainState {
  const file = join(checkpointDir(out), 'trainer_state.json');
  if (!existsSync(file)) throw new Error(`--resume ${out}: no checkpoint (${file} is missing); nothing to resume`);
  const s = parseJson(readFileSync(file, 'utf8'), file) as PretrainState;
  if (s.format !== STATE_FORMAT) throw new Error(`${file}: not an adaptext pretraining state (format ${JSON.stringify(s.format)})`);
  if ((s.version as number) === 1) {
    throw new Error(
      `${file}: written by an earlier adaptext (pretraining state version 1, an older log format) and cannot be resumed; ` +
        `its weights are in ${out}: continue from them with adaptext pretrain --model ${out} --out NEW_FOLDER`,
    );
  }
  if ((s.version as number) !== STATE_VERSION) throw new Error(`${file}: pretraining state version ${JSON.stringify(s.version)} is not supported (expected ${STATE_VERSION})`);
  for (const k of ['step', 'tokensSeen', 'elapsedSeconds', 'logLines'] as const) {
    if (typeof s[k] !== 'number' || !(s[k] >= 0)) throw new Error(`${file}: field '${k}' must be a non-negative number`);
  }
  return s;
}

export function readOptimizerTensors(out: string): Record<string, Float32Array> {
  const t = readSafetensors(join(checkpointDir(out), 'optimizer.safetensors'));
  const r: Record<string, Float32Array> = {};
  for (const [k, v] of t) r[k] = v.data;
  return r;
}
