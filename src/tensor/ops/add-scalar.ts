// addScalar(a, s): a + s for a plain number s. Shapes: a [...S] → out [...S].
import { Tensor, record } from '../tensor.js';
import { checkTensor } from './check.js';

export function addScalar(a: Tensor, s: number): Tensor {
  checkTensor('addScalar', 'a', a);
  if (typeof s !== 'number') throw new TypeError(`addScalar: s must be a number, got ${typeof s}`);
  const od = new Float32Array(a.size); // [...S]
  const ad = a.data;
  for (let i = 0; i < od.length; i++) od[i] = ad[i]! + s;
  const out = new Tensor(od, a.shape);
  return record(out, [a], 'addScalar', () => {
    const g = out.grad!;
    const ga = a.gradBuffer();
    for (let i = 0; i < ga.length; i++) ga[i]! += g[i]!;
  });
}
