// slice(x, dim, start, end): elements start..end-1 along dim, as a copy (Python-style negative
// indices allowed; end is clamped to the dim size).
// Shapes: x viewed as [A, n, C] → out [A, end-start, C]. Backward adds into that window of dx.
import { Tensor, record, shapeSize, shapeStr } from '../tensor.js';
import { checkTensor, normDim } from './check.js';

export function slice(x: Tensor, dim: number, start: number, end: number): Tensor {
  checkTensor('slice', 'x', x);
  const dd = normDim('slice', dim, x.ndim);
  const n = x.shape[dd]!;
  if (!Number.isInteger(start) || !Number.isInteger(end)) {
    throw new Error(`slice: start and end must be integers, got ${start}, ${end}`);
  }
  const s0 = start < 0 ? start + n : start;
  const e0 = Math.min(end < 0 ? end + n : end, n);
  if (s0 < 0 || s0 > e0) {
    throw new Error(`slice: range ${start}..${end} is invalid for dim ${dim} of size ${n} (x ${shapeStr(x.shape)})`);
  }
  const A = shapeSize(x.shape.slice(0, dd));
  const C = shapeSize(x.shape.slice(dd + 1));
  const w = e0 - s0;
  const outShape = [...x.shape];
  outShape[dd] = w;
  const od = new Float32Array(A * w * C); // [A, w, C]
  const xd = x.data;
  for (let a = 0; a < A; a++) od.set(xd.subarray((a * n + s0) * C, (a * n + e0) * C), a * w * C);
  const out = new Tensor(od, outShape);
  return record(out, [x], 'slice', () => {
    const g = out.grad!;
    const gx = x.gradBuffer();
    for (let a = 0; a < A; a++) {
      const src = a * w * C;
      const dst = (a * n + s0) * C;
      for (let i = 0; i < w * C; i++) gx[dst + i]! += g[src + i]!;
    }
  });
}
