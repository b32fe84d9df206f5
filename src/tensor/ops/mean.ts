// mean(x): mean of all elements, accumulated in float64. Shapes: x [...S] → out [] (0-d scalar).
// An empty x gives NaN (0/0), as torch.mean does. Backward: dx += dy / size.
import { Tensor, record } from '../tensor.js';
import { checkTensor } from './check.js';

export function mean(x: Tensor): Tensor {
  checkTensor('mean', 'x', x);
  let s = 0;
  const xd = x.data;
  for (let i = 0; i < xd.length; i++) s += xd[i]!;
  const n = x.size;
  const out = new Tensor(new Float32Array([s / n]), []);
  return record(out, [x], 'mean', () => {
    const g = out.grad![0]! / n;
    const gx = x.gradBuffer();
    for (let i = 0; i < gx.length; i++) gx[i]! += g;
  });
}
