// Built-in GEMM: used when no BLAS was found at build time, for the small per-head GEMMs of
// attention (inside our own parallel region, where calling a threaded BLAS would
// oversubscribe the cores), and on request by the benchmark.
//
// Layout (the BLIS/GotoBLAS scheme): for each NC-wide column block and KC-deep slice of K,
// pack B into NR-wide panels (sits in L3/L2), for each MC-high row block pack A into MR-high
// panels (sits in L2), then a register-blocked MR x NR micro-kernel streams both panels
// (A from L1/L2, B from L1) with FMAs. Transposes are handled by the packing, so the
// micro-kernel only ever sees one layout.
//
// ISA: chosen once at load by CPUID (function-level target attributes, no -march flag, so
// the binary runs on any x86-64): AVX-512F 12x32, AVX2+FMA 6x16, else a portable 4x8 loop
// the compiler vectorises for the baseline ISA (SSE2 / NEON).
//
// Threads: split the larger of M / N into contiguous ranges (whole micro-panels), one per
// thread, each with its own packing buffers. Duplicated B/A packing costs O(K*N) per
// thread against O(M*N*K/threads) flops: negligible at BERT shapes.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "kernels.h"
#include "parallel.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define ADAPTEXT_X86 1
#include <immintrin.h>
#endif

