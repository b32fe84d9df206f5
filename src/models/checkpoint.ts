// Checkpoint key mapping between Hugging Face / AdapterHub files and AdapterModel names —
// pure functions over name → tensor maps (no file I/O; load.ts and save.ts do the files).
//
// Accepted on load (real checkpoints have all of these):
//   backbone with `bert.` / `roberta.` / no prefix; legacy LayerNorm `gamma`/`beta`;
//   `cls.predictions.*` (BERT MLM) or `lm_head.*` (RoBERTa MLM), decoder tied (weight absent or
//   a copy of the embeddings) or stored untied (tie_word_embeddings=false);
//   `cls.seq_relationship.*` (NSP head: ignored); `embeddings.position_ids` / `token_type_ids`
//   buffers (ignored); `classifier.*` (main classification head); `heads.<name>.*` (flex heads
//   described in adaptext.json); `...adapters.<name>...` (adapters described in adaptext.json).
// The pooler may be missing (RoBERTa checkpoints, MLM-only BERTs): it is initialised like HF does.
import { shapeStr } from '../tensor/tensor.js';
import { firstNonFinite } from '../tensor/ops/check.js';
import type { StoredTensor } from '../nn/module.js';
import { initBertWeights } from '../nn/init.js';
import { sameShape } from '../nn/module.js';
import { adapterNameOf, type BnConfig } from './adapters.js';
import type { BertFamilyConfig } from './config.js';
import { resolveConfig } from './config.js';
import { HEAD_POOLINGS, specFromHeadConfig, type HeadPooling, type HeadSpec } from './heads.js';
import { AdapterModel } from './model.js';

/** adaptext.json: what the HF files cannot say (adapter configs, head specs, active/main names). */
export interface ModelSidecar {
  format: 'adaptext.model';
  version: 1;
  adapters: Record<string, BnConfig>;
  active_adapter: string | null;
  heads: Record<string, Record<string, unknown>>; // name → head_config.json-style `config`
  active_heads: string[];
  main_head: string | null;
  /**
   * Whether the pooler (BERT's [CLS] → dense → tanh) was ever trained. MLM-only pretraining
   * (`adaptext pretrain`) leaves it at its random init: heads should not read it. Absent in older
   * files: then inferred (see `poolerTrainedOf`).
   */
  pooler_trained?: boolean;
  /** Domain centres (AdapterModel.setDomainCentre): domain → pooling and [H] mean. Absent: none. */
  domain_centres?: Record<string, { pooling: HeadPooling; mean: number[] }>;
}

export const SIDECAR_NAME = 'adaptext.json';

export interface LoadInfo {
  /** Tensors in the file that were deliberately skipped (NSP head, buffers, tied decoder copies). */
  ignored: string[];
  /** Model tensors absent from the file and initialised fresh (only the pooler may be). */
  initialized: string[];
  /** Heads created from HF head tensors (name → type). */
  heads: Record<string, string>;
}

const BUFFER_RE = /(^|\.)embeddings\.(position_ids|token_type_ids)$/;
const BACKBONE_RE = /^(embeddings|encoder|pooler)\./;

function legacyLayerNorm(k: string): string {
  return k.replace(/\.(LayerNorm|layer_norm)\.gamma$/, '.$1.weight').replace(/\.(LayerNorm|layer_norm)\.beta$/, '.$1.bias');
}

/** Inverse of MaskedLMHead.hfNames: HF suffix (after `cls.predictions.` / `lm_head.`) → flex local name. */
const MLM_BERT: Record<string, string> = {
  'transform.dense.weight': '0.weight',
  'transform.dense.bias': '0.bias',
  'transform.LayerNorm.weight': '2.weight',
  'transform.LayerNorm.bias': '2.bias',
  bias: '3.bias',
};
const MLM_ROBERTA: Record<string, string> = {
  'dense.weight': '0.weight',
  'dense.bias': '0.bias',
  'layer_norm.weight': '2.weight',
  'layer_norm.bias': '2.bias',
  bias: '3.bias',
};

