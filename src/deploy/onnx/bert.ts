// The ONNX graph of one deployable model: a BERT/RoBERTa encoder with one domain's adapters in
// place and one task head on top — the same math as `AdapterModel.forward` in eval mode
// (src/models/bert.ts, adapters.ts, heads.ts; dropout is the identity), written op by op the way
// torch.onnx.export writes HF's BertModel:
//   inputs  input_ids, attention_mask [, token_type_ids] (int64 [batch_size, sequence_length])
//   output  logits: [batch_size, num_labels] (sequence head) or [batch_size, sequence_length, num_labels]
// Both axes are dynamic. RoBERTa's position ids are computed in the graph exactly as HF's
// create_position_ids_from_input_ids (cumsum over non-pad tokens), so callers feed only ids and mask.
//
// Shape legend: B batch, T tokens, H hidden, nH heads, d head size, I intermediate, L labels.
import type { AdapterModel } from '../../models/model.js';
import type { BertLayer, BertModel } from '../../models/bert.js';
import type { BottleneckAdapter } from '../../models/adapters.js';
import { SequenceClassificationHead, TokenClassificationHead } from '../../models/heads.js';
import type { LayerNorm, Linear } from '../../nn/layers.js';
import type { Parameter } from '../../nn/parameter.js';
import { float, int, ints, type GraphBuilder } from './graph.js';

/** What to export: the adapter that is active (null = none) and the classification head on top. */
export interface ExportSelection {
  adapter: string | null;
  head: string;
  /** Domain whose centre (AdapterModel.setDomainCentre) the head subtracts, as in forward (default: the adapter's). */
  domain?: string | null;
  /**
   * Truncate inside the graph to `maxLength` tokens the way adaptext's tokenizer does (the first
   * maxLength-1 tokens, then the end token [SEP] / </s>), so callers may feed untruncated ids.
   * transformers.js cuts the encoded sequence instead, which drops the end token of long texts
   * and changes their scores; with this the exported folder leaves its tokenizer unlimited.
   * Sequence heads only (a token head's output must keep one row per input token).
   */
  truncate?: { maxLength: number; endTokenId: number };
}

/**
 * int8: dynamic quantization as onnxruntime's `quantize_dynamic` does it for MatMul — weights
 * stored as int8 with one symmetric scale per output column, activations quantized per tensor at
 * run time (DynamicQuantizeLinear → MatMulInteger → rescale); the word-embedding table is stored
 * as int8 rows with one scale per row and dequantized after the lookup. Everything else stays fp32.
 */
export type WeightFormat = 'fp32' | 'int8';

/** torch.finfo(float32).min, HF's additive mask value for padded keys. */
const MASK_MIN = -3.4028234663852886e38;

/** [O,I] → [I,O], the layout MatMul wants (torch.onnx folds the same transpose). */
function transposed(p: Parameter): Float32Array {
  const [O, I] = p.shape as [number, number];
  const src = p.data;
  const out = new Float32Array(O * I);
  for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) out[i * O + o] = src[o * I + i]!;
  return out;
}

/** Symmetric int8 per output column of an [I,O] matrix (column o scaled by max|W[:,o]|/127). */
function quantizeColumns(w: Float32Array, I: number, O: number): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(O);
  for (let i = 0; i < I; i++) for (let o = 0; o < O; o++) scale[o] = Math.max(scale[o]!, Math.abs(w[i * O + o]!));
  for (let o = 0; o < O; o++) scale[o] = scale[o]! > 0 ? scale[o]! / 127 : 1;
  const q = new Int8Array(I * O);
  for (let i = 0; i < I; i++) for (let o = 0; o < O; o++) q[i * O + o] = Math.round(w[i * O + o]! / scale[o]!);
  return { q, scale };
}

