// gradientReversal(x, lambda): the DANN gradient-reversal layer (Ganin & Lempitsky 2015).
// Forward is the identity; backward passes -lambda * dy, so the feature extractor learns to
// confuse the domain discriminator that sits behind this op.
// Shapes: x [...S] → out [...S] (shares x's data: nothing writes into op outputs in place).
import { Tensor, record } from '../tensor.js';
import { checkFiniteNumber, checkTensor } from './check.js';

export function gradientReversal(x: Tensor, lambda: number): Tensor {
  checkTensor('gradientReversal', 'x', x);
  checkFiniteNumber('gradientReversal', 'lambda', lambda);
  const out = new Tensor(x.data, x.shape);
  return record(out, [x], 'gradientReversal', () => {
    const g = out.grad!;
    const gx = x.gradBuffer();
    for (let i = 0; i < gx.length; i++) gx[i]! -= lambda * g[i]!;
  });
}