/**
 * Build an AdapterModel from a config and checkpoint tensors. Every problem (missing,
 * unexpected, mis-shaped) is collected and thrown as ONE error naming each tensor and shapes.
 */
/**
 * Weights must be finite to be loaded: a NaN base model would otherwise surface much later as
 * "training diverged, lower the learning rates". Names the tensor and the first bad index.
 */
export function checkFiniteWeights(tensors: Iterable<readonly [string, { data: ArrayLike<number> }]>, where: string): void {
  for (const [k, t] of tensors) {
    const i = firstNonFinite(t.data);
    if (i >= 0) throw new Error(`${where}: tensor "${k}" holds ${t.data[i]} at index ${i}; refusing to load non-finite weights (a damaged file, or saved from a diverged run)`);
  }
}

export function modelFromTensors(
  config: BertFamilyConfig,
  tensors: ReadonlyMap<string, StoredTensor>,
  opts: { seed?: number; sidecar?: ModelSidecar | null; source?: string } = {},
): { model: AdapterModel; info: LoadInfo } {
  const source = opts.source ?? 'checkpoint';
  checkFiniteWeights(tensors, source);
  const rc = resolveConfig(config, `${source}: config`);
  const sidecar = opts.sidecar ?? null;
  const model = new AdapterModel(config, { seed: opts.seed, skipInit: true });
  const prefix = model.prefix;
  const info: LoadInfo = { ignored: [], initialized: [], heads: {} };
  const mapped = new Map<string, StoredTensor>();
  const unexpected: string[] = [];
  const mlm = new Map<string, StoredTensor>(); // flex-local → tensor
  let mlmDecoderWeight: { key: string; t: StoredTensor } | null = null;
  const classifier = new Map<string, StoredTensor>(); // HF suffix after 'classifier.'
  const adapterNames = new Set<string>();

  for (const [rawKey, t] of tensors) {
    if (BUFFER_RE.test(rawKey) || rawKey.startsWith('cls.seq_relationship.')) {
      info.ignored.push(rawKey);
      continue;
    }
    const k = legacyLayerNorm(rawKey);
    let rest: string | null = null;
    if (k.startsWith('bert.') || k.startsWith('roberta.')) rest = k.slice(k.indexOf('.') + 1);
    else if (BACKBONE_RE.test(k)) rest = k;
    if (rest !== null && BACKBONE_RE.test(rest)) {
      const name = adapterNameOf(rest);
      if (name !== null) adapterNames.add(name);
      mapped.set(prefix + rest, t);
      continue;
    }
    if (k.startsWith('cls.predictions.') || k.startsWith('lm_head.')) {
      const isBert = k.startsWith('cls.');
      const suffix = k.slice(isBert ? 'cls.predictions.'.length : 'lm_head.'.length);
      if (suffix === 'decoder.weight') mlmDecoderWeight = { key: rawKey, t };
      else if (suffix === 'decoder.bias') {
        if (!mlm.has('3.bias')) mlm.set('3.bias', t);
        info.ignored.push(rawKey); // same tensor as the head bias in HF
      } else {
        const local = (isBert ? MLM_BERT : MLM_ROBERTA)[suffix];
        if (local === undefined) unexpected.push(`${rawKey} ${shapeStr(t.shape)}`);
        else mlm.set(local, t);
      }
      continue;
    }
    if (k.startsWith('classifier.')) {
      classifier.set(k.slice('classifier.'.length), t);
      continue;
    }
    if (k.startsWith('heads.')) {
      mapped.set(k, t);
      continue;
    }
    unexpected.push(`${rawKey} ${shapeStr(t.shape)}`);
  }
  // The `3.bias` may have been set from decoder.bias before the real bias arrived: prefer the bias key.
  for (const [rawKey, t] of tensors) {
    if (rawKey === 'cls.predictions.bias' || rawKey === 'lm_head.bias') mlm.set('3.bias', t);
  }

  // ---- adapters (configs from adaptext.json)
  for (const name of adapterNames) {
    const cfg = sidecar?.adapters[name];
    if (cfg === undefined) {
      unexpected.push(`adapter '${name}' tensors (no config for it in ${SIDECAR_NAME}; load adapters with loadAdapter from an AdapterHub folder)`);
      continue;
    }
    model.addAdapter(name, { ...cfg, leave_out: cfg.leave_out });
  }
  for (const name of Object.keys(sidecar?.adapters ?? {})) {
    if (!adapterNames.has(name)) model.addAdapter(name, sidecar!.adapters[name]!); // its tensors will be reported missing
  }

  // ---- heads: flex heads from the sidecar, HF heads from their tensors
  const mainName = sidecar?.main_head ?? null;
  const sideHeads = sidecar?.heads ?? {};
  for (const [name, hc] of Object.entries(sideHeads)) {
    model.addHead(name, specFromHeadConfig(hc, `${source}: ${SIDECAR_NAME} heads.${name}`), { setActive: false });
  }
  const headOf = (type: string): string | null => {
    if (mainName !== null && model.heads.get(mainName)?.type === type) return mainName;
    return null;
  };
  if (mlm.size > 0 || mlmDecoderWeight !== null) {
    let name = headOf('masked_lm');
    if (name === null) {
      const untied = !rc.tieWordEmbeddings && mlmDecoderWeight !== null;
      name = model.heads.has('mlm') ? 'mlm_hf' : 'mlm';
      model.addHead(name, { type: 'masked_lm', untied }, { setActive: false });
      info.heads[name] = 'masked_lm';
    }
    for (const [local, t] of mlm) mapped.set(`heads.${name}.${local}`, t);
    const head = model.heads.get(name)!;
    const untied = head.namedParameters().some(([k]) => k === '3.weight');
    if (mlmDecoderWeight !== null) {
      if (untied) mapped.set(`heads.${name}.3.weight`, mlmDecoderWeight.t);
      else info.ignored.push(mlmDecoderWeight.key); // tied: HF uses the word embeddings
    }
  }
  if (classifier.size > 0) {
    let name: string;
    if (mainName !== null && model.heads.has(mainName)) name = mainName;
    else {
      name = model.heads.has('classifier') ? 'classifier_hf' : 'classifier';
      const spec = classifierSpec(classifier, config, source);
      model.addHead(name, spec, { setActive: false });
      info.heads[name] = spec.type;
    }
    const head = model.heads.get(name)!;
    const names = head.hfNames(rc.family);
    const inverse = new Map([...(names ?? new Map<string, string>())].map(([flex, hf]) => [hf, flex]));
    for (const [suffix, t] of classifier) {
      const flex = inverse.get(`classifier.${suffix}`);
      if (flex === undefined) unexpected.push(`classifier.${suffix} ${shapeStr(t.shape)} (head '${name}' is ${head.type})`);
      else mapped.set(`heads.${name}.${flex}`, t);
    }
  }

  // ---- copy, collecting every problem
  const own = model.stateDict();
  const missing: string[] = [];
  const misShaped: string[] = [];
  const poolerKeys = new Set([`${prefix}pooler.dense.weight`, `${prefix}pooler.dense.bias`]);
  for (const [name, p] of own) {
    const t = mapped.get(name);
    if (t === undefined) {
      if (poolerKeys.has(name)) info.initialized.push(name);
      else missing.push(`${name} ${shapeStr(p.shape)}`);
    } else if (!sameShape(p.shape, t.shape)) misShaped.push(`${name} (expected ${shapeStr(p.shape)}, found ${shapeStr(t.shape)})`);
  }
  for (const [name, t] of mapped) if (!own.has(name)) unexpected.push(`${name} ${shapeStr(t.shape)}`);
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`missing ${missing.length}: ${missing.join(', ')}`);
  if (unexpected.length > 0) problems.push(`unexpected ${unexpected.length}: ${unexpected.join(', ')}`);
  if (misShaped.length > 0) problems.push(`mis-shaped ${misShaped.length}: ${misShaped.join(', ')}`);
  if (problems.length > 0) throw new Error(`${source}: cannot load the checkpoint into ${rc.family} (${rc.numLayers} layers, hidden ${rc.hiddenSize}): ${problems.join('; ')}`);
  for (const [name, p] of own) {
    const t = mapped.get(name);
    if (t !== undefined) p.data.set(t.data);
  }
  if (info.initialized.length > 0) initBertWeights(model.base.pooler, rc.initializerRange, model.rng);
  model.poolerTrained = poolerTrainedOf(rc.family, info.initialized.length > 0, sidecar);

  // ---- state from the sidecar
  if (sidecar !== null) {
    if (sidecar.active_adapter !== null) model.setActiveAdapter(sidecar.active_adapter);
    model.setActiveHeads(sidecar.active_heads.filter((h) => model.heads.has(h)));
    if (mainName !== null && model.heads.has(mainName)) model.setMainHead(mainName);
    for (const [domain, c] of Object.entries(sidecar.domain_centres ?? {})) {
      try {
        model.setDomainCentre(domain, c.pooling, c.mean);
      } catch (e) {
        throw new Error(`${opts.source ?? 'model'}: adaptext.json domain_centres.${domain}: ${(e as Error).message}`, { cause: e });
      }
    }
  } else {
    model.setActiveHeads(model.headNames());
  }
  model.assignParameterNames();
  return { model, info };
}

