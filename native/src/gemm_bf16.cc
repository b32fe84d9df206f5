// bf16 GEMM: C[M,N] = alpha * op(A) @ op(B) + beta * C where every element of op(A) and op(B)
// is first rounded fp32 -> bf16 (round to nearest even, NaN kept quiet, denormals rounded, not
// flushed: PyTorch's `.to(torch.bfloat16)`), products and sums in fp32. That definition is the
// contract on every CPU; only the summation order differs between the paths below.
//
// Paths, chosen once by CPUID (ADAPTEXT_BF16_ISA or setBf16Isa to force one):
// - avx512bf16: the BLIS scheme of gemm_builtin.cc, but the packing rounds to bf16 and stores
//   k-pairs (op(X)(.., k), op(X)(.., k+1)) in one 32-bit lane, the layout vdpbf16ps consumes:
//   one instruction does two multiply-adds per lane, and the packed panels are half the bytes.
//   A bf16 x bf16 product is exact in fp32 (8+8 significant bits), so the instruction only
//   rounds its sums. It flushes denormal inputs and results to zero (DAZ/FTZ), which the
//   emulated path does not: the only difference beyond order, and invisible at BERT scales.
// - emulated (no AVX512-BF16, or forced): round op(A)/op(B) into fp32 copies holding
//   bf16-representable values, then the fp32 gemm() (BLAS or built-in) on those.
// Compiled with function-level target attributes, no -march flag: the binary runs anywhere.
//
// Shape legend: M,N,K GEMM dims; MR x NR register tile; KC/MC/NC cache blocks (in k, not pairs).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels.h"
#include "parallel.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define ADAPTEXT_X86 1
#include <immintrin.h>
// GCC 12 flags the intrinsics' own _mm512_undefined_* pass-through operands (a false positive)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif

namespace adaptext {

uint16_t to_bf16_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest, ties to even (overflow rounds to inf)
  return static_cast<uint16_t>(u >> 16);
}

float round_bf16(float f) {
  const uint32_t u = static_cast<uint32_t>(to_bf16_bits(f)) << 16;
  float r;
  std::memcpy(&r, &u, 4);
  return r;
}

namespace {

enum class Bf16Isa { Emulated, Avx512Bf16 };

Bf16Isa detect_bf16() {
#ifdef ADAPTEXT_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16"))
    return Bf16Isa::Avx512Bf16;
#endif
  return Bf16Isa::Emulated;
}

Bf16Isa& current_bf16() {
  static Bf16Isa isa = [] {
    Bf16Isa best = detect_bf16();
    const char* env = std::getenv("ADAPTEXT_BF16_ISA");
    if (env != nullptr && std::strcmp(env, "emulated") == 0) return Bf16Isa::Emulated;
    return best;
  }();
  return isa;
}

// A GEMM operand op(X) [rows, cols] as bf16-valued fp32, in X's stored layout (trans ?
// [cols, rows] : [rows, cols]) without the padding: row stride = the stored column count.
std::vector<float> rounded_copy(bool trans, const float* X, size_t ld, size_t rows, size_t cols) {
  const size_t sr = trans ? cols : rows, sc = trans ? rows : cols;
  std::vector<float> out(sr * sc);
  for (size_t i = 0; i < sr; ++i)
    for (size_t j = 0; j < sc; ++j) out[i * sc + j] = round_bf16(X[i * ld + j]);
  return out;
}

void emulated(bool ta, bool tb, size_t M, size_t N, size_t K, float alpha, const float* A,
              size_t lda, const float* B, size_t ldb, float beta, float* C, size_t ldc) {
  const std::vector<float> a = rounded_copy(ta, A, lda, M, K);
  const std::vector<float> b = rounded_copy(tb, B, ldb, K, N);
  gemm(ta, tb, M, N, K, alpha, a.data(), ta ? M : K, b.data(), tb ? K : N, beta, C, ldc);
}

#ifdef ADAPTEXT_X86
constexpr size_t KC = 512;   // k per packed slice (256 pairs): same bytes as the fp32 kernel's 256
constexpr size_t MC = 240;   // rows per packed A block (multiple of MR = 12)
constexpr size_t NC = 3072;  // columns per packed B block (multiple of NR = 32)
constexpr int MR = 12, NR = 32;

// The packing converts with AVX-512F integer ops, bit-identical to to_bf16_bits (not
// vcvtneps2bf16, which treats denormal inputs as zero). Scalar conversion made the packing
// cost as much as the vdpbf16ps loop at BERT shapes.
#define BF16_TARGET __attribute__((target("avx512f,avx512vl,avx512bf16")))

// 16 fp32 -> their bf16 roundings in the top half of each 32-bit lane (low half garbage).
BF16_TARGET inline __m512i round_hi(__m512 x) {
  const __m512i u = _mm512_castps_si512(x);
  const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
  const __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), odd));
  const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  return _mm512_mask_mov_epi32(r, nan, _mm512_or_si512(u, _mm512_set1_epi32(0x400000)));
}

