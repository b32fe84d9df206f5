// Save an AdapterModel as a Hugging Face folder, and adapters / heads as AdapterHub-style
// folders. Every folder is written atomically (built in a temp dir, renamed into place).
//
// HF folder (`saveModel`):
//   config.json          the model's config + `architectures` from the main head (+ id2label)
//   model.safetensors    backbone `<bert|roberta>.*`, the main head under its HF names
//                        (`classifier.*`, `cls.predictions.*`, `lm_head.*`; tied decoder omitted
//                        like HF), other heads `heads.<name>.*`, adapters under AdapterHub names
//   adaptext.json        adapter configs, head configs, active adapter/heads, main head
//   tokenizer files      via `tokenizer.save(dir)` when a tokenizer is given
// `BertForSequenceClassification.from_pretrained(dir)` (or the matching class) loads it; it
// reports the adapter and extra-head tensors as unused, which is expected.
import { join } from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { writeDirAtomic } from '../io/atomic.js';
import { writeSafetensors, type SafetensorsWriteDtype } from '../io/safetensors.js';
import { configFromJson, configToJson } from '../io/config.js';
import { ADAPTER_CONFIG_NAME, ADAPTER_WEIGHTS_NAME, ADAPTERS_VERSION, type AdapterConfigFile } from './adapters.js';
import { hfTensors, sidecarOf, SIDECAR_NAME } from './checkpoint.js';
import { HEAD_CONFIG_NAME, HEAD_WEIGHTS_NAME } from './load.js';
import type { AdapterModel } from './model.js';

export interface SaveModelOptions {
  /** Head written under HF names (default: the model's main head; null = plain BertModel). */
  mainHead?: string | null;
  /** Anything with `save(dir)` writing tokenizer files (src/text tokenizers). */
  tokenizer?: { save(dir: string): void } | null;
  /** Storage dtype (default F32). */
  dtype?: SafetensorsWriteDtype;
}

function json(path: string, obj: unknown): void {
  writeFileSync(path, JSON.stringify(obj, sortedReplacer, 2) + '\n');
}

/** JSON.stringify replacer sorting object keys (AdapterHub writes sort_keys=True). */
function sortedReplacer(_k: string, v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function hfConfigJson(model: AdapterModel, mainHead: string | null): Record<string, unknown> {
  const c: Record<string, unknown> = { ...(model.config as unknown as Record<string, unknown>) };
  const fam = model.cfg.family;
  const head = mainHead === null ? null : model.getHead(mainHead);
  c['architectures'] = [head?.hfArchitecture(fam) ?? (fam === 'roberta' ? 'RobertaModel' : 'BertModel')];
  if (head !== null && (head.type === 'sequence_classification' || head.type === 'token_classification')) {
    const n = (head.spec as { numLabels: number }).numLabels;
    const names = head.labelNames() ?? Array.from({ length: n }, (_, i) => `LABEL_${i}`);
    c['id2label'] = Object.fromEntries(names.map((l, i) => [String(i), l]));
    c['label2id'] = Object.fromEntries(names.map((l, i) => [l, i]));
    c['num_labels'] = n;
  }
  // Through src/io's validator: HF defaults filled in, keys sorted like transformers writes them.
  return configToJson(configFromJson(c, 'saveModel: config.json'));
}

export function saveModel(model: AdapterModel, dir: string, opts: SaveModelOptions = {}): void {
  const mainHead = opts.mainHead === undefined ? model.mainHead : opts.mainHead;
  const tensors = hfTensors(model, mainHead);
  const config = hfConfigJson(model, mainHead);
  const sidecar = sidecarOf(model, mainHead);
  writeDirAtomic(dir, (tmp) => {
    writeSafetensors(join(tmp, 'model.safetensors'), tensors, { dtype: opts.dtype, metadata: { format: 'pt' } });
    json(join(tmp, 'config.json'), config);
    json(join(tmp, SIDECAR_NAME), sidecar);
    opts.tokenizer?.save(tmp);
  });
}

/** AdapterHub folder: adapter_config.json + adapter.safetensors (only this adapter's weights, `<prefix>...adapters.<name>...`). */
export function saveAdapter(model: AdapterModel, name: string, dir: string, opts: { modelName?: string | null } = {}): void {
  const cfg = model.adapterConfig(name);
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [k, p] of model.adapterParameters(name)) {
    const m = /\.adapters\.[^.]+\.(.*)$/.exec(k)!;
    const adapter = k.slice(0, k.length - m[1]!.length);
    for (const alias of [m[1]!, ...(cfg.ln_before && m[1]!.startsWith('adapter_norm_before.') ? [`adapter_down.0.${m[1]!.slice('adapter_norm_before.'.length)}`] : [])]) {
      tensors.set(adapter + alias, { shape: p.shape, data: p.data });
    }
  }
  const file: AdapterConfigFile = {
    config: cfg,
    hidden_size: model.cfg.hiddenSize,
    model_class: model.cfg.family === 'roberta' ? 'RobertaAdapterModel' : 'BertAdapterModel',
    model_name: opts.modelName ?? model.config._name_or_path ?? null,
    model_type: model.cfg.modelType,
    name,
    version: ADAPTERS_VERSION,
  };
  writeDirAtomic(dir, (tmp) => {
    writeSafetensors(join(tmp, ADAPTER_WEIGHTS_NAME), tensors, { metadata: { format: 'pt' } });
    json(join(tmp, ADAPTER_CONFIG_NAME), file);
  });
}

/** Head folder: head_config.json (AdapterHub fields) + model_head.safetensors (`heads.<name>.*`, tied decoder omitted). */
export function saveHead(model: AdapterModel, name: string, dir: string, opts: { modelName?: string | null } = {}): void {
  const head = model.getHead(name);
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [k, p] of head.namedParameters()) tensors.set(`heads.${name}.${k}`, { shape: p.shape, data: p.data });
  const file = {
    config: head.headConfig(),
    hidden_size: model.cfg.hiddenSize,
    model_class: model.cfg.family === 'roberta' ? 'RobertaAdapterModel' : 'BertAdapterModel',
    model_name: opts.modelName ?? model.config._name_or_path ?? null,
    model_type: model.cfg.modelType,
    name,
    version: ADAPTERS_VERSION,
  };
  writeDirAtomic(dir, (tmp) => {
    mkdirSync(tmp, { recursive: true });
    writeSafetensors(join(tmp, HEAD_WEIGHTS_NAME), tensors, { metadata: { format: 'pt' } });
    json(join(tmp, HEAD_CONFIG_NAME), file);
  });
}