namespace adaptext {
namespace {

constexpr size_t KC = 256;   // depth of a packed slice: A panel MR*KC and B panel KC*NR stay in L1
constexpr size_t MC = 240;   // rows per packed A block (multiple of every MR: 4, 6, 12) ~240 KB in L2
constexpr size_t NC = 3072;  // columns per packed B block (multiple of every NR) ~3 MB in L3

using Ukr = void (*)(size_t kc, const float* a, const float* b, float* C, size_t ldc, float alpha,
                     float beta, size_t mr, size_t nr);

// Writes a full MR x NR tile from `acc` (row-major, alpha already applied) into C,
// honouring beta=0 (C not read) and partial edges.
template <int MR, int NR>
inline void store_edge(const float* acc, float* C, size_t ldc, float beta, size_t mr, size_t nr) {
  for (size_t r = 0; r < mr; ++r) {
    float* c = C + r * ldc;
    if (beta == 0.0f) {
      for (size_t j = 0; j < nr; ++j) c[j] = acc[r * NR + j];
    } else {
      for (size_t j = 0; j < nr; ++j) c[j] = acc[r * NR + j] + beta * c[j];
    }
  }
}

// ---- portable micro-kernel (4 x 8) -----------------------------------------------------
void ukr_generic(size_t kc, const float* a, const float* b, float* C, size_t ldc, float alpha,
                 float beta, size_t mr, size_t nr) {
  constexpr int MR = 4, NR = 8;
  float acc[MR * NR] = {0};
  for (size_t k = 0; k < kc; ++k) {
    for (int r = 0; r < MR; ++r) {
      const float ar = a[r];
      for (int j = 0; j < NR; ++j) acc[r * NR + j] += ar * b[j];
    }
    a += MR;
    b += NR;
  }
  for (float& x : acc) x *= alpha;
  store_edge<MR, NR>(acc, C, ldc, beta, mr, nr);
}

#ifdef ADAPTEXT_X86
// ---- AVX2 + FMA micro-kernel (6 x 16: 12 ymm accumulators) -----------------------------
__attribute__((target("avx2,fma"))) void ukr_avx2(size_t kc, const float* a, const float* b,
                                                  float* C, size_t ldc, float alpha, float beta,
                                                  size_t mr, size_t nr) {
  constexpr int MR = 6, NR = 16;
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (size_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
    __m256 t;
    t = _mm256_broadcast_ss(a + 0); c00 = _mm256_fmadd_ps(t, b0, c00); c01 = _mm256_fmadd_ps(t, b1, c01);
    t = _mm256_broadcast_ss(a + 1); c10 = _mm256_fmadd_ps(t, b0, c10); c11 = _mm256_fmadd_ps(t, b1, c11);
    t = _mm256_broadcast_ss(a + 2); c20 = _mm256_fmadd_ps(t, b0, c20); c21 = _mm256_fmadd_ps(t, b1, c21);
    t = _mm256_broadcast_ss(a + 3); c30 = _mm256_fmadd_ps(t, b0, c30); c31 = _mm256_fmadd_ps(t, b1, c31);
    t = _mm256_broadcast_ss(a + 4); c40 = _mm256_fmadd_ps(t, b0, c40); c41 = _mm256_fmadd_ps(t, b1, c41);
    t = _mm256_broadcast_ss(a + 5); c50 = _mm256_fmadd_ps(t, b0, c50); c51 = _mm256_fmadd_ps(t, b1, c51);
    a += MR;
    b += NR;
  }
  const __m256 va = _mm256_set1_ps(alpha);
  __m256 rows[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  if (mr == MR && nr == NR) {
    const __m256 vb = _mm256_set1_ps(beta);
    for (int r = 0; r < MR; ++r) {
      float* c = C + r * ldc;
      for (int h = 0; h < 2; ++h) {
        __m256 v = _mm256_mul_ps(va, rows[r][h]);
        // beta == 0: C is never read (NaN/garbage in the old C must not leak through).
        if (beta != 0.0f) v = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + 8 * h), v);
        _mm256_storeu_ps(c + 8 * h, v);
      }
    }
    return;
  }
  alignas(32) float acc[MR * NR];
  for (int r = 0; r < MR; ++r)
    for (int h = 0; h < 2; ++h) _mm256_store_ps(acc + r * NR + 8 * h, _mm256_mul_ps(va, rows[r][h]));
  store_edge<MR, NR>(acc, C, ldc, beta, mr, nr);
}

// ---- AVX-512F micro-kernel (12 x 32: 24 zmm accumulators) ------------------------------
__attribute__((target("avx512f"))) void ukr_avx512(size_t kc, const float* a, const float* b,
                                                   float* C, size_t ldc, float alpha,
                                                   float beta, size_t mr, size_t nr) {
  constexpr int MR = 12, NR = 32;
  __m512 c[MR][2];
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) c[r][0] = c[r][1] = _mm512_setzero_ps();
  for (size_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      const __m512 t = _mm512_set1_ps(a[r]);
      c[r][0] = _mm512_fmadd_ps(t, b0, c[r][0]);
      c[r][1] = _mm512_fmadd_ps(t, b1, c[r][1]);
    }
    a += MR;
    b += NR;
  }
  const __m512 va = _mm512_set1_ps(alpha);
  if (mr == MR && nr == NR) {
    const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      float* cr = C + r * ldc;
      for (int h = 0; h < 2; ++h) {
        __m512 v = _mm512_mul_ps(va, c[r][h]);
        if (beta != 0.0f) v = _mm512_fmadd_ps(vb, _mm512_loadu_ps(cr + 16 * h), v);
        _mm512_storeu_ps(cr + 16 * h, v);
      }
    }
    return;
  }
  alignas(64) float acc[MR * NR];
  for (int r = 0; r < MR; ++r)
    for (int h = 0; h < 2; ++h) _mm512_store_ps(acc + r * NR + 16 * h, _mm512_mul_ps(va, c[r][h]));
  store_edge<MR, NR>(acc, C, ldc, beta, mr, nr);
}
#endif