// dst[c] = bf16(lo[c]) | bf16(hi[c]) << 16 for c < n (hi == nullptr: zeros), two rows side by side.
BF16_TARGET void pair_rows(const float* lo, const float* hi, size_t n, uint32_t* dst) {
  const __m512i top = _mm512_set1_epi32(static_cast<int>(0xffff0000u));
  for (size_t c = 0; c < n; c += 16) {
    const __mmask16 m = n - c >= 16 ? 0xffff : static_cast<__mmask16>((1u << (n - c)) - 1);
    const __m512i l = _mm512_srli_epi32(round_hi(_mm512_maskz_loadu_ps(m, lo + c)), 16);
    const __m512i h = hi != nullptr ? _mm512_and_si512(round_hi(_mm512_maskz_loadu_ps(m, hi + c)), top) : _mm512_setzero_si512();
    _mm512_mask_storeu_epi32(dst + c, m, _mm512_or_si512(l, h));
  }
}

// 8 k-pairs of a row whose pairs are adjacent in memory: lane q = bf16(src[2q]) | bf16(src[2q+1]) << 16,
// src read as 0 at and past `left` floats (masked load: nothing past them is touched).
// 64-bit lane = (lo, hi) -> its 32-bit pair.
BF16_TARGET inline __m256i pairs8(const float* src, size_t left) {
  const __mmask16 m = left >= 16 ? 0xffff : static_cast<__mmask16>((1u << left) - 1);
  const __m512i lo16 = _mm512_set1_epi64(0xffff), hi16 = _mm512_set1_epi64(0xffff0000);
  const __m512i r = round_hi(_mm512_maskz_loadu_ps(m, src));
  return _mm512_cvtepi64_epi32(_mm512_or_si512(_mm512_and_si512(_mm512_srli_epi64(r, 16), lo16), _mm512_and_si512(_mm512_srli_epi64(r, 32), hi16)));
}

// 16 k-pairs (32 floats) of such a row, as pairs8.
BF16_TARGET inline __m512i pairs16(const float* src, size_t left) {
  const __m256i hi = left > 16 ? pairs8(src + 16, left - 16) : _mm256_setzero_si256();
  return _mm512_inserti64x4(_mm512_castsi256_si512(pairs8(src, left)), hi, 1);
}

// dst[q] = bf16(src[2q]) | bf16(src[2q+1]) << 16 for q < ceil(n/2) (src[n] read as 0 when n is odd).
BF16_TARGET void pair_adjacent(const float* src, size_t n, uint32_t* dst) {
  for (size_t c = 0; c < n; c += 16) {
    const size_t pairs = std::min<size_t>(8, (n - c + 1) / 2);
    _mm256_mask_storeu_epi32(dst + c / 2, static_cast<__mmask8>((1u << pairs) - 1), pairs8(src + c, n - c));
  }
}

