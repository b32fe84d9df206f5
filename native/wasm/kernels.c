// WebAssembly SIMD kernels: the hot entries of the kernel table (src/tensor/kernels/types.ts)
// for machines where the native addon does not load. Freestanding C (no libc), built by
// scripts/build-wasm.mjs with clang's wasm32 target: -msimd128 (f32x4, no relaxed-simd, no
// FMA) and -mbulk-memory (memset/memcpy become memory.fill/memory.copy).
//
// src/tensor/kernels/wasm.ts copies the caller's typed arrays into this module's memory
// (a bump arena above __heap_base, reset per call), validates every argument before calling
// in, and copies outputs back. Pointers here are byte offsets into that memory; a null
// pointer (0) means "not needed" where types.ts allows null. Single-threaded.
//
// Numerics follow the native kernels (native/src/*.cc), so both are held to the same
// tolerances against the TypeScript reference: exp is the Cephes expf polynomial of
// native/src/vmath.h, the normal CDF is A&S 7.1.26 (PyTorch's vectorised erf), reductions
// run in float lanes combined in float64 (LayerNorm statistics in float64), AdamW is
// torch's single-tensor float32 arithmetic. NaN propagates as there (kernels.h).
//
// Shape legend: M,N,K GEMM dims; R rows; C columns; B batch; T tokens; nH heads; d head size
// (H = nH*d).
#include <stddef.h>
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

extern unsigned char __heap_base;

// First free byte above the static data (the packing buffers); the JS arena starts here.
EXPORT(heap_base) uint32_t heap_base(void) { return (uint32_t)(uintptr_t)&__heap_base; }

static inline size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

// ---- GEMM ------------------------------------------------------------------------------
// Packed, register-blocked (BLIS scheme, as native/src/gemm_builtin.cc): for each NC-wide
// column block and KC-deep slice, B is packed into NR-wide panels, for each MC-high row block
// A into MR-high panels, and an MR x NR micro-kernel of f32x4 accumulators streams both.
// MR x NR = 4 x 8: 8 accumulators + 2 B vectors + 1 broadcast fit V8's 16 xmm registers on
// x86-64 with room to spare. Measured at 1024x768x768 (AMD EPYC, Node 20, shared machine,
// GFLOP/s NT/NN/TN): 4x8 34/35/33 (up to 51 when quiet), 2x16 35/34/33, 3x16 29-37,
// 4x16 31/32/25, 4x12 28, 8x8 22, 6x8 21 — the larger tiles spill accumulators.
#ifndef GEMM_MR
#define GEMM_MR 4
#endif
#ifndef GEMM_NR
#define GEMM_NR 8
#endif
#define MR GEMM_MR
#define NR GEMM_NR
#define NV (NR / 4)
#define KC 256
#define MC 96     // multiple of MR; A block MC*KC*4 = 96 KiB (L2)
#define NC 2048   // multiple of NR; B block KC*NC*4 = 2 MiB (L2/L3)

static float pack_a_buf[MC * KC] __attribute__((aligned(16)));
static float pack_b_buf[KC * NC] __attribute__((aligned(16)));

// Tile of alpha*acc into C, honouring beta = 0 (C never read) and partial edges.
static void store_edge(const float* acc, float* C, size_t ldc, float beta, size_t mr, size_t nr) {
  for (size_t r = 0; r < mr; ++r) {
    float* c = C + r * ldc;
    if (beta == 0.0f) {
      for (size_t j = 0; j < nr; ++j) c[j] = acc[r * NR + j];
    } else {
      for (size_t j = 0; j < nr; ++j) c[j] = acc[r * NR + j] + beta * c[j];
    }
  }
}

