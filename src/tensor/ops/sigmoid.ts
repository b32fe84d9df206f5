// sigmoid(x) = 1 / (1 + e^-x). Shapes: x [...S] → out [...S]. Backward: dx += dy * y * (1 - y).
import { Tensor, record } from '../tensor.js';
import { checkTensor } from './check.js';

export function sigmoid(x: Tensor): Tensor {
  checkTensor('sigmoid', 'x', x);
  const od = new Float32Array(x.size); // [...S]
  const xd = x.data;
  for (let i = 0; i < od.length; i++) {
    const v = xd[i]!;
    // Two branches so exp never overflows to Infinity/Infinity.
    if (v >= 0) od[i] = 1 / (1 + Math.exp(-v));
    else {
      const e = Math.exp(v);
      od[i] = e / (1 + e);
    }
  }
  const out = new Tensor(od, x.shape);
  return record(out, [x], 'sigmoid', () => {
    const g = out.grad!;
    const gx = x.gradBuffer();
    for (let i = 0; i < gx.length; i++) gx[i]! += g[i]! * od[i]! * (1 - od[i]!);
  });
}
