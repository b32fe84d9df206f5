// The CPU's arithmetic peak on one core, measured: a register-only loop of independent
// multiply-adds (no memory traffic), so a GEMM's GFLOP/s can be read as a share of what the
// core can do at all. Vendors' "FLOP per cycle" tables do not say how a shared VM's clock and
// µop scheduling behave; this does, on the machine the benchmark runs on.
#include <chrono>
#include <cstring>

#include "kernels.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

namespace adaptext {
namespace {

// 24 accumulators: more than latency x throughput of an FMA / vdpbf16ps on current cores, so the
// loop runs at the issue rate. The empty asm keeps the compiler from hoisting or folding the chain.
constexpr int ACC = 24;

// Doubles the iteration count until one run takes `seconds`; GFLOP/s of that run.
double timed(double seconds, long flops_per_iter, void (*step)(long)) {
  long iters = 1 << 20;
  for (;;) {
    const auto t0 = std::chrono::steady_clock::now();
    step(iters);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s >= seconds) return static_cast<double>(iters) * flops_per_iter / s / 1e9;
    iters *= 2;
  }
}

__attribute__((target("avx512f"))) void fma512_loop(long n) {
  __m512 c[ACC];
  for (int i = 0; i < ACC; ++i) c[i] = _mm512_set1_ps(static_cast<float>(i));
  __m512 a = _mm512_set1_ps(1.0f), b = _mm512_set1_ps(0.0f);
  for (long k = 0; k < n; ++k) {
#pragma GCC unroll 24
    for (int i = 0; i < ACC; ++i) c[i] = _mm512_fmadd_ps(a, b, c[i]);
    __asm__ volatile("" : "+v"(a));
  }
  float sink[16];
  for (int i = 1; i < ACC; ++i) c[0] = _mm512_add_ps(c[0], c[i]);
  _mm512_storeu_ps(sink, c[0]);
  __asm__ volatile("" : : "r"(sink) : "memory");
}
double fma512(double seconds) { return timed(seconds, ACC * 16 * 2, fma512_loop); }

__attribute__((target("avx2,fma"))) void fma256_loop(long n) {
  __m256 c[ACC];
  for (int i = 0; i < ACC; ++i) c[i] = _mm256_set1_ps(static_cast<float>(i));
  __m256 a = _mm256_set1_ps(1.0f), b = _mm256_set1_ps(0.0f);
  for (long k = 0; k < n; ++k) {
#pragma GCC unroll 24
    for (int i = 0; i < ACC; ++i) c[i] = _mm256_fmadd_ps(a, b, c[i]);
    __asm__ volatile("" : "+v"(a));
  }
  float sink[8];
  for (int i = 1; i < ACC; ++i) c[0] = _mm256_add_ps(c[0], c[i]);
  _mm256_storeu_ps(sink, c[0]);
  __asm__ volatile("" : : "r"(sink) : "memory");
}
double fma256(double seconds) { return timed(seconds, ACC * 8 * 2, fma256_loop); }

// vdpbf16ps: 16 lanes x 2 products, i.e. 64 FLOP per instruction (what the bf16 GEMM issues).
__attribute__((target("avx512f,avx512bf16"))) void dpbf16_loop(long n) {
  __m512 c[ACC];
  for (int i = 0; i < ACC; ++i) c[i] = _mm512_set1_ps(static_cast<float>(i));
  __m512bh a = (__m512bh)_mm512_set1_epi32(0), b = (__m512bh)_mm512_set1_epi32(0);
  for (long k = 0; k < n; ++k) {
#pragma GCC unroll 24
    for (int i = 0; i < ACC; ++i) c[i] = _mm512_dpbf16_ps(c[i], a, b);
    __asm__ volatile("" : "+v"(a));
  }
  float sink[16];
  for (int i = 1; i < ACC; ++i) c[0] = _mm512_add_ps(c[0], c[i]);
  _mm512_storeu_ps(sink, c[0]);
  __asm__ volatile("" : : "r"(sink) : "memory");
}
double dpbf16(double seconds) { return timed(seconds, ACC * 16 * 2 * 2, dpbf16_loop); }

}  // namespace

double bench_peak(const char* kind, double seconds) {
  if (std::strcmp(kind, "fp32") == 0) {
    if (__builtin_cpu_supports("avx512f")) return fma512(seconds);
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return fma256(seconds);
    return -1;
  }
  if (std::strcmp(kind, "bf16") == 0 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16")) return dpbf16(seconds);
  return -1;
}

}  // namespace adaptext
#else
namespace adaptext {
double bench_peak(const char*, double) { return -1; }
}  // namespace adaptext
#endif