static void ukr(size_t kc, const float* a, const float* b, float* C, size_t ldc, float alpha,
                float beta, size_t mr, size_t nr) {
  v128_t c[MR][NV];
#pragma clang loop unroll(full)
  for (int r = 0; r < MR; ++r)
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; ++v) c[r][v] = wasm_f32x4_splat(0.0f);
  for (size_t k = 0; k < kc; ++k) {
    v128_t bv[NV];
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; ++v) bv[v] = wasm_v128_load(b + 4 * v);
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; ++r) {
      const v128_t t = wasm_v128_load32_splat(a + r);
#pragma clang loop unroll(full)
      for (int v = 0; v < NV; ++v) c[r][v] = wasm_f32x4_add(c[r][v], wasm_f32x4_mul(t, bv[v]));
    }
    a += MR;
    b += NR;
  }
  const v128_t va = wasm_f32x4_splat(alpha);
  if (mr == MR && nr == NR) {
    const v128_t vb = wasm_f32x4_splat(beta);
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; ++r) {
      float* cr = C + r * ldc;
#pragma clang loop unroll(full)
      for (int v = 0; v < NV; ++v) {
        v128_t x = wasm_f32x4_mul(va, c[r][v]);
        // beta == 0: C is never read (NaN/garbage in the old C must not leak through).
        if (beta != 0.0f) x = wasm_f32x4_add(wasm_f32x4_mul(vb, wasm_v128_load(cr + 4 * v)), x);
        wasm_v128_store(cr + 4 * v, x);
      }
    }
    return;
  }
  float acc[MR * NR] __attribute__((aligned(16)));
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) wasm_v128_store(acc + r * NR + 4 * v, wasm_f32x4_mul(va, c[r][v]));
  store_edge(acc, C, ldc, beta, mr, nr);
}

// A rows [i0, i0+mc) x depth [k0, k0+kc) -> MR-row panels: dst[p*kc + k*MR + r], zero-padded.
static void pack_a(int ta, const float* A, size_t lda, size_t i0, size_t mc, size_t k0, size_t kc,
                   float* dst) {
  for (size_t p = 0; p < mc; p += MR) {
    const size_t mr = min_sz(MR, mc - p);
    float* d = dst + p * kc;
    if (!ta) {
      for (size_t r = 0; r < MR; ++r) {
        if (r < mr) {
          const float* s = A + (i0 + p + r) * lda + k0;
          for (size_t k = 0; k < kc; ++k) d[k * MR + r] = s[k];
        } else {
          for (size_t k = 0; k < kc; ++k) d[k * MR + r] = 0.0f;
        }
      }
    } else {
      for (size_t k = 0; k < kc; ++k) {
        const float* s = A + (k0 + k) * lda + i0 + p;
        size_t r = 0;
        for (; r < mr; ++r) d[k * MR + r] = s[r];
        for (; r < MR; ++r) d[k * MR + r] = 0.0f;
      }
    }
  }
}

// B depth [k0, k0+kc) x cols [j0, j0+nc) -> NR-col panels: dst[q*kc + k*NR + c], zero-padded.
static void pack_b(int tb, const float* B, size_t ldb, size_t k0, size_t kc, size_t j0, size_t nc,
                   float* dst) {
  for (size_t q = 0; q < nc; q += NR) {
    const size_t nr = min_sz(NR, nc - q);
    float* d = dst + q * kc;
    if (!tb) {
      for (size_t k = 0; k < kc; ++k) {
        const float* s = B + (k0 + k) * ldb + j0 + q;
        if (nr == NR) {
#pragma clang loop unroll(full)
          for (int v = 0; v < NV; ++v) wasm_v128_store(d + k * NR + 4 * v, wasm_v128_load(s + 4 * v));
        } else {
          size_t c = 0;
          for (; c < nr; ++c) d[k * NR + c] = s[c];
          for (; c < NR; ++c) d[k * NR + c] = 0.0f;
        }
      }
    } else {
      for (size_t c = 0; c < NR; ++c) {
        if (c < nr) {
          const float* s = B + (j0 + q + c) * ldb + k0;
          for (size_t k = 0; k < kc; ++k) d[k * NR + c] = s[k];
        } else {
          for (size_t k = 0; k < kc; ++k) d[k * NR + c] = 0.0f;
        }
      }
    }
  }
}

