// GEMM entry points: CBLAS when one was found at build time (binding.gyp defines
// ADAPTEXT_CBLAS plus ADAPTEXT_OPENBLAS or ADAPTEXT_ACCELERATE), else the built-in kernel.
//
// Row-major through column-major BLAS by swapping operands: a row-major
// [M,N] matrix is the column-major [N,M] matrix C^T, and C^T = op(B)^T op(A)^T, so we call
// sgemm(ColMajor, transB, transA, N, M, K, B, ldb, A, lda, C, ldc). No copies.
#include <cctype>
#include <chrono>
#include <cstring>
#include <string>
#include <cstdlib>
#include <vector>

#include "kernels.h"
#include "parallel.h"

#if defined(ADAPTEXT_ACCELERATE)
#include <Accelerate/Accelerate.h>
#elif defined(ADAPTEXT_CBLAS)
#include <cblas.h>
#endif

#if defined(ADAPTEXT_OPENBLAS)
extern "C" {
// Declared here too: not every packaging of cblas.h declares the OpenBLAS extras.
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
char* openblas_get_config(void);
char* openblas_get_corename(void);
}
#endif

namespace adaptext {
namespace {

#if defined(ADAPTEXT_CBLAS)
GemmImpl g_impl = GemmImpl::Auto;

inline void blas_sgemm(bool ta, bool tb, size_t M, size_t N, size_t K, float alpha,
                       const float* A, size_t lda, const float* B, size_t ldb, float beta,
                       float* C, size_t ldc) {
  cblas_sgemm(CblasColMajor, tb ? CblasTrans : CblasNoTrans, ta ? CblasTrans : CblasNoTrans,
              static_cast<int>(N), static_cast<int>(M), static_cast<int>(K), alpha, B,
              static_cast<int>(ldb), A, static_cast<int>(lda), beta, C, static_cast<int>(ldc));
}
#else
GemmImpl g_impl = GemmImpl::Builtin;
#endif

// BLAS takes int dims; anything bigger (never at BERT sizes) goes to the built-in kernel.
inline bool fits_int(size_t a, size_t b, size_t c, size_t d, size_t e, size_t f) {
  const size_t lim = 0x7fffffff;
  return a <= lim && b <= lim && c <= lim && d <= lim && e <= lim && f <= lim;
}

// C = beta*C for the degenerate cases BLAS implementations disagree on (K=0, alpha=0).
void scale_c(size_t M, size_t N, float beta, float* C, size_t ldc) {
  for (size_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    for (size_t j = 0; j < N; ++j) c[j] = beta == 0.0f ? 0.0f : beta * c[j];
  }
}

// M == 1 (a bias gradient: ones[1,R] @ dY[R,N], or a single row): a row-vector times a matrix is
// memory-bound, and both GEMM paths pack op(B) into micro-panels of which one row in MR is real —
// OpenBLAS 0.3.21 has no GEMV forwarding either (a 1 x 3072 x 1024 GEMM took longer than a JS loop).
// This reads op(B) once, in memory order. Each output element sums over k in order, whatever
// the thread count (threads split N only), so results are reproducible.
void row_times_matrix(bool ta, bool tb, size_t N, size_t K, float alpha, const float* A,
                      size_t lda, const float* B, size_t ldb, float beta, float* C) {
  const size_t inca = ta ? lda : 1;  // op(A)(0, k) = A[k * inca]
  auto range = [&](size_t j0, size_t j1) {
    if (tb) {  // op(B)(k, n) = B[n*ldb + k]: one dot product per output, rows of B contiguous
      // 16 interleaved partial sums: vectorisable, and each sums K/16 terms (rounding as blocked GEMM)
      constexpr size_t L = 16;
      for (size_t n = j0; n < j1; ++n) {
        const float* b = B + n * ldb;
        float part[L] = {};
        size_t k = 0;
        for (; k + L <= K; k += L)
          for (size_t l = 0; l < L; ++l) part[l] += A[(k + l) * inca] * b[k + l];
        for (; k < K; ++k) part[k % L] += A[k * inca] * b[k];
        float acc = 0.0f;
        for (size_t l = 0; l < L; ++l) acc += part[l];
        C[n] = (beta == 0.0f ? 0.0f : beta * C[n]) + alpha * acc;
      }
      return;
    }
    // op(B)(k, n) = B[k*ldb + n]: accumulate row k of B scaled by a_k (a vectorisable axpy)
    std::vector<float> acc(j1 - j0, 0.0f);
    for (size_t k = 0; k < K; ++k) {
      const float ak = A[k * inca];
      const float* b = B + k * ldb + j0;
      for (size_t n = 0; n < j1 - j0; ++n) acc[n] += ak * b[n];
    }
    for (size_t n = j0; n < j1; ++n) C[n] = (beta == 0.0f ? 0.0f : beta * C[n]) + alpha * acc[n - j0];
  };
  if (in_parallel() || N * K < (1u << 18)) range(0, N);
  else parallel_for(N, 256, range);
}

}  // namespace

bool blas_available() {
#if defined(ADAPTEXT_CBLAS)
  return true;
#else
  return false;
#endif
}

const char* blas_name() {
#if defined(ADAPTEXT_OPENBLAS)
  return "OpenBLAS";
#elif defined(ADAPTEXT_ACCELERATE)
  return "Accelerate";
#elif defined(ADAPTEXT_CBLAS)
  return "CBLAS";
#else
  return "none";
#endif
}

const char* blas_detail() {
#if defined(ADAPTEXT_OPENBLAS)
  return openblas_get_config();
#else
  return "";
#endif
}

const char* blas_core() {
#if defined(ADAPTEXT_OPENBLAS)
  const char* c = openblas_get_corename();
  return c != nullptr ? c : "";
#else
  return "";
#endif
}

// True when our micro-kernel uses a wider ISA than the linked BLAS: AVX-512 built-in vs an
// OpenBLAS that picked a non-AVX-512 core (e.g. Debian's 0.3.21 on AMD Zen 5 -> "Haswell").
// Accelerate and unknown CBLAS builds are trusted.
bool builtin_beats_blas() {
#if defined(ADAPTEXT_OPENBLAS)
  static const bool blas_is_wide = [] {
    std::string core = blas_core();
    for (char& ch : core) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    for (const char* wide : {"skylakex", "cooperlake", "sapphirerapids", "zen4", "zen5"})
      if (core.find(wide) != std::string::npos) return true;
    return false;
  }();
  return !blas_is_wide && std::strcmp(builtin_isa(), "avx512") == 0;
#else
  return false;
#endif
}

GemmImpl gemm_impl() { return g_impl; }

void set_gemm_impl(GemmImpl impl) { g_impl = blas_available() ? impl : GemmImpl::Builtin; }

void set_blas_threads(int n) {
#if defined(ADAPTEXT_OPENBLAS)
  openblas_set_num_threads(n);
#else
  (void)n;
#endif
}

void gemm(bool ta, bool tb, size_t M, size_t N, size_t K, float alpha, const float* A, size_t lda,
          const float* B, size_t ldb, float beta, float* C, size_t ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0 || alpha == 0.0f) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  if (M == 1 && g_impl != GemmImpl::Blas) {  // ADAPTEXT_GEMM=blas keeps BLAS for every shape
    row_times_matrix(ta, tb, N, K, alpha, A, lda, B, ldb, beta, C);
    return;
  }
#if defined(ADAPTEXT_CBLAS)
  bool use_blas = g_impl == GemmImpl::Blas;
  if (g_impl == GemmImpl::Auto) {
    // Skinny shapes (classifier heads, batch-of-8 poolers) stay on BLAS: its small-matrix
    // paths beat our packing there.
    use_blas = !(M >= 64 && N >= 64 && K >= 64 && builtin_beats_blas());
  }
  // Inside one of our parallel regions a threaded BLAS would oversubscribe the cores.
  if (use_blas && !in_parallel() && fits_int(M, N, K, lda, ldb, ldc)) {
    blas_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
#endif
  builtin_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, true);
}

