// LayerNorm over the last dim, forward and backward (llm.c layernorm_forward/backward).
// Shapes: x, out, dout, dx [R,C]; gamma, beta, dgamma, dbeta [C]; mean, rstd [R].
// Rows are independent: split over threads. dgamma/dbeta sum over rows, so each thread
// range accumulates into its own [C] scratch and the ranges are added in order at the end.
#include <cmath>
#include <vector>

#include "kernels.h"
#include "parallel.h"
#include "vmath.h"

namespace adaptext {
namespace {

ADAPTEXT_CLONES void forward_rows(const float* x, const float* gamma, const float* beta,
                                  size_t r0, size_t r1, size_t C, float eps, float* out,
                                  float* mean, float* rstd) {
  for (size_t r = r0; r < r1; ++r) {
    const float* xr = x + r * C;
    float* o = out + r * C;
    // Two passes in float64: PyTorch's biased variance, no E[x^2]-E[x]^2 cancellation.
    const double m = lane_sum_f64(C, [&](size_t j) { return static_cast<double>(xr[j]); }) /
                     static_cast<double>(C);
    const double v = lane_sum_f64(C, [&](size_t j) {
      const double dlt = xr[j] - m;
      return dlt * dlt;
    });
    const float rs = static_cast<float>(1.0 / std::sqrt(v / static_cast<double>(C) + eps));
    mean[r] = static_cast<float>(m);
    rstd[r] = rs;
    // x - mean in float64: with a large mean and a tiny spread, float32 mean rounding
    // alone would shift every output by up to ulp(mean)*rstd.
    for (size_t j = 0; j < C; ++j)
      o[j] = static_cast<float>(xr[j] - m) * rs * gamma[j] + beta[j];
  }
}

ADAPTEXT_CLONES void backward_rows(const float* dout, const float* x, const float* gamma,
                                   const float* mean, const float* rstd, size_t r0, size_t r1,
                                   size_t C, float* dx, float* pg, float* pb) {
  for (size_t r = r0; r < r1; ++r) {
    const float* xr = x + r * C;
    const float* dy = dout + r * C;
    const float m = mean[r], rs = rstd[r];
    if (dx != nullptr) {
      // dx = rstd * (g - mean(g) - n * mean(g*n)), n = (x-mean)*rstd, g = dout*gamma
      const float g_mean = static_cast<float>(
          lane_sum(C, [&](size_t j) { return dy[j] * gamma[j]; }) / static_cast<double>(C));
      const float gn_mean = static_cast<float>(
          lane_sum(C, [&](size_t j) { return dy[j] * gamma[j] * ((xr[j] - m) * rs); }) /
          static_cast<double>(C));
      float* d = dx + r * C;
      for (size_t j = 0; j < C; ++j) {
        const float n = (xr[j] - m) * rs;
        d[j] += rs * (dy[j] * gamma[j] - g_mean - n * gn_mean);
      }
    }
    if (pg != nullptr) {
      for (size_t j = 0; j < C; ++j) {
        pg[j] += dy[j] * ((xr[j] - m) * rs);
        pb[j] += dy[j];
      }
    }
  }
}

}  // namespace

void layernorm_forward(const float* x, const float* gamma, const float* beta, size_t R, size_t C,
                       float eps, float* out, float* mean, float* rstd) {
  parallel_for(R, 16, [&](size_t r0, size_t r1) {
    forward_rows(x, gamma, beta, r0, r1, C, eps, out, mean, rstd);
  });
}

void layernorm_backward(const float* dout, const float* x, const float* gamma, const float* mean,
                        const float* rstd, size_t R, size_t C, float* dx, float* dgamma,
                        float* dbeta) {
  const size_t ranges = parallel_ranges(R, 16);
  const bool want_params = dgamma != nullptr || dbeta != nullptr;
  // [ranges, 2, C]: per-range partial dgamma, dbeta
  std::vector<float> part(want_params ? ranges * 2 * C : 0, 0.0f);
  parallel_for_indexed(R, 16, [&](size_t range, size_t r0, size_t r1) {
    float* pg = want_params ? part.data() + range * 2 * C : nullptr;
    float* pb = want_params ? pg + C : nullptr;
    backward_rows(dout, x, gamma, mean, rstd, r0, r1, C, dx, pg, pb);
  });
  if (!want_params) return;
  for (size_t p = 0; p < ranges; ++p) {
    const float* pg = part.data() + p * 2 * C;
    const float* pb = pg + C;
    if (dgamma != nullptr)
      for (size_t j = 0; j < C; ++j) dgamma[j] += pg[j];
    if (dbeta != nullptr)
      for (size_t j = 0; j < C; ++j) dbeta[j] += pb[j];
  }
}

}  // namespace adaptext
