// bf16 (bfloat16: fp32's sign and 8 exponent bits, 7 mantissa bits) rounding and the reference
// bf16 GEMM: every element of op(A) and op(B) rounded fp32 -> bf16, round to nearest even
// (PyTorch's `.to(torch.bfloat16)`, x86 vcvtne2ps2bf16), NaN kept a quiet NaN, overflow to
// ±inf; then an fp32 GEMM on those values. The native AVX512-BF16 kernel computes the same
// thing in another summation order. The js and wasm tables use `emulatedGemmBf16` with their own
// fp32 GEMM (no bf16 arithmetic in js or wasm SIMD): same definition, no speed-up.
//
// Shape legend as in types.ts: M,N,K GEMM dims.
import * as check from './checks.js';
import type { Kernels } from './types.js';

const f1 = new Float32Array(1);
const u1 = new Uint32Array(f1.buffer);

/** The 32-bit pattern of x rounded to bf16 (the low 16 bits are zero). */
function roundBits(v: number): number {
  // NaN: keep the payload's top bits and force quiet; else add half an ulp of bf16, ties to even
  return (v & 0x7fffffff) > 0x7f800000 ? (v | 0x400000) & 0xffff0000 : (v + 0x7fff + ((v >>> 16) & 1)) & 0xffff0000;
}

/** x rounded to the nearest bf16 value (ties to even), as a number. */
export function roundBf16(x: number): number {
  f1[0] = x;
  u1[0] = roundBits(u1[0]!);
  return f1[0];
}

/** The 16-bit bf16 encoding of x (round to nearest even). */
export function bf16Bits(x: number): number {
  f1[0] = x;
  return roundBits(u1[0]!) >>> 16;
}

/** A new array holding src[0, n) rounded to bf16 (fp32 values that bf16 represents exactly). */
export function roundBf16Array(src: Float32Array, n: number = src.length): Float32Array {
  const out = new Float32Array(n);
  const s = new Uint32Array(src.buffer, src.byteOffset, n);
  const o = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) o[i] = roundBits(s[i]!);
  return out;
}

/**
 * gemmBf16 on a table without bf16 arithmetic: the native kernel's checks and messages (types,
 * dims, lengths, C overlapping an input), then `gemm` on bf16-rounded copies of A's and B's spans.
 */
export function emulatedGemmBf16(gemm: Kernels['gemm'], ...args: Parameters<Kernels['gemmBf16']>): void {
  const [transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc] = args;
  {
    const k = 'gemmBf16';
    check.need(k, 'A', A, 0);
    check.need(k, 'B', B, 0);
    check.need(k, 'C', C, 0);
    check.dims(k, { M, N, K, lda, ldb, ldc });
    const { aEnd, bEnd, cEnd } = check.gemm(k, 1, transA, transB, M, N, K, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0);
    check.noOverlap(k, C, 'C', cEnd, A, 'A', aEnd);
    check.noOverlap(k, C, 'C', cEnd, B, 'B', bEnd);
    if (M === 0 || N === 0) return;
    gemm(transA, transB, M, N, K, alpha, roundBf16Array(A, aEnd), lda, roundBf16Array(B, bEnd), ldb, beta, C, ldc);
  }
}