/** Symmetric int8 per row of an [R,C] table. */
function quantizeRows(w: Float32Array, R: number, C: number): { q: Int8Array; scale: Float32Array } {
  const t = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) t[c * R + r] = w[r * C + c]!;
  const { q: qt, scale } = quantizeColumns(t, C, R);
  const q = new Int8Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) q[r * C + c] = qt[c * R + r]!;
  return { q, scale };
}

class Emitter {
  constructor(
    readonly g: GraphBuilder,
    readonly weights: WeightFormat,
  ) {}

  /** Rows `ids` of an embedding table: Gather, or the int8 rows rescaled. */
  lookup(table: Parameter, ids: string): string {
    const g = this.g;
    if (this.weights === 'fp32') return g.op('Gather', [this.param(table), ids], { axis: int(0) });
    const [R, C] = table.shape as [number, number];
    const { q, scale } = quantizeRows(table.data, R, C);
    const name = table.name ?? 'embedding';
    const rows = g.op('Cast', [g.op('Gather', [g.initializer(`${name}_quantized`, q, [R, C]), ids], { axis: int(0) })], { to: int(1) });
    return g.op('Mul', [rows, g.op('Gather', [g.initializer(`${name}_scale`, scale, [R, 1]), ids], { axis: int(0) })]);
  }

  param(p: Parameter): string {
    return this.g.initializer(p.name ?? 'param', p.data, p.shape);
  }

  linear(x: string, lin: Linear, scope: string): string {
    return this.g.scope(scope, () => {
      const g = this.g;
      const [O, I] = lin.weight.shape as [number, number];
      const name = `${lin.weight.name ?? 'weight'}.T`;
      let y: string;
      if (this.weights === 'fp32') y = g.op('MatMul', [x, g.initializer(name, transposed(lin.weight), [I, O])]);
      else {
        const { q, scale } = quantizeColumns(transposed(lin.weight), I, O);
        const [xq, xScale, xZero] = g.opN('DynamicQuantizeLinear', [x], 3) as [string, string, string];
        const acc = g.op('MatMulInteger', [xq, g.initializer(`${name}_quantized`, q, [I, O]), xZero]); // int32
        y = g.op('Mul', [g.op('Cast', [acc], { to: int(1) }), g.op('Mul', [xScale, g.initializer(`${name}_scale`, scale, [O])])]);
      }
      return lin.bias === null ? y : this.g.op('Add', [y, this.param(lin.bias)]);
    });
  }

  layerNorm(x: string, ln: LayerNorm, scope: string): string {
    return this.g.scope(scope, () => this.g.op('LayerNormalization', [x, this.param(ln.weight), this.param(ln.bias)], { axis: int(-1), epsilon: float(ln.eps) }));
  }

  /** The activations of src/nn/activations.ts by name. */
  activation(x: string, name: string): string {
    const g = this.g;
    switch (name.toLowerCase()) {
      case 'gelu': // 0.5·x·(1 + erf(x/√2))
        return g.op('Mul', [g.op('Mul', [x, g.f32([0.5])]), g.op('Add', [g.op('Erf', [g.op('Div', [x, g.f32([Math.SQRT2])])]), g.f32([1])])]);
      case 'gelu_new':
      case 'gelu_pytorch_tanh': {
        // 0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))
        const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
        const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [cube, g.f32([0.044715])])]), g.f32([Math.sqrt(2 / Math.PI)])]);
        return g.op('Mul', [g.op('Mul', [x, g.f32([0.5])]), g.op('Add', [g.op('Tanh', [inner]), g.f32([1])])]);
      }
      case 'relu':
        return g.op('Relu', [x]);
      case 'tanh':
        return g.op('Tanh', [x]);
      case 'sigmoid':
        return g.op('Sigmoid', [x]);
      case 'swish':
      case 'silu':
        return g.op('Mul', [x, g.op('Sigmoid', [x])]);
      case 'linear':
        return x;
      default:
        throw new Error(`onnx export: activation '${name}' has no ONNX form here`);
    }
  }
}

