// embedding(weight, ids, idsShape): row lookup, weight[ids] (nn.Embedding).
// Shapes: weight [V,C]; ids Int32Array with shape idsShape (N = prod(idsShape)); out [...idsShape, C].
// Backward scatter-adds rows into dweight (repeated ids accumulate). Out-of-range ids throw.
import { Tensor, record, shapeSize, shapeStr } from '../tensor.js';
import { kernels } from '../kernels/index.js';
import { checkInt32, checkTensor } from './check.js';

export function embedding(weight: Tensor, ids: Int32Array, idsShape: readonly number[]): Tensor {
  checkTensor('embedding', 'weight', weight);
  if (weight.ndim !== 2) throw new Error(`embedding: weight must be 2-D [V, C], got ${shapeStr(weight.shape)}`);
  if (!Array.isArray(idsShape)) throw new TypeError(`embedding: idsShape must be an array of dims, got ${typeof idsShape}`);
  checkInt32('embedding', `ids (shape ${shapeStr(idsShape)})`, ids, shapeSize(idsShape));
  const [V, C] = weight.shape as [number, number];
  const od = new Float32Array(ids.length * C); // [N,C]
  kernels().embeddingForward(weight.data, ids, V, C, od);
  const out = new Tensor(od, [...idsShape, C]);
  return record(out, [weight], 'embedding', () => {
    kernels().embeddingBackward(out.grad!, ids, V, C, weight.gradBuffer());
  });
}