// In-register transpose of a 16 x 16 block of 32-bit lanes: r[j] lane i <- r[i] lane j.
BF16_TARGET inline void transpose16(__m512i r[16]) {
  __m512i t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {
    r[4 * i] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
    r[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
    r[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
    r[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
  }
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j) {
      t[8 * i + j] = _mm512_shuffle_i32x4(r[8 * i + j], r[8 * i + 4 + j], 0x88);
      t[8 * i + 4 + j] = _mm512_shuffle_i32x4(r[8 * i + j], r[8 * i + 4 + j], 0xdd);
    }
  for (int j = 0; j < 8; ++j) {
    r[j] = _mm512_shuffle_i32x4(t[j], t[8 + j], 0x88);
    r[8 + j] = _mm512_shuffle_i32x4(t[j], t[8 + j], 0xdd);
  }
}

// A rows [i0, i0+mc) x k [k0, k0+kc) -> MR-row panels of kp = ceil(kc/2) pairs, panel at
// dst + p*kp: dst[q*MR + r] = bf16(op(A)(i, k0+2q)) | bf16(op(A)(i, k0+2q+1)) << 16, zero past mc / kc.
BF16_TARGET void pack_a(bool ta, const float* A, size_t lda, size_t i0, size_t mc, size_t k0,
                        size_t kc, uint32_t* dst) {
  const size_t kp = (kc + 1) / 2;
  for (size_t p = 0; p < mc; p += MR) {
    const size_t mr = std::min<size_t>(MR, mc - p);
    uint32_t* d = dst + p * kp;
    if (ta) {  // op(A)(i, k) = A[k*lda + i]: the panel's rows are contiguous for each k
      for (size_t q = 0; q < kp; ++q) {
        const float* lo = A + (k0 + 2 * q) * lda + i0 + p;
        pair_rows(lo, 2 * q + 1 < kc ? lo + lda : nullptr, mr, d + q * MR);
        for (size_t r = mr; r < static_cast<size_t>(MR); ++r) d[q * MR + r] = 0;
      }
      continue;
    }
    // a row of A holds its k-pairs side by side: 16 pairs of the panel's rows (zero rows past mr
    // and past MR) are transposed in registers and stored as 16 runs of MR lanes. A per-row scalar
    // scatter made the packing a large share of the time when N is small (BERT's 768): A is packed
    // once per N-block, so its cost is not amortised over many columns.
    __m512i block[16];
    for (size_t q0 = 0; q0 < kp; q0 += 16) {
      for (size_t r = 0; r < 16; ++r) block[r] = r < mr ? pairs16(A + (i0 + p + r) * lda + k0 + 2 * q0, kc - 2 * q0) : _mm512_setzero_si512();
      transpose16(block);
      const size_t nq = std::min<size_t>(16, kp - q0);
      for (size_t q = 0; q < nq; ++q) _mm512_mask_storeu_epi32(d + (q0 + q) * MR, static_cast<__mmask16>((1u << MR) - 1), block[q]);
    }
  }
}

// B k [k0, k0+kc) x cols [j0, j0+nc) -> NR-col panels of kp pairs, panel at dst + q*kp:
// dst[s*NR + c] = bf16(op(B)(k0+2s, j)) | bf16(op(B)(k0+2s+1, j)) << 16, zero past nc / kc.
BF16_TARGET void pack_b(bool tb, const float* B, size_t ldb, size_t k0, size_t kc, size_t j0,
                        size_t nc, uint32_t* dst) {
  const size_t kp = (kc + 1) / 2;
  alignas(64) uint32_t row[KC / 2];
  for (size_t q = 0; q < nc; q += NR) {
    const size_t nr = std::min<size_t>(NR, nc - q);
    uint32_t* d = dst + q * kp;
    if (!tb) {  // two contiguous rows of B per k-pair
      for (size_t s = 0; s < kp; ++s) {
        const float* lo = B + (k0 + 2 * s) * ldb + j0 + q;
        pair_rows(lo, 2 * s + 1 < kc ? lo + ldb : nullptr, nr, d + s * NR);
        for (size_t c = nr; c < static_cast<size_t>(NR); ++c) d[s * NR + c] = 0;
      }
      continue;
    }
    // op(B)(k, j) = B[j*ldb + k]: column j's k-pairs are adjacent in memory
    for (size_t c = 0; c < static_cast<size_t>(NR); ++c) {
      if (c >= nr) {
        for (size_t s = 0; s < kp; ++s) d[s * NR + c] = 0;
        continue;
      }
      pair_adjacent(B + (j0 + q + c) * ldb + k0, kc, row);
      for (size_t s = 0; s < kp; ++s) d[s * NR + c] = row[s];
    }
  }
}

// 12 x 32 tile, 24 zmm accumulators; per k-pair: two B loads, 12 broadcasts, 24 vdpbf16ps.
BF16_TARGET void ukr_bf16(size_t kp, const uint32_t* a,
                                                            const uint32_t* b, float* C,
                                                            size_t ldc, float alpha, float beta,
                                                            size_t mr, size_t nr) {
  __m512 c[MR][2];
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) c[r][0] = c[r][1] = _mm512_setzero_ps();
  for (size_t q = 0; q < kp; ++q) {
    const __m512bh b0 = (__m512bh)_mm512_load_si512(b);
    const __m512bh b1 = (__m512bh)_mm512_load_si512(b + 16);
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      const __m512bh t = (__m512bh)_mm512_set1_epi32(static_cast<int>(a[r]));
      c[r][0] = _mm512_dpbf16_ps(c[r][0], t, b0);
      c[r][1] = _mm512_dpbf16_ps(c[r][1], t, b1);
    }
    a += MR;
    b += NR;
  }
  const __m512 va = _mm512_set1_ps(alpha);
  if (mr == static_cast<size_t>(MR) && nr == static_cast<size_t>(NR)) {
    const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      float* cr = C + r * ldc;
      for (int h = 0; h < 2; ++h) {
        __m512 v = _mm512_mul_ps(va, c[r][h]);
        // beta == 0: C is never read (NaN in the old C must not leak through)
        if (beta != 0.0f) v = _mm512_fmadd_ps(vb, _mm512_loadu_ps(cr + 16 * h), v);
        _mm512_storeu_ps(cr + 16 * h, v);
      }
    }
    return;
  }
  alignas(64) float acc[MR * NR];
  for (int r = 0; r < MR; ++r)
    for (int h = 0; h < 2; ++h) _mm512_store_ps(acc + r * NR + 16 * h, _mm512_mul_ps(va, c[r][h]));
  for (size_t r = 0; r < mr; ++r) {
    float* cr = C + r * ldc;
    for (size_t j = 0; j < nr; ++j) cr[j] = beta == 0.0f ? acc[r * NR + j] : acc[r * NR + j] + beta * cr[j];
  }
}

