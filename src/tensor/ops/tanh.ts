// tanh(x). Shapes: x [...S] → out [...S]. Backward: dx += dy * (1 - y^2), from the saved output.
import { Tensor, record } from '../tensor.js';
import { checkTensor } from './check.js';

export function tanh(x: Tensor): Tensor {
  checkTensor('tanh', 'x', x);
  const od = new Float32Array(x.size); // [...S]
  const xd = x.data;
  for (let i = 0; i < od.length; i++) od[i] = Math.tanh(xd[i]!);
  const out = new Tensor(od, x.shape);
  return record(out, [x], 'tanh', () => {
    const g = out.grad!;
    const gx = x.gradBuffer();
    for (let i = 0; i < gx.length; i++) gx[i]! += g[i]! * (1 - od[i]! * od[i]!);
  });
}