// ---- packing ---------------------------------------------------------------------------
// A block rows [i0, i0+mc) x depth [k0, k0+kc) -> MR-row panels, panel p at dst + p*kc:
// dst[k*MR + r] = op(A)(i0+p+r, k0+k), zero-padded past mc.
template <int MR>
void pack_a(bool ta, const float* A, size_t lda, size_t i0, size_t mc, size_t k0, size_t kc,
            float* dst) {
  for (size_t p = 0; p < mc; p += MR) {
    const size_t mr = std::min<size_t>(MR, mc - p);
    float* d = dst + p * kc;
    if (!ta) {  // op(A)(i,k) = A[i*lda + k]: read MR rows side by side
      const float* src[MR];
      for (size_t r = 0; r < MR; ++r) src[r] = r < mr ? A + (i0 + p + r) * lda + k0 : nullptr;
      if (mr == MR) {
        for (size_t k = 0; k < kc; ++k)
          for (int r = 0; r < MR; ++r) d[k * MR + r] = src[r][k];
      } else {
        for (size_t k = 0; k < kc; ++k)
          for (size_t r = 0; r < MR; ++r) d[k * MR + r] = r < mr ? src[r][k] : 0.0f;
      }
    } else {  // op(A)(i,k) = A[k*lda + i]: each k gives MR contiguous values
      for (size_t k = 0; k < kc; ++k) {
        const float* s = A + (k0 + k) * lda + i0 + p;
        size_t r = 0;
        for (; r < mr; ++r) d[k * MR + r] = s[r];
        for (; r < MR; ++r) d[k * MR + r] = 0.0f;
      }
    }
  }
}

// B slice depth [k0, k0+kc) x cols [j0, j0+nc) -> NR-col panels, panel q at dst + q*kc:
// dst[k*NR + c] = op(B)(k0+k, j0+q+c), zero-padded past nc.
template <int NR>
void pack_b(bool tb, const float* B, size_t ldb, size_t k0, size_t kc, size_t j0, size_t nc,
            float* dst) {
  for (size_t q = 0; q < nc; q += NR) {
    const size_t nr = std::min<size_t>(NR, nc - q);
    float* d = dst + q * kc;
    if (!tb) {  // op(B)(k,j) = B[k*ldb + j]: contiguous copy per k
      for (size_t k = 0; k < kc; ++k) {
        const float* s = B + (k0 + k) * ldb + j0 + q;
        size_t c = 0;
        for (; c < nr; ++c) d[k * NR + c] = s[c];
        for (; c < NR; ++c) d[k * NR + c] = 0.0f;
      }
    } else {  // op(B)(k,j) = B[j*ldb + k]: read NR rows of B side by side
      const float* src[NR];
      for (size_t c = 0; c < NR; ++c) src[c] = c < nr ? B + (j0 + q + c) * ldb + k0 : nullptr;
      for (size_t k = 0; k < kc; ++k)
        for (size_t c = 0; c < NR; ++c) d[k * NR + c] = c < nr ? src[c][k] : 0.0f;
    }
  }
}

struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};

float* scratch(std::unique_ptr<float[], AlignedFree>& buf, size_t& cap, size_t n) {
  if (cap < n) {
    void* p = nullptr;
    if (posix_memalign(&p, 64, n * sizeof(float)) != 0) throw std::bad_alloc();
    buf.reset(static_cast<float*>(p));
    cap = n;
  }
  return buf.get();
}

// One thread's share: the whole blocked algorithm on an M x N sub-problem.
template <int MR, int NR>
void blocked(Ukr ukr, bool ta, bool tb, size_t M, size_t N, size_t K, float alpha,
             const float* A, size_t lda, const float* B, size_t ldb, float beta, float* C,
             size_t ldc) {
  thread_local std::unique_ptr<float[], AlignedFree> abuf, bbuf;
  thread_local size_t acap = 0, bcap = 0;
  float* ap = scratch(abuf, acap, MC * KC);
  float* bp = scratch(bbuf, bcap, KC * NC);
  for (size_t jc = 0; jc < N; jc += NC) {
    const size_t nc = std::min(NC, N - jc);
    for (size_t pc = 0; pc < K; pc += KC) {
      const size_t kc = std::min(KC, K - pc);
      const float beta_eff = pc == 0 ? beta : 1.0f;  // later K slices accumulate
      pack_b<NR>(tb, B, ldb, pc, kc, jc, nc, bp);
      for (size_t ic = 0; ic < M; ic += MC) {
        const size_t mc = std::min(MC, M - ic);
        pack_a<MR>(ta, A, lda, ic, mc, pc, kc, ap);
        for (size_t jr = 0; jr < nc; jr += NR) {
          const size_t nr = std::min<size_t>(NR, nc - jr);
          for (size_t ir = 0; ir < mc; ir += MR) {
            const size_t mr = std::min<size_t>(MR, mc - ir);
            ukr(kc, ap + ir * kc, bp + jr * kc, C + (ic + ir) * ldc + jc + jr, ldc, alpha,
                beta_eff, mr, nr);
          }
        }
      }
    }
  }
}

