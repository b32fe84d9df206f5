// Softmax cross-entropy with ignore index, forward and backward.
// Shapes: logits, probs, dlogits [R,C]; targets [R] (validated by the caller: each row is
// ignore_index or in [0,C)). Forward returns the SUM of row losses (float64) and the count
// of non-ignored rows; the op divides. Ignored rows leave probs untouched.
//   loss_r = log(sum_j exp(x_rj - max_r)) + max_r - x_r,target
//   dlogits_r += scale * (probs_r - onehot(target_r))
#include <cmath>
#include <vector>

#include "kernels.h"
#include "parallel.h"
#include "vmath.h"

namespace adaptext {
namespace {

ADAPTEXT_CLONES double ce_rows(const float* logits, const int32_t* targets, size_t r0, size_t r1,
                               size_t C, int32_t ignore_index, float* probs, size_t* count) {
  double loss = 0;
  size_t n = 0;
  for (size_t r = r0; r < r1; ++r) {
    const int32_t t = targets[r];
    if (t == ignore_index) continue;
    const float* x = logits + r * C;
    float* p = probs + r * C;
    const float m = row_max(x, C);
    const double s = row_exp_sum(x, C, m, p);
    const float inv = static_cast<float>(1.0 / s);
    for (size_t j = 0; j < C; ++j) p[j] *= inv;
    loss += std::log(s) + static_cast<double>(m) - static_cast<double>(x[t]);
    ++n;
  }
  *count = n;
  return loss;
}

}  // namespace

double cross_entropy_forward(const float* logits, const int32_t* targets, size_t R, size_t C,
                             int32_t ignore_index, float* probs, size_t* count) {
  const size_t grain = C >= 4096 ? 1 : 4096 / (C == 0 ? 1 : C);
  const size_t ranges = parallel_ranges(R, grain);
  std::vector<double> loss(ranges, 0.0);
  std::vector<size_t> cnt(ranges, 0);
  parallel_for_indexed(R, grain, [&](size_t p, size_t r0, size_t r1) {
    loss[p] = ce_rows(logits, targets, r0, r1, C, ignore_index, probs, &cnt[p]);
  });
  double total = 0;
  size_t n = 0;
  for (size_t p = 0; p < ranges; ++p) {  // fixed order: same result for a given thread count
    total += loss[p];
    n += cnt[p];
  }
  *count = n;
  return total;
}

void cross_entropy_backward(const float* probs, const int32_t* targets, size_t R, size_t C,
                            int32_t ignore_index, float scale, float* dlogits) {
  const size_t grain = C >= 4096 ? 1 : 4096 / (C == 0 ? 1 : C);
  parallel_for(R, grain, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      const int32_t t = targets[r];
      if (t == ignore_index) continue;
      const float* p = probs + r * C;
      float* d = dlogits + r * C;
      for (size_t j = 0; j < C; ++j) d[j] += scale * p[j];
      d[t] -= scale;
    }
  });
}

}  // namespace adaptext
