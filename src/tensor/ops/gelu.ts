// gelu(x): exact GELU, x * 0.5 * (1 + erf(x / sqrt(2))) — HF's "gelu" activation (BERT).
// Shapes: x [...S] → out [...S]. Forward and backward run the fused kernels.
import { Tensor, record, emptyF32 } from '../tensor.js';
import { kernels } from '../kernels/index.js';
import { checkTensor } from './check.js';

export function gelu(x: Tensor): Tensor {
  checkTensor('gelu', 'x', x);
  const od = emptyF32(x.size); // [...S], written by the kernel
  kernels().geluForward(x.data, od);
  const out = new Tensor(od, x.shape);
  return record(out, [x], 'gelu', () => {
    kernels().geluBackward(x.data, out.grad!, x.gradBuffer());
  });
}