/** One active bottleneck adapter in place of LN(h + x): BottleneckAdapter.run, op for op. */
function adapterBlock(e: Emitter, a: BottleneckAdapter, h: string, x: string, ln: LayerNorm, scope: string): string {
  const g = e.g;
  const c = a.config;
  return g.scope(scope, () => {
    let residual: string | null = c.residual_before_ln === true ? h : null;
    if (c.original_ln_before) {
      h = g.op('Add', [h, x]);
      if (c.residual_before_ln === 'post_add') residual = h;
      h = e.layerNorm(h, ln, 'LayerNorm');
    }
    if (c.residual_before_ln === false) residual = h;
    let down = h;
    if (a.adapter_norm_before !== null) down = e.layerNorm(down, a.adapter_norm_before, 'adapter_norm_before');
    down = e.activation(e.linear(down, a.adapter_down.linear, 'adapter_down'), c.non_linearity);
    let out = e.linear(down, a.adapter_up, 'adapter_up');
    if (c.scaling !== 1) out = g.op('Mul', [out, g.f32([c.scaling])]);
    if (c.adapter_residual_before_ln) out = g.op('Add', [out, residual!]);
    if (a.adapter_norm_after !== null) out = e.layerNorm(out, a.adapter_norm_after, 'adapter_norm_after');
    if (!c.adapter_residual_before_ln) out = g.op('Add', [out, residual!]);
    if (c.original_ln_after) out = e.layerNorm(g.op('Add', [out, x]), ln, 'LayerNorm');
    return out;
  });
}

/** The slot's output: the active adapter, or the plain residual LayerNorm. */
function slot(e: Emitter, adapters: { get(name: string): BottleneckAdapter | undefined }, adapter: string | null, h: string, x: string, ln: LayerNorm): string {
  const a = adapter === null ? undefined : adapters.get(adapter);
  if (a !== undefined) return adapterBlock(e, a, h, x, ln, `adapters.${adapter}`);
  return e.layerNorm(e.g.op('Add', [h, x]), ln, 'LayerNorm');
}

function selfAttention(e: Emitter, layer: BertLayer, x: string, maskBias: string | null, nH: number, d: number, H: number): string {
  const g = e.g;
  const sa = layer.attention.self;
  return g.scope('self', () => {
    const heads = g.i64([0, 0, nH, d]); // Reshape: 0 copies B and T
    const split = (lin: Linear, name: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [e.linear(x, lin, name), heads])], { perm: ints(perm) });
    const q = split(sa.query, 'query', [0, 2, 1, 3]); // [B,nH,T,d]
    const kT = split(sa.key, 'key', [0, 2, 3, 1]); // [B,nH,d,T]
    const v = split(sa.value, 'value', [0, 2, 1, 3]); // [B,nH,T,d]
    let scores = g.op('Div', [g.op('MatMul', [q, kT]), g.f32([Math.sqrt(d)])]); // [B,nH,T,T]
    if (maskBias !== null) scores = g.op('Add', [scores, maskBias]);
    const probs = g.op('Softmax', [scores], { axis: int(-1) });
    const ctx = g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: ints([0, 2, 1, 3]) }); // [B,T,nH,d]
    return g.op('Reshape', [ctx, g.i64([0, 0, H])]); // [B,T,H]
  });
}

function encoderLayer(e: Emitter, layer: BertLayer, i: number, x: string, maskBias: string | null, base: BertModel, adapter: string | null): string {
  const cfg = base.config;
  const H = cfg.hiddenSize;
  const nH = cfg.numHeads;
  return e.g.scope(`layer.${i}`, () => {
    const a = e.g.scope('attention', () => {
      const ctx = selfAttention(e, layer, x, maskBias, nH, H / nH, H);
      const so = layer.attention.output;
      return e.g.scope('output', () => slot(e, so.adapters, adapter, e.linear(ctx, so.dense, 'dense'), x, so.LayerNorm));
    });
    const inter = e.g.scope('intermediate', () => e.activation(e.linear(a, layer.intermediate.dense, 'dense'), cfg.hiddenAct));
    const out = layer.output;
    return e.g.scope('output', () => slot(e, out.adapters, adapter, e.linear(inter, out.dense, 'dense'), a, out.LayerNorm));
  });
}

