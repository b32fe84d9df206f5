// Matmul precision: which GEMM `linear` runs (forward, and the dX / dW GEMMs of its backward).
//   fp32: kernels().gemm.
//   bf16: kernels().gemmBf16 — inputs rounded to bfloat16, products summed in fp32 (the
//         AVX512-BF16 kernel where the CPU has it, an emulation elsewhere: kernels/bf16.ts).
// Mixed precision as in PyTorch's CPU autocast: parameters, gradients and optimizer state stay
// fp32 (the master weights; the kernel rounds a weight while packing it, so no bf16 copy is
// kept), and LayerNorm, softmax, attention, GELU and the losses run in fp32.
// A process-wide setting, scoped with `withMatmulPrecision` (the training pipeline and predict
// set it from the config / --precision); a linear op records the precision its forward used, so
// its backward uses the same one even if the setting changed in between.
export const MATMUL_PRECISIONS = ['fp32', 'bf16'] as const;
export type MatmulPrecision = (typeof MATMUL_PRECISIONS)[number];

let current: MatmulPrecision = 'fp32';

export function matmulPrecision(): MatmulPrecision {
  return current;
}

/** Sets the precision; returns the previous one. Anything but 'fp32' | 'bf16' throws, naming it. */
export function setMatmulPrecision(p: MatmulPrecision): MatmulPrecision {
  if (!(MATMUL_PRECISIONS as readonly string[]).includes(p)) throw new TypeError(`setMatmulPrecision: precision must be 'fp32' or 'bf16', got ${JSON.stringify(p)}`);
  const prev = current;
  current = p;
  return prev;
}

/**
 * Runs fn with the precision set, then restores the previous one — after the promise settles
 * when fn is async (one run at a time: the setting is process-wide).
 */
export function withMatmulPrecision<T>(p: MatmulPrecision, fn: () => T): T {
  const prev = setMatmulPrecision(p);
  let async = false;
  try {
    const r = fn();
    if (r instanceof Promise) {
      async = true;
      return r.finally(() => setMatmulPrecision(prev)) as T;
    }
    return r;
  } finally {
    if (!async) setMatmulPrecision(prev);
  }
}
