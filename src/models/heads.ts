// Prediction heads, keyed by name in the model (`heads.<name>.*`), switchable, several trainable
// together. Internal parameter names follow AdapterHub's flex heads (nn.Sequential indices:
// `heads.<name>.1.weight`), so a head folder (head_config.json + model_head.safetensors) loads
// in Python `adapters`. Each head also knows its Hugging Face names, used when it is the
// "main" head of an exported HF folder (e.g. `classifier.weight` for BertForSequenceClassification).
//
//   type                      math (= HF class)                                 flex → HF names
//   sequence_classification   bert:    dropout → Linear on the pooled output    1 → classifier
//                             roberta: dropout → dense → tanh → dropout →       1 → classifier.dense
//                                      out_proj on h[:,0] (RobertaClassificationHead)  4 → classifier.out_proj
//   token_classification      dropout → Linear on every token                    1 → classifier
//   masked_lm                 dense → act → LayerNorm → decoder (TIED to the     0 → cls.predictions.transform.dense / lm_head.dense
//                             word embeddings) + bias                            2 → ...transform.LayerNorm / lm_head.layer_norm
//                                                                                3.bias → cls.predictions.bias / lm_head.bias
//   domain_discriminator      gradientReversal(λ) → [dropout → Linear → relu]×k → dropout → Linear   (no HF equivalent)
//
// Shape legend: B batch, T tokens, H hidden, V vocab, L labels, R rows with a label.
import { IGNORE_INDEX, add, crossEntropy, gatherRows, gradientReversal, linear, meanPool, mul, reshape, scale, sub, tanh, type Rng } from '../tensor/index.js';
import { Tensor } from '../tensor/tensor.js';
import { getActivation, type Activation } from '../nn/activations.js';
import { initBertWeights } from '../nn/init.js';
import { Dropout, LayerNorm, Linear } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { Parameter } from '../nn/parameter.js';
import { firstToken } from './bert.js';
import type { ResolvedConfig } from './config.js';

export type HeadType = 'sequence_classification' | 'token_classification' | 'masked_lm' | 'domain_discriminator';

/** What a head reads from the encoder pass. */
export interface HeadContext {
  sequenceOutput: Tensor; // [B,T,H]
  pooledOutput: Tensor; // [B,H]
  attentionMask: Float32Array | null; // [B,T]
  shape: readonly [number, number];
  wordEmbeddings: Parameter; // [V,H], for the tied MLM decoder
  /** The rows' domain centre (AdapterModel.setDomainCentre), subtracted from pooled vectors of the same pooling. */
  centre?: DomainCentre | null;
}

/**
 * A domain's centre: the mean of the pooled vectors (of one pooling) over that domain's text,
 * kept fixed. Sequence-level heads and the discriminator read `pooled − centre` for rows of the
 * domain, so a first-moment difference between domains never reaches them (mean matching, the
 * linear special case of AdaBN-style domain-specific normalisation).
 */
export interface DomainCentre {
  pooling: HeadPooling;
  mean: Float32Array; // [H]
}

export interface HeadResult {
  /** [B,L] (sequence / discriminator), [B,T,L] (token), [B,T,V] or [R,V] (masked_lm with labels, see `rows`). */
  logits: Tensor;
  /** Mean cross-entropy over labelled rows when labels were given (ignore index -100). */
  loss: Tensor | null;
  /** masked_lm with labels: flat [B*T] positions whose logits are returned (labels != -100). */
  rows?: Int32Array;
  /** Named parts of `loss` for logging (domain_discriminator with adversary 'confusion': domain, confusion). */
  parts?: Record<string, number>;
}

export interface HeadRunOptions {
  /** Gradient-reversal strength for domain_discriminator heads (overrides the head's `lambda`). */
  grlLambda?: number;
}

/** One vector per sequence: the pooler output (BERT's NSP-trained [CLS] → dense → tanh), the [CLS] hidden state, or the masked mean of the last layer. */
export type HeadPooling = 'pooler' | 'cls' | 'mean';
export const HEAD_POOLINGS: readonly HeadPooling[] = ['pooler', 'cls', 'mean'];

