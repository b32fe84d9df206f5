// BERT and RoBERTa encoders (one family, one file), numerically the HF `BertModel` /
// `RobertaModel` forward: embeddings → N × (self-attention → add&norm → FFN → add&norm) → pooler.
// Module names are the HF state-dict keys (`embeddings.word_embeddings.weight`,
// `encoder.layer.3.attention.self.query.weight`, `pooler.dense.weight`, ...).
//
// Adapter slots: `attention.output` and `output` of every layer are AdapterHub's
// BertSelfOutput/BertOutput-with-adapters: they own an `adapters` dict (names
// `...output.adapters.<name>.adapter_down.0.weight`) and run the active adapter in place of
// the plain `LayerNorm(h + residual)` (see adapters.ts). No monkey-patching: the slot is code here.
//
// Shape legend: B batch, T tokens, H hidden, I intermediate, V vocab, P max positions.
// Hot path: linears take [B,T,H] directly (one GEMM over B*T rows), attention reads the
// q/k/v projections in [B,T,H] layout; no per-token JS loops except RoBERTa position ids.
import { add, attention, reshape, scratchStep, slice, tanh, type Rng } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { getActivation, type Activation } from '../nn/activations.js';
import { Dropout, Embedding, LayerNorm, Linear } from '../nn/layers.js';
import { Module, ModuleList } from '../nn/module.js';
import { AdapterSlot } from './adapters.js';
import type { ResolvedConfig } from './config.js';

/** Token ids and masks of one batch. All arrays are row-major [B, T]. */
export interface BertInput {
  inputIds: Int32Array; // [B*T]
  /** [B, T]. */
  shape: readonly [number, number];
  /** 1 = real token, 0 = padding; null/absent = all real. Int32Array is accepted and converted. */
  attentionMask?: Float32Array | Int32Array | null;
  /** Segment ids (BERT); absent = zeros (as HF's buffered token_type_ids). */
  tokenTypeIds?: Int32Array | null;
  /** Explicit position ids; absent = 0..T-1 (BERT) or create_position_ids_from_input_ids (RoBERTa). */
  positionIds?: Int32Array | null;
}

export interface BertOutput {
  lastHiddenState: Tensor; // [B,T,H]
  pooledOutput: Tensor; // [B,H]  tanh(dense(h[:,0]))
  /** The float mask actually used ([B,T], 1 keep 0 pad), for heads and pooling. */
  attentionMask: Float32Array | null;
}

/** RoBERTa `create_position_ids_from_input_ids`: non-pad tokens count from padding_idx+1, pads stay padding_idx. */
export function createPositionIdsFromInputIds(ids: Int32Array, B: number, T: number, paddingIdx: number): Int32Array {
  const out = new Int32Array(B * T); // [B,T]
  for (let b = 0; b < B; b++) {
    let count = 0;
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      if (ids[i] !== paddingIdx) {
        count++;
        out[i] = count + paddingIdx;
      } else out[i] = paddingIdx;
    }
  }
  return out;
}

export class BertEmbeddings extends Module {
  readonly word_embeddings: Embedding; // [V,H]
  readonly position_embeddings: Embedding; // [P,H]
  readonly token_type_embeddings: Embedding; // [typeVocab,H]
  readonly LayerNorm: LayerNorm;
  readonly dropout: Dropout;

  constructor(private readonly cfg: ResolvedConfig, rng: Rng) {
    super();
    const H = cfg.hiddenSize;
    this.word_embeddings = this.registerModule('word_embeddings', new Embedding(cfg.vocabSize, H, cfg.padTokenId));
    this.position_embeddings = this.registerModule(
      'position_embeddings',
      new Embedding(cfg.maxPositions, H, cfg.family === 'roberta' ? cfg.padTokenId : null),
    );
    this.token_type_embeddings = this.registerModule('token_type_embeddings', new Embedding(cfg.typeVocabSize, H));
    this.LayerNorm = this.registerModule('LayerNorm', new LayerNorm(H, cfg.layerNormEps));
    this.dropout = this.registerModule('dropout', new Dropout(cfg.hiddenDropout, rng));
  }

  forward(input: BertInput): Tensor {
    const [B, T] = input.shape;
    const H = this.cfg.hiddenSize;
    const words = this.word_embeddings.forward(input.inputIds, [B, T]); // [B,T,H]
    const tt = input.tokenTypeIds ?? new Int32Array(B * T);
    let x = add(words, this.token_type_embeddings.forward(tt, [B, T])); // [B,T,H]
    if (input.positionIds == null && this.cfg.family === 'bert') {
      if (T > this.cfg.maxPositions) {
        throw new Error(`BertEmbeddings: sequence length ${T} exceeds max_position_embeddings ${this.cfg.maxPositions}`);
      }
      // Positions 0..T-1 are the same for every row: add the [T,H] slice, broadcast over B.
      const pos = slice(this.position_embeddings.weight, 0, 0, T); // [T,H]
      x = add(x, pos);
    } else {
      const pids = input.positionIds ?? createPositionIdsFromInputIds(input.inputIds, B, T, this.cfg.padTokenId);
      x = add(x, this.position_embeddings.forward(pids, [B, T])); // [B,T,H]
    }
    void H;
    return this.dropout.forward(this.LayerNorm.forward(x));
  }
}

