// Dropout mask from one 32-bit seed: out[i] = 0 with probability p, else 1/(1-p) (inverted
// dropout). Counter-based (murmur3 fmix32 of a Weyl sequence seed + (i+1)*golden), so any
// element can be computed independently: the loop parallelises and the TypeScript reference
// (src/tensor/kernels/js.ts dropoutMask) produces the identical mask bit for bit.
// out: [n]. dropout_apply multiplies x by that mask without storing it (out = or += x·mask).
#include <cmath>
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

// JS compares h / 2^32 < p in double; for an integer h that is h < ceil(p · 2^32) (exact: p · 2^32
// is a power-of-two scaling), an integer compare the loops below vectorise.
inline uint64_t drop_below(double p) { return static_cast<uint64_t>(std::ceil(p * 4294967296.0)); }

// The loops are compiled for AVX-512, AVX2 and baseline x86-64 and picked at load time (the
// addon is built without -march): the 32-bit multiplies of the hash need at least SSE4.1 to
// vectorise, which the baseline lacks.
#if defined(__x86_64__) && defined(__GNUC__)
#define DROPOUT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DROPOUT_CLONES
#endif

DROPOUT_CLONES void mask_range(float* out, size_t b, size_t e, uint64_t below, float keep, uint32_t seed) {
  for (size_t i = b; i < e; ++i) out[i] = draw(seed, i) < below ? 0.0f : keep;
}

DROPOUT_CLONES void apply_range(const float* x, float* out, size_t b, size_t e, uint64_t below, float keep, uint32_t seed) {
  // float product of two floats = the JS double product rounded once
  for (size_t i = b; i < e; ++i) out[i] = draw(seed, i) < below ? 0.0f : x[i] * keep;
}

DROPOUT_CLONES void accumulate_range(const float* x, float* out, size_t b, size_t e, uint64_t below, float keep, uint32_t seed) {
  // out + x·keep in double, rounded to float once, as the JS reference computes it
  for (size_t i = b; i < e; ++i) {
    const double v = draw(seed, i) < below ? 0.0 : static_cast<double>(x[i]) * static_cast<double>(keep);
    out[i] = static_cast<float>(static_cast<double>(out[i]) + v);
  }
}

}  // namespace

void dropout_mask(float* out, size_t n, double p, uint32_t seed) {
  const uint64_t below = drop_below(p);
  const float keep = keep_scale(p);
  parallel_for(n, 1 << 15, [&](size_t b, size_t e) { mask_range(out, b, e, below, keep, seed); });
}

void dropout_apply(const float* x, float* out, size_t n, double p, uint32_t seed, bool accumulate) {
  const uint64_t below = drop_below(p);
  const float keep = keep_scale(p);
  parallel_for(n, 1 << 15, [&](size_t b, size_t e) {
    if (accumulate) accumulate_range(x, out, b, e, below, keep, seed);
    else apply_range(x, out, b, e, below, keep, seed);
  });
}

}  // namespace adaptext
