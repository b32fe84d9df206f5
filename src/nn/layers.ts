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

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { bias?: boolean } = {},
  ) {
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
  weight: Parameter; // [V, C]

  constructor(
    public numEmbeddings: number,
    readonly embeddingDim: number,
    readonly paddingIdx: number | null = null,
  ) {
    super();
    this.weight = this.registerParameter('weight', Parameter.zeros([numEmbeddings, embeddingDim]));
  }

  forward(ids: Int32Array, idsShape: readonly number[]): Tensor {
    return embedding(this.weight, ids, idsShape);
  }

  /**
   * Grow (or shrink) to `n` rows: a NEW parameter (same name, trainable flag kept) holding the
   * old rows; added rows are filled by `fill(rowData, rowIndex)`. Optimizer state for the old
   * tensor does not carry over: resize before building the optimizer.
   */
  resize(n: number, fill: (row: Float32Array, index: number) => void): Parameter {
    const C = this.embeddingDim;
    const old = this.weight;
    const p = Parameter.zeros([n, C]);
    p.data.set(old.data.subarray(0, Math.min(n, this.numEmbeddings) * C));
    for (let i = this.numEmbeddings; i < n; i++) fill(p.data.subarray(i * C, (i + 1) * C), i);
    p.setTrainable(old.requiresGrad);
    p.name = old.name;
    this.weight = this.registerParameter('weight', p);
    this.numEmbeddings = n;
    return p;
  }
}

/** LayerNorm over the last dim with HF names `weight` (gamma) and `bias` (beta). */
export class LayerNorm extends Module {
  readonly weight: Parameter; // [C]
  readonly bias: Parameter; // [C]

  constructor(
    readonly normalizedShape: number,
    readonly eps = 1e-5,
  ) {
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
  constructor(
    readonly p: number,
    private readonly rng: Rng,
  ) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`Dropout: p must be in [0, 1), got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.rng);
  }
}
