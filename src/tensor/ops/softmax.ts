// softmax(x) over the last dim, max-subtracted. Shapes: x [...L, C] (R = prod(L) rows) → out [...L, C].
// Backward (fused kernel): dx += y * (dy - sum(dy * y)) per row, from the saved output y.
import { Tensor, record, shapeSize, shapeStr } from '../tensor.js';
import { kernels } from '../kernels/index.js';
import { checkTensor } from './check.js';

export function softmax(x: Tensor): Tensor {
  checkTensor('softmax', 'x', x);
  if (x.ndim < 1) throw new Error(`softmax: x must have at least 1 dim, got ${shapeStr(x.shape)}`);
  const C = x.shape[x.ndim - 1]!;
  const R = shapeSize(x.shape.slice(0, -1));
  const od = new Float32Array(x.size); // [R,C]
  kernels().softmaxForward(x.data, R, C, od);
  const out = new Tensor(od, x.shape);
  return record(out, [x], 'softmax', () => {
    kernels().softmaxBackward(od, out.grad!, R, C, x.gradBuffer());
  });
}