function classifierSpec(cls: Map<string, StoredTensor>, config: BertFamilyConfig, source: string): HeadSpec {
  const labelsFromConfig = (n: number): string[] | undefined => {
    const id2label = config.id2label;
    if (id2label == null) return undefined;
    const names: string[] = [];
    for (let i = 0; i < n; i++) {
      const l = id2label[String(i)];
      if (l === undefined) return undefined;
      names.push(l);
    }
    return Object.keys(id2label).length === n ? names : undefined;
  };
  const archs = config.architectures ?? [];
  if (cls.has('out_proj.weight')) {
    const n = cls.get('out_proj.weight')!.shape[0]!;
    return { type: 'sequence_classification', style: 'roberta', numLabels: n, labels: labelsFromConfig(n) };
  }
  const w = cls.get('weight');
  if (w === undefined) throw new Error(`${source}: classifier.* tensors without classifier.weight or classifier.out_proj.weight`);
  const n = w.shape[0]!;
  if (archs.some((a) => a.endsWith('ForTokenClassification'))) {
    return { type: 'token_classification', numLabels: n, labels: labelsFromConfig(n) };
  }
  return { type: 'sequence_classification', style: 'bert', numLabels: n, labels: labelsFromConfig(n) };
}

/** Tensors of a model in HF layout: backbone `<prefix>*`, main head under HF names, the rest as named in the model. */
export function hfTensors(model: AdapterModel, mainHead: string | null = model.mainHead): Map<string, { shape: readonly number[]; data: Float32Array }> {
  const out = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  const fam = model.cfg.family;
  const main = mainHead === null ? null : model.getHead(mainHead);
  // A main head without a Hugging Face class keeps its flex names (adaptext.json says it is main).
  const hfNames = main !== null && main.hfArchitecture(fam) !== null ? main.hfNames(fam) : null;
  for (const [k, p] of model.namedParameters()) {
    if (hfNames !== null && k.startsWith(`heads.${mainHead}.`)) {
      const local = k.slice(`heads.${mainHead}.`.length);
      const hf = hfNames.get(local);
      if (hf === undefined) throw new Error(`save: no HF name for ${k}`);
      out.set(hf, { shape: p.shape, data: p.data });
    } else {
      out.set(k, { shape: p.shape, data: p.data });
    }
  }
  return out;
}