function embeddings(e: Emitter, base: BertModel, inputIds: string, tokenTypeIds: string | null): string {
  const g = e.g;
  const cfg = base.config;
  const emb = base.embeddings;
  return g.scope('embeddings', () => {
    const words = e.lookup(emb.word_embeddings.weight, inputIds); // [B,T,H]
    let x: string;
    if (tokenTypeIds !== null) x = g.op('Add', [words, g.op('Gather', [e.param(emb.token_type_embeddings.weight), tokenTypeIds], { axis: int(0) })]);
    else {
      // No token_type_ids input (RoBERTa): every token has type 0, i.e. row 0 added everywhere.
      const H = cfg.hiddenSize;
      x = g.op('Add', [words, g.initializer('token_type_embeddings.row0', emb.token_type_embeddings.weight.data.slice(0, H), [H])]);
    }
    let pos: string;
    if (cfg.family === 'bert') {
      // positions 0..T-1: the first T rows of the table, broadcast over the batch
      const T = g.op('Shape', [inputIds], { start: int(1), end: int(2) });
      pos = g.op('Slice', [e.param(emb.position_embeddings.weight), g.i64([0]), T, g.i64([0])]); // [T,H]
    } else {
      // HF create_position_ids_from_input_ids: cumsum(ids != pad) * (ids != pad) + pad
      const notPad = g.op('Cast', [g.op('Not', [g.op('Equal', [inputIds, g.i64([cfg.padTokenId], [])])])], { to: int(7) });
      const ids = g.op('Add', [g.op('Mul', [g.op('CumSum', [notPad, g.i64([1], [])]), notPad]), g.i64([cfg.padTokenId], [])]);
      pos = g.op('Gather', [e.param(emb.position_embeddings.weight), ids], { axis: int(0) }); // [B,T,H]
    }
    return e.layerNorm(g.op('Add', [x, pos]), emb.LayerNorm, 'LayerNorm');
  });
}

/** h[:, 0] as [B,H]. */
function firstToken(e: Emitter, h: string): string {
  return e.g.op('Gather', [h, e.g.i64([0], [])], { axis: int(1) });
}

/**
 * Emit the whole graph into `g`: inputs, encoder with `sel.adapter`, head `sel.head`, output `logits`.
 * Returns the names of the graph inputs, in the order transformers.js and onnxruntime feed them.
 */
