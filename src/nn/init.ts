// Weight initialisation, mirroring HF `BertPreTrainedModel._init_weights`:
// Linear/Embedding weights ~ N(0, initializer_range), biases 0, Embedding padding row 0,
// LayerNorm weight 1 / bias 0. Draws come from our seeded Rng (values differ from torch's
// generator, the distributions are the same).
import type { Rng } from '../tensor/rng.js';
import type { Module } from './module.js';
import { Embedding, LayerNorm, Linear } from './layers.js';

export function normal_(data: Float32Array, std: number, rng: Rng, mean = 0): void {
  for (let i = 0; i < data.length; i++) data[i] = mean + std * rng.normal();
}

/** torch.nn.init.trunc_normal_: N(mean, std) redrawn until inside [a, b]. */
export function truncNormal_(data: Float32Array, std: number, a: number, b: number, rng: Rng, mean = 0): void {
  for (let i = 0; i < data.length; i++) {
    let v: number;
    do v = mean + std * rng.normal();
    while (v < a || v > b);
    data[i] = v;
  }
}

/** torch.nn.init.kaiming_uniform_(w, a) for a [out, in] weight: U(-bound, bound), bound = sqrt(6/((1+a²)·in)). */
export function kaimingUniform_(data: Float32Array, fanIn: number, a: number, rng: Rng): void {
  const gain = Math.sqrt(2 / (1 + a * a));
  const bound = gain * Math.sqrt(3 / fanIn);
  for (let i = 0; i < data.length; i++) data[i] = (rng.uniform() * 2 - 1) * bound;
}

/** Apply HF `_init_weights` to every Linear, Embedding and LayerNorm below `root`. */
export function initBertWeights(root: Module, std: number, rng: Rng): void {
  for (const [, m] of root.namedModules()) {
    if (m instanceof Linear) {
      normal_(m.weight.data, std, rng);
      m.bias?.data.fill(0);
    } else if (m instanceof Embedding) {
      normal_(m.weight.data, std, rng);
      if (m.paddingIdx !== null && m.paddingIdx >= 0 && m.paddingIdx < m.numEmbeddings) {
        m.weight.data.fill(0, m.paddingIdx * m.embeddingDim, (m.paddingIdx + 1) * m.embeddingDim);
      }
    } else if (m instanceof LayerNorm) {
      m.weight.data.fill(1);
      m.bias.data.fill(0);
    }
  }
}
