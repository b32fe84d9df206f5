// dropout(x, p, training, rng): inverted dropout — zero each element with probability p and
// scale the survivors by 1/(1-p), so evaluation needs no rescaling.
// Shapes: x [...S] → out [...S]; mask [...S] (0 or 1/(1-p), saved for backward).
// Returns x itself (no copy, no graph node) when !training or p == 0.
// The mask takes ONE nextU32() from rng as the seed of kernels().dropoutMask (counter-based,
// identical on both backends): one JS Rng call per element cost more than the whole op.
import { Tensor, record } from '../tensor.js';
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
  const mask = new Float32Array(x.size); // [...S]
  kernels().dropoutMask(mask, p, rng.nextU32());
  const od = new Float32Array(x.size); // [...S]
  const xd = x.data;
  for (let i = 0; i < od.length; i++) od[i] = xd[i]! * mask[i]!;
  const out = new Tensor(od, x.shape);
  return record(out, [x], 'dropout', () => {
    const g = out.grad!;
    const gx = x.gradBuffer();
    for (let i = 0; i < gx.length; i++) gx[i]! += g[i]! * mask[i]!;
  });
}
