// relu(x) = max(x, 0). Shapes: x [...S] → out [...S]. Gradient at exactly 0 is 0 (as PyTorch).
// NaN inputs stay NaN (a comparison would silently turn them into 0).
import { Tensor, record } from '../tensor.js';
import { checkTensor } from './check.js';

export function relu(x: Tensor): Tensor {
  checkTensor('relu', 'x', x);
  const od = new Float32Array(x.size); // [...S]
  const xd = x.data;
  for (let i = 0; i < od.length; i++) {
    const v = xd[i]!;
    od[i] = v > 0 || v !== v ? v : 0;
  }
  const out = new Tensor(od, x.shape);
  return record(out, [x], 'relu', () => {
    const g = out.grad!;
    const gx = x.gradBuffer();
    for (let i = 0; i < gx.length; i++) if (xd[i]! > 0) gx[i]! += g[i]!;
  });
}