// Row-major C[M,N] = alpha * op(A) @ op(B) + beta * C (types.ts `gemm`).
EXPORT(gemm)
void gemm(int ta, int tb, size_t M, size_t N, size_t K, float alpha, const float* A, size_t lda,
          const float* B, size_t ldb, float beta, float* C, size_t ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0 || alpha == 0.0f) {  // C = beta*C; beta = 0 overwrites without reading
    for (size_t i = 0; i < M; ++i) {
      float* c = C + i * ldc;
      if (beta == 0.0f) {
        for (size_t j = 0; j < N; ++j) c[j] = 0.0f;
      } else if (beta != 1.0f) {
        for (size_t j = 0; j < N; ++j) c[j] *= beta;
      }
    }
    return;
  }
  for (size_t jc = 0; jc < N; jc += NC) {
    const size_t nc = min_sz(NC, N - jc);
    for (size_t pc = 0; pc < K; pc += KC) {
      const size_t kc = min_sz(KC, K - pc);
      const float beta_eff = pc == 0 ? beta : 1.0f;  // later K slices accumulate
      pack_b(tb, B, ldb, pc, kc, jc, nc, pack_b_buf);
      for (size_t ic = 0; ic < M; ic += MC) {
        const size_t mc = min_sz(MC, M - ic);
        pack_a(ta, A, lda, ic, mc, pc, kc, pack_a_buf);
        for (size_t jr = 0; jr < nc; jr += NR) {
          const size_t nr = min_sz(NR, nc - jr);
          for (size_t ir = 0; ir < mc; ir += MR) {
            const size_t mr = min_sz(MR, mc - ir);
            ukr(kc, pack_a_buf + ir * kc, pack_b_buf + jr * kc, C + (ic + ir) * ldc + jc + jr, ldc,
                alpha, beta_eff, mr, nr);
          }
        }
      }
    }
  }
}

EXPORT(gemm_batched)
void gemm_batched(size_t batch, int ta, int tb, size_t M, size_t N, size_t K, float alpha,
                  const float* A, size_t lda, size_t sA, const float* B, size_t ldb, size_t sB,
                  float beta, float* C, size_t ldc, size_t sC) {
  for (size_t i = 0; i < batch; ++i)
    gemm(ta, tb, M, N, K, alpha, A + i * sA, lda, B + i * sB, ldb, beta, C + i * sC, ldc);
}

// ---- vector math (native/src/vmath.h, four lanes at a time) -----------------------------

// exp(x), ~1 ulp: Cephes expf polynomial on r = x - n*ln2, scaled by 2^n via the exponent
// bits. Below -87 flushed to 0, above 88.38 +inf, NaN in -> NaN out.
static inline v128_t vexp4(v128_t x) {
  const v128_t hi = wasm_f32x4_splat(88.3762626647949f), lo = wasm_f32x4_splat(-87.0f);
  const v128_t gt = wasm_f32x4_gt(x, hi), lt = wasm_f32x4_lt(x, lo);
  v128_t xc = wasm_v128_bitselect(hi, x, gt);
  xc = wasm_v128_bitselect(lo, xc, lt);  // NaN falls through both (false compares)
  const v128_t magic = wasm_f32x4_splat(12582912.0f);  // 1.5*2^23: the add rounds to integer
  const v128_t t = wasm_f32x4_add(wasm_f32x4_mul(xc, wasm_f32x4_splat(1.44269504088896341f)), magic);
  const v128_t n = wasm_f32x4_sub(t, magic);
  const v128_t ni = wasm_i32x4_sub(t, magic);  // the integer n, as bits
  v128_t r = wasm_f32x4_sub(xc, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  const v128_t y = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), r), wasm_f32x4_splat(1.0f));
  v128_t res = wasm_i32x4_add(y, wasm_i32x4_shl(ni, 23));
  res = wasm_v128_bitselect(wasm_f32x4_splat(0.0f), res, lt);
  res = wasm_v128_bitselect(wasm_f32x4_splat(__builtin_inff()), res, gt);
  return wasm_v128_bitselect(x, res, wasm_f32x4_ne(x, x));
}

// Standard normal CDF via erfc(|z|) ~= t*P(t)*exp(-z^2), A&S 7.1.26 (|err| <= 1.5e-7), the
// x < 0 side as 0.5*erfc(|z|) (no cancellation), exactly as native/src/vmath.h normal_cdf.
static inline v128_t normal_cdf4(v128_t x) {
  const v128_t z = wasm_f32x4_mul(x, wasm_f32x4_splat(0.70710678118654752f));
  const v128_t az = wasm_f32x4_abs(z);
  const v128_t t = wasm_f32x4_div(wasm_f32x4_splat(1.0f), wasm_f32x4_add(wasm_f32x4_splat(1.0f), wasm_f32x4_mul(wasm_f32x4_splat(0.3275911f), az)));
  v128_t p = wasm_f32x4_splat(1.061405429f);
  p = wasm_f32x4_sub(wasm_f32x4_mul(p, t), wasm_f32x4_splat(1.453152027f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(1.421413741f));
  p = wasm_f32x4_sub(wasm_f32x4_mul(p, t), wasm_f32x4_splat(0.284496736f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(0.254829592f));
  const v128_t e = vexp4(wasm_f32x4_neg(wasm_f32x4_mul(az, az)));
  const v128_t half_erfc = wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_splat(0.5f), p), t), e);
  return wasm_v128_bitselect(half_erfc, wasm_f32x4_sub(wasm_f32x4_splat(1.0f), half_erfc), wasm_f32x4_lt(z, wasm_f32x4_splat(0.0f)));
}

