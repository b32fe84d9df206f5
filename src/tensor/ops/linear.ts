// linear(x, weight, bias): y = x @ weight^T + bias, PyTorch layout (weight [out, in]).
// Shapes: x [...L, in] (R = prod(L) rows); weight [out, in]; bias [out] | null; y [...L, out].
// One GEMM with transB (no transposed copy of the weight). Backward:
//   dW [out,in] += dy^T [out,R] @ x [R,in]  (TN);  dx [R,in] += dy [R,out] @ W [out,in]  (NN);
//   db [out] += column sums of dy (as ones [1,R] @ dy, a GEMM).
// Matmul precision (../precision.ts): under 'bf16' the forward, dW and dX GEMMs are gemmBf16
// (bf16-rounded inputs, fp32 sums), chosen at forward time; db stays fp32 (a sum of dy, no
// product to speed up).
import { Tensor, record, shapeSize, shapeStr, emptyF32 } from '../tensor.js';
import { kernels } from '../kernels/index.js';
import { checkTensor } from './check.js';
import { matmulPrecision } from '../precision.js';

export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkTensor('linear', 'x', x);
  checkTensor('linear', 'weight', weight);
  if (weight.ndim !== 2) throw new Error(`linear: weight must be 2-D [out, in], got ${shapeStr(weight.shape)}`);
  const [outF, inF] = weight.shape as [number, number];
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== inF) {
    throw new Error(`linear: x ${shapeStr(x.shape)} last dim must equal weight in-features (weight ${shapeStr(weight.shape)})`);
  }
  const b = bias ?? null;
  if (b !== null) {
    checkTensor('linear', 'bias', b);
    if (b.size !== outF || b.ndim !== 1) {
      throw new Error(`linear: bias must be [${outF}] for weight ${shapeStr(weight.shape)}, got ${shapeStr(b.shape)}`);
    }
  }
  const R = shapeSize(x.shape.slice(0, -1));
  const yd = emptyF32(R * outF); // [R,out], every element written below
  if (b !== null) for (let r = 0; r < R; r++) yd.set(b.data, r * outF);
  const bf16 = matmulPrecision() === 'bf16';
  const k0 = kernels();
  (bf16 ? k0.gemmBf16 : k0.gemm)(false, true, R, outF, inF, 1, x.data, inF, weight.data, inF, b !== null ? 1 : 0, yd, outF);
  const out = new Tensor(yd, [...x.shape.slice(0, -1), outF]);

  return record(out, b !== null ? [x, weight, b] : [x, weight], 'linear', () => {
    const g = out.grad!; // [R,out]
    const k = kernels();
    const mm = bf16 ? k.gemmBf16 : k.gemm;
    // a gradient the tensor does not have yet is written (beta 0), not zeroed and then added to
    if (weight.requiresGrad) {
      const w = weight.gradSlot();
      mm(true, false, outF, inF, R, 1, g, outF, x.data, inF, w.fresh ? 0 : 1, w.grad, inF);
    }
    if (x.requiresGrad) {
      const gx = x.gradSlot();
      mm(false, false, R, inF, outF, 1, g, outF, weight.data, inF, gx.fresh ? 0 : 1, gx.grad, inF);
    }
    // db [1,out] += ones [1,R] @ dy [R,out]: a GEMM (M = 1) instead of a JS loop over R*out.
    if (b !== null && b.requiresGrad) {
      const gb = b.gradSlot();
      k.gemm(false, false, 1, outF, R, 1, onesOf(R), R, g, outF, gb.fresh ? 0 : 1, gb.grad, outF);
    }
  });
}

let ones = new Float32Array(0);
/** A shared all-ones vector of at least n elements (read-only by contract: only ever a GEMM input). */
function onesOf(n: number): Float32Array {
  if (ones.length < n) ones = new Float32Array(n).fill(1);
  return ones;
}
