// Row softmax, forward and backward. x, out, y, dy, dx: [R,C].
//   forward:  out = exp(x - max) / sum(exp(x - max))   (a row holding NaN is all-NaN)
//   backward: dx += y * (dy - sum(dy * y))
#include "kernels.h"
#include "parallel.h"
#include "vmath.h"

namespace adaptext {
namespace {

ADAPTEXT_CLONES void softmax_rows(const float* x, size_t r0, size_t r1, size_t C, float* out) {
  for (size_t r = r0; r < r1; ++r) softmax_row(x + r * C, C, out + r * C);
}

ADAPTEXT_CLONES void softmax_bwd_rows(const float* y, const float* dy, size_t r0, size_t r1,
                                      size_t C, float* dx) {
  for (size_t r = r0; r < r1; ++r) {
    const float* yr = y + r * C;
    const float* g = dy + r * C;
    float* d = dx + r * C;
    const float dot = static_cast<float>(row_dot(g, yr, C));
    for (size_t j = 0; j < C; ++j) d[j] += yr[j] * (g[j] - dot);
  }
}

size_t grain_rows(size_t C) { return C >= 4096 ? 1 : 4096 / C; }

}  // namespace

void softmax_forward(const float* x, size_t R, size_t C, float* out) {
  if (C == 0) return;
  parallel_for(R, grain_rows(C), [&](size_t r0, size_t r1) { softmax_rows(x, r0, r1, C, out); });
}

void softmax_backward(const float* y, const float* dy, size_t R, size_t C, float* dx) {
  if (C == 0) return;
  parallel_for(R, grain_rows(C),
               [&](size_t r0, size_t r1) { softmax_bwd_rows(y, dy, r0, r1, C, dx); });
}

}  // namespace adaptext
