// dropout(x, p, training, rng): inverted dropout — zero each element with probability p and
// scale the survivors by 1/(1-p), so evaluation needs no rescaling.
// Shapes: x [...S] → out [...S].
// Returns x itself (no copy, no graph node) when !training or p == 0.
// The mask is never stored: it is counter-based on ONE nextU32() from rng (kernels().dropoutApply,
// identical on every backend), so backward regenerates it from the seed. A stored mask cost a
// tensor-sized allocation per dropout and two JS passes; one JS Rng call per element cost more
// than the whole op.
import { Tensor, record, emptyF32 } from '../tensor.js';
import { kernels } from '../kernels/index.js';
import type { Rng } from '../rng.js';
import { checkTensor } from './check.js';

export function dropout(x: Tensor, p: number, training: boolean, rng: Rng): Tensor {
  checkTensor('dropout', 'x', x);
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`dropout: p must be in [0, 1], got ${String(p)}`);
  if (!training || p === 0) return x;
  if (rng === undefined || rng === null || typeof rng.nextU32 !== 'function') {
    throw new Error('dropout: training with p > 0 needs an Rng (dropout is never silently disabled)');
  }
  const seed = rng.nextU32();
  const od = emptyF32(x.size); // [...S], written by the kernel
  kernels().dropoutApply(x.data, od, p, seed, false);
  const out = new Tensor(od, x.shape);
  return record(out, [x], 'dropout', () => {
    kernels().dropoutApply(out.grad!, x.gradBuffer(), p, seed, true);
  });
}
