// The config fields the BERT family needs, with HF `config.json` names. src/io's `loadConfig`
// produces a typed frozen BertConfig that satisfies this interface; tests and `randomModel`
// may pass a plain object. Optional fields take the HF defaults below.
import { totalmem } from 'node:os';

export interface BertFamilyConfig {
  readonly model_type: string; // 'bert' | 'roberta' (also 'xlm-roberta', 'camembert': RoBERTa embeddings)
  readonly vocab_size: number;
  readonly hidden_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  readonly intermediate_size: number;
  readonly hidden_act?: string;
  readonly hidden_dropout_prob?: number;
  readonly attention_probs_dropout_prob?: number;
  readonly max_position_embeddings: number;
  readonly type_vocab_size?: number;
  readonly initializer_range?: number;
  readonly layer_norm_eps?: number;
  readonly pad_token_id?: number | null;
  readonly position_embedding_type?: string;
  readonly classifier_dropout?: number | null;
  readonly tie_word_embeddings?: boolean;
  readonly architectures?: readonly string[] | null;
  readonly id2label?: Readonly<Record<string, string>> | null;
  readonly label2id?: Readonly<Record<string, number>> | null;
  readonly num_labels?: number;
  readonly _name_or_path?: string;
}

/** The resolved numbers the model uses (defaults applied, checked once). */
export interface ResolvedConfig {
  family: 'bert' | 'roberta';
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  hiddenAct: string;
  hiddenDropout: number;
  attentionDropout: number;
  classifierDropout: number;
  maxPositions: number;
  typeVocabSize: number;
  initializerRange: number;
  layerNormEps: number;
  padTokenId: number;
  tieWordEmbeddings: boolean;
}

const ROBERTA_TYPES = new Set(['roberta', 'xlm-roberta', 'camembert']);

export function resolveConfig(c: BertFamilyConfig, where = 'config'): ResolvedConfig {
  const bad = (field: string, v: unknown, want: string): never => {
    throw new Error(`${where}: field '${field}' must be ${want}, got ${JSON.stringify(v)}`);
  };
  const posInt = (field: keyof BertFamilyConfig): number => {
    const v = c[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) bad(field, v, 'a positive integer');
    return v as number;
  };
  const prob = (field: keyof BertFamilyConfig, dflt: number): number => {
    const v = c[field] ?? dflt;
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) bad(field, v, 'a probability in [0, 1)');
    return v as number;
  };
  if (typeof c.model_type !== 'string') bad('model_type', c.model_type, "a string ('bert' or 'roberta')");
  const family = ROBERTA_TYPES.has(c.model_type) ? 'roberta' : c.model_type === 'bert' ? 'bert' : null;
  if (family === null) {
    throw new Error(`${where}: model_type '${c.model_type}' is not supported (supported: bert, roberta, xlm-roberta, camembert)`);
  }
  const hiddenSize = posInt('hidden_size');
  const numHeads = posInt('num_attention_heads');
  if (hiddenSize % numHeads !== 0) {
    throw new Error(`${where}: hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numHeads}`);
  }
  const pet = c.position_embedding_type ?? 'absolute';
  if (pet !== 'absolute') {
    throw new Error(`${where}: position_embedding_type '${pet}' is not supported (only 'absolute')`);
  }
  const hiddenDropout = prob('hidden_dropout_prob', 0.1);
  const padTokenId = c.pad_token_id ?? (family === 'roberta' ? 1 : 0);
  if (!Number.isInteger(padTokenId) || padTokenId < 0) bad('pad_token_id', c.pad_token_id, 'a non-negative integer');
  const vocabSize = posInt('vocab_size');
  const numLayers = posInt('num_hidden_layers');
  const intermediateSize = posInt('intermediate_size');
  const maxPositions = posInt('max_position_embeddings');
  checkSize(where, { vocabSize, hiddenSize, numLayers, intermediateSize, maxPositions });
  return {
    family,
    modelType: c.model_type,
    vocabSize,
    hiddenSize,
    numLayers,
    numHeads,
    intermediateSize,
    hiddenAct: c.hidden_act ?? 'gelu',
    hiddenDropout,
    attentionDropout: prob('attention_probs_dropout_prob', 0.1),
    classifierDropout: c.classifier_dropout ?? hiddenDropout,
    maxPositions,
    typeVocabSize: c.type_vocab_size ?? 2,
    initializerRange: c.initializer_range ?? 0.02,
    layerNormEps: c.layer_norm_eps ?? 1e-12,
    padTokenId,
    tieWordEmbeddings: c.tie_word_embeddings ?? true,
  };
}

/** Largest typed array V8 allocates (elements); one weight matrix must fit in one. */
const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/**
 * Refuse sizes that cannot be allocated before allocating anything, naming the field: a
 * config.json with `num_hidden_layers: 1000000` would otherwise grow memory until the process is
 * killed, and `hidden_size: 1e9` fail with a context-free "Invalid typed array length".
 */
function checkSize(where: string, d: { vocabSize: number; hiddenSize: number; numLayers: number; intermediateSize: number; maxPositions: number }): void {
  const H = d.hiddenSize;
  for (const [field, rows] of [
    ['vocab_size', d.vocabSize],
    ['max_position_embeddings', d.maxPositions],
    ['intermediate_size', d.intermediateSize],
    ['hidden_size', H],
  ] as const) {
    if (rows * H > MAX_TENSOR_ELEMENTS) {
      throw new Error(`${where}: ${field} ${rows} with hidden_size ${H} makes a weight matrix of ${rows * H} elements, above the ${MAX_TENSOR_ELEMENTS} one tensor can hold`);
    }
  }
  const perLayer = 4 * H * H + 2 * H * d.intermediateSize + 9 * H + d.intermediateSize;
  const embeddings = (d.vocabSize + d.maxPositions + 2) * H;
  const bytes = (embeddings + d.numLayers * perLayer) * 4;
  const total = totalmem();
  if (bytes > total) {
    const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
    const field = d.numLayers * perLayer >= embeddings ? `num_hidden_layers ${d.numLayers}` : `vocab_size ${d.vocabSize}`;
    throw new Error(`${where}: ${field} (hidden_size ${H}) needs ${gib(bytes)} for the float32 weights alone; this machine has ${gib(total)} of memory`);
  }
}
