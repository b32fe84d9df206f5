// Exact GELU (erf form, HF "gelu"), forward and backward. x, out, dout, dx: [n].
//   gelu(x)  = x * Phi(x)            Phi = standard normal CDF = 0.5*(1 + erf(x/sqrt(2)))
//   gelu'(x) = Phi(x) + x * phi(x)   phi = standard normal PDF
// Phi uses the A&S 7.1.26 erfc approximation (abs error <= 1.5e-7, see vmath.h).
#include "kernels.h"
#include "parallel.h"
#include "vmath.h"

namespace adaptext {
namespace {

ADAPTEXT_CLONES void gelu_fwd_range(const float* x, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = x[i] * normal_cdf(x[i]);
}

ADAPTEXT_CLONES void gelu_bwd_range(const float* x, const float* dout, float* dx, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float xi = x[i];
    dx[i] += dout[i] * (normal_cdf(xi) + xi * normal_pdf(xi));
  }
}

}  // namespace

void gelu_forward(const float* x, float* out, size_t n) {
  parallel_for(n, 1 << 14, [&](size_t b, size_t e) { gelu_fwd_range(x + b, out + b, e - b); });
}

void gelu_backward(const float* x, const float* dout, float* dx, size_t n) {
  parallel_for(n, 1 << 14,
               [&](size_t b, size_t e) { gelu_bwd_range(x + b, dout + b, dx + b, e - b); });
}

}  // namespace adaptext