export class BertSelfAttention extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;

  constructor(private readonly cfg: ResolvedConfig, private readonly rng: Rng) {
    super();
    const H = cfg.hiddenSize;
    this.query = this.registerModule('query', new Linear(H, H));
    this.key = this.registerModule('key', new Linear(H, H));
    this.value = this.registerModule('value', new Linear(H, H));
  }

  /** x [B,T,H], keyMask [B,T] → context [B,T,H]. */
  forward(x: Tensor, keyMask: Float32Array | null): Tensor {
    const q = this.query.forward(x);
    const k = this.key.forward(x);
    const v = this.value.forward(x);
    return attention(q, k, v, keyMask, this.cfg.numHeads, {
      dropout: this.cfg.attentionDropout,
      training: this.training,
      rng: this.rng,
    });
  }
}

/** BertSelfOutput (+ AdapterHub "mh_adapter" slot): LN(dropout(dense(ctx)) + x), or the active adapter. */
export class BertSelfOutput extends AdapterSlot {
  readonly dense: Linear;
  readonly LayerNorm: LayerNorm;
  readonly dropout: Dropout;

  constructor(cfg: ResolvedConfig, rng: Rng) {
    super('mh_adapter', rng);
    this.dense = this.registerModule('dense', new Linear(cfg.hiddenSize, cfg.hiddenSize));
    this.LayerNorm = this.registerModule('LayerNorm', new LayerNorm(cfg.hiddenSize, cfg.layerNormEps));
    this.dropout = this.registerModule('dropout', new Dropout(cfg.hiddenDropout, rng));
    this.registerAdapters();
  }

  forward(hidden: Tensor, inputTensor: Tensor): Tensor {
    const h = this.dropout.forward(this.dense.forward(hidden));
    return this.bottleneckForward(h, inputTensor, this.LayerNorm);
  }
}

export class BertAttention extends Module {
  readonly self: BertSelfAttention;
  readonly output: BertSelfOutput;

  constructor(cfg: ResolvedConfig, rng: Rng) {
    super();
    this.self = this.registerModule('self', new BertSelfAttention(cfg, rng));
    this.output = this.registerModule('output', new BertSelfOutput(cfg, rng));
  }

  forward(x: Tensor, keyMask: Float32Array | null): Tensor {
    return this.output.forward(this.self.forward(x, keyMask), x);
  }
}

export class BertIntermediate extends Module {
  readonly dense: Linear;
  private readonly act: Activation;

  constructor(cfg: ResolvedConfig) {
    super();
    this.dense = this.registerModule('dense', new Linear(cfg.hiddenSize, cfg.intermediateSize));
    this.act = getActivation(cfg.hiddenAct, 'config hidden_act');
  }

  forward(x: Tensor): Tensor {
    return this.act(this.dense.forward(x)); // [B,T,I]
  }
}

/** BertOutput (+ AdapterHub "output_adapter" slot): LN(dropout(dense(inter)) + attn), or the active adapter. */
export class BertOutputLayer extends AdapterSlot {
  readonly dense: Linear;
  readonly LayerNorm: LayerNorm;
  readonly dropout: Dropout;

  constructor(cfg: ResolvedConfig, rng: Rng) {
    super('output_adapter', rng);
    this.dense = this.registerModule('dense', new Linear(cfg.intermediateSize, cfg.hiddenSize));
    this.LayerNorm = this.registerModule('LayerNorm', new LayerNorm(cfg.hiddenSize, cfg.layerNormEps));
    this.dropout = this.registerModule('dropout', new Dropout(cfg.hiddenDropout, rng));
    this.registerAdapters();
  }

  forward(intermediate: Tensor, attentionOutput: Tensor): Tensor {
    const h = this.dropout.forward(this.dense.forward(intermediate));
    return this.bottleneckForward(h, attentionOutput, this.LayerNorm);
  }
}

export class BertLayer extends Module {
  readonly attention: BertAttention;
  readonly intermediate: BertIntermediate;
  readonly output: BertOutputLayer;

  constructor(cfg: ResolvedConfig, rng: Rng) {
    super();
    this.attention = this.registerModule('attention', new BertAttention(cfg, rng));
    this.intermediate = this.registerModule('intermediate', new BertIntermediate(cfg));
    this.output = this.registerModule('output', new BertOutputLayer(cfg, rng));
  }

  forward(x: Tensor, keyMask: Float32Array | null): Tensor {
    const a = this.attention.forward(x, keyMask);
    return this.output.forward(this.intermediate.forward(a), a);
  }
}