struct AlignedFree {
  void operator()(uint32_t* p) const { std::free(p); }
};

uint32_t* scratch(std::unique_ptr<uint32_t[], AlignedFree>& buf, size_t& cap, size_t n) {
  if (cap < n) {
    void* p = nullptr;
    if (posix_memalign(&p, 64, n * sizeof(uint32_t)) != 0) throw std::bad_alloc();
    buf.reset(static_cast<uint32_t*>(p));
    cap = n;
  }
  return buf.get();
}

// One thread's share: the blocked algorithm on an M x N sub-problem.
void blocked(bool ta, bool tb, size_t M, size_t N, size_t K, float alpha, const float* A,
             size_t lda, const float* B, size_t ldb, float beta, float* C, size_t ldc) {
  thread_local std::unique_ptr<uint32_t[], AlignedFree> abuf, bbuf;
  thread_local size_t acap = 0, bcap = 0;
  uint32_t* ap = scratch(abuf, acap, MC * KC / 2);
  uint32_t* bp = scratch(bbuf, bcap, KC / 2 * NC);
  for (size_t jc = 0; jc < N; jc += NC) {
    const size_t nc = std::min(NC, N - jc);
    for (size_t pc = 0; pc < K; pc += KC) {
      const size_t kc = std::min(KC, K - pc), kp = (kc + 1) / 2;
      const float beta_eff = pc == 0 ? beta : 1.0f;  // later K slices accumulate
      pack_b(tb, B, ldb, pc, kc, jc, nc, bp);
      for (size_t ic = 0; ic < M; ic += MC) {
        const size_t mc = std::min(MC, M - ic);
        pack_a(ta, A, lda, ic, mc, pc, kc, ap);
        for (size_t jr = 0; jr < nc; jr += NR) {
          const size_t nr = std::min<size_t>(NR, nc - jr);
          for (size_t ir = 0; ir < mc; ir += MR) {
            const size_t mr = std::min<size_t>(MR, mc - ir);
            ukr_bf16(kp, ap + ir * kp, bp + jr * kp, C + (ic + ir) * ldc + jc + jr, ldc, alpha,
                     beta_eff, mr, nr);
          }
        }
      }
    }
  }
}

