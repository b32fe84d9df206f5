// Embedding gather (forward) and scatter-add (backward).
// Shapes: weight, dweight [V,C]; ids [N] (validated by the caller: all in [0,V)); out, dout [N,C].
// Backward: ids repeat (the same token many times in a batch), so threads split the
// COLUMNS, each walking every id: no two threads touch the same element, and each element
// sums its rows in id order, so the result does not depend on the thread count.
#include <cstring>

#include "kernels.h"
#include "parallel.h"

namespace adaptext {

void embedding_forward(const float* weight, const int32_t* ids, size_t N, size_t C, float* out) {
  parallel_for(N, 64, [&](size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; ++i)
      std::memcpy(out + i * C, weight + static_cast<size_t>(ids[i]) * C, C * sizeof(float));
  });
}

void embedding_backward(const float* dout, const int32_t* ids, size_t N, size_t C, float* dweight) {
  // Column ranges of >= 64 floats (whole cache lines) unless the work is tiny.
  const size_t grain = N * C < (1u << 15) ? C : 64;
  parallel_for(C, grain, [&](size_t c0, size_t c1) {
    for (size_t i = 0; i < N; ++i) {
      float* w = dweight + static_cast<size_t>(ids[i]) * C;
      const float* g = dout + i * C;
      for (size_t c = c0; c < c1; ++c) w[c] += g[c];
    }
  });
}

}  // namespace adaptext
