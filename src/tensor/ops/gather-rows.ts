// gatherRows(x, rows): pick rows of a matrix (e.g. the masked positions for the MLM head,
// or the CLS rows). Shapes: x [R,C]; rows Int32Array [n] (repeats allowed); out [n,C].
// Backward scatter-adds each output row back into its source row.
import { Tensor, record, shapeStr } from '../tensor.js';
import { kernels } from '../kernels/index.js';
import { checkInt32, checkTensor } from './check.js';

export function gatherRows(x: Tensor, rows: Int32Array): Tensor {
  checkTensor('gatherRows', 'x', x);
  if (x.ndim !== 2) throw new Error(`gatherRows: x must be 2-D [R, C], got ${shapeStr(x.shape)}`);
  checkInt32('gatherRows', 'rows', rows);
  const [R, C] = x.shape as [number, number];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r < 0 || r >= R) throw new Error(`gatherRows: rows[${i}] = ${r} is outside [0, ${R}) for x ${shapeStr(x.shape)}`);
  }
  const od = new Float32Array(rows.length * C); // [n,C]
  kernels().embeddingForward(x.data, rows, R, C, od);
  const out = new Tensor(od, [rows.length, C]);
  return record(out, [x], 'gatherRows', () => {
    kernels().embeddingBackward(out.grad!, rows, R, C, x.gradBuffer());
  });
}
