// sum(x): sum of all elements, accumulated in float64. Shapes: x [...S] → out [] (a 0-d scalar;
// `out.item()` reads it, `out.backward()` seeds it with 1). Backward: dx += dy everywhere.
import { Tensor, record } from '../tensor.js';
import { checkTensor } from './check.js';

export function sum(x: Tensor): Tensor {
  checkTensor('sum', 'x', x);
  let s = 0;
  const xd = x.data;
  for (let i = 0; i < xd.length; i++) s += xd[i]!;
  const out = new Tensor(new Float32Array([s]), []);
  return record(out, [x], 'sum', () => {
    const g = out.grad![0]!;
    const gx = x.gradBuffer();
    for (let i = 0; i < gx.length; i++) gx[i]! += g;
  });
}
