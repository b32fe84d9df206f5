// The one checkpoint store of every training run (the three stages and pretraining): a
// self-describing folder, written atomically (built in a temp sibling, fsynced, renamed into
// place), so a crash leaves the previous checkpoint whole.
//
//   <dir>/config.json, model.safetensors, adaptext.json, tokenizer files   HF model folder (src/models saveModel)
//   <dir>/adapters/<domain>/   adapter_config.json + adapter.safetensors      AdapterHub layout
//   <dir>/heads/<task>/        head_config.json + model_head.safetensors
//   <dir>/optimizer.safetensors   AdamW moments; `__metadata__.adamw` = the JSON part (step counts, groups)
//   <dir>/trainer_state.json      the run's state (its schema is the caller's: src/train/checkpoint.ts
//                                 for a stage, src/pretrain/state.ts for pretraining)
//   <dir>/<name>/                 further models of the run (HF folders), e.g. generator/ of ELECTRA
//   <dir>/<extra files>           e.g. evaluation.json, features.safetensors of a finished stage
//   <dir>/manifest.json           SHA-1 of every file above, written last; verified on load, so a
//                                 damaged, truncated or partly deleted checkpoint is refused, not resumed
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileSha1 } from '../io/hash.js';
import { parseJson } from '../io/validate.js';
import { writeDirAtomic } from '../io/atomic.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import { saveAdapter, saveHead, saveModel, type AdapterModel } from '../models/index.js';
import type { Tokenizer } from '../text/index.js';
import type { AdamW, AdamWStateDict, AdamWStateMeta } from '../optim/index.js';
import { firstNonFinite } from '../tensor/index.js';

export const TRAINER_STATE_NAME = 'trainer_state.json';
export const OPTIMIZER_NAME = 'optimizer.safetensors';
export const MANIFEST_NAME = 'manifest.json';

export interface CheckpointParts<S extends object = object> {
  model: AdapterModel;
  tokenizer: Tokenizer;
  optimizer: AdamW | null;
  /** The run's state, written as trainer_state.json. */
  state: S;
  /** Extra files (name → text or bytes) written into the same folder. */
  extra?: Record<string, string | Uint8Array>;
  /** Further models trained with the run (name → model), each saved as an HF folder `<dir>/<name>/` (e.g. ELECTRA's generator). */
  models?: Record<string, AdapterModel>;
  /** Extra safetensors files (name → tensors). */
  tensors?: Record<string, Map<string, { shape: readonly number[]; data: Float32Array }>>;
  /** Names the run and step in the error when a weight is not finite, and what to do about it. */
  diverged: { what: string; step: number; hint: string };
}

/**
 * Write a checkpoint folder. Its trainable weights are checked first — the loop checks loss and
 * gradient norm before each update, not the weights after the last one — so non-finite weights
 * are never saved as a checkpoint.
 */
export function writeCheckpoint<S extends object>(dir: string, parts: CheckpointParts<S>): void {
  const { model, tokenizer, optimizer, state, diverged: d } = parts;
  for (const [prefix, m] of [['', model], ...Object.entries(parts.models ?? {}).map(([n, x]) => [`${n}/`, x] as const)] as const) {
    for (const [name, p] of m.namedParameters()) {
      if (!p.requiresGrad) continue;
      const i = firstNonFinite(p.data);
      if (i >= 0) throw new Error(`${d.what}: after step ${d.step} weight ${prefix}${name}[${i}] is ${p.data[i]}; nothing was saved (training diverged: ${d.hint})`);
    }
  }
  writeDirAtomic(dir, (tmp) => {
    saveModel(model, tmp, { tokenizer });
    for (const [name, m] of Object.entries(parts.models ?? {})) saveModel(m, join(tmp, name), { tokenizer });
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

/** The parsed trainer_state.json of a checkpoint folder (the caller validates it with its schema). */
export function readStateFile(dir: string): { path: string; value: unknown } {
  const path = join(dir, TRAINER_STATE_NAME);
  if (!existsSync(path)) throw new Error(`${dir}: not a training checkpoint (no ${TRAINER_STATE_NAME})`);
  return { path, value: parseJson(readFileSync(path, 'utf8'), path) };
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
