// Basic layers with PyTorch/HF parameter names and layouts.
// Shape legend: N any leading dims, I in-features, O out-features, V vocab, C channels.
import { dropout, embedding, layerNorm, linear, type Rng } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

/** y = x W^T + b. weight [O, I] (PyTorch layout), bias [O]. Forward: [N.., I] → [N.., O]. */
export class Linear extends Module {
  readonly weight: Parameter; // [O, I]
  readonly bias: Parameter | null; // [O]

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: { bias?: boolean } = {}) {
    super();
    this.weight = this.registerParameter('weight', Parameter.zeros([outFeatures, inFeatures]));
    this.bias = opts.bias === false ? null : this.registerParameter('bias', Parameter.zeros([outFeatures]));
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

/** Row lookup. weight [V, C]; ids [..] → [.., C]. `paddingIdx` only affects init (zero row), as in torch. */
export class Embedding extends Module {
  readonly weight: Parameter; // [V, C]

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, readonly paddingIdx: number | null = null) {
    super();
    this.weight = this.registerParameter('weight', Parameter.zeros([numEmbeddings, embeddingDim]));
  }

  forward(ids: Int32Array, idsShape: readonly number[]): Tensor {
    return embedding(this.weight, ids, idsShape);
  }
}

/** LayerNorm over the last dim with HF names `weight` (gamma) and `bias` (beta). */
export class LayerNorm extends Module {
  readonly weight: Parameter; // [C]
  readonly bias: Parameter; // [C]

  constructor(readonly normalizedShape: number, readonly eps = 1e-5) {
    super();
    this.weight = this.registerParameter('weight', Parameter.fill([normalizedShape], 1));
    this.bias = this.registerParameter('bias', Parameter.zeros([normalizedShape]));
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

/**
 * Inverted dropout, active only in training mode. The Rng is shared by the whole model
 * (one seeded stream), so a run is reproducible from the model seed.
 */
export class Dropout extends Module {
  constructor(readonly p: number, private readonly rng: Rng) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`Dropout: p must be in [0, 1), got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.rng);
  }
}
