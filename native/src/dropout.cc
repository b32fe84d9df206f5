// Dropout mask from one 32-bit seed: out[i] = 0 with probability p, else 1/(1-p) (inverted
// dropout). Counter-based (murmur3 fmix32 of a Weyl sequence seed + (i+1)*golden), so any
// element can be computed independently: the loop parallelises and the TypeScript reference
// (src/tensor/kernels/js.ts dropoutMask) produces the identical mask bit for bit.
// out: [n]. dropout_apply multiplies x by that mask without storing it (out = or += x·mask).
#include <cstdint>

#include "kernels.h"
#include "parallel.h"

namespace adaptext {

namespace {

inline uint32_t draw(uint32_t seed, size_t i) {
  uint32_t z = seed + static_cast<uint32_t>(i + 1) * 0x9e3779b9u;
  z = (z ^ (z >> 16)) * 0x85ebca6bu;
  z = (z ^ (z >> 13)) * 0xc2b2ae35u;
  return z ^ (z >> 16);
}

inline float keep_scale(double p) { return p < 1 ? static_cast<float>(1.0 / (1.0 - p)) : 0.0f; }

}  // namespace

void dropout_mask(float* out, size_t n, double p, uint32_t seed) {
  // Same comparison as JS `h / 2^32 < p`: both sides exact in double.
  const double thr = p * 4294967296.0;
  const float keep = keep_scale(p);
  parallel_for(n, 1 << 15, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) out[i] = static_cast<double>(draw(seed, i)) < thr ? 0.0f : keep;
  });
}

void dropout_apply(const float* x, float* out, size_t n, double p, uint32_t seed, bool accumulate) {
  const double thr = p * 4294967296.0;
  const double keep = keep_scale(p);
  // in double and rounded once, as the JS reference computes `out[i] + x[i] * keep`
  parallel_for(n, 1 << 15, [&](size_t b, size_t e) {
    if (accumulate) {
      for (size_t i = b; i < e; ++i) {
        const double v = static_cast<double>(draw(seed, i)) < thr ? 0.0 : static_cast<double>(x[i]) * keep;
        out[i] = static_cast<float>(static_cast<double>(out[i]) + v);
      }
    } else {
      for (size_t i = b; i < e; ++i) out[i] = static_cast<double>(draw(seed, i)) < thr ? 0.0f : static_cast<float>(static_cast<double>(x[i]) * keep);
    }
  });
}

}  // namespace adaptext