/**
 * Whether a loaded checkpoint's pooler was trained: what its adaptext.json says; else false when
 * the file had no pooler (initialised fresh) or the model is a RoBERTa (pretrained without NSP, its
 * pooler is never trained); else true (a Hugging Face BERT, pretrained with next-sentence prediction).
 */
export function poolerTrainedOf(family: 'bert' | 'roberta', poolerMissing: boolean, sidecar: ModelSidecar | null): boolean {
  if (typeof sidecar?.pooler_trained === 'boolean') return sidecar.pooler_trained;
  return !poolerMissing && family === 'bert';
}

/** adaptext.json for a model. */
export function sidecarOf(model: AdapterModel, mainHead: string | null = model.mainHead): ModelSidecar {
  const adapters: Record<string, BnConfig> = {};
  for (const a of model.adapterNames()) adapters[a] = model.adapterConfig(a);
  const heads: Record<string, Record<string, unknown>> = {};
  for (const h of model.headNames()) heads[h] = model.getHead(h).headConfig();
  return {
    format: 'adaptext.model',
    version: 1,
    adapters,
    active_adapter: model.activeAdapter,
    heads,
    active_heads: [...model.activeHeads],
    main_head: mainHead,
    pooler_trained: model.poolerTrained,
    ...(model.domainCentreNames().length > 0
      ? {
          domain_centres: Object.fromEntries(
            model.domainCentreNames().map((d) => {
              const c = model.domainCentre(d)!;
              return [d, { pooling: c.pooling, mean: Array.from(c.mean) }];
            }),
          ),
        }
      : {}),
  };
}

