// Bit-exact conversions between float32 and the 16-bit (and 8-bit) float formats that
// safetensors files carry. Decoding is exact (every F16/BF16/F8 value is a float32 value);
// encoding rounds to nearest, ties to even, and treats NaN/overflow exactly like PyTorch's
// CPU tensor conversions, so a tensor saved here in F16/BF16 has the same bits
// `torch_tensor.half()` / `.bfloat16()` give (checked against torch on 8000+ values in
// test/io/safetensors.test.ts).
//
// Layouts (sign | exponent | mantissa):
//   F32   1 | 8 (bias 127) | 23
//   F16   1 | 5 (bias 15)  | 10     subnormals: mant * 2^-24; exp 31 = inf/NaN
//   BF16  1 | 8 (bias 127) | 7      = the upper half of an F32
//   F8_E5M2   1 | 5 | 2             = the upper byte of an F16
//   F8_E4M3fn 1 | 4 (bias 7) | 3    no infinities; S.1111.111 is NaN; subnormals mant * 2^-9

let f16Table: Uint32Array | null = null;

/** F16 bit pattern -> F32 bit pattern, exact. NaN payloads are kept and signalling NaNs are
 * quieted, which is what torch's `.float()` (the x86 F16C conversion) returns. */
export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant !== 0 ? 0x400000 : 0) | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // Subnormal: normalise. value = mant * 2^-24; shift the leading 1 up to bit 10.
  let e = 113; // exponent field (biased for F32) of 2^-14, the subnormal range's scale
  let m = mant;
  while ((m & 0x400) === 0) {
    m <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((m & 0x3ff) << 13)) >>> 0;
}

/** 65536-entry F16 -> F32 bit table (256 KiB), built on first use. */
export function f16Table32(): Uint32Array {
  if (f16Table === null) {
    const t = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) t[h] = f16BitsToF32Bits(h);
    f16Table = t;
  }
  return f16Table;
}

/** Decode `src` F16 bit patterns into `out` starting at `outOffset` (exact). */
export function decodeF16(src: Uint16Array, out: Float32Array, outOffset = 0): void {
  const t = f16Table32();
  const o = new Uint32Array(out.buffer, out.byteOffset + outOffset * 4, src.length);
  for (let i = 0; i < src.length; i++) o[i] = t[src[i]!]!;
}

/** Decode `src` BF16 bit patterns into `out` starting at `outOffset` (exact: a shift). */
export function decodeBF16(src: Uint16Array, out: Float32Array, outOffset = 0): void {
  const o = new Uint32Array(out.buffer, out.byteOffset + outOffset * 4, src.length);
  for (let i = 0; i < src.length; i++) o[i] = src[i]! << 16;
}

/** F32 bit pattern -> F16 bit pattern, round to nearest even; overflow -> inf; NaN -> sign|0x7E00
 * (c10::detail::fp16_ieee_from_fp32_value returns the canonical quiet NaN with the sign kept). */
export function f32BitsToF16Bits(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 0xff) return mant !== 0 ? sign | 0x7e00 : sign | 0x7c00;
  const e = exp - 112; // F16 biased exponent
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Below 2^-25 everything rounds to (signed) zero; 2^-25 itself is a tie that goes to even (0).
    if (e < -10) return sign;
    const m = mant | 0x800000; // 24-bit significand
    const shift = 14 - e; // 14..24
    let half = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) !== 0)) half++; // may carry into the smallest normal: still correct
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) !== 0)) half++; // a carry out of the mantissa bumps the exponent, up to inf
  return sign | half;
}

/** F32 bit pattern -> BF16 bit pattern, round to nearest even; every NaN -> 0xFFFF, which is
 * what torch's tensor conversion `.bfloat16()` produces on CPU (its vectorised kernel; the
 * scalar c10 constructor would give 0x7FC0 — both are NaN). */
export function f32BitsToBF16Bits(u: number): number {
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) return 0xffff;
  return ((u >>> 0) + 0x7fff + ((u >>> 16) & 1)) >>> 16;
}

/** Encode float32 values as F16 bit patterns. */
export function encodeF16(src: Float32Array, out: Uint16Array): void {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < u.length; i++) out[i] = f32BitsToF16Bits(u[i]!);
}

/** Encode float32 values as BF16 bit patterns. */
export function encodeBF16(src: Float32Array, out: Uint16Array): void {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < u.length; i++) out[i] = f32BitsToBF16Bits(u[i]!);
}

let e4m3Table: Float32Array | null = null;

/** F8_E4M3 (the "fn" variant PyTorch calls float8_e4m3fn) byte -> float32, exact. */
export function f8e4m3Table(): Float32Array {
  if (e4m3Table === null) {
    const t = new Float32Array(256);
    for (let b = 0; b < 256; b++) {
      const s = b & 0x80 ? -1 : 1;
      const exp = (b >>> 3) & 0xf;
      const mant = b & 0x7;
      if (exp === 0xf && mant === 0x7) t[b] = NaN;
      else if (exp === 0) t[b] = s * mant * 2 ** -9;
      else t[b] = s * (1 + mant / 8) * 2 ** (exp - 7);
    }
    e4m3Table = t;
  }
  return e4m3Table;
}