export class BertEncoder extends Module {
  readonly layer: ModuleList<BertLayer>;

  constructor(cfg: ResolvedConfig, rng: Rng) {
    super();
    this.layer = this.registerModule('layer', new ModuleList<BertLayer>());
    for (let i = 0; i < cfg.numLayers; i++) this.layer.push(new BertLayer(cfg, rng));
  }

  forward(x: Tensor, keyMask: Float32Array | null): Tensor {
    // inside inferenceMode each layer is a scratch step: its intermediates are reused by the next
    for (const l of this.layer.items) {
      const input = x;
      x = scratchStep(() => l.forward(input, keyMask));
    }
    return x;
  }
}

export class BertPooler extends Module {
  readonly dense: Linear;

  constructor(cfg: ResolvedConfig) {
    super();
    this.dense = this.registerModule('dense', new Linear(cfg.hiddenSize, cfg.hiddenSize));
  }

  /** tanh(dense(h[:, 0])): [B,T,H] → [B,H]. */
  forward(h: Tensor): Tensor {
    return tanh(this.dense.forward(firstToken(h)));
  }
}

/** h[:, 0] as [B,H]. */
export function firstToken(h: Tensor): Tensor {
  const [B, , H] = h.shape as [number, number, number];
  return reshape(slice(h, 1, 0, 1), [B, H]);
}

/**
 * The encoder (HF BertModel / RobertaModel with pooling layer). RoBERTa differs only in its
 * position ids (`createPositionIdsFromInputIds`) and its config (type_vocab_size 1, pad 1).
 */
export class BertModel extends Module {
  readonly embeddings: BertEmbeddings;
  readonly encoder: BertEncoder;
  readonly pooler: BertPooler;

  constructor(readonly config: ResolvedConfig, readonly rng: Rng) {
    super();
    this.embeddings = this.registerModule('embeddings', new BertEmbeddings(config, rng));
    this.encoder = this.registerModule('encoder', new BertEncoder(config, rng));
    this.pooler = this.registerModule('pooler', new BertPooler(config));
  }

  get layers(): readonly BertLayer[] {
    return this.encoder.layer.items;
  }

  forward(input: BertInput): BertOutput {
    const [B, T] = input.shape;
    checkInput(input, this.config);
    const mask = floatMask(input.attentionMask, B * T);
    const x = this.embeddings.forward(input);
    const h = this.encoder.forward(x, mask);
    return { lastHiddenState: h, pooledOutput: this.pooler.forward(h), attentionMask: mask };
  }
}

/** RoBERTa is the same module tree; the class name documents intent at call sites. */
export class RobertaModel extends BertModel {}

/** The [B,T] float mask, or null when there is no padding (the attention kernel then skips masking). */
function floatMask(m: Float32Array | Int32Array | null | undefined, n: number): Float32Array | null {
  if (m == null) return null;
  if (m.length !== n) throw new Error(`BertModel: attentionMask has ${m.length} elements, expected B*T = ${n}`);
  let allOnes = true;
  for (let i = 0; i < n; i++) {
    const v = m[i]!;
    if (v !== 0 && v !== 1) throw new Error(`BertModel: attentionMask[${i}] = ${v}; use 1 for tokens and 0 for padding`);
    if (v === 0) allOnes = false;
  }
  if (allOnes) return null;
  return m instanceof Float32Array ? m : Float32Array.from(m);
}

function checkInput(input: BertInput, cfg: ResolvedConfig): void {
  const [B, T] = input.shape;
  if (!Number.isInteger(B) || !Number.isInteger(T) || B < 1 || T < 1) {
    throw new Error(`BertModel: shape must be [B, T] with positive integers, got [${input.shape.join(', ')}]`);
  }
  if (!(input.inputIds instanceof Int32Array)) throw new TypeError('BertModel: inputIds must be an Int32Array');
  if (input.inputIds.length !== B * T) {
    throw new Error(`BertModel: inputIds has ${input.inputIds.length} elements, shape [${B}, ${T}] needs ${B * T}`);
  }
  const tt = input.tokenTypeIds;
  if (tt != null) {
    if (tt.length !== B * T) throw new Error(`BertModel: tokenTypeIds has ${tt.length} elements, expected ${B * T}`);
    for (let i = 0; i < tt.length; i++) {
      if (tt[i]! < 0 || tt[i]! >= cfg.typeVocabSize) {
        throw new Error(`BertModel: tokenTypeIds[${i}] = ${tt[i]} outside [0, type_vocab_size ${cfg.typeVocabSize})`);
      }
    }
  }
  if (cfg.family === 'roberta' && input.positionIds == null && T + cfg.padTokenId >= cfg.maxPositions) {
    throw new Error(
      `RobertaModel: sequence length ${T} too long: positions reach ${T + cfg.padTokenId} >= max_position_embeddings ${cfg.maxPositions}`,
    );
  }
}