static inline v128_t normal_pdf4(v128_t x) {
  return wasm_f32x4_mul(wasm_f32x4_splat(0.39894228040143268f), vexp4(wasm_f32x4_mul(wasm_f32x4_splat(-0.5f), wasm_f32x4_mul(x, x))));
}

// Scalar versions for loop tails: lane 0 of the vector code (same rounding).
static inline float vexp1(float x) { return wasm_f32x4_extract_lane(vexp4(wasm_f32x4_splat(x)), 0); }

static inline double hsum_f32x4(v128_t v) {
  return (double)wasm_f32x4_extract_lane(v, 0) + (double)wasm_f32x4_extract_lane(v, 1) +
         (double)wasm_f32x4_extract_lane(v, 2) + (double)wasm_f32x4_extract_lane(v, 3);
}

static inline double hsum_f64x2(v128_t v) { return wasm_f64x2_extract_lane(v, 0) + wasm_f64x2_extract_lane(v, 1); }

// Max of x[0..n), ignoring NaN (pmax keeps the accumulator on an unordered compare; a NaN row
// still comes out NaN through exp(NaN - m)). -inf for n = 0.
static float row_max(const float* x, size_t n) {
  v128_t m0 = wasm_f32x4_splat(-__builtin_inff()), m1 = m0;
  size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    m0 = wasm_f32x4_pmax(m0, wasm_v128_load(x + j));
    m1 = wasm_f32x4_pmax(m1, wasm_v128_load(x + j + 4));
  }
  m0 = wasm_f32x4_pmax(m0, m1);
  float lane[4] __attribute__((aligned(16)));
  wasm_v128_store(lane, m0);
  float m = -__builtin_inff();
  for (int l = 0; l < 4; ++l) m = lane[l] > m ? lane[l] : m;
  for (; j < n; ++j) m = x[j] > m ? x[j] : m;
  return m;
}

// out[j] = exp(x[j] - m); returns the sum (float lanes combined in float64). out may alias x.
static double row_exp_sum(const float* x, size_t n, float m, float* out) {
  const v128_t vm = wasm_f32x4_splat(m);
  v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0;
  size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const v128_t e0 = vexp4(wasm_f32x4_sub(wasm_v128_load(x + j), vm));
    const v128_t e1 = vexp4(wasm_f32x4_sub(wasm_v128_load(x + j + 4), vm));
    wasm_v128_store(out + j, e0);
    wasm_v128_store(out + j + 4, e1);
    s0 = wasm_f32x4_add(s0, e0);
    s1 = wasm_f32x4_add(s1, e1);
  }
  double s = 0;
  for (; j < n; ++j) {
    const float e = vexp1(x[j] - m);
    out[j] = e;
    s += e;
  }
  return s + hsum_f32x4(s0) + hsum_f32x4(s1);
}

// sum_j a[j]*b[j], float lanes combined in float64.
static double row_dot(const float* a, const float* b, size_t n) {
  v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0;
  size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(a + j), wasm_v128_load(b + j)));
    s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(a + j + 4), wasm_v128_load(b + j + 4)));
  }
  double s = 0;
  for (; j < n; ++j) s += a[j] * b[j];
  return s + hsum_f32x4(s0) + hsum_f32x4(s1);
}

static void scale_row(float* x, size_t n, float s) {
  const v128_t vs = wasm_f32x4_splat(s);
  size_t j = 0;
  for (; j + 4 <= n; j += 4) wasm_v128_store(x + j, wasm_f32x4_mul(wasm_v128_load(x + j), vs));
  for (; j < n; ++j) x[j] *= s;
}

static void softmax_row(const float* x, size_t n, float* out) {
  const float m = row_max(x, n);
  const double s = row_exp_sum(x, n, m, out);
  scale_row(out, n, (float)(1.0 / s));
}

