// reshape(x, shape): same elements, new shape; one dim may be -1 (inferred).
// Shapes: x [...S] → out [...shape] with the same element count. The output shares x's data
// (row-major order is unchanged); backward passes the gradient straight through (takeGradOf: no copy when x has none yet).
import { Tensor, record, shapeSize, shapeStr } from '../tensor.js';
import { checkTensor } from './check.js';

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('reshape', 'x', x);
  if (!Array.isArray(shape)) throw new TypeError(`reshape: shape must be an array of dims, got ${typeof shape}`);
  const dims = [...shape];
  const infer = dims.indexOf(-1);
  if (infer !== dims.lastIndexOf(-1)) throw new Error(`reshape: at most one -1 allowed, got ${shapeStr(shape)}`);
  for (const d of dims) {
    if (!Number.isInteger(d) || d < -1) throw new Error(`reshape: invalid target shape ${shapeStr(shape)}`);
  }
  if (infer >= 0) {
    const known = shapeSize(dims.filter((_, i) => i !== infer));
    if (known === 0 || x.size % known !== 0) {
      throw new Error(`reshape: cannot infer -1 in ${shapeStr(shape)} for x ${shapeStr(x.shape)} (${x.size} elements)`);
    }
    dims[infer] = x.size / known;
  }
  if (shapeSize(dims) !== x.size) {
    throw new Error(`reshape: x ${shapeStr(x.shape)} has ${x.size} elements, target ${shapeStr(shape)} has ${shapeSize(dims)}`);
  }
  const out = new Tensor(x.data, dims);
  return record(out, [x], 'reshape', () => x.takeGradOf(out));
}
