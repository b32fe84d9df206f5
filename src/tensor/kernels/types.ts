// The kernel table: every hot loop of the tensor core, implemented three times —
// `js` (plain TypeScript reference, always available), `native` (C++ addon, BLAS GEMM) and
// `wasm` (WebAssembly SIMD for the hot kernels, the rest delegated to js; used when the addon
// does not load).
// Ops in src/tensor/ops call `kernels()` and never care which one runs.
//
// Rules: kernels never allocate the arrays they write; callers pass
// dense Float32Array / Int32Array buffers (subarray views are fine). Arguments named
// `...Add` / documented "accumulates" ADD into the destination (backward passes).
//
// Shape legend: M,N,K GEMM dims; R rows; C columns (classes / hidden); B batch; T tokens;
// nH heads; d head size (H = nH*d).

export interface Kernels {
  readonly name: 'native' | 'wasm' | 'js';
  /** Human-readable description, e.g. "native (OpenBLAS, 2 threads)". */
  readonly description: string;

  /**
   * Row-major GEMM: C[M,N] = alpha * op(A) @ op(B) + beta * C.
   * op(A) is [M,K]: A stored [M,K] with row stride lda (transA=false) or [K,M] (transA=true).
   * op(B) is [K,N]: B stored [K,N] with row stride ldb (transB=false) or [N,K] (transB=true).
   * beta=0 must ignore C's old contents (even NaN).
   */
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array, lda: number, B: Float32Array, ldb: number, beta: number, C: Float32Array, ldc: number): void;

  /**
   * bf16 GEMM, same arguments and C semantics as `gemm`: every element of op(A) and op(B) is
   * first rounded to bfloat16 (round to nearest even, as PyTorch), products and sums in fp32.
   * Native: an AVX512-BF16 (vdpbf16ps) kernel where CPUID has it; elsewhere, and on the wasm and
   * js tables, the emulation (bf16-rounded copies, then the fp32 GEMM). Same definition
   * everywhere; only the summation order (and, in vdpbf16ps, denormal flushing) differs.
   */
  gemmBf16(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: Float32Array,
    lda: number,
    B: Float32Array,
    ldb: number,
    beta: number,
    C: Float32Array,
    ldc: number,
  ): void;

  /**
   * out[i] = a[i] + b[i] for i < out.length (a, b at least that long; out may be a or b: in-place
   * accumulation). The residual adds and gradient sums of the tensor ops.
   */
  add(a: Float32Array, b: Float32Array, out: Float32Array): void;

  /** `batch` independent GEMMs; matrix i starts at offset i*strideX in each buffer. */
  gemmBatched(
    batch: number,
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: Float32Array,
    lda: number,
    strideA: number,
    B: Float32Array,
    ldb: number,
    strideB: number,
    beta: number,
    C: Float32Array,
    ldc: number,
    strideC: number,
  ): void;

  /**
   * LayerNorm over the last dim. x,out: [R,C]; gamma,beta: [C]; mean,rstd: [R] (written, saved for backward).
   * out = (x - mean) * rstd * gamma + beta, rstd = 1/sqrt(var + eps), biased variance (as PyTorch).
   */
  layerNormForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, R: number, C: number, eps: number, out: Float32Array, mean: Float32Array, rstd: Float32Array): void;
  /** Accumulates dx [R,C], dgamma [C], dbeta [C] (any of them may be null = not needed). */
  layerNormBackward(
    dout: Float32Array,
    x: Float32Array,
    gamma: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    R: number,
    C: number,
    dx: Float32Array | null,
    dgamma: Float32Array | null,
    dbeta: Float32Array | null,
  ): void;

  /** Exact GELU (erf form, HF "gelu"): out[i] = x * 0.5 * (1 + erf(x / sqrt(2))). n = x.length. */
  geluForward(x: Float32Array, out: Float32Array): void;
  /** Accumulates dx += dout * gelu'(x). */
  geluBackward(x: Float32Array, dout: Float32Array, dx: Float32Array): void;

  /** Row softmax: x,out [R,C]. Numerically stable (max-subtracted). */
  softmaxForward(x: Float32Array, R: number, C: number, out: Float32Array): void;
  /** Accumulates dx += y * (dy - sum(dy*y)) per row, y = softmax output. */
  softmaxBackward(y: Float32Array, dy: Float32Array, R: number, C: number, dx: Float32Array): void;

  /**
   * Scaled dot-product self-attention reading the projections in [B,T,H] layout directly
   * (head h occupies columns h*d..(h+1)*d), no permute copies.
   *   q,k,v: [B,T,H]; keyMask: [B,T] 1 = attend, 0 = padding (masked keys get probability 0,
   *   exactly like HF's additive finfo.min mask); scale usually 1/sqrt(d).
   *   probs: [B,nH,T,T] written (softmax output, before dropout) — saved for backward.
   *   dropMask: null, or [B,nH,T,T] multipliers (0 or 1/(1-p)) applied to probs before @V.
   *   out: [B,T,H] written (context layer, heads concatenated like HF).
   */
  attentionForward(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    keyMask: Float32Array | null,
    B: number,
    T: number,
    nH: number,
    d: number,
    scale: number,
    dropMask: Float32Array | null,
    probs: Float32Array,
    out: Float32Array,
  ): void;
  /** Accumulates dq, dk, dv [B,T,H] from dout [B,T,H] using the saved probs (and dropMask). */
  attentionBackward(
    dout: Float32Array,
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    probs: Float32Array,
    dropMask: Float32Array | null,
    B: number,
    T: number,
    nH: number,
    d: number,
    scale: number,
    dq: Float32Array,
    dk: Float32Array,
    dv: Float32Array,
  ): void;

  /**
   * Softmax cross-entropy. logits: [R,C]; targets: [R] class ids, rows equal to ignoreIndex skipped.
   * probs: [R,C] written (softmax, saved for backward; ignored rows may hold anything).
   * Returns the SUM of the per-row losses and the count of non-ignored rows; the op divides.
   * A target outside [0,C) that is not ignoreIndex throws, naming the row and the value.
   */
  crossEntropyForward(logits: Float32Array, targets: Int32Array, R: number, C: number, ignoreIndex: number, probs: Float32Array): { lossSum: number; count: number };
  /** Accumulates dlogits += scale * (probs - onehot(target)) on non-ignored rows. */
  crossEntropyBackward(probs: Float32Array, targets: Int32Array, R: number, C: number, ignoreIndex: number, scale: number, dlogits: Float32Array): void;

  /** Gather rows: out[i,:] = weight[ids[i],:]. weight [V,C], ids [N], out [N,C]. Out-of-range id throws. */
  embeddingForward(weight: Float32Array, ids: Int32Array, V: number, C: number, out: Float32Array): void;
  /** Scatter-add rows: dweight[ids[i],:] += dout[i,:]. */
  embeddingBackward(dout: Float32Array, ids: Int32Array, V: number, C: number, dweight: Float32Array): void;

  /**
   * One decoupled-weight-decay Adam step in place (torch.optim.AdamW semantics):
   *   p -= lr*wd*p; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
   *   p -= lr * (m / (1-b1^step)) / (sqrt(v / (1-b2^step)) + eps)
   * `step` is 1-based. param, grad, m, v: same length.
   */
  adamwUpdate(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number): void;

  /** Sum of squares over several buffers, accumulated in float64 (for the global grad norm). */
  sumSquares(buffers: readonly Float32Array[]): number;
  /** x *= s in place (gradient clipping). */
  scaleInPlace(x: Float32Array, s: number): void;

  /**
   * Inverted-dropout mask from one 32-bit seed (integer in [0, 2^32)): out[i] = 0 when
   * h(seed, i) / 2^32 < p, else fround(1/(1-p)) (0 when p = 1), with h the murmur3 fmix32 of
   * seed + (i+1)*0x9e3779b9 (mod 2^32). Counter-based, so both backends give identical masks.
   */
  dropoutMask(out: Float32Array, p: number, seed: number): void;

  /**
   * x times the mask `dropoutMask(·, p, seed)` would write, without materialising it:
   * out[i] = x[i]·mask[i] (accumulate false) or out[i] += x[i]·mask[i] (accumulate true: the
   * backward pass regenerates the forward's mask from the seed). x, out: [n], may be the same
   * array. Product and sum in float64, rounded to float32 once (identical bits on every backend).
   */
  dropoutApply(x: Float32Array, out: Float32Array, p: number, seed: number, accumulate: boolean): void;
}