// ---- LayerNorm ---------------------------------------------------------------------------
// x, out [R,C]; gamma, beta [C]; mean, rstd [R]. Statistics in float64 (two passes, biased
// variance), x - mean in float64 then rounded, as native/src/layernorm.cc.
EXPORT(layernorm_forward)
void layernorm_forward(const float* x, const float* gamma, const float* beta, size_t R, size_t C,
                       float eps, float* out, float* mean, float* rstd) {
  for (size_t r = 0; r < R; ++r) {
    const float* xr = x + r * C;
    float* o = out + r * C;
    v128_t a0 = wasm_f64x2_splat(0.0), a1 = a0;
    size_t j = 0;
    for (; j + 4 <= C; j += 4) {
      const v128_t v = wasm_v128_load(xr + j);
      a0 = wasm_f64x2_add(a0, wasm_f64x2_promote_low_f32x4(v));
      a1 = wasm_f64x2_add(a1, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1)));
    }
    double s = 0;
    for (; j < C; ++j) s += xr[j];
    const double m = (s + hsum_f64x2(a0) + hsum_f64x2(a1)) / (double)C;
    const v128_t vm = wasm_f64x2_splat(m);
    a0 = wasm_f64x2_splat(0.0);
    a1 = a0;
    for (j = 0; j + 4 <= C; j += 4) {
      const v128_t v = wasm_v128_load(xr + j);
      const v128_t d0 = wasm_f64x2_sub(wasm_f64x2_promote_low_f32x4(v), vm);
      const v128_t d1 = wasm_f64x2_sub(wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1)), vm);
      a0 = wasm_f64x2_add(a0, wasm_f64x2_mul(d0, d0));
      a1 = wasm_f64x2_add(a1, wasm_f64x2_mul(d1, d1));
    }
    double v2 = 0;
    for (; j < C; ++j) {
      const double dl = xr[j] - m;
      v2 += dl * dl;
    }
    const double var = (v2 + hsum_f64x2(a0) + hsum_f64x2(a1)) / (double)C;
    const float rs = (float)(1.0 / __builtin_sqrt(var + (double)eps));
    mean[r] = (float)m;
    rstd[r] = rs;
    const v128_t vrs = wasm_f32x4_splat(rs);
    for (j = 0; j + 4 <= C; j += 4) {
      const v128_t v = wasm_v128_load(xr + j);
      const v128_t d0 = wasm_f32x4_demote_f64x2_zero(wasm_f64x2_sub(wasm_f64x2_promote_low_f32x4(v), vm));
      const v128_t d1 = wasm_f32x4_demote_f64x2_zero(wasm_f64x2_sub(wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1)), vm));
      const v128_t dv = wasm_i32x4_shuffle(d0, d1, 0, 1, 4, 5);
      const v128_t y = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(dv, vrs), wasm_v128_load(gamma + j)), wasm_v128_load(beta + j));
      wasm_v128_store(o + j, y);
    }
    for (; j < C; ++j) o[j] = (float)(xr[j] - m) * rs * gamma[j] + beta[j];
  }
}

