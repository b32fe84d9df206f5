// Global gradient-norm clipping (torch.nn.utils.clip_grad_norm_, L2 norm).
// The norm is taken over every parameter that has a gradient, all together; when it exceeds
// maxNorm every gradient is scaled by maxNorm / (norm + 1e-6), exactly torch's coefficient.
import type { Tensor } from '../tensor/tensor.js';
import { kernels } from '../tensor/kernels/index.js';

export interface ClipOptions {
  /** Throw when the total norm is NaN or infinite (torch `error_if_nonfinite`). Default false. */
  errorIfNonfinite?: boolean;
}

/**
 * Clips gradients in place; returns the total L2 norm BEFORE clipping (what torch returns,
 * and what training logs should show). Parameters whose `grad` is null are ignored.
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm = 1.0, opts: ClipOptions = {}): number {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) {
    throw new Error(`clipGradNorm: maxNorm must be a positive finite number, got ${maxNorm}`);
  }
  const grads: Float32Array[] = [];
  for (const p of params) if (p.grad !== null) grads.push(p.grad);
  if (grads.length === 0) return 0;
  const k = kernels();
  const total = Math.sqrt(k.sumSquares(grads));
  if (!Number.isFinite(total)) {
    if (opts.errorIfNonfinite) {
      throw new Error(`clipGradNorm: the total gradient norm is ${total} (NaN or infinite gradients)`);
    }
    // torch multiplies by a NaN coefficient here; we leave the gradients as they are and let the
    // caller see the non-finite norm it returned.
    return total;
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) for (const g of grads) k.scaleInPlace(g, coef);
  return total;
}