export interface SequenceClassificationSpec {
  type: 'sequence_classification';
  numLabels: number;
  /** 'bert': Linear on the pooled vector (BertForSequenceClassification); 'roberta': RobertaClassificationHead (dense → tanh → Linear). Default: the model family. */
  style?: 'bert' | 'roberta';
  /**
   * What the head reads. Default: 'pooler' for the bert style, 'cls' for the roberta style (the HF
   * classes). Checkpoints whose pooler was never trained (MLM-only pretraining) should use 'cls' or
   * 'mean': an untrained pooler's outputs barely vary between inputs. The roberta style cannot read the pooler.
   */
  pooling?: HeadPooling;
  labels?: string[];
  dropout?: number;
}
export interface TokenClassificationSpec {
  type: 'token_classification';
  numLabels: number;
  labels?: string[];
  dropout?: number;
}
export interface MaskedLMSpec {
  type: 'masked_lm';
  /** Only compute logits at labelled positions when labels are given (same loss, far fewer FLOPs). Default true. */
  sparseLogits?: boolean;
  /** Own decoder weight instead of the tied word embeddings (tie_word_embeddings=false). Default false. */
  untied?: boolean;
}
export interface DomainDiscriminatorSpec {
  type: 'domain_discriminator';
  numDomains: number;
  /** Domain names (label order), e.g. ['source', 'target']. */
  labels?: string[];
  /** Hidden layer sizes of the MLP. Default [H]. */
  hiddenSizes?: number[];
  /** Features fed to the discriminator: pooler output (default), h[:,0], or masked mean. */
  features?: 'pooled' | 'cls' | 'mean';
  /**
   * How the encoder is trained against the discriminator. 'grl' (default): gradient reversal
   * (Ganin et al.), the encoder maximises the discriminator's loss — which it can do by making
   * the discriminator confidently wrong (swapping the domains) instead of confusing it.
   * 'confusion' (Tzeng et al. 2015): the discriminator learns on detached features, the encoder
   * minimises the cross-entropy between the discriminator's output (parameters held fixed) and the
   * uniform distribution, weighted by λ — minimal only when the output is uniform, so there is
   * no swapped solution.
   */
  adversary?: 'grl' | 'confusion';
  /**
   * Standardise the features before the MLP with fixed statistics (`input_mean`, `input_inv_std`,
   * [H], stored with the head, never trained; set them with `setInputStatistics`). Encoder
   * features often differ between domains along directions of small variance that an MLP on raw
   * features needs many steps to find — while a fresh, converged linear probe finds them at once.
   */
  standardize?: boolean;
  /** Default gradient-reversal λ; can be changed every step (`head.lambda = ...` or forward opts). */
  lambda?: number;
  dropout?: number;
}
export type HeadSpec = SequenceClassificationSpec | TokenClassificationSpec | MaskedLMSpec | DomainDiscriminatorSpec;

export abstract class Head extends Module {
  abstract readonly type: HeadType;
  abstract readonly spec: HeadSpec;
  abstract forward(ctx: HeadContext, labels?: Int32Array | null, opts?: HeadRunOptions): HeadResult;
  /** flex-local name (`1.weight`) → HF name (`classifier.weight`) when this head is the main head; null = no HF form. */
  abstract hfNames(family: 'bert' | 'roberta'): Map<string, string> | null;
  /** The HF `architectures` entry when this head is the main head of a saved folder. */
  abstract hfArchitecture(family: 'bert' | 'roberta'): string | null;
  /** The `config` object of head_config.json (AdapterHub field names where a counterpart exists). */
  abstract headConfig(): Record<string, unknown>;
  /** Label names in id order, if known. */
  labelNames(): string[] | null {
    return null;
  }
}

/** The [B,H] vector a sequence-level head reads (minus the rows' domain centre when it has this pooling). */
export function poolSequence(ctx: Pick<HeadContext, 'sequenceOutput' | 'pooledOutput' | 'attentionMask' | 'centre'>, pooling: HeadPooling): Tensor {
  const pooled = pooling === 'pooler' ? ctx.pooledOutput : pooling === 'cls' ? firstToken(ctx.sequenceOutput) : meanPool(ctx.sequenceOutput, ctx.attentionMask);
  const c = ctx.centre;
  if (c == null || c.pooling !== pooling) return pooled;
  return sub(pooled, new Tensor(c.mean, [c.mean.length]));
}