// Accumulates dx [R,C] (if non-null), dgamma, dbeta [C] (if non-null):
// dx += rstd * (g - mean(g) - n * mean(g*n)), n = (x-mean)*rstd, g = dout*gamma.
EXPORT(layernorm_backward)
void layernorm_backward(const float* dout, const float* x, const float* gamma, const float* mean,
                        const float* rstd, size_t R, size_t C, float* dx, float* dgamma, float* dbeta) {
  for (size_t r = 0; r < R; ++r) {
    const float* xr = x + r * C;
    const float* dy = dout + r * C;
    const float m = mean[r], rs = rstd[r];
    const v128_t vm = wasm_f32x4_splat(m), vrs = wasm_f32x4_splat(rs);
    if (dx != 0) {
      v128_t sg = wasm_f32x4_splat(0.0f), sgn = sg;
      size_t j = 0;
      for (; j + 4 <= C; j += 4) {
        const v128_t g = wasm_f32x4_mul(wasm_v128_load(dy + j), wasm_v128_load(gamma + j));
        const v128_t n = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + j), vm), vrs);
        sg = wasm_f32x4_add(sg, g);
        sgn = wasm_f32x4_add(sgn, wasm_f32x4_mul(g, n));
      }
      double tg = 0, tgn = 0;
      for (; j < C; ++j) {
        const float g = dy[j] * gamma[j];
        tg += g;
        tgn += g * ((xr[j] - m) * rs);
      }
      const float g_mean = (float)((tg + hsum_f32x4(sg)) / (double)C);
      const float gn_mean = (float)((tgn + hsum_f32x4(sgn)) / (double)C);
      const v128_t vgm = wasm_f32x4_splat(g_mean), vgnm = wasm_f32x4_splat(gn_mean);
      float* d = dx + r * C;
      for (j = 0; j + 4 <= C; j += 4) {
        const v128_t n = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + j), vm), vrs);
        const v128_t g = wasm_f32x4_mul(wasm_v128_load(dy + j), wasm_v128_load(gamma + j));
        const v128_t t = wasm_f32x4_sub(wasm_f32x4_sub(g, vgm), wasm_f32x4_mul(n, vgnm));
        wasm_v128_store(d + j, wasm_f32x4_add(wasm_v128_load(d + j), wasm_f32x4_mul(vrs, t)));
      }
      for (; j < C; ++j) {
        const float n = (xr[j] - m) * rs;
        d[j] += rs * (dy[j] * gamma[j] - g_mean - n * gn_mean);
      }
    }
    if (dgamma != 0 || dbeta != 0) {
      size_t j = 0;
      for (; j + 4 <= C; j += 4) {
        const v128_t g = wasm_v128_load(dy + j);
        if (dgamma != 0) {
          const v128_t n = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + j), vm), vrs);
          wasm_v128_store(dgamma + j, wasm_f32x4_add(wasm_v128_load(dgamma + j), wasm_f32x4_mul(g, n)));
        }
        if (dbeta != 0) wasm_v128_store(dbeta + j, wasm_f32x4_add(wasm_v128_load(dbeta + j), g));
      }
      for (; j < C; ++j) {
        if (dgamma != 0) dgamma[j] += dy[j] * ((xr[j] - m) * rs);
        if (dbeta != 0) dbeta[j] += dy[j];
      }
    }
  }
}

// ---- GELU (erf form) -------------------------------------------------------------------
EXPORT(gelu_forward)
void gelu_forward(const float* x, float* out, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t v = wasm_v128_load(x + i);
    wasm_v128_store(out + i, wasm_f32x4_mul(v, normal_cdf4(v)));
  }
  for (; i < n; ++i) {
    const v128_t v = wasm_f32x4_splat(x[i]);
    out[i] = wasm_f32x4_extract_lane(wasm_f32x4_mul(v, normal_cdf4(v)), 0);
  }
}

// dx += dout * (Phi(x) + x * phi(x))
EXPORT(gelu_backward)
void gelu_backward(const float* x, const float* dout, float* dx, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t v = wasm_v128_load(x + i);
    const v128_t g = wasm_f32x4_add(normal_cdf4(v), wasm_f32x4_mul(v, normal_pdf4(v)));
    wasm_v128_store(dx + i, wasm_f32x4_add(wasm_v128_load(dx + i), wasm_f32x4_mul(wasm_v128_load(dout + i), g)));
  }
  for (; i < n; ++i) {
    const v128_t v = wasm_f32x4_splat(x[i]);
    const float g = wasm_f32x4_extract_lane(wasm_f32x4_add(normal_cdf4(v), wasm_f32x4_mul(v, normal_pdf4(v))), 0);
    dx[i] += dout[i] * g;
  }
}

// ---- softmax ---------------------------------------------------------------------------
EXPORT(softmax_forward)
void softmax_forward(const float* x, size_t R, size_t C, float* out) {
  if (C == 0) return;
  for (size_t r = 0; r < R; ++r) softmax_row(x + r * C, C, out + r * C);
}

// dx += y * (dy - sum(dy * y)) per row
EXPORT(softmax_backward)
void softmax_backward(const float* y, const float* dy, size_t R, size_t C, float* dx) {
  for (size_t r = 0; r < R; ++r) {
    const float* yr = y + r * C;
    const float* g = dy + r * C;
    float* d = dx + r * C;
    const float dot = (float)row_dot(g, yr, C);
    const v128_t vd = wasm_f32x4_splat(dot);
    size_t j = 0;
    for (; j + 4 <= C; j += 4)
      wasm_v128_store(d + j, wasm_f32x4_add(wasm_v128_load(d + j), wasm_f32x4_mul(wasm_v128_load(yr + j), wasm_f32x4_sub(wasm_v128_load(g + j), vd))));
    for (; j < C; ++j) d[j] += yr[j] * (g[j] - dot);
  }
}