template <int MR, int NR>
void run(Ukr ukr, bool ta, bool tb, size_t M, size_t N, size_t K, float alpha, const float* A,
         size_t lda, const float* B, size_t ldb, float beta, float* C, size_t ldc, bool parallel) {
  // Below ~2 MFLOP a thread hand-off costs more than it saves.
  const double flops = 2.0 * M * N * K;
  size_t threads = parallel && !in_parallel() && flops >= 2.0e6 ? num_threads() : 1;
  if (threads > 1 && M >= N) {
    const size_t panels = (M + MR - 1) / MR;
    const size_t parts = std::min(threads, panels);
    parallel_chunks(parts, [&](size_t p) {
      const size_t i0 = panels * p / parts * MR, i1 = std::min(M, panels * (p + 1) / parts * MR);
      if (i0 >= i1) return;
      blocked<MR, NR>(ukr, ta, tb, i1 - i0, N, K, alpha, ta ? A + i0 : A + i0 * lda, lda, B, ldb,
                      beta, C + i0 * ldc, ldc);
    });
  } else if (threads > 1) {
    const size_t panels = (N + NR - 1) / NR;
    const size_t parts = std::min(threads, panels);
    parallel_chunks(parts, [&](size_t p) {
      const size_t j0 = panels * p / parts * NR, j1 = std::min(N, panels * (p + 1) / parts * NR);
      if (j0 >= j1) return;
      blocked<MR, NR>(ukr, ta, tb, M, j1 - j0, K, alpha, A, lda, tb ? B + j0 * ldb : B + j0, ldb,
                      beta, C + j0, ldc);
    });
  } else {
    blocked<MR, NR>(ukr, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
}

enum class Isa { Generic, Avx2, Avx512 };

Isa detect_isa() {
#ifdef ADAPTEXT_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return Isa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
#endif
  return Isa::Generic;
}

Isa& current_isa() {
  static Isa isa = detect_isa();
  return isa;
}

}  // namespace

const char* builtin_isa() {
  switch (current_isa()) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2+fma";
    default: return "generic";
  }
}

// Switches the micro-kernel (tests run every ISA the CPU has). Returns false if unsupported.
bool set_builtin_isa(const char* name) {
  Isa best = detect_isa();
  Isa want;
  if (std::strcmp(name, "generic") == 0) want = Isa::Generic;
  else if (std::strcmp(name, "avx2+fma") == 0 || std::strcmp(name, "avx2") == 0) want = Isa::Avx2;
  else if (std::strcmp(name, "avx512") == 0) want = Isa::Avx512;
  else return false;
  if (static_cast<int>(want) > static_cast<int>(best)) return false;
  current_isa() = want;
  return true;
}

void builtin_gemm(bool ta, bool tb, size_t M, size_t N, size_t K, float alpha, const float* A,
                  size_t lda, const float* B, size_t ldb, float beta, float* C, size_t ldc,
                  bool parallel) {
  if (M == 0 || N == 0) return;
  if (K == 0 || alpha == 0.0f) {  // C = beta*C; beta=0 overwrites without reading
    for (size_t i = 0; i < M; ++i) {
      float* c = C + i * ldc;
      if (beta == 0.0f) std::fill(c, c + N, 0.0f);
      else if (beta != 1.0f) for (size_t j = 0; j < N; ++j) c[j] *= beta;
    }
    return;
  }
  switch (current_isa()) {
#ifdef ADAPTEXT_X86
    case Isa::Avx512:
      run<12, 32>(ukr_avx512, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, parallel);
      return;
    case Isa::Avx2:
      run<6, 16>(ukr_avx2, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, parallel);
      return;
#endif
    default:
      run<4, 8>(ukr_generic, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, parallel);
  }
}

}  // namespace adaptext
