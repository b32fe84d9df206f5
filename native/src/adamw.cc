// One AdamW step in place, with torch.optim.AdamW's single-tensor arithmetic in float32
// (torch/optim/adamw.py `_single_tensor_adamw`, non-capturable, amsgrad=False):
//   p.mul_(1 - lr*wd)
//   m.lerp_(g, 1-b1)            lerp(a, b, w) = w < 0.5 ? a + w*(b-a) : b - (b-a)*(1-w)
//   v.mul_(b2).addcmul_(g, g, value=1-b2)
//   denom = v.sqrt() / sqrt(1 - b2^step) + eps
//   p.addcdiv_(m, denom, value=-lr/(1 - b1^step))
// The python-float scalars are computed in float64 and rounded to float once, as torch does.
// Shapes: param, grad, m, v: [n].
#include <cmath>

#include "kernels.h"
#include "parallel.h"
#include "vmath.h"

namespace adaptext {
namespace {

struct AdamScalars {
  float decay, w, one_minus_w, b2, one_minus_b2, bc2_sqrt, eps, neg_step;
};

ADAPTEXT_CLONES void adamw_range(float* p, const float* g, float* m, float* v, size_t n,
                                 AdamScalars s) {
  const bool low = s.w < 0.5f;
  for (size_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float pi = p[i] * s.decay;
    const float mi = low ? m[i] + s.w * (gi - m[i]) : gi - (gi - m[i]) * s.one_minus_w;
    const float vi = v[i] * s.b2 + s.one_minus_b2 * gi * gi;
    const float denom = std::sqrt(vi) / s.bc2_sqrt + s.eps;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi + s.neg_step * mi / denom;
  }
}

}  // namespace

void adamw_update(float* param, const float* grad, float* m, float* v, size_t n, double lr,
                  double b1, double b2, double eps, double weight_decay, double step) {
  AdamScalars s;
  s.decay = static_cast<float>(1.0 - lr * weight_decay);
  s.w = static_cast<float>(1.0 - b1);
  s.one_minus_w = 1.0f - s.w;  // torch: opmath_t(1) - weight, in float
  s.b2 = static_cast<float>(b2);
  s.one_minus_b2 = static_cast<float>(1.0 - b2);
  s.bc2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(b2, step)));
  s.eps = static_cast<float>(eps);
  s.neg_step = static_cast<float>(-lr / (1.0 - std::pow(b1, step)));
  parallel_for(n, 1 << 15, [&](size_t b, size_t e) {
    adamw_range(param + b, grad + b, m + b, v + b, e - b, s);
  });
}

}  // namespace adaptext
