// crossEntropy(logits, targets, ignoreIndex = -100): mean softmax cross-entropy over the rows
// whose target is not ignoreIndex, like torch F.cross_entropy(reduction='mean').
// Shapes: logits [R,C]; targets Int32Array [R]; probs [R,C] (saved); out [] (scalar).
// If every row is ignored the loss is 0 and backward adds nothing (torch would give NaN).
// A target outside [0, C) that is not ignoreIndex throws, naming the row and value.
import { Tensor, record, shapeStr } from '../tensor.js';
import { kernels } from '../kernels/index.js';
import { checkInt32, checkTensor } from './check.js';

/** Index value meaning "no label here" in every label array (torch's ignore_index). */
export const IGNORE_INDEX = -100;

export function crossEntropy(logits: Tensor, targets: Int32Array, ignoreIndex = IGNORE_INDEX): Tensor {
  checkTensor('crossEntropy', 'logits', logits);
  if (logits.ndim !== 2) throw new Error(`crossEntropy: logits must be 2-D [R, C], got ${shapeStr(logits.shape)}`);
  const [R, C] = logits.shape as [number, number];
  checkInt32('crossEntropy', `targets (for logits ${shapeStr(logits.shape)})`, targets, R);
  const probs = new Float32Array(R * C); // [R,C]
  const { lossSum, count } = kernels().crossEntropyForward(logits.data, targets, R, C, ignoreIndex, probs);
  const out = new Tensor(new Float32Array([count > 0 ? lossSum / count : 0]), []);
  return record(out, [logits], 'crossEntropy', () => {
    if (count === 0) return;
    const g = out.grad![0]!;
    kernels().crossEntropyBackward(probs, targets, R, C, ignoreIndex, g / count, logits.gradBuffer());
  });
}
