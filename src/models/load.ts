// Load a Hugging Face checkpoint folder (config.json + model.safetensors or a sharded
// model.safetensors.index.json; else pytorch_model.bin or a sharded pytorch_model.bin.index.json)
// into an AdapterModel, plus AdapterHub adapter folders and head folders. pytorch_model.bin is
// read by src/io/torch-checkpoint.ts, which interprets the pickle without executing it (the
// contract of torch.load(weights_only=True)); the legacy non-zip format and other pickles
// (model.pt, model.ckpt, pytorch_adapter.bin, pytorch_model_head.bin) are refused, never executed.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, type SafetensorsTensor } from '../io/safetensors.js';
import { refusePickle } from '../io/pickle.js';
import { readTorchCheckpoint } from '../io/torch-checkpoint.js';
import { loadConfig, type BertConfig } from '../io/config.js';
import { shapeStr } from '../tensor/tensor.js';
import { sameShape } from '../nn/module.js';
import {
  ADAPTER_CONFIG_NAME,
  ADAPTER_PICKLE_NAME,
  ADAPTER_WEIGHTS_NAME,
  parseAdapterConfigFile,
} from './adapters.js';
import { checkFiniteWeights, modelFromTensors, parseSidecar, SIDECAR_NAME, type LoadInfo } from './checkpoint.js';
import { specFromHeadConfig } from './heads.js';
import type { AdapterModel } from './model.js';
import { READ_LIMITS, readInputText } from '../io/read.js';
import { parseJson } from '../io/validate.js';
import { localModelDir } from '../hub/model.js';
import { indexShardNames, WEIGHT_FILES } from '../io/weights-index.js';

export const HEAD_CONFIG_NAME = 'head_config.json';
export const HEAD_WEIGHTS_NAME = 'model_head.safetensors';

export interface LoadModelOptions {
  /** Seed of the model Rng (dropout, init of anything new). Default 42. */
  seed?: number;
}

function readJson(path: string): unknown {
  const text = readInputText(path, 'JSON', READ_LIMITS.tokenizer);
  return parseJson(text, path);
}

/** config.json through src/io's validating loader (typed, frozen, HF defaults applied). */
export function readModelConfig(dir: string): BertConfig {
  return loadConfig(dir);
}

/** The shard files an HF `*.index.json` lists in its weight_map (plain names in `dir`). */

/**
 * The weight files of an HF folder, in order of preference: model.safetensors, the shards of
 * model.safetensors.index.json, pytorch_model.bin, the shards of pytorch_model.bin.index.json.
 * model.pt / model.ckpt alone are refused with the conversion command.
 */
export function modelWeightFiles(dir: string): string[] {
  for (const name of WEIGHT_FILES) {
    if (!existsSync(join(dir, name))) continue;
    return name.endsWith('.index.json') ? indexShardNames(join(dir, name)).map((f) => join(dir, f)) : [join(dir, name)];
  }
  for (const name of ['model.pt', 'model.ckpt']) {
    if (existsSync(join(dir, name))) refusePickle(join(dir, name));
  }
  const files = existsSync(dir) && statSync(dir).isDirectory() ? readdirSync(dir).join(', ') : '(not a directory)';
  throw new Error(`${dir}: no model.safetensors, model.safetensors.index.json, pytorch_model.bin or pytorch_model.bin.index.json (found: ${files || 'nothing'})`);
}

/** One weight file: safetensors, or a torch.save zip checkpoint (read without executing it). */
function readWeightFile(path: string): Map<string, SafetensorsTensor> {
  return /\.safetensors$/i.test(path) ? readSafetensors(path) : readTorchCheckpoint(path);
}

/** All weight tensors of an HF folder (see modelWeightFiles); shards are merged. */
export function readModelTensors(dir: string): Map<string, SafetensorsTensor> {
  const files = modelWeightFiles(dir);
  if (files.length === 1) return readWeightFile(files[0]!);
  const out = new Map<string, SafetensorsTensor>();
  for (const f of files) for (const [k, t] of readWeightFile(f)) out.set(k, t);
  return out;
}

/**
 * Load an HF BERT/RoBERTa folder (or a hub model id already in the Hugging Face cache). Returns the model (eval mode off: train() is the default, call
 * eval() for inference) and what was skipped or initialised. One error lists every problem.
 */
export function loadModel(ref: string, opts: LoadModelOptions = {}): { model: AdapterModel; info: LoadInfo } {
  const dir = localModelDir(ref); // a hub model id: its cached snapshot (downloadModel fetches it)
  const config = readModelConfig(dir);
  const tensors = readModelTensors(dir);
  const sidecarPath = join(dir, SIDECAR_NAME);
  const sidecar = existsSync(sidecarPath) ? parseSidecar(readJson(sidecarPath), sidecarPath) : null;
  return modelFromTensors(config, tensors, { seed: opts.seed, sidecar, source: dir });
}

/**
 * Load an AdapterHub adapter folder (adapter_config.json + adapter.safetensors) into `model`
 * as adapter `loadAs` (default: its saved name). Tensor names may carry the model prefix
 * (`bert.encoder...`, BertAdapterModel) or not (`encoder...`, BertModel with adapters).
 */
