// concat(xs, dim): join tensors along dim; all other dims must match.
// Shapes: xs[i] viewed as [A, n_i, C] → out [A, sum(n_i), C]. Backward hands each input its window.
import { Tensor, record, shapeSize, shapeStr } from '../tensor.js';
import { checkTensor, normDim } from './check.js';

export function concat(xs: readonly Tensor[], dim: number): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) throw new Error('concat: xs must be a non-empty array of tensors');
  xs.forEach((x, i) => checkTensor('concat', `xs[${i}]`, x));
  const first = xs[0]!;
  const dd = normDim('concat', dim, first.ndim);
  for (let i = 1; i < xs.length; i++) {
    const x = xs[i]!;
    let ok = x.ndim === first.ndim;
    for (let j = 0; ok && j < x.ndim; j++) if (j !== dd && x.shape[j] !== first.shape[j]) ok = false;
    if (!ok) {
      throw new Error(`concat: xs[${i}] ${shapeStr(x.shape)} does not match xs[0] ${shapeStr(first.shape)} outside dim ${dim}`);
    }
  }
  const A = shapeSize(first.shape.slice(0, dd));
  const C = shapeSize(first.shape.slice(dd + 1));
  const ns = xs.map((x) => x.shape[dd]!);
  const N = ns.reduce((s, n) => s + n, 0);
  const outShape = [...first.shape];
  outShape[dd] = N;
  const od = new Float32Array(A * N * C); // [A, N, C]
  let off = 0; // running start of xs[i] along dim
  const offs: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    const n = ns[i]!;
    const xd = xs[i]!.data;
    for (let a = 0; a < A; a++) od.set(xd.subarray(a * n * C, (a + 1) * n * C), (a * N + off) * C);
    offs.push(off);
    off += n;
  }
  const out = new Tensor(od, outShape);
  return record(out, [...xs], 'concat', () => {
    const g = out.grad!;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!;
      if (!x.requiresGrad) continue;
      const gx = x.gradBuffer();
      const n = ns[i]!;
      for (let a = 0; a < A; a++) {
        const src = (a * N + offs[i]!) * C;
        const dst = a * n * C;
        for (let j = 0; j < n * C; j++) gx[dst + j]! += g[src + j]!;
      }
    }
  });
}
