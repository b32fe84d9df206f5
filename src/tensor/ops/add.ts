// add(a, b): elementwise a + b with bias-style broadcasting of b.
// Shapes: a [...S]; b [...S], a suffix of S, or a scalar [1]/[] (see broadcast.ts); out [...S].
// Backward reduces the gradient of b over the repeated leading dims.
import { Tensor, record, emptyF32 } from '../tensor.js';
import { kernels } from '../kernels/index.js';
import { broadcastCheck } from './broadcast.js';

export function add(a: Tensor, b: Tensor): Tensor {
  const m = broadcastCheck('add', a, b); // b repeats every m elements
  const n = a.size;
  const ad = a.data;
  const bd = b.data;
  const od = emptyF32(n); // [...S], every element written below
  // Same shape (the residual connections): the kernel (native: vectorised, threaded).
  if (m === n) {
    kernels().add(ad, bd, od);
  } else if (m > 0) {
    for (let base = 0; base < n; base += m) {
      for (let j = 0; j < m; j++) od[base + j] = ad[base + j]! + bd[j]!;
    }
  }
  const out = new Tensor(od, a.shape);
  return record(out, [a, b], 'add', () => {
    const g = out.grad!;
    if (m === n) {
      // b adds g into its gradient, then a takes g itself when it has no gradient yet (no copy)
      if (b.requiresGrad) b.addGrad(g);
      if (a.requiresGrad) a.takeGradOf(out);
      return;
    }
    if (a.requiresGrad) {
      const ga = a.gradBuffer();
      for (let base = 0; base < n; base += m) {
        for (let j = 0; j < m; j++) ga[base + j]! += g[base + j]!;
      }
    }
    if (b.requiresGrad) {
      const gb = b.gradBuffer();
      for (let base = 0; base < n; base += m) {
        for (let j = 0; j < m; j++) gb[j]! += g[base + j]!;
      }
    }
  });
}
