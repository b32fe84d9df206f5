// matmul(a, b, {transA, transB}): op(a) @ op(b), op = stored-transposed when the flag is set.
// Shapes (2-D):  op(a) [M,K] @ op(b) [K,N] → [M,N]; a stored [M,K] or [K,M] (transA), b [K,N] or [N,K] (transB).
// Shapes (3-D):  per batch Bt, same as above: [Bt,M,K] @ [Bt,K,N] → [Bt,M,N]. No broadcasting of
// the batch dim (reshape to 2-D instead). Transposes are GEMM flags, never copies.
//
// Backward, with C = op(A) op(B) (all accumulate with beta = 1):
//   d op(A) = dC op(B)^T   and   d op(B) = op(A)^T dC, then mapped back to the stored layout.
import { Tensor, record, shapeStr } from '../tensor.js';
import { kernels } from '../kernels/index.js';
import { checkTensor } from './check.js';

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  checkTensor('matmul', 'a', a);
  checkTensor('matmul', 'b', b);
  const tA = opts.transA === true;
  const tB = opts.transB === true;
  const desc = () => `a ${shapeStr(a.shape)}${tA ? '^T' : ''} @ b ${shapeStr(b.shape)}${tB ? '^T' : ''}`;
  if (a.ndim !== b.ndim || (a.ndim !== 2 && a.ndim !== 3)) {
    throw new Error(`matmul: expects two 2-D or two 3-D tensors, got ${desc()}`);
  }
  const batched = a.ndim === 3;
  const o = batched ? 1 : 0;
  const Bt = batched ? a.shape[0]! : 1;
  if (batched && b.shape[0] !== Bt) throw new Error(`matmul: batch sizes differ: ${desc()}`);
  const M = tA ? a.shape[o + 1]! : a.shape[o]!;
  const K = tA ? a.shape[o]! : a.shape[o + 1]!;
  const Kb = tB ? b.shape[o + 1]! : b.shape[o]!;
  const N = tB ? b.shape[o]! : b.shape[o + 1]!;
  if (K !== Kb) throw new Error(`matmul: inner dims differ: ${desc()}`);

  const lda = a.shape[o + 1]!; // row stride of a as stored
  const ldb = b.shape[o + 1]!;
  const sA = M * K;
  const sB = K * N;
  const sC = M * N;
  const od = new Float32Array(Bt * sC); // [Bt?,M,N]
  const kr = kernels();
  kr.gemmBatched(Bt, tA, tB, M, N, K, 1, a.data, lda, sA, b.data, ldb, sB, 0, od, N, sC);
  const out = new Tensor(od, batched ? [Bt, M, N] : [M, N]);

  return record(out, [a, b], 'matmul', () => {
    const g = out.grad!; // [Bt?,M,N]
    const k = kernels();
    if (a.requiresGrad) {
      const ga = a.gradBuffer();
      if (!tA) {
        // dA [M,K] += dC [M,N] @ op(B)^T
        k.gemmBatched(Bt, false, !tB, M, K, N, 1, g, N, sC, b.data, ldb, sB, 1, ga, K, sA);
      } else {
        // A stored [K,M]: dA [K,M] += op(B) [K,N] @ dC^T
        k.gemmBatched(Bt, tB, true, K, M, N, 1, b.data, ldb, sB, g, N, sC, 1, ga, M, sA);
      }
    }
    if (b.requiresGrad) {
      const gb = b.gradBuffer();
      if (!tB) {
        // dB [K,N] += op(A)^T [K,M] @ dC [M,N]
        k.gemmBatched(Bt, !tA, false, K, N, M, 1, a.data, lda, sA, g, N, sC, 1, gb, N, sB);
      } else {
        // B stored [N,K]: dB [N,K] += dC^T [N,M] @ op(A) [M,K]
        k.gemmBatched(Bt, true, tA, N, K, M, 1, g, N, sC, a.data, lda, sA, 1, gb, K, sB);
      }
    }
  });
}