export function emitClassifier(g: GraphBuilder, model: AdapterModel, sel: ExportSelection, weights: WeightFormat = 'fp32'): { inputs: string[] } {
  const head = model.getHead(sel.head);
  if (!(head instanceof SequenceClassificationHead) && !(head instanceof TokenClassificationHead)) {
    throw new Error(`onnx export: head '${sel.head}' is a ${head.type} head; only sequence_classification and token_classification heads export`);
  }
  if (sel.adapter !== null && !model.adapterNames().includes(sel.adapter)) {
    throw new Error(`onnx export: no adapter '${sel.adapter}' (adapters: ${model.adapterNames().join(', ') || 'none'})`);
  }
  const base = model.base;
  const cfg = model.cfg;
  const e = new Emitter(g, weights);
  const dims = ['batch_size', 'sequence_length'];
  let inputIds = g.input('input_ids', 'int64', dims);
  let attentionMask = g.input('attention_mask', 'int64', dims);
  let tokenTypeIds = cfg.family === 'bert' ? g.input('token_type_ids', 'int64', dims) : null;
  if (sel.truncate !== undefined) {
    if (head instanceof TokenClassificationHead) throw new Error('onnx export: in-graph truncation is for sequence heads (a token head keeps one output row per input token)');
    const { maxLength, endTokenId } = sel.truncate;
    ({ inputIds, attentionMask, tokenTypeIds } = g.scope('truncate', () => {
      const T = g.op('Min', [g.op('Shape', [inputIds], { start: int(1), end: int(2) }), g.i64([maxLength])]); // [1]
      const cut = (x: string) => g.op('Slice', [x, g.i64([0]), T, g.i64([1])]);
      // rows longer than maxLength end with the end token at position maxLength-1
      const long = g.op('Greater', [g.op('ReduceSum', [attentionMask, g.i64([1])], { keepdims: int(1) }), g.i64([maxLength], [])]); // [B,1]
      const last = g.op('Equal', [g.op('Range', [g.i64([0], []), g.op('Squeeze', [T, g.i64([0])]), g.i64([1], [])]), g.i64([maxLength - 1], [])]); // [T]
      const ids = g.op('Where', [g.op('And', [long, last]), g.i64([endTokenId], []), cut(inputIds)]);
      return { inputIds: ids, attentionMask: cut(attentionMask), tokenTypeIds: tokenTypeIds === null ? null : cut(tokenTypeIds) };
    }));
  }

  const prefix = model.prefixName;
  const h = g.scope(prefix, () => {
    // [B,1,1,T] additive mask: 0 where attended, float32 min where padded (HF get_extended_attention_mask)
    const maskF = g.op('Cast', [attentionMask], { to: int(1) });
    const maskBias = g.op('Mul', [g.op('Sub', [g.f32([1]), g.op('Unsqueeze', [maskF, g.i64([1, 2])])]), g.f32([MASK_MIN])]);
    let x = embeddings(e, base, inputIds, tokenTypeIds);
    g.scope('encoder', () => {
      base.layers.forEach((layer, i) => {
        x = encoderLayer(e, layer, i, x, maskBias, base, sel.adapter);
      });
    });
    return x;
  });

  const L = (head.spec as { numLabels: number }).numLabels;
  let logits: string;
  let outputDims: (string | number)[];
  g.scope(`heads.${sel.head}`, () => {
    if (head instanceof TokenClassificationHead) {
      logits = e.linear(h, head.out, 'out');
      outputDims = ['batch_size', 'sequence_length', L];
      return;
    }
    let v: string; // [B,H]
    if (head.pooling === 'pooler') v = g.scope(`${prefix}/pooler`, () => g.op('Tanh', [e.linear(firstToken(e, h), base.pooler.dense, 'dense')]));
    else if (head.pooling === 'cls') v = firstToken(e, h);
    else {
      const m = g.op('Unsqueeze', [g.op('Cast', [attentionMask], { to: int(1) }), g.i64([2])]); // [B,T,1]
      const sum = g.op('ReduceSum', [g.op('Mul', [h, m]), g.i64([1])], { keepdims: int(0) }); // [B,H]
      const count = g.op('ReduceSum', [m, g.i64([1])], { keepdims: int(0) }); // [B,1]
      v = g.op('Div', [sum, g.op('Max', [count, g.f32([1e-30])])]);
    }
    const domain = sel.domain !== undefined ? sel.domain : sel.adapter; // forward's default: the adapter's domain
    const centre = domain === null ? null : model.domainCentre(domain);
    if (centre !== null && centre.pooling === head.pooling) v = g.op('Sub', [v, g.constant(centre.mean, [centre.mean.length], 'domain_centre')]);
    if (head.dense !== null) v = g.op('Tanh', [e.linear(v, head.dense, 'dense')]);
    logits = e.linear(v, head.out, 'out');
    outputDims = ['batch_size', L];
  });
  g.output(logits!, 'logits', 'float32', outputDims!);
  return { inputs: g.inputs.map((i) => i.name) };
}