void gemm_serial(bool ta, bool tb, size_t M, size_t N, size_t K, float alpha, const float* A,
                 size_t lda, const float* B, size_t ldb, float beta, float* C, size_t ldc) {
  builtin_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, false);
}

void gemm_batched(size_t batch, bool ta, bool tb, size_t M, size_t N, size_t K, float alpha,
                  const float* A, size_t lda, size_t sA, const float* B, size_t ldb, size_t sB,
                  float beta, float* C, size_t ldc, size_t sC) {
  if (batch == 0) return;
  // Big matrices: one threaded GEMM after another. Many small ones (attention-sized):
  // spread the batch over our threads, each GEMM single-threaded.
  const double flops = 2.0 * M * N * K;
  if (batch == 1 || flops >= 64.0 * 64.0 * 64.0 * 2.0 * 8.0 || in_parallel()) {
    for (size_t b = 0; b < batch; ++b)
      gemm(ta, tb, M, N, K, alpha, A + b * sA, lda, B + b * sB, ldb, beta, C + b * sC, ldc);
    return;
  }
  parallel_for(batch, 1, [&](size_t b0, size_t b1) {
    for (size_t b = b0; b < b1; ++b)
      gemm_serial(ta, tb, M, N, K, alpha, A + b * sA, lda, B + b * sB, ldb, beta, C + b * sC, ldc);
  });
}

// ---- benchmark helpers -----------------------------------------------------------------
namespace {
struct BenchBufs {
  std::vector<float> A, B, C;
  BenchBufs(size_t M, size_t N, size_t K) : A(M * K), B(K * N), C(M * N) {
    for (size_t i = 0; i < A.size(); ++i) A[i] = static_cast<float>((i * 7 + 3) % 13) * 0.01f;
    for (size_t i = 0; i < B.size(); ++i) B[i] = static_cast<float>((i * 5 + 1) % 11) * 0.01f;
  }
};

template <class F>
double time_loop(int iters, F&& f) {
  f();  // warm-up: page faults, packing buffers, thread start
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) f();
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double>(t1 - t0).count();
}
}  // namespace

double bench_blas_sgemm(bool ta, bool tb, size_t M, size_t N, size_t K, int iters) {
#if defined(ADAPTEXT_CBLAS)
  BenchBufs b(M, N, K);
  const size_t lda = ta ? M : K, ldb = tb ? K : N;
  return time_loop(iters, [&] {
    blas_sgemm(ta, tb, M, N, K, 1.0f, b.A.data(), lda, b.B.data(), ldb, 0.0f, b.C.data(), N);
  });
#else
  (void)ta; (void)tb; (void)M; (void)N; (void)K; (void)iters;
  return -1.0;
#endif
}

double bench_builtin_sgemm(bool ta, bool tb, size_t M, size_t N, size_t K, int iters) {
  BenchBufs b(M, N, K);
  const size_t lda = ta ? M : K, ldb = tb ? K : N;
  return time_loop(iters, [&] {
    builtin_gemm(ta, tb, M, N, K, 1.0f, b.A.data(), lda, b.B.data(), ldb, 0.0f, b.C.data(), N,
                 true);
  });
}

}  // namespace adaptext
