// adaptext tensor core: Tensor + autograd tape, the seeded Rng, the kernel table and every op.
// Contract: each op file's header states its shapes, forward and backward (the op docs live there).
//
// Conventions shared by all ops
// - Float32 data only (`Tensor.data` is a dense Float32Array); integer inputs (token ids,
//   labels, row indices) are Int32Array; masks are Float32Array (1 keep, 0 pad). Passing any
//   other array type (e.g. Float64Array) throws a TypeError naming the op and argument.
// - Shapes are validated up front; errors name the op and the shapes, e.g.
//   `matmul: inner dims differ: a [2, 3] @ b [4, 5]`.
// - Every op returns a fresh tensor (reshape and gradientReversal share their input's data);
//   nothing writes into its inputs. Backward closures ADD into parents' grads, so gradients
//   accumulate across several backward() calls until the caller zeroes them.
// - Scalars produced by sum/mean/crossEntropy have shape [] (0-d, one element).
// - Broadcasting in add/sub/mul/div: b has a's shape, a suffix of it ([B,T,H] + [H]), or is a
//   scalar [1]/[]. The output has a's shape.
//
// NaN / Infinity: documented behaviour is IEEE propagation, never a throw. A NaN in an input
// gives NaN in every output element that depends on it (and in the gradients that flow
// through it); ops do not scan for NaN because that would cost a pass over every buffer.
// Exceptions by design: keys masked out in attention and padded tokens in meanPool contribute
// exactly nothing (as if absent), and rows ignored by crossEntropy are never read. Detect
// divergence at the training-loop level (e.g. a non-finite loss or grad norm).
export { Tensor, noGrad, inferenceMode, scratchStep, isGradEnabled, record, shapeSize, shapeStr, type Shape, type BackwardFn } from './tensor.js';
export { Rng } from './rng.js';
export { withScratch, scratchPoolBytes } from './scratch.js';
export { kernels, setBackend, nativeKernels, wasmKernels, backendInfo, backendLine, type Kernels, type BackendInfo } from './kernels/index.js';
export { jsKernels } from './kernels/js.js';
export { matmulPrecision, setMatmulPrecision, withMatmulPrecision, MATMUL_PRECISIONS, type MatmulPrecision } from './precision.js';
export { roundBf16, roundBf16Array } from './kernels/bf16.js';

export { matmul, type MatmulOptions } from './ops/matmul.js';
export { linear } from './ops/linear.js';
export { add } from './ops/add.js';
export { sub } from './ops/sub.js';
export { mul } from './ops/mul.js';
export { div } from './ops/div.js';
export { scale } from './ops/scale.js';
export { addScalar } from './ops/add-scalar.js';
export { gelu } from './ops/gelu.js';
export { tanh } from './ops/tanh.js';
export { relu } from './ops/relu.js';
export { sigmoid } from './ops/sigmoid.js';
export { layerNorm } from './ops/layer-norm.js';
export { softmax } from './ops/softmax.js';
export { attention, type AttentionOptions } from './ops/attention.js';
export { dropout } from './ops/dropout.js';
export { embedding } from './ops/embedding.js';
export { IGNORE_INDEX, crossEntropy } from './ops/cross-entropy.js';
export { gradientReversal } from './ops/gradient-reversal.js';
export { reshape } from './ops/reshape.js';
export { transpose } from './ops/transpose.js';
export { slice } from './ops/slice.js';
export { concat } from './ops/concat.js';
export { gatherRows } from './ops/gather-rows.js';
export { firstNonFinite } from './ops/check.js';
export { sum } from './ops/sum.js';
export { mean } from './ops/mean.js';
export { meanPool } from './ops/mean-pool.js';
