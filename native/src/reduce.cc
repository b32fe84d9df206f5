// Global-gradient-norm helpers: sum of squares (float64 accumulation) and in-place scaling.
// x: [n].
#include <vector>

#include "kernels.h"
#include "parallel.h"
#include "vmath.h"

namespace adaptext {

double sum_squares(const float* x, size_t n) {
  const size_t grain = 1 << 15;
  const size_t ranges = parallel_ranges(n, grain);
  std::vector<double> part(ranges, 0.0);
  parallel_for_indexed(n, grain, [&](size_t p, size_t b, size_t e) {
    const float* xs = x + b;
    part[p] = lane_sum_f64(e - b, [&](size_t j) {
      const double v = xs[j];
      return v * v;
    });
  });
  double s = 0;
  for (double v : part) s += v;  // fixed order
  return s;
}

void scale_inplace(float* x, size_t n, float s) {
  parallel_for(n, 1 << 15, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) x[i] *= s;
  });
}

}  // namespace adaptext
