// Hugging Face `config.json` for the BERT family: a typed, frozen `BertConfig` whose field
// names ARE the HF names, defaults as transformers' BertConfig / RobertaConfig, and every
// field HF knows but we do not model (id2label, torch_dtype, pooler_* of bert-base-chinese,
// ...) preserved so that load -> save writes them back unchanged.
//
// Validation happens once, here; errors name the file and the field:
//   models/x/config.json: hidden_act: "quick_gelu" is not supported (supported: gelu, ...)

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from './atomic.js';
import { parseJson, v, validate, ValidationError } from './validate.js';
import { READ_LIMITS, readInputText } from './read.js';

/** model_type values whose architecture adaptext implements (the last two are RoBERTa). */
export const MODEL_TYPES = ['bert', 'roberta', 'xlm-roberta', 'camembert'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

/** hidden_act names (HF ACT2FN) with an implementation in src/nn/activations.ts. */
export const HIDDEN_ACTS = ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu', 'silu', 'swish', 'tanh'] as const;
export type HiddenAct = (typeof HIDDEN_ACTS)[number];

export interface BertConfig {
  readonly model_type: ModelType;
  readonly architectures?: readonly string[];
  readonly vocab_size: number;
  readonly hidden_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  readonly intermediate_size: number;
  readonly hidden_act: HiddenAct;
  readonly hidden_dropout_prob: number;
  readonly attention_probs_dropout_prob: number;
  readonly max_position_embeddings: number;
  readonly type_vocab_size: number;
  readonly initializer_range: number;
  readonly layer_norm_eps: number;
  readonly pad_token_id: number;
  readonly bos_token_id: number | null;
  readonly eos_token_id: number | null;
  readonly position_embedding_type: 'absolute';
  /** null: heads use hidden_dropout_prob (HF semantics). */
  readonly classifier_dropout: number | null;
  readonly tie_word_embeddings: boolean;
  readonly id2label?: Readonly<Record<string, string>>;
  readonly label2id?: Readonly<Record<string, number>>;
  readonly num_labels?: number;
  readonly _name_or_path?: string;
  /** Any other HF field, kept as found so saving writes it back. */
  readonly [field: string]: unknown;
}

/** Fields of BertConfig that have a default (everything but model_type and the optional label maps). */
type Defaults = Pick<BertConfig, Exclude<keyof typeof COMMON, never> | 'vocab_size' | 'pad_token_id' | 'bos_token_id' | 'eos_token_id'>;

const COMMON = {
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  initializer_range: 0.02,
  layer_norm_eps: 1e-12,
  position_embedding_type: 'absolute',
  classifier_dropout: null,
  tie_word_embeddings: true,
} as const;

/** transformers' defaults per model_type (BertConfig, RobertaConfig, XLMRobertaConfig, CamembertConfig). */
export const CONFIG_DEFAULTS: Readonly<Record<ModelType, Readonly<Defaults>>> = Object.freeze({
  bert: Object.freeze({ ...COMMON, vocab_size: 30522, pad_token_id: 0, bos_token_id: null, eos_token_id: null }),
  roberta: Object.freeze({ ...COMMON, vocab_size: 50265, pad_token_id: 1, bos_token_id: 0, eos_token_id: 2 }),
  'xlm-roberta': Object.freeze({ ...COMMON, vocab_size: 30522, pad_token_id: 1, bos_token_id: 0, eos_token_id: 2 }),
  camembert: Object.freeze({ ...COMMON, vocab_size: 30522, pad_token_id: 1, bos_token_id: 0, eos_token_id: 2 }),
});

/** RoBERTa-architecture model types: positions start at pad_token_id + 1. */
export function isRobertaFamily(cfg: Pick<BertConfig, 'model_type'>): boolean {
  return cfg.model_type !== 'bert';
}

const posInt = v.integer({ min: 1 });
const prob = v.number({ min: 0, max: 1, exclusiveMax: true });
const tokenId = v.nullable(v.integer({ min: 0 }));

function supported<T extends string>(field: string, values: readonly T[]) {
  return v.refine(v.string(), (s) => ((values as readonly string[]).includes(s) ? undefined : `${JSON.stringify(s)} is not supported (supported: ${values.join(', ')})`));
}

/** Checks for fields that are present; absent ones get defaults afterwards. */
const FIELDS = v.object(
  {
    model_type: v.optional(supported('model_type', MODEL_TYPES)),
    architectures: v.optional(v.nullable(v.array(v.string()))),
    vocab_size: v.optional(posInt),
    hidden_size: v.optional(posInt),
    num_hidden_layers: v.optional(posInt),
    num_attention_heads: v.optional(posInt),
    intermediate_size: v.optional(posInt),
    hidden_act: v.optional(supported('hidden_act', HIDDEN_ACTS)),
    hidden_dropout_prob: v.optional(prob),
    attention_probs_dropout_prob: v.optional(prob),
    max_position_embeddings: v.optional(posInt),
    type_vocab_size: v.optional(posInt),
    initializer_range: v.optional(v.number({ min: 0, exclusiveMin: true })),
    layer_norm_eps: v.optional(v.number({ min: 0, exclusiveMin: true })),
    pad_token_id: v.optional(tokenId),
    bos_token_id: v.optional(tokenId),
    eos_token_id: v.optional(tokenId),
    position_embedding_type: v.optional(supported('position_embedding_type', ['absolute'])),
    classifier_dropout: v.optional(v.nullable(prob)),
    tie_word_embeddings: v.optional(v.boolean()),
    id2label: v.optional(v.nullable(v.record(v.string(), { key: v.string({ pattern: /^\d+$/, patternName: 'an integer label id' }) }))),
    label2id: v.optional(v.nullable(v.record(v.integer({ min: 0 })))),
    num_labels: v.optional(posInt),
    _name_or_path: v.optional(v.string()),
    is_decoder: v.optional(v.refine(v.boolean(), (b) => (b ? 'decoder BERT (is_decoder: true) is not supported' : undefined))),
    add_cross_attention: v.optional(v.refine(v.boolean(), (b) => (b ? 'cross-attention is not supported' : undefined))),
  },
  { allowUnknown: true },
);

function inferModelType(obj: Record<string, unknown>): ModelType {
  const arch = Array.isArray(obj['architectures']) ? String(obj['architectures'][0] ?? '') : '';
  if (arch.startsWith('XLMRoberta')) return 'xlm-roberta';
  if (arch.startsWith('Camembert')) return 'camembert';
  if (arch.startsWith('Roberta')) return 'roberta';
  // Old BERT configs (Google's bert_config.json, early HF uploads) have neither field.
  return 'bert';
}

function deepFreeze<T>(x: T): T {
  if (typeof x === 'object' && x !== null && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const k of Object.keys(x)) deepFreeze((x as Record<string, unknown>)[k]);
  }
  return x;
}

