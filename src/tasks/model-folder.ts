// Opening what a user points at as "a model": the one rule `inspect`, `encode` and library
// callers share. Accepted folders:
//   - a plain Hugging Face folder (config.json + model.safetensors, or pytorch_model.bin read
//     without executing it [+ tokenizer files]);
//   - an adaptext model/checkpoint folder: the same + adaptext.json (adapters and flex heads
//     inside model.safetensors) and optionally `adapters/<name>/` (AdapterHub folders) and
//     `heads/<name>/` (head folders) saved alongside (run checkpoints, docs/run-format.md);
//   - a run folder (run.json + stage1/ stage2/ stage3/): its latest finished stage checkpoint.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensorsHeader } from '../io/safetensors.js';
import { readTorchCheckpointHeader } from '../io/torch-checkpoint.js';
import { ADAPTER_CONFIG_NAME, HEAD_CONFIG_NAME, loadAdapter, loadHead, loadModel, modelWeightFiles } from '../models/index.js';
import type { AdapterModel, LoadInfo } from '../models/index.js';
import { loadTokenizer, type Tokenizer } from '../text/index.js';
import { latestFinishedStage } from '../train/checkpoint.js';

/** A model folder opened: the model plus what was found around it. */
export interface OpenedModel {
  /** The folder the weights came from (a stage folder when a run folder was given). */
  dir: string;
  /** What kind of folder the user pointed at. */
  kind: 'hf' | 'adaptext' | 'run';
  model: AdapterModel;
  info: LoadInfo;
  /** Adapters loaded from `adapters/<name>/` (not already inside model.safetensors). */
  adapterFolders: string[];
  /** Heads loaded from `heads/<name>/`. */
  headFolders: string[];
  tokenizer: Tokenizer | null;
  /** Why there is no tokenizer (null when there is one). */
  tokenizerError: string | null;
  /** Storage dtypes of the weight files: dtype → number of tensors. */
  dtypes: Record<string, number>;
  /** Bytes of the weight files. */
  weightBytes: number;
  /** Something the user should know about which checkpoint was picked, or null. */
  note: string | null;
}

const STAGES = ['stage3', 'stage2', 'stage1'];

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/**
 * The folder holding config.json: `dir` itself, or a run folder's latest *finished* stage
 * (stage3 > stage2 > stage1, trainer_state.json `complete`, the rule predict/eval use); a run
 * with no finished stage falls back to its latest stage checkpoint, said in `note`.
 */
function modelDirOf(dir: string): { dir: string; run: boolean; note: string | null } {
  if (!existsSync(dir)) throw new Error(`${dir}: no such folder`);
  if (!statSync(dir).isDirectory()) throw new Error(`${dir}: is a file, expected a model folder (config.json + model.safetensors)`);
  if (existsSync(join(dir, 'config.json'))) return { dir, run: false, note: null };
  const finished = latestFinishedStage(dir);
  if (finished !== null) return { dir: finished, run: true, note: null };
  const stages = STAGES.map((s) => join(dir, s)).filter((d) => existsSync(join(d, 'config.json')));
  if (stages.length > 0) return { dir: stages[0]!, run: true, note: `no finished stage yet: showing the in-progress checkpoint ${stages[0]}` };
  throw new Error(`${dir}: not a model folder (no config.json) and not a run folder (no ${[...STAGES].reverse().join('/, ')}/ checkpoint)`);
}

function subfolders(dir: string, marker: string): string[] {
  if (!isDir(dir)) return [];
  return readdirSync(dir)
    .filter((n) => !n.startsWith('.') && existsSync(join(dir, n, marker)))
    .sort();
}

/** Load a model folder (see the file header) with its side adapters/heads and tokenizer. */
export function openModelFolder(path: string, opts: { seed?: number } = {}): OpenedModel {
  const { dir, run, note } = modelDirOf(path);
  const { model, info } = loadModel(dir, { seed: opts.seed });
  const adapterFolders: string[] = [];
  for (const name of subfolders(join(dir, 'adapters'), ADAPTER_CONFIG_NAME)) {
    const sub = join(dir, 'adapters', name);
    // A checkpoint may hold an adapter both inside model.safetensors and as a folder; the
    // model file wins (it is what the trainer saved last), the folder is for AdapterHub users.
    if (model.adapterNames().includes(name)) continue;
    loadAdapter(model, sub, { loadAs: name });
    adapterFolders.push(name);
  }
  const headFolders: string[] = [];
  for (const name of subfolders(join(dir, 'heads'), HEAD_CONFIG_NAME)) {
    if (model.headNames().includes(name)) continue;
    loadHead(model, join(dir, 'heads', name), { loadAs: name });
    headFolders.push(name);
  }
  let tokenizer: Tokenizer | null = null;
  let tokenizerError: string | null = null;
  try {
    tokenizer = loadTokenizer(dir);
  } catch (e) {
    tokenizerError = (e as Error).message;
  }
  const { dtypes, bytes } = weightFiles(dir);
  const kind = run ? 'run' : existsSync(join(dir, 'adaptext.json')) || adapterFolders.length + headFolders.length > 0 ? 'adaptext' : 'hf';
  return { dir, kind, model, info, adapterFolders, headFolders, tokenizer, tokenizerError, dtypes, weightBytes: bytes, note };
}

function weightFiles(dir: string): { dtypes: Record<string, number>; bytes: number } {
  const files = readdirSync(dir).filter((f) => f.endsWith('.safetensors'));
  const dtypes: Record<string, number> = {};
  let bytes = 0;
  for (const f of files) {
    const h = readSafetensorsHeader(join(dir, f));
    bytes += h.fileBytes;
    for (const t of h.tensors) dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + 1;
  }
  // A folder without safetensors was loaded from pytorch_model.bin (or its shards).
  for (const f of files.length > 0 ? [] : modelWeightFiles(dir)) {
    const h = readTorchCheckpointHeader(f);
    bytes += h.fileBytes;
    for (const t of h.tensors) dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + 1;
  }
  return { dtypes, bytes };
}