// ---- attention -------------------------------------------------------------------------
// As native/src/attention.cc: per (batch, head) S = scale Q_h K_h^T by GEMM on the [B,T,H]
// layout (lda = H), masked softmax rows (masked keys -> exactly 0; all keys masked -> 1/T),
// out_h = (P * drop) V_h. scratch: [T,T] floats (used when dropMask is given).
static void mul_into(const float* a, const float* b, float* out, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  for (; i < n; ++i) out[i] = a[i] * b[i];
}

EXPORT(attention_forward)
void attention_forward(const float* q, const float* k, const float* v, const float* key_mask, size_t B,
                       size_t T, size_t nH, size_t d, float scale, const float* drop_mask, float* probs,
                       float* out, float* scratch) {
  const size_t H = nH * d, TT = T * T;
  for (size_t task = 0; task < B * nH; ++task) {
    const size_t b = task / nH, h = task % nH;
    const size_t off = b * T * H + h * d;
    float* P = probs + task * TT;
    const float* keep = key_mask != 0 ? key_mask + b * T : 0;
    int any_kept = 1;
    if (keep != 0) {
      any_kept = 0;
      for (size_t j = 0; j < T; ++j) any_kept = any_kept || keep[j] != 0.0f;
    }
    if (d > 0) gemm(0, 1, T, T, d, scale, q + off, H, k + off, H, 0.0f, P, T);
    else
      for (size_t i = 0; i < TT; ++i) P[i] = 0.0f;
    for (size_t i = 0; i < T; ++i) {
      float* s = P + i * T;
      if (!any_kept) {
        const float u = 1.0f / (float)T;
        for (size_t j = 0; j < T; ++j) s[j] = u;
        continue;
      }
      if (keep != 0)
        for (size_t j = 0; j < T; ++j) s[j] = keep[j] == 0.0f ? -__builtin_inff() : s[j];
      softmax_row(s, T, s);  // exp(-inf - max) = 0 exactly
    }
    const float* Pd = P;
    if (drop_mask != 0) {
      mul_into(P, drop_mask + task * TT, scratch, TT);
      Pd = scratch;
    }
    if (d > 0) gemm(0, 0, T, d, T, 1.0f, Pd, T, v + off, H, 0.0f, out + off, H);
  }
}

// Accumulates dq, dk, dv. scratch: 2*[T,T] floats.
EXPORT(attention_backward)
void attention_backward(const float* dout, const float* q, const float* k, const float* v,
                        const float* probs, const float* drop_mask, size_t B, size_t T, size_t nH,
                        size_t d, float scale, float* dq, float* dk, float* dv, float* scratch) {
  const size_t H = nH * d, TT = T * T;
  if (d == 0) return;
  float* g = scratch;             // [T,T] dP' then dS
  float* dropped = scratch + TT;  // [T,T] P' = P * drop
  for (size_t task = 0; task < B * nH; ++task) {
    const size_t b = task / nH, h = task % nH;
    const size_t off = b * T * H + h * d;
    const float* P = probs + task * TT;
    const float* drop = drop_mask != 0 ? drop_mask + task * TT : 0;
    const float* Pd = P;
    if (drop != 0) {
      mul_into(P, drop, dropped, TT);
      Pd = dropped;
    }
    gemm(1, 0, T, d, T, 1.0f, Pd, T, dout + off, H, 1.0f, dv + off, H);  // dV_h += P'^T dO_h
    gemm(0, 1, T, T, d, 1.0f, dout + off, H, v + off, H, 0.0f, g, T);   // dP' = dO_h V_h^T
    for (size_t i = 0; i < T; ++i) {  // dS = scale * P * (dP - rowsum(P * dP)), dP = dP' * drop
      const float* p = P + i * T;
      float* gi = g + i * T;
      if (drop != 0) mul_into(gi, drop + i * T, gi, T);
      const float dot = (float)row_dot(p, gi, T);
      for (size_t j = 0; j < T; ++j) gi[j] = p[j] * (gi[j] - dot) * scale;
    }
    gemm(0, 0, T, d, T, 1.0f, g, T, k + off, H, 1.0f, dq + off, H);  // dQ_h += dS K_h
    gemm(1, 0, T, d, T, 1.0f, g, T, q + off, H, 1.0f, dk + off, H);  // dK_h += dS^T Q_h
  }
}

