// Branch-free float math the compiler can vectorise (no libm calls in the hot loops),
// plus row helpers shared by softmax, attention and cross-entropy.
//
// NaN: every function here returns NaN for a NaN input (IEEE propagation, like PyTorch).
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

// Per-function ISA clones (GCC + glibc ifunc): the hot elementwise loops get AVX-512/AVX2
// versions chosen at load time while the binary stays portable (no -march flag).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define ADAPTEXT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ADAPTEXT_CLONES
#endif

namespace adaptext {

inline float bits_to_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline uint32_t float_to_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// exp(x) in float, ~1 ulp (Cephes expf polynomial on r = x - n*ln2, |r| <= ln2/2, scaled by
// 2^n through the exponent bits). exp(-inf) = 0, exp(+inf) = +inf, exp(NaN) = NaN.
inline float vexp(float x) {
  // Below lo the result would be (near-)denormal: flushed to 0 (only matters < 1.7e-38).
  const float hi = 88.3762626647949f, lo = -87.0f;
  const float xc = x > hi ? hi : (x < lo ? lo : x);  // NaN falls through both (false compares)
  const float magic = 12582912.0f;                    // 1.5*2^23: float add rounds to integer
  const float t = xc * 1.44269504088896341f + magic;
  const float n = t - magic;
  const int32_t ni = static_cast<int32_t>(float_to_bits(t) - float_to_bits(magic));
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  float res = bits_to_float(float_to_bits(y) + (static_cast<uint32_t>(ni) << 23));
  res = x < lo ? 0.0f : res;
  res = x > hi ? std::numeric_limits<float>::infinity() : res;
  return x != x ? x : res;  // NaN in, NaN out (the exponent trick would scramble its bits)
}

// Standard normal CDF Phi(x) = 0.5*(1 + erf(x/sqrt(2))), via erfc(|z|) ~= t*P(t)*exp(-z^2)
// (Abramowitz & Stegun 7.1.26, |abs error| <= 1.5e-7, the same approximation PyTorch's
// vectorised CPU erf uses). Computing the x<0 side as 0.5*erfc(|z|) instead of
// 0.5*(1+erf(z)) avoids cancellation, so small negative GELU outputs keep their digits.
inline float normal_cdf(float x) {
  const float z = x * 0.70710678118654752f;
  const float az = z < 0.0f ? -z : z;
  const float t = 1.0f / (1.0f + 0.3275911f * az);
  float p = 1.061405429f;
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  const float half_erfc = 0.5f * p * t * vexp(-az * az);
  return z < 0.0f ? half_erfc : 1.0f - half_erfc;  // NaN: t, p are NaN -> 1 - NaN = NaN
}

// Standard normal PDF.
inline float normal_pdf(float x) { return 0.39894228040143268f * vexp(-0.5f * x * x); }

// ---- row helpers (lane arrays so the reductions vectorise without -ffast-math) ---------
constexpr int kLanes = 16;

// sum_{j<n} f(j) accumulated in kLanes independent float lanes (vectorises, and is more
// accurate than one running sum), lanes combined in float64.
template <class F>
inline double lane_sum(size_t n, F f) {
  float lane[kLanes] = {0};
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) lane[l] += f(j + l);
  double s = 0;
  for (; j < n; ++j) s += f(j);
  for (int l = 0; l < kLanes; ++l) s += lane[l];
  return s;
}

// Same with float64 lanes (LayerNorm statistics, gradient norms).
template <class F>
inline double lane_sum_f64(size_t n, F f) {
  constexpr int L = 8;
  double lane[L] = {0};
  size_t j = 0;
  for (; j + L <= n; j += L)
    for (int l = 0; l < L; ++l) lane[l] += f(j + l);
  double s = 0;
  for (; j < n; ++j) s += f(j);
  for (int l = 0; l < L; ++l) s += lane[l];
  return s;
}

// Max of x[0..n), ignoring NaN (a NaN row still comes out NaN through exp(NaN - m)).
// GCC/Clang vector extension: `v > m ? v : m` on 16-float vectors vectorises in every
// ISA clone (the plain-array lane form is not if-converted by GCC).
typedef float f32x16 __attribute__((vector_size(64)));
inline float row_max(const float* x, size_t n) {
  const float ninf = -std::numeric_limits<float>::infinity();
  f32x16 lane = {ninf, ninf, ninf, ninf, ninf, ninf, ninf, ninf,
                 ninf, ninf, ninf, ninf, ninf, ninf, ninf, ninf};
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    f32x16 v;
    std::memcpy(&v, x + j, sizeof v);
    lane = v > lane ? v : lane;
  }
  float m = ninf;
  for (; j < n; ++j) m = x[j] > m ? x[j] : m;
  for (int l = 0; l < kLanes; ++l) m = lane[l] > m ? lane[l] : m;
  return m;
}

// out[j] = exp(x[j] - m); returns the sum in float64 (out may alias x).
inline double row_exp_sum(const float* x, size_t n, float m, float* out) {
  float lane[kLanes] = {0};
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      const float e = vexp(x[j + l] - m);
      out[j + l] = e;
      lane[l] += e;
    }
  double s = 0;
  for (; j < n; ++j) {
    const float e = vexp(x[j] - m);
    out[j] = e;
    s += e;
  }
  for (int l = 0; l < kLanes; ++l) s += lane[l];
  return s;
}

// sum_j a[j]*b[j] in float lanes, combined in float64.
inline double row_dot(const float* a, const float* b, size_t n) {
  return lane_sum(n, [&](size_t j) { return a[j] * b[j]; });
}

// Numerically stable softmax of one row, out may alias x.
inline void softmax_row(const float* x, size_t n, float* out) {
  const float m = row_max(x, n);
  const double s = row_exp_sum(x, n, m, out);
  const float inv = static_cast<float>(1.0 / s);
  for (size_t j = 0; j < n; ++j) out[j] *= inv;
}

}  // namespace adaptext
