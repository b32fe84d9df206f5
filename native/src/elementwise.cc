// Elementwise sums: the residual adds of the forward pass and the gradient sums of backward
// (src/tensor/ops/add.ts), threaded in 32k-element ranges. A float add equals the JS reference's
// double add rounded to float (double rounding is innocuous for a sum of two floats).
// a, b, out: [n]; out may alias a or b.
#include "kernels.h"
#include "parallel.h"

namespace adaptext {

namespace {

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void add_range(const float* a, const float* b, float* out, size_t s, size_t e) {
  for (size_t i = s; i < e; ++i) out[i] = a[i] + b[i];
}

}  // namespace

void add_vectors(const float* a, const float* b, float* out, size_t n) {
  parallel_for(n, 1 << 15, [&](size_t s, size_t e) { add_range(a, b, out, s, e); });
}

}  // namespace adaptext