/**
 * Build a frozen BertConfig from a parsed config.json object (`source` names it in errors).
 * Absent fields take transformers' defaults for the model_type; null token ids / label maps
 * mean "not set" like in HF. Unknown fields are kept.
 */
export function configFromJson(obj: unknown, source: string): BertConfig {
  const checked = validate(FIELDS, obj, { source, freeze: false }) as Record<string, unknown>;
  const model_type = (checked['model_type'] as ModelType | undefined) ?? inferModelType(checked);
  const out: Record<string, unknown> = { model_type, ...CONFIG_DEFAULTS[model_type] };
  for (const [k, val] of Object.entries(checked)) {
    if (val === undefined) continue;
    // null in a field with a numeric default means "use the default" (HF passes None through,
    // but the model needs a number: e.g. pad_token_id for the embedding padding row).
    if (val === null && (k === 'pad_token_id' || k === 'architectures' || k === 'id2label' || k === 'label2id')) continue;
    out[k] = val;
  }
  out['model_type'] = model_type;

  const fail = (field: string, message: string): never => {
    throw new ValidationError(source, [{ path: field, message }]);
  };
  const n = (k: string) => out[k] as number;
  if (n('hidden_size') % n('num_attention_heads') !== 0) {
    fail('hidden_size', `${n('hidden_size')} is not divisible by num_attention_heads ${n('num_attention_heads')}`);
  }
  if (n('pad_token_id') >= n('vocab_size')) fail('pad_token_id', `${n('pad_token_id')} is not below vocab_size ${n('vocab_size')}`);
  if (model_type !== 'bert' && n('max_position_embeddings') <= n('pad_token_id') + 1) {
    fail('max_position_embeddings', `${n('max_position_embeddings')} leaves no positions: RoBERTa positions start at pad_token_id + 1 = ${n('pad_token_id') + 1}`);
  }
  for (const k of ['bos_token_id', 'eos_token_id']) {
    const id = out[k];
    if (typeof id === 'number' && id >= n('vocab_size')) fail(k, `${id} is not below vocab_size ${n('vocab_size')}`);
  }
  const id2label = out['id2label'] as Record<string, string> | undefined;
  const label2id = out['label2id'] as Record<string, number> | undefined;
  if (id2label && out['num_labels'] !== undefined && Object.keys(id2label).length !== out['num_labels']) {
    fail('num_labels', `${out['num_labels']} but id2label has ${Object.keys(id2label).length} entries`);
  }
  if (id2label && label2id) {
    for (const [id, label] of Object.entries(id2label)) {
      // own keys only: a label named "constructor" must not find Object.prototype's
      if (Object.hasOwn(label2id, label) && label2id[label] !== Number(id)) {
        fail('label2id', `${JSON.stringify(label)} maps to ${label2id[label]} but id2label[${id}] is ${JSON.stringify(label)}`);
      }
    }
  }
  return deepFreeze(out) as BertConfig;
}

/** A config of the given type with HF defaults, overridden by `fields` (validated). */
export function makeConfig(fields: Partial<Record<keyof BertConfig, unknown>> & Record<string, unknown> = {}, source = 'config'): BertConfig {
  return configFromJson({ model_type: 'bert', ...fields }, source);
}

/** `dir/config.json` (or `dir` itself when it is a .json file) -> BertConfig. */
export function loadConfig(dir: string): BertConfig {
  const path = existsSync(dir) && statSync(dir).isFile() ? dir : join(dir, 'config.json');
  if (!existsSync(path)) {
    throw new Error(existsSync(dir) ? `${path}: not found (is ${dir} a Hugging Face model folder?)` : `${dir}: no such directory`);
  }
  return configFromJson(parseJson(readInputText(path, 'config', READ_LIMITS.config), path), path);
}

/** Plain JSON object for config.json: every field (known + preserved), keys sorted like
 * transformers' `to_json_string(sort_keys=True)`; unset token ids left out. */
export function configToJson(cfg: BertConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(cfg).sort()) {
    const val = cfg[k];
    if (val === undefined) continue;
    if ((k === 'bos_token_id' || k === 'eos_token_id') && val === null) continue;
    out[k] = val;
  }
  return out;
}

/** Write `dir/config.json` atomically (the folder must exist). */
export function saveConfig(dir: string, cfg: BertConfig): void {
  writeJsonAtomic(join(dir, 'config.json'), configToJson(cfg));
}