export function loadAdapter(model: AdapterModel, dir: string, opts: { loadAs?: string; setActive?: boolean; overwrite?: boolean } = {}): string {
  const cfgPath = join(dir, ADAPTER_CONFIG_NAME);
  const weights = join(dir, ADAPTER_WEIGHTS_NAME);
  if (!existsSync(weights)) {
    if (existsSync(join(dir, ADAPTER_PICKLE_NAME))) refusePickle(join(dir, ADAPTER_PICKLE_NAME));
    throw new Error(`${dir}: no ${ADAPTER_WEIGHTS_NAME} (not an AdapterHub adapter folder)`);
  }
  if (!existsSync(cfgPath)) throw new Error(`${dir}: no ${ADAPTER_CONFIG_NAME}`);
  const file = parseAdapterConfigFile(readJson(cfgPath), cfgPath, model.numLayers);
  if (Number.isFinite(file.hidden_size) && file.hidden_size !== model.cfg.hiddenSize) {
    throw new Error(`${cfgPath}: adapter was trained for hidden_size ${file.hidden_size}, this model has ${model.cfg.hiddenSize}`);
  }
  const tensors = readSafetensors(weights);
  checkFiniteWeights(tensors, weights); // before the model changes
  const name = opts.loadAs ?? file.name;
  model.addAdapter(name, file.config, { overwrite: opts.overwrite });
  const own = new Map(model.adapterParameters(name));
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const [raw, t] of tensors) {
    let k = raw.startsWith('bert.') || raw.startsWith('roberta.') ? raw.slice(raw.indexOf('.') + 1) : raw;
    k = model.prefix + k.replace(`.adapters.${file.name}.`, `.adapters.${name}.`);
    const p = own.get(k);
    if (p === undefined && file.config.ln_before) {
      // AdapterHub stores the ln_before LayerNorm twice (adapter_norm_before.* and adapter_down.0.*)
      const alias = k.replace(/\.adapter_down\.0\.(weight|bias)$/, '.adapter_norm_before.$1');
      if (alias !== k && own.has(alias)) {
        seen.add(alias);
        continue;
      }
    }
    if (p === undefined) {
      problems.push(`unexpected ${raw} ${shapeStr(t.shape)}`);
      continue;
    }
    if (!sameShape(p.shape, t.shape)) {
      problems.push(`mis-shaped ${raw} (expected ${shapeStr(p.shape)}, found ${shapeStr(t.shape)})`);
      continue;
    }
    p.data.set(t.data);
    seen.add(k);
  }
  for (const [k, p] of own) if (!seen.has(k)) problems.push(`missing ${k} ${shapeStr(p.shape)}`);
  if (problems.length > 0) {
    model.deleteAdapter(name);
    throw new Error(`${weights}: cannot load adapter '${name}': ${problems.join(', ')}`);
  }
  if (opts.setActive === true) model.setActiveAdapter(name);
  return name;
}

/** Load a head folder (head_config.json + model_head.safetensors, names `heads.<name>.*`). */
export function loadHead(model: AdapterModel, dir: string, opts: { loadAs?: string; overwrite?: boolean; main?: boolean } = {}): string {
  const cfgPath = join(dir, HEAD_CONFIG_NAME);
  const weights = join(dir, HEAD_WEIGHTS_NAME);
  if (!existsSync(cfgPath)) throw new Error(`${dir}: no ${HEAD_CONFIG_NAME} (not a head folder)`);
  if (!existsSync(weights)) {
    if (existsSync(join(dir, 'pytorch_model_head.bin'))) refusePickle(join(dir, 'pytorch_model_head.bin'));
    throw new Error(`${dir}: no ${HEAD_WEIGHTS_NAME}`);
  }
  const obj = readJson(cfgPath) as Record<string, unknown>;
  if (typeof obj['name'] !== 'string') throw new Error(`${cfgPath}: field 'name' must be a string`);
  if (typeof obj['config'] !== 'object' || obj['config'] === null) throw new Error(`${cfgPath}: field 'config' must be an object`);
  const saved = obj['name'];
  const name = opts.loadAs ?? saved;
  const headTensors = readSafetensors(weights);
  checkFiniteWeights(headTensors, weights); // before the model changes
  const head = model.addHead(name, specFromHeadConfig(obj['config'] as Record<string, unknown>, cfgPath), {
    overwrite: opts.overwrite,
    main: opts.main,
  });
  const own = new Map(head.namedParameters());
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const [raw, t] of headTensors) {
    const pre = `heads.${saved}.`;
    if (!raw.startsWith(pre)) {
      problems.push(`unexpected ${raw} ${shapeStr(t.shape)}`);
      continue;
    }
    const local = raw.slice(pre.length);
    const p = own.get(local);
    if (p === undefined) {
      // AdapterHub stores the tied MLM decoder weight too; we keep the tie.
      if (head.type === 'masked_lm' && local === '3.weight') continue;
      problems.push(`unexpected ${raw} ${shapeStr(t.shape)}`);
    } else if (!sameShape(p.shape, t.shape)) problems.push(`mis-shaped ${raw} (expected ${shapeStr(p.shape)}, found ${shapeStr(t.shape)})`);
    else {
      p.data.set(t.data);
      seen.add(local);
    }
  }
  for (const [k, p] of own) if (!seen.has(k)) problems.push(`missing heads.${saved}.${k} ${shapeStr(p.shape)}`);
  if (problems.length > 0) {
    model.deleteHead(name);
    throw new Error(`${weights}: cannot load head '${name}': ${problems.join(', ')}`);
  }
  return name;
}
