// ELECTRA replaced-token detection (Clark et al. 2020), the pretraining objective that learns from
// every token instead of the 15% MLM predicts, which is what makes it far more sample-efficient
// than MLM for small models:
//   1. a small generator (a BERT MLM, `generator_scale` × the hidden size, as many layers) fills
//      the masked positions of the MLM batch; its loss is the usual MLM cross-entropy;
//   2. each masked position gets a token sampled from the generator's softmax (no gradient
//      through the sample); a sampled token equal to the original counts as original;
//   3. the discriminator — the model being pretrained, a BERT encoder that loads like any other —
//      labels every real token of the corrupted sequence original/replaced (a 2-way token head);
//   loss = generator MLM + rtd_weight × discriminator cross-entropy (the paper's λ = 50), one
//   backward pass and one optimizer over both models (joint training, as in the paper).
// Not done (simplifications, said in src/pretrain/README.md): the generator has its own embeddings
// instead of sharing the discriminator's (the paper ties them through a projection), and the
// generator is trained at the discriminator's learning rate.
import { IGNORE_INDEX } from '../data/examples.js';
import type { Batch } from '../data/index.js';
import { AdapterModel, type BertFamilyConfig } from '../models/index.js';
import { add, scale, type Rng, type Tensor } from '../tensor/index.js';

export const GENERATOR_HEAD = 'mlm';
/** The generator's folder inside a pretraining checkpoint. */
export const GENERATOR_DIR = 'generator';
export const RTD_HEAD = 'rtd';
export const RTD_LABELS = ['original', 'replaced'];

/** The generator's config: the discriminator's with hidden, heads and feed-forward scaled down. */
export function generatorConfig(disc: BertFamilyConfig, scaleFactor: number): BertFamilyConfig {
  const heads = Math.max(1, Math.round(disc.num_attention_heads * scaleFactor));
  const headSize = disc.hidden_size / disc.num_attention_heads;
  return { ...disc, hidden_size: heads * headSize, num_attention_heads: heads, intermediate_size: Math.max(1, Math.round(disc.intermediate_size * scaleFactor)) };
}

export function newGenerator(disc: BertFamilyConfig, scaleFactor: number, seed: number): AdapterModel {
  const g = new AdapterModel(generatorConfig(disc, scaleFactor), { seed });
  g.addHead(GENERATOR_HEAD, { type: 'masked_lm' });
  return g;
}

/** The discriminator's replaced-token head (added if missing). */
export function ensureRtdHead(model: AdapterModel): void {
  if (!model.headNames().includes(RTD_HEAD)) model.addHead(RTD_HEAD, { type: 'token_classification', numLabels: 2, labels: RTD_LABELS }, { setActive: false });
}

export interface ElectraStep {
  loss: Tensor;
  generatorLoss: number;
  rtdLoss: number;
  /** Share of the discriminator's tokens that were replaced (≈ 15% × generator error rate). */
  replaced: number;
  /** Discriminator accuracy over its tokens. */
  rtdAccuracy: number;
}

/** Draw one token per row of row-major logits [R,V] (softmax, temperature 1). */
export function sampleRows(logits: Float32Array, V: number, rng: Rng): Int32Array {
  const R = logits.length / V;
  const out = new Int32Array(R);
  const p = new Float64Array(V);
  for (let r = 0; r < R; r++) {
    const o = r * V;
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (logits[o + v]! > max) max = logits[o + v]!;
    let sum = 0;
    for (let v = 0; v < V; v++) sum += p[v] = Math.exp(logits[o + v]! - max);
    let u = rng.uniform() * sum;
    let pick = V - 1;
    for (let v = 0; v < V; v++) {
      u -= p[v]!;
      if (u < 0) {
        pick = v;
        break;
      }
    }
    out[r] = pick;
  }
  return out;
}

/**
 * One ELECTRA forward: `batch` is an MLM batch (inputIds masked, mlmLabels = original ids at the
 * masked positions). `special`: ids the discriminator is not asked about ([CLS], [SEP], [PAD]).
 */
export function electraForward(generator: AdapterModel, discriminator: AdapterModel, batch: Batch, special: ReadonlySet<number>, rng: Rng, rtdWeight: number): ElectraStep {
  const labels = batch.mlmLabels!;
  const shape: [number, number] = [batch.B, batch.T];
  const g = generator.forward({ inputIds: batch.inputIds, shape }, { heads: [GENERATOR_HEAD], labels: { [GENERATOR_HEAD]: labels } });
  const genLoss = g.heads[GENERATOR_HEAD]!.loss!;
  const logits = g.heads[GENERATOR_HEAD]!.logits; // [R,V]: the labelled positions in order (sparse logits)
  const V = logits.shape[logits.shape.length - 1]!;
  const sampled = sampleRows(logits.data, V, rng);
  // the corrupted sequence: original tokens everywhere, the generator's samples at masked positions
  const corrupted = new Int32Array(batch.inputIds.length);
  const rtd = new Int32Array(batch.inputIds.length);
  let r = 0;
  let replaced = 0;
  let counted = 0;
  for (let i = 0; i < corrupted.length; i++) {
    const original = labels[i] !== IGNORE_INDEX ? labels[i]! : batch.inputIds[i]!;
    const token = labels[i] !== IGNORE_INDEX ? sampled[r++]! : original;
    corrupted[i] = token;
    if (special.has(original)) {
      rtd[i] = IGNORE_INDEX;
      continue;
    }
    rtd[i] = token !== original ? 1 : 0;
    replaced += rtd[i]!;
    counted++;
  }
  if (r !== sampled.length) throw new Error(`electra: ${sampled.length} generator rows for ${r} masked positions`);
  const d = discriminator.forward({ inputIds: corrupted, shape }, { heads: [RTD_HEAD], labels: { [RTD_HEAD]: rtd } });
  const rtdLoss = d.heads[RTD_HEAD]!.loss!;
  const dl = d.heads[RTD_HEAD]!.logits.data; // [B,T,2]
  let right = 0;
  for (let i = 0; i < rtd.length; i++) if (rtd[i] !== IGNORE_INDEX && (dl[2 * i + 1]! > dl[2 * i]! ? 1 : 0) === rtd[i]) right++;
  return {
    loss: add(genLoss, scale(rtdLoss, rtdWeight)),
    generatorLoss: genLoss.data[0]!,
    rtdLoss: rtdLoss.data[0]!,
    replaced: counted > 0 ? replaced / counted : 0,
    rtdAccuracy: counted > 0 ? right / counted : 0,
  };
}
