// layerNorm(x, gamma, beta, eps): normalise over the last dim, biased variance (PyTorch/HF).
// Shapes: x [...L, C] (R = prod(L) rows); gamma, beta [C]; out [...L, C].
// Forward saves mean/rstd [R] for the fused backward kernel.
import { Tensor, record, shapeSize, shapeStr, emptyF32 } from '../tensor.js';
import { kernels } from '../kernels/index.js';
import { checkTensor } from './check.js';

export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
  checkTensor('layerNorm', 'x', x);
  checkTensor('layerNorm', 'gamma', gamma);
  checkTensor('layerNorm', 'beta', beta);
  if (x.ndim < 1) throw new Error(`layerNorm: x must have at least 1 dim, got ${shapeStr(x.shape)}`);
  const C = x.shape[x.ndim - 1]!;
  if (gamma.ndim !== 1 || gamma.size !== C || beta.ndim !== 1 || beta.size !== C) {
    throw new Error(`layerNorm: gamma ${shapeStr(gamma.shape)} and beta ${shapeStr(beta.shape)} must both be [${C}] for x ${shapeStr(x.shape)}`);
  }
  if (typeof eps !== 'number' || !(eps >= 0)) throw new Error(`layerNorm: eps must be a number >= 0, got ${String(eps)}`);
  const R = shapeSize(x.shape.slice(0, -1));
  const od = emptyF32(x.size); // [R,C], written by the kernel
  const mean = new Float32Array(R); // [R]
  const rstd = new Float32Array(R); // [R]
  kernels().layerNormForward(x.data, gamma.data, beta.data, R, C, eps, od, mean, rstd);
  const out = new Tensor(od, x.shape);
  return record(out, [x, gamma, beta], 'layerNorm', () => {
    kernels().layerNormBackward(
      out.grad!,
      x.data,
      gamma.data,
      mean,
      rstd,
      R,
      C,
      x.requiresGrad ? x.gradBuffer() : null,
      gamma.requiresGrad ? gamma.gradBuffer() : null,
      beta.requiresGrad ? beta.gradBuffer() : null,
    );
  });
}
