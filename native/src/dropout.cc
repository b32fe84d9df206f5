// Dropout mask from one 32-bit seed: out[i] = 0 with probability p, else 1/(1-p) (inverted
// dropout). Counter-based (murmur3 fmix32 of a Weyl sequence seed + (i+1)*golden), so any
// element can be computed independently: the loop parallelises and the TypeScript reference
// (src/tensor/kernels/js.ts dropoutMask) produces the identical mask bit for bit.
// out: [n].
#include <cstdint>

#include "kernels.h"
#include "parallel.h"

namespace adaptext {

void dropout_mask(float* out, size_t n, double p, uint32_t seed) {
  // Same comparison as JS `h / 2^32 < p`: both sides exact in double.
  const double thr = p * 4294967296.0;
  const float keep = p < 1 ? static_cast<float>(1.0 / (1.0 - p)) : 0.0f;
  parallel_for(n, 1 << 15, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      uint32_t z = seed + static_cast<uint32_t>(i + 1) * 0x9e3779b9u;
      z = (z ^ (z >> 16)) * 0x85ebca6bu;
      z = (z ^ (z >> 13)) * 0xc2b2ae35u;
      z ^= z >> 16;
      out[i] = static_cast<double>(z) < thr ? 0.0f : keep;
    }
  });
}

}  // namespace adaptext
