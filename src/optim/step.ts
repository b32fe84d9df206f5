// One optimizer update after the backward pass, the same for every loop: global gradient-norm
// clipping, a divergence check (a non-finite loss or gradient norm is never stepped into), the
// AdamW step at the scheduled learning rates, zeroed gradients for the next step.
import type { Tensor } from '../tensor/tensor.js';
import type { AdamW } from './adamw.js';
import { clipGradNorm } from './clip.js';

export interface UpdateResult {
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
  /** Learning rate of each parameter group at this step. */
  lrs: Record<string, number>;
}

/** `diverged`: what to say when loss or gradient norm is not finite (`…; lower the learning rates` follows). */
export function optimizerUpdate(optimizer: AdamW, params: Iterable<Tensor>, clipNorm: number, loss: number, diverged: string): UpdateResult {
  const gradNorm = clipGradNorm(params, clipNorm);
  if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) throw new Error(`${diverged} (loss ${loss}, gradient norm ${gradNorm}); lower the learning rates`);
  const lrs = optimizer.currentLrs();
  optimizer.step();
  optimizer.zeroGrad();
  return { gradNorm, lrs };
}
