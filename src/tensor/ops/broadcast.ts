// Broadcasting rule of the binary elementwise ops (add/sub/mul/div), deliberately narrow:
//   - same shape;
//   - b a scalar tensor (shape [] or [1]);
//   - b's shape a suffix of a's (bias-like: [B,T,H] op [H], [B,T,H] op [T,H]).
// The output always has a's shape, so `b` repeats every `b.size` elements of a.
// Anything else (e.g. a smaller than b) is an error naming the op and both shapes.
import { shapeStr, type Tensor } from '../tensor.js';
import { checkTensor } from './check.js';

/** Validates (a, b) and returns how many elements of b repeat along a (b.size). */
export function broadcastCheck(op: string, a: unknown, b: unknown): number {
  checkTensor(op, 'a', a);
  checkTensor(op, 'b', b);
  const A = a as Tensor;
  const Bt = b as Tensor;
  if (Bt.size === 1 && Bt.ndim <= 1) return 1;
  const off = A.ndim - Bt.ndim;
  let ok = off >= 0;
  for (let i = 0; ok && i < Bt.ndim; i++) if (Bt.shape[i] !== A.shape[off + i]) ok = false;
  if (!ok) {
    throw new Error(`${op}: b ${shapeStr(Bt.shape)} does not broadcast to a ${shapeStr(A.shape)} ` + `(b must have a's shape, a suffix of it, or be a scalar [1]/[])`);
  }
  return Bt.size;
}