function checkLabels(labels: Int32Array, n: number, numClasses: number, where: string): void {
  if (!(labels instanceof Int32Array)) throw new TypeError(`${where}: labels must be an Int32Array`);
  if (labels.length !== n) throw new Error(`${where}: labels has ${labels.length} elements, expected ${n}`);
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    if (l !== IGNORE_INDEX && (l < 0 || l >= numClasses)) throw new Error(`${where}: label[${i}] = ${l} outside [0, ${numClasses}) (use -100 to ignore)`);
  }
}

function labelMap(labels: string[] | undefined): Record<string, number> | null {
  if (labels === undefined) return null;
  return Object.fromEntries(labels.map((l, i) => [l, i]));
}

function checkSpecLabels(labels: string[] | undefined, n: number, where: string): void {
  if (labels !== undefined && labels.length !== n) throw new Error(`${where}: ${labels.length} label names for ${n} labels`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${where}: number of labels must be a positive integer, got ${n}`);
}

export class SequenceClassificationHead extends Head {
  readonly type = 'sequence_classification' as const;
  readonly style: 'bert' | 'roberta';
  private readonly drop: Dropout;
  readonly dense: Linear | null = null; // roberta: [H,H]
  readonly out: Linear; // [L,H]

  readonly pooling: HeadPooling;

  constructor(readonly spec: SequenceClassificationSpec, cfg: ResolvedConfig, rng: Rng) {
    super();
    checkSpecLabels(spec.labels, spec.numLabels, `head '${spec.type}'`);
    this.style = spec.style ?? cfg.family;
    this.pooling = spec.pooling ?? (this.style === 'roberta' ? 'cls' : 'pooler');
    if (!HEAD_POOLINGS.includes(this.pooling)) throw new Error(`head '${spec.type}': pooling must be one of ${HEAD_POOLINGS.join(', ')}, got '${String(this.pooling)}'`);
    if (this.style === 'roberta' && this.pooling === 'pooler') throw new Error(`head '${spec.type}': the roberta style reads a token vector through its own dense layer; pooling 'pooler' needs style 'bert'`);
    const H = cfg.hiddenSize;
    this.drop = this.registerModule('0', new Dropout(spec.dropout ?? cfg.classifierDropout, rng));
    if (this.style === 'roberta') {
      this.dense = this.registerModule('1', new Linear(H, H));
      this.registerModule('3', this.drop);
      this.out = this.registerModule('4', new Linear(H, spec.numLabels));
    } else {
      this.out = this.registerModule('1', new Linear(H, spec.numLabels));
    }
    initBertWeights(this, cfg.initializerRange, rng);
  }

  forward(ctx: HeadContext, labels?: Int32Array | null): HeadResult {
    let x = this.drop.forward(poolSequence(ctx, this.pooling)); // [B,H]
    if (this.dense !== null) x = this.drop.forward(tanh(this.dense.forward(x)));
    const logits = this.out.forward(x); // [B,L]
    let loss: Tensor | null = null;
    if (labels != null) {
      checkLabels(labels, ctx.shape[0], this.spec.numLabels, 'sequence_classification head');
      loss = crossEntropy(logits, labels);
    }
    return { logits, loss };
  }

  /**
   * Make the head read `x − delta` with the same outputs it gave for `x`: the first linear layer's
   * bias absorbs W·delta (exact in eval mode; dropout masks scale x − delta like x). Used when a
   * domain centre starts being subtracted from the features this head was trained on.
   */
  absorbInputShift(delta: Float32Array): void {
    const lin = this.dense ?? this.out;
    const H = lin.weight.shape[1]!;
    const O = lin.weight.shape[0]!;
    if (delta.length !== H) throw new Error(`sequence_classification head: input shift of length ${delta.length}, expected ${H}`);
    if (lin.bias === null) throw new Error('sequence_classification head: its first linear layer has no bias to absorb an input shift');
    const w = lin.weight.data;
    const b = lin.bias.data;
    for (let o = 0; o < O; o++) {
      let acc = 0;
      for (let j = 0; j < H; j++) acc += w[o * H + j]! * delta[j]!;
      b[o] = b[o]! + acc;
    }
  }

  hfNames(): Map<string, string> {
    return this.style === 'roberta'
      ? new Map([
          ['1.weight', 'classifier.dense.weight'],
          ['1.bias', 'classifier.dense.bias'],
          ['4.weight', 'classifier.out_proj.weight'],
          ['4.bias', 'classifier.out_proj.bias'],
        ])
      : new Map([
          ['1.weight', 'classifier.weight'],
          ['1.bias', 'classifier.bias'],
        ]);
  }

  hfArchitecture(family: 'bert' | 'roberta'): string | null {
    // HF has no class with the other family's classifier layout, nor one that pools differently
    // from its own: such heads stay under heads.<name>.
    if (this.style !== family) return null;
    if (this.pooling !== (family === 'roberta' ? 'cls' : 'pooler')) return null;
    return family === 'roberta' ? 'RobertaForSequenceClassification' : 'BertForSequenceClassification';
  }

  headConfig(): Record<string, unknown> {
    return {
      head_type: 'classification',
      num_labels: this.spec.numLabels,
      layers: this.style === 'roberta' ? 2 : 1,
      activation_function: 'tanh',
      label2id: labelMap(this.spec.labels),
      use_pooler: this.pooling === 'pooler',
      // AdapterHub's head reads the pooler or h[:,0]; 'mean' is adaptext's own.
      pooling: this.pooling,
      bias: true,
      dropout_prob: this.spec.dropout ?? null,
    };
  }

  override labelNames(): string[] | null {
    return this.spec.labels ?? null;
  }
}

export class TokenClassificationHead extends Head {
  readonly type = 'token_classification' as const;
  private readonly drop: Dropout;
  readonly out: Linear; // [L,H]

  constructor(readonly spec: TokenClassificationSpec, cfg: ResolvedConfig, rng: Rng) {
    super();
    checkSpecLabels(spec.labels, spec.numLabels, `head '${spec.type}'`);
    this.drop = this.registerModule('0', new Dropout(spec.dropout ?? cfg.classifierDropout, rng));
    this.out = this.registerModule('1', new Linear(cfg.hiddenSize, spec.numLabels));
    initBertWeights(this, cfg.initializerRange, rng);
  }

  /**
   * labels: [B*T], one per token, -100 where no loss is wanted (non-first sub-tokens, special
   * tokens — see `alignLabelsToFirstSubtoken`). Padding (mask 0) is ignored too, as in
   * HF *ForTokenClassification with an attention mask.
   */
  forward(ctx: HeadContext, labels?: Int32Array | null): HeadResult {
    const [B, T] = ctx.shape;
    const L = this.spec.numLabels;
    const logits = this.out.forward(this.drop.forward(ctx.sequenceOutput)); // [B,T,L]
    let loss: Tensor | null = null;
    if (labels != null) {
      checkLabels(labels, B * T, L, 'token_classification head');
      let active = labels;
      const m = ctx.attentionMask;
      if (m !== null) {
        active = labels.slice();
        for (let i = 0; i < active.length; i++) if (m[i] === 0) active[i] = IGNORE_INDEX;
      }
      loss = crossEntropy(reshape(logits, [B * T, L]), active);
    }
    return { logits, loss };
  }

  hfNames(): Map<string, string> {
    return new Map([
      ['1.weight', 'classifier.weight'],
      ['1.bias', 'classifier.bias'],
    ]);
  }

  hfArchitecture(family: 'bert' | 'roberta'): string {
    return family === 'roberta' ? 'RobertaForTokenClassification' : 'BertForTokenClassification';
  }

  headConfig(): Record<string, unknown> {
    return {
      head_type: 'tagging',
      num_labels: this.spec.numLabels,
      layers: 1,
      activation_function: 'tanh',
      label2id: labelMap(this.spec.labels),
      dropout_prob: this.spec.dropout ?? null,
    };
  }

  override labelNames(): string[] | null {
    return this.spec.labels ?? null;
  }
}

/**
 * Word-level labels → one label per token: the first sub-token of each word gets the word's
 * label, every other token (later sub-tokens, special tokens, padding: wordIds null) gets -100.
 * wordIds: [B*T] word index per token or null (like HF `BatchEncoding.word_ids()`), per row.
 */
export function alignLabelsToFirstSubtoken(wordIds: ReadonlyArray<number | null>, wordLabels: readonly number[], T?: number): Int32Array {
  const out = new Int32Array(wordIds.length).fill(IGNORE_INDEX);
  let prev: number | null = null;
  for (let i = 0; i < wordIds.length; i++) {
    if (T !== undefined && i % T === 0) prev = null; // new row
    const w = wordIds[i];
    if (w !== null && w !== undefined && w !== prev) {
      const l = wordLabels[w];
      if (l === undefined) throw new Error(`alignLabelsToFirstSubtoken: word ${w} has no label (${wordLabels.length} labels)`);
      out[i] = l;
    }
    prev = w ?? null;
  }
  return out;
}

/** The decoder's own parameters: the bias always, the weight only when untied. */
class LMDecoder extends Module {
  bias: Parameter; // [V]
  weight: Parameter | null; // [V,H] when untied

  constructor(V: number, H: number, untied: boolean) {
    super();
    this.weight = untied ? this.registerParameter('weight', Parameter.zeros([V, H])) : null;
    this.bias = this.registerParameter('bias', Parameter.zeros([V]));
  }

  /** New vocabulary size: bias rows added as 0, untied weight rows N(0, std) (HF resize semantics). */
  resize(V: number, rng: Rng, std: number): void {
    const oldV = this.bias.size;
    const b = Parameter.zeros([V]);
    b.data.set(this.bias.data.subarray(0, Math.min(V, oldV)));
    b.setTrainable(this.bias.requiresGrad);
    b.name = this.bias.name;
    this.bias = this.registerParameter('bias', b);
    if (this.weight !== null) {
      const H = this.weight.shape[1]!;
      const w = Parameter.zeros([V, H]);
      w.data.set(this.weight.data.subarray(0, Math.min(V, oldV) * H));
      for (let i = oldV * H; i < V * H; i++) w.data[i] = std * rng.normal();
      w.setTrainable(this.weight.requiresGrad);
      w.name = this.weight.name;
      this.weight = this.registerParameter('weight', w);
    }
  }
}

export class MaskedLMHead extends Head {
  readonly type = 'masked_lm' as const;
  readonly dense: Linear; // [H,H]
  readonly layerNorm: LayerNorm;
  readonly decoder: LMDecoder;
  private readonly act: Activation;

  constructor(readonly spec: MaskedLMSpec, private readonly cfg: ResolvedConfig, rng: Rng) {
    super();
    const H = cfg.hiddenSize;
    this.dense = this.registerModule('0', new Linear(H, H));
    this.layerNorm = this.registerModule('2', new LayerNorm(H, cfg.layerNormEps));
    this.decoder = this.registerModule('3', new LMDecoder(cfg.vocabSize, H, spec.untied === true));
    // BertPredictionHeadTransform uses config.hidden_act; RobertaLMHead always gelu.
    this.act = getActivation(cfg.family === 'roberta' ? 'gelu' : cfg.hiddenAct, 'masked_lm head activation');
    initBertWeights(this, cfg.initializerRange, rng);
    if (this.decoder.weight !== null) {
      // untied decoder: N(0, initializer_range) like a fresh nn.Linear under _init_weights
      const w = this.decoder.weight.data;
      for (let i = 0; i < w.length; i++) w[i] = cfg.initializerRange * rng.normal();
    }
  }

  /** Follow a resized vocabulary (AdapterModel.resizeTokenEmbeddings). */
  resizeVocab(V: number, rng: Rng): void {
    this.decoder.resize(V, rng, this.cfg.initializerRange);
  }

  /** labels: [B*T] token ids to predict, -100 elsewhere (HF MLM convention). */
  forward(ctx: HeadContext, labels?: Int32Array | null): HeadResult {
    const [B, T] = ctx.shape;
    const H = this.cfg.hiddenSize;
    const V = this.cfg.vocabSize;
    const W = this.decoder.weight ?? ctx.wordEmbeddings; // [V,H]
    let x = ctx.sequenceOutput; // [B,T,H]
    let rows: Int32Array | undefined;
    let targets: Int32Array | null = null;
    if (labels != null) {
      checkLabels(labels, B * T, V, 'masked_lm head');
      targets = labels;
      if (this.spec.sparseLogits !== false) {
        // The transform is per token: gathering the labelled rows first gives the same loss.
        let n = 0;
        for (let i = 0; i < labels.length; i++) if (labels[i] !== IGNORE_INDEX) n++;
        rows = new Int32Array(n);
        targets = new Int32Array(n);
        n = 0;
        for (let i = 0; i < labels.length; i++) {
          if (labels[i] !== IGNORE_INDEX) {
            rows[n] = i;
            targets[n++] = labels[i]!;
          }
        }
        x = gatherRows(reshape(x, [B * T, H]), rows); // [R,H]
      }
    }
    const h = this.layerNorm.forward(this.act(this.dense.forward(x)));
    const logits = linear(h, W, this.decoder.bias); // [B,T,V] or [R,V]
    let loss: Tensor | null = null;
    if (targets !== null) {
      loss = rows !== undefined ? crossEntropy(logits, targets) : crossEntropy(reshape(logits, [B * T, V]), targets);
    }
    return rows !== undefined ? { logits, loss, rows } : { logits, loss };
  }

  hfNames(family: 'bert' | 'roberta'): Map<string, string> {
    const m =
      family === 'roberta'
        ? new Map([
            ['0.weight', 'lm_head.dense.weight'],
            ['0.bias', 'lm_head.dense.bias'],
            ['2.weight', 'lm_head.layer_norm.weight'],
            ['2.bias', 'lm_head.layer_norm.bias'],
            ['3.bias', 'lm_head.bias'],
            ['3.weight', 'lm_head.decoder.weight'],
          ])
        : new Map([
            ['0.weight', 'cls.predictions.transform.dense.weight'],
            ['0.bias', 'cls.predictions.transform.dense.bias'],
            ['2.weight', 'cls.predictions.transform.LayerNorm.weight'],
            ['2.bias', 'cls.predictions.transform.LayerNorm.bias'],
            ['3.bias', 'cls.predictions.bias'],
            ['3.weight', 'cls.predictions.decoder.weight'],
          ]);
    return m;
  }

  hfArchitecture(family: 'bert' | 'roberta'): string {
    return family === 'roberta' ? 'RobertaForMaskedLM' : 'BertForMaskedLM';
  }

  headConfig(): Record<string, unknown> {
    return {
      head_type: 'masked_lm',
      vocab_size: this.cfg.vocabSize,
      embedding_size: this.cfg.hiddenSize,
      layers: 2,
      activation_function: this.cfg.family === 'roberta' ? 'gelu' : this.cfg.hiddenAct,
      layer_norm: true,
      bias: true,
      shift_labels: false,
      label2id: null,
      tied: this.decoder.weight === null,
    };
  }
}

export class DomainDiscriminatorHead extends Head {
  readonly type = 'domain_discriminator' as const;
  /** Gradient-reversal λ used when forward options do not give one. Change it every step (Ganin schedule). */
  lambda: number;
  readonly adversary: 'grl' | 'confusion';
  private inputMean: Parameter | null = null; // [H]
  private inputInvStd: Parameter | null = null; // [H]
  private readonly steps: Array<{ drop: Dropout; lin: Linear; act: boolean }> = [];
  readonly hiddenSizes: number[];

  constructor(readonly spec: DomainDiscriminatorSpec, cfg: ResolvedConfig, rng: Rng) {
    super();
    checkSpecLabels(spec.labels, spec.numDomains, `head '${spec.type}'`);
    this.lambda = spec.lambda ?? 1;
    this.adversary = spec.adversary ?? 'grl';
    if (this.adversary !== 'grl' && this.adversary !== 'confusion') throw new Error(`domain_discriminator head: adversary must be 'grl' or 'confusion', got '${String(this.adversary)}'`);
    this.hiddenSizes = spec.hiddenSizes ?? [cfg.hiddenSize];
    const p = spec.dropout ?? cfg.classifierDropout;
    let idx = 0;
    let inSize = cfg.hiddenSize;
    for (const hs of this.hiddenSizes) {
      if (!Number.isInteger(hs) || hs < 1) throw new Error(`domain_discriminator head: hidden size must be a positive integer, got ${hs}`);
      const drop = this.registerModule(String(idx), new Dropout(p, rng));
      const lin = this.registerModule(String(idx + 1), new Linear(inSize, hs));
      this.steps.push({ drop, lin, act: true });
      idx += 3; // dropout, linear, relu
      inSize = hs;
    }
    const drop = this.registerModule(String(idx), new Dropout(p, rng));
    const lin = this.registerModule(String(idx + 1), new Linear(inSize, spec.numDomains));
    this.steps.push({ drop, lin, act: false });
    initBertWeights(this, cfg.initializerRange, rng);
    if (spec.standardize === true) {
      this.inputMean = this.registerParameter('input_mean', Parameter.zeros([cfg.hiddenSize]));
      this.inputInvStd = this.registerParameter('input_inv_std', Parameter.fill([cfg.hiddenSize], 1));
    }
  }

  /** Fixed standardisation of the input features (standardize: true): x̂ = (x − mean) · invStd, both [H]. */
  setInputStatistics(mean: ArrayLike<number>, invStd: ArrayLike<number>): void {
    if (this.inputMean === null || this.inputInvStd === null) throw new Error('domain_discriminator head: setInputStatistics needs standardize: true');
    const H = this.inputMean.size;
    if (mean.length !== H || invStd.length !== H) throw new Error(`domain_discriminator head: statistics of length ${mean.length}/${invStd.length}, expected ${H}`);
    this.inputMean.data.set(Float32Array.from(mean));
    this.inputInvStd.data.set(Float32Array.from(invStd));
  }

  forward(ctx: HeadContext, labels?: Int32Array | null, opts: HeadRunOptions = {}): HeadResult {
    const lambda = opts.grlLambda ?? this.lambda;
    const f = this.spec.features ?? 'pooled';
    let feats = poolSequence(ctx, f === 'pooled' ? 'pooler' : f); // [B,H]
    if (this.inputMean !== null && this.inputInvStd !== null) feats = mul(sub(feats, this.inputMean.detach()), this.inputInvStd.detach());
    if (this.adversary === 'grl') {
      // identity forward, −λ·grad backward: one pass trains the discriminator and pushes the encoder against it
      const logits = this.mlp(gradientReversal(feats, lambda), false);
      let loss: Tensor | null = null;
      if (labels != null) {
        checkLabels(labels, ctx.shape[0], this.spec.numDomains, 'domain_discriminator head');
        loss = crossEntropy(logits, labels);
      }
      return { logits, loss };
    }
    // confusion: the discriminator learns the domains from detached features; the encoder learns
    // to make the (held-fixed) discriminator's output uniform over the domains.
    const logits = this.mlp(feats.detach(), false); // [B,D]
    if (labels == null) return { logits, loss: null };
    checkLabels(labels, ctx.shape[0], this.spec.numDomains, 'domain_discriminator head');
    const domainLoss = crossEntropy(logits, labels);
    const fixed = this.mlp(feats, true); // [B,D], gradients reach the features only
    const D = this.spec.numDomains;
    let confusion: Tensor | null = null;
    for (let d = 0; d < D; d++) {
      // CE against the uniform target = mean over classes of the CE against each class
      const ce = crossEntropy(fixed, new Int32Array(ctx.shape[0]).fill(d));
      confusion = confusion === null ? ce : add(confusion, ce);
    }
    const loss = add(domainLoss, scale(confusion!, lambda / D));
    return { logits, loss, parts: { domain: domainLoss.item(), confusion: confusion!.item() / D } };
  }

  /** The MLP; `fixedParams`: weights used as constants (no gradient into them). */
  private mlp(x: Tensor, fixedParams: boolean): Tensor {
    const relu = getActivation('relu', 'domain_discriminator');
    for (const s of this.steps) {
      const w = fixedParams ? s.lin.weight.detach() : s.lin.weight;
      const b = s.lin.bias === null ? null : fixedParams ? s.lin.bias.detach() : s.lin.bias;
      x = linear(s.drop.forward(x), w, b);
      if (s.act) x = relu(x);
    }
    return x;
  }

  hfNames(): null {
    return null;
  }

  hfArchitecture(): null {
    return null;
  }

  headConfig(): Record<string, unknown> {
    return {
      head_type: 'domain_discriminator',
      num_labels: this.spec.numDomains,
      hidden_sizes: this.hiddenSizes,
      activation_function: 'relu',
      features: this.spec.features ?? 'pooled',
      adversary: this.adversary,
      standardize: this.inputMean !== null,
      grl_lambda: this.lambda,
      label2id: labelMap(this.spec.labels),
      dropout_prob: this.spec.dropout ?? null,
    };
  }

  override labelNames(): string[] | null {
    return this.spec.labels ?? null;
  }
}

export function createHead(spec: HeadSpec, cfg: ResolvedConfig, rng: Rng): Head {
  switch (spec.type) {
    case 'sequence_classification':
      return new SequenceClassificationHead(spec, cfg, rng);
    case 'token_classification':
      return new TokenClassificationHead(spec, cfg, rng);
    case 'masked_lm':
      return new MaskedLMHead(spec, cfg, rng);
    case 'domain_discriminator':
      return new DomainDiscriminatorHead(spec, cfg, rng);
    default:
      throw new Error(`addHead: unknown head type '${(spec as { type: unknown }).type}' (sequence_classification, token_classification, masked_lm, domain_discriminator)`);
  }
}

/** Inverse of `headConfig()`: head_config.json `config` → spec (AdapterHub classification/tagging too). */
export function specFromHeadConfig(c: Record<string, unknown>, file: string): HeadSpec {
  const labels = (): string[] | undefined => {
    const l2i = c['label2id'] as Record<string, number> | null | undefined;
    if (l2i == null) return undefined;
    const names: string[] = [];
    for (const [name, id] of Object.entries(l2i)) names[id] = name;
    return names;
  };
  const dropout = typeof c['dropout_prob'] === 'number' ? (c['dropout_prob'] as number) : undefined;
  const num = (k: string): number => {
    const v = c[k];
    if (typeof v !== 'number') throw new Error(`${file}: config.${k} must be a number`);
    return v;
  };
  switch (c['head_type']) {
    case 'classification': {
      const layers = c['layers'] ?? 2;
      const usePooler = c['use_pooler'] === true;
      const pooling = c['pooling'] ?? (usePooler ? 'pooler' : 'cls');
      if (!(HEAD_POOLINGS as readonly unknown[]).includes(pooling) || (pooling === 'pooler') !== usePooler) {
        throw new Error(`${file}: classification head with pooling=${JSON.stringify(pooling)} and use_pooler=${String(usePooler)} (pooling must be one of ${HEAD_POOLINGS.join(', ')}, 'pooler' exactly when use_pooler)`);
      }
      let style: 'bert' | 'roberta';
      if (layers === 1) style = 'bert';
      else if (layers === 2 && !usePooler && (c['activation_function'] ?? 'tanh') === 'tanh') style = 'roberta';
      else throw new Error(`${file}: classification head with layers=${String(layers)}, use_pooler=${String(usePooler)} is not supported (layers 1, or layers 2 + tanh on a token vector)`);
      return { type: 'sequence_classification', numLabels: num('num_labels'), style, pooling: pooling as HeadPooling, labels: labels(), dropout };
    }
    case 'tagging':
      if ((c['layers'] ?? 1) !== 1) throw new Error(`${file}: tagging head with layers=${String(c['layers'])} is not supported (1)`);
      return { type: 'token_classification', numLabels: num('num_labels'), labels: labels(), dropout };
    case 'masked_lm':
      return { type: 'masked_lm', untied: c['tied'] === false };
    case 'domain_discriminator':
      return {
        type: 'domain_discriminator',
        numDomains: num('num_labels'),
        hiddenSizes: c['hidden_sizes'] as number[] | undefined,
        features: c['features'] as 'pooled' | 'cls' | 'mean' | undefined,
        adversary: c['adversary'] as 'grl' | 'confusion' | undefined,
        standardize: c['standardize'] === true,
        lambda: typeof c['grl_lambda'] === 'number' ? (c['grl_lambda'] as number) : undefined,
        labels: labels(),
        dropout,
      };
    default:
      throw new Error(`${file}: unsupported head_type '${String(c['head_type'])}' (classification, tagging, masked_lm, domain_discriminator)`);
  }
}