// Threads split the larger of M / N into whole micro-panels, as the fp32 built-in GEMM does,
// so results do not depend on scheduling (K is never split).
void avx512bf16(bool ta, bool tb, size_t M, size_t N, size_t K, float alpha, const float* A,
                size_t lda, const float* B, size_t ldb, float beta, float* C, size_t ldc) {
  const double flops = 2.0 * M * N * K;
  const size_t threads = !in_parallel() && flops >= 2.0e6 ? num_threads() : 1;
  if (threads > 1 && M >= N) {
    const size_t panels = (M + MR - 1) / MR, parts = std::min(threads, panels);
    parallel_chunks(parts, [&](size_t p) {
      const size_t i0 = panels * p / parts * MR, i1 = std::min(M, panels * (p + 1) / parts * MR);
      if (i0 >= i1) return;
      blocked(ta, tb, i1 - i0, N, K, alpha, ta ? A + i0 : A + i0 * lda, lda, B, ldb, beta,
              C + i0 * ldc, ldc);
    });
  } else if (threads > 1) {
    const size_t panels = (N + NR - 1) / NR, parts = std::min(threads, panels);
    parallel_chunks(parts, [&](size_t p) {
      const size_t j0 = panels * p / parts * NR, j1 = std::min(N, panels * (p + 1) / parts * NR);
      if (j0 >= j1) return;
      blocked(ta, tb, M, j1 - j0, K, alpha, A, lda, tb ? B + j0 * ldb : B + j0, ldb, beta,
              C + j0, ldc);
    });
  } else {
    blocked(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
}
#endif

}  // namespace

const char* bf16_isa() { return current_bf16() == Bf16Isa::Avx512Bf16 ? "avx512bf16" : "emulated"; }

bool set_bf16_isa(const char* name) {
  if (std::strcmp(name, "emulated") == 0) {
    current_bf16() = Bf16Isa::Emulated;
    return true;
  }
  if (std::strcmp(name, "avx512bf16") == 0 && detect_bf16() == Bf16Isa::Avx512Bf16) {
    current_bf16() = Bf16Isa::Avx512Bf16;
    return true;
  }
  return false;
}

void gemm_bf16(bool ta, bool tb, size_t M, size_t N, size_t K, float alpha, const float* A,
               size_t lda, const float* B, size_t ldb, float beta, float* C, size_t ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0 || alpha == 0.0f) {  // C = beta*C, as gemm (no input is read)
    gemm(ta, tb, M, N, 0, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
#ifdef ADAPTEXT_X86
  if (current_bf16() == Bf16Isa::Avx512Bf16) {
    avx512bf16(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
#endif
  emulated(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

double bench_bf16_gemm(bool ta, bool tb, size_t M, size_t N, size_t K, int iters) {
  std::vector<float> A(M * K), B(K * N), C(M * N);
  for (size_t i = 0; i < A.size(); ++i) A[i] = static_cast<float>((i * 7 + 3) % 13) * 0.01f;
  for (size_t i = 0; i < B.size(); ++i) B[i] = static_cast<float>((i * 5 + 1) % 11) * 0.01f;
  const size_t lda = ta ? M : K, ldb = tb ? K : N;
  auto once = [&] { gemm_bf16(ta, tb, M, N, K, 1.0f, A.data(), lda, B.data(), ldb, 0.0f, C.data(), N); };
  once();  // warm-up: packing buffers, thread start
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) once();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace adaptext
