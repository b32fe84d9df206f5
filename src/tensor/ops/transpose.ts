// transpose(x, dim0, dim1): swap two dims (negative dims count from the end), as a copy.
// Shapes: x viewed as [A, n0, M, n1, C] (A = dims before dim0, M = dims between, C = dims after
// dim1) → out [A, n1, M, n0, C]. Backward is the same swap applied to the gradient (added).
import { Tensor, record, shapeSize } from '../tensor.js';
import { checkTensor, normDim } from './check.js';

/** dst[a, j, m, i, c] (+)= src[a, i, m, j, c] for src viewed as [A, n0, M, n1, C]. */
function swapCopy(src: Float32Array, dst: Float32Array, A: number, n0: number, M: number, n1: number, C: number, accumulate: boolean): void {
  for (let a = 0; a < A; a++) {
    for (let i = 0; i < n0; i++) {
      for (let m = 0; m < M; m++) {
        for (let j = 0; j < n1; j++) {
          const s = (((a * n0 + i) * M + m) * n1 + j) * C;
          const d = (((a * n1 + j) * M + m) * n0 + i) * C;
          if (accumulate) for (let c = 0; c < C; c++) dst[d + c]! += src[s + c]!;
          else for (let c = 0; c < C; c++) dst[d + c] = src[s + c]!;
        }
      }
    }
  }
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  checkTensor('transpose', 'x', x);
  let d0 = normDim('transpose', dim0, x.ndim);
  let d1 = normDim('transpose', dim1, x.ndim);
  if (d0 > d1) [d0, d1] = [d1, d0];
  const s = x.shape;
  const A = shapeSize(s.slice(0, d0));
  const n0 = s[d0]!;
  const M = shapeSize(s.slice(d0 + 1, d1));
  const n1 = s[d1]!;
  const C = shapeSize(s.slice(d1 + 1));
  const outShape = [...s];
  outShape[d0] = n1;
  outShape[d1] = n0;
  const od = new Float32Array(x.size); // [A, n1, M, n0, C]
  if (d0 === d1) od.set(x.data);
  else swapCopy(x.data, od, A, n0, M, n1, C, false);
  const out = new Tensor(od, outShape);
  return record(out, [x], 'transpose', () => {
    const g = out.grad!;
    const gx = x.gradBuffer();
    if (d0 === d1) for (let i = 0; i < gx.length; i++) gx[i]! += g[i]!;
    else swapCopy(g, gx, A, n1, M, n0, C, true);
  });
}