export function parseSidecar(obj: unknown, file: string): ModelSidecar {
  if (typeof obj !== 'object' || obj === null) throw new Error(`${file}: expected a JSON object`);
  const o = obj as Record<string, unknown>;
  if (o['format'] !== 'adaptext.model') throw new Error(`${file}: field 'format' must be 'adaptext.model'`);
  if (o['version'] !== 1) throw new Error(`${file}: unsupported version ${JSON.stringify(o['version'])} (expected 1)`);
  const obj2 = (k: string): Record<string, never> => {
    const v = o[k];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${file}: field '${k}' must be an object`);
    return v as Record<string, never>;
  };
  const heads = obj2('heads');
  const adapters = obj2('adapters');
  const activeHeads = o['active_heads'];
  if (!Array.isArray(activeHeads) || activeHeads.some((h) => typeof h !== 'string')) {
    throw new Error(`${file}: field 'active_heads' must be an array of head names`);
  }
  const str = (k: string): string | null => {
    const v = o[k];
    if (v !== null && typeof v !== 'string') throw new Error(`${file}: field '${k}' must be a string or null`);
    return v as string | null;
  };
  const bool = (k: string): boolean => {
    const v = o[k];
    if (typeof v !== 'boolean') throw new Error(`${file}: field '${k}' must be true or false`);
    return v;
  };
  return {
    format: 'adaptext.model',
    version: 1,
    adapters,
    active_adapter: str('active_adapter'),
    heads,
    active_heads: activeHeads as string[],
    main_head: str('main_head'),
    ...(o['pooler_trained'] === undefined ? {} : { pooler_trained: bool('pooler_trained') }),
    ...(o['domain_centres'] === undefined ? {} : { domain_centres: parseCentres(obj2('domain_centres'), file) }),
  };
}

function parseCentres(o: Record<string, unknown>, file: string): Record<string, { pooling: HeadPooling; mean: number[] }> {
  const out: Record<string, { pooling: HeadPooling; mean: number[] }> = {};
  for (const [domain, v] of Object.entries(o)) {
    const where = `${file}: domain_centres.${domain}`;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${where} must be an object {pooling, mean}`);
    const c = v as Record<string, unknown>;
    if (!HEAD_POOLINGS.includes(c['pooling'] as HeadPooling)) throw new Error(`${where}.pooling must be one of ${HEAD_POOLINGS.join(', ')}, got ${JSON.stringify(c['pooling'])}`);
    const mean = c['mean'];
    if (!Array.isArray(mean) || mean.some((x) => typeof x !== 'number' || !Number.isFinite(x))) throw new Error(`${where}.mean must be an array of finite numbers`);
    out[domain] = { pooling: c['pooling'] as HeadPooling, mean: mean as number[] };
  }
  return out;
}