// ---- softmax cross-entropy -------------------------------------------------------------
// Targets validated by the caller. For each non-ignored row: probs = softmax(logits row),
// row_stats[2r] = sum exp(x - max), row_stats[2r+1] = max (float64); the caller forms
// log(sum) + max - x[target] (JS has log; this module has no libm).
EXPORT(cross_entropy_forward)
void cross_entropy_forward(const float* logits, const int32_t* targets, size_t R, size_t C,
                           int32_t ignore_index, float* probs, double* row_stats) {
  for (size_t r = 0; r < R; ++r) {
    if (targets[r] == ignore_index) continue;
    const float* x = logits + r * C;
    float* p = probs + r * C;
    const float m = row_max(x, C);
    const double s = row_exp_sum(x, C, m, p);
    scale_row(p, C, (float)(1.0 / s));
    row_stats[2 * r] = s;
    row_stats[2 * r + 1] = m;
  }
}

// dlogits += scale * (probs - onehot(target)) on non-ignored rows
EXPORT(cross_entropy_backward)
void cross_entropy_backward(const float* probs, const int32_t* targets, size_t R, size_t C,
                            int32_t ignore_index, float scale, float* dlogits) {
  const v128_t vs = wasm_f32x4_splat(scale);
  for (size_t r = 0; r < R; ++r) {
    const int32_t t = targets[r];
    if (t == ignore_index) continue;
    const float* p = probs + r * C;
    float* d = dlogits + r * C;
    size_t j = 0;
    for (; j + 4 <= C; j += 4) wasm_v128_store(d + j, wasm_f32x4_add(wasm_v128_load(d + j), wasm_f32x4_mul(vs, wasm_v128_load(p + j))));
    for (; j < C; ++j) d[j] += scale * p[j];
    d[t] -= scale;
  }
}

// ---- AdamW -----------------------------------------------------------------------------
// torch.optim.AdamW single-tensor float32 arithmetic (native/src/adamw.cc); the float64
// scalars are rounded to float by the caller: decay = 1-lr*wd, w = 1-b1, one_minus_w = 1-w
// (in float), bc2_sqrt = sqrt(1-b2^step), neg_step = -lr/(1-b1^step).
EXPORT(adamw_update)
void adamw_update(float* p, const float* g, float* m, float* v, size_t n, float decay, float w,
                  float one_minus_w, float b2, float one_minus_b2, float bc2_sqrt, float eps, float neg_step) {
  const int low = w < 0.5f;
  const v128_t vdecay = wasm_f32x4_splat(decay), vw = wasm_f32x4_splat(w), vomw = wasm_f32x4_splat(one_minus_w);
  const v128_t vb2 = wasm_f32x4_splat(b2), vomb2 = wasm_f32x4_splat(one_minus_b2), vbc = wasm_f32x4_splat(bc2_sqrt);
  const v128_t veps = wasm_f32x4_splat(eps), vns = wasm_f32x4_splat(neg_step);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t gi = wasm_v128_load(g + i);
    const v128_t mi0 = wasm_v128_load(m + i);
    const v128_t pi = wasm_f32x4_mul(wasm_v128_load(p + i), vdecay);
    const v128_t diff = wasm_f32x4_sub(gi, mi0);
    const v128_t mi = low ? wasm_f32x4_add(mi0, wasm_f32x4_mul(vw, diff)) : wasm_f32x4_sub(gi, wasm_f32x4_mul(diff, vomw));
    const v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), vb2), wasm_f32x4_mul(wasm_f32x4_mul(vomb2, gi), gi));
    const v128_t denom = wasm_f32x4_add(wasm_f32x4_div(wasm_f32x4_sqrt(vi), vbc), veps);
    wasm_v128_store(m + i, mi);
    wasm_v128_store(v + i, vi);
    wasm_v128_store(p + i, wasm_f32x4_add(pi, wasm_f32x4_div(wasm_f32x4_mul(vns, mi), denom)));
  }
  for (; i < n; ++i) {
    const float gi = g[i];
    const float pi = p[i] * decay;
    const float mi = low ? m[i] + w * (gi - m[i]) : gi - (gi - m[i]) * one_minus_w;
    const float vi = v[i] * b2 + one_minus_b2 * gi * gi;
    const float denom = __builtin_sqrtf(vi) / bc2_sqrt + eps;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi + neg_step * mi / denom;
  }
}
