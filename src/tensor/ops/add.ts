// add(a, b): elementwise a + b with bias-style broadcasting of b.
// Shapes: a [...S]; b [...S], a suffix of S, or a scalar [1]/[] (see broadcast.ts); out [...S].
// Backward reduces the gradient of b over the repeated leading dims.
import { Tensor, record } from '../tensor.js';
import { broadcastCheck } from './broadcast.js';

export function add(a: Tensor, b: Tensor): Tensor {
  const m = broadcastCheck('add', a, b); // b repeats every m elements
  const n = a.size;
  const ad = a.data;
  const bd = b.data;
  const od = new Float32Array(n); // [...S]
  // Same shape (the residual connections): flat loops, no modulo-style inner index.
  if (m === n) {
    for (let i = 0; i < n; i++) od[i] = ad[i]! + bd[i]!;
  } else if (m > 0) {
    for (let base = 0; base < n; base += m) {
      for (let j = 0; j < m; j++) od[base + j] = ad[base + j]! + bd[j]!;
    }
  }
  const out = new Tensor(od, a.shape);
  return record(out, [a, b], 'add', () => {
    const g = out.grad!;
    if (m === n) {
      if (a.requiresGrad) addInto(a.gradBuffer(), g);
      if (b.requiresGrad) addInto(b.gradBuffer(), g);
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

function addInto(dst: Float32Array, src: Float32Array): void {
  for (let i = 0; i < dst.length; i++) dst[i]! += src[i]!;
}
