// Scaled dot-product self-attention on projections in [B,T,H] layout (H = nH*d): head h of
// token t is the d columns h*d.. of row t, so a head's Q/K/V is a [T,d] matrix with row
// stride H and every per-head GEMM reads it in place (lda = H), no permute copies.
//
// Shapes: q,k,v,out,dout,dq,dk,dv [B,T,H]; keyMask [B,T] (1 attend, 0 padding);
// probs, dropMask [B,nH,T,T]. One task per (batch, head), spread over the thread pool;
// tasks write disjoint column slices of out/dq/dk/dv, so no locking. The per-head GEMMs
// are small (T x T x d) and run single-threaded on the built-in kernel inside the task.
//
// Masking: keys with keyMask == 0 are skipped (probability exactly 0), which is what HF's
// additive finfo.min mask yields; a row whose keys are ALL masked is uniform 1/T, again
// like HF (all scores collapse to finfo.min). A NaN in q/k gives a NaN row of probs.
#include <limits>
#include <vector>

#include "kernels.h"
#include "parallel.h"
#include "vmath.h"

namespace adaptext {
namespace {

// Masked softmax of one score row in place. keep: [T] or null.
ADAPTEXT_CLONES void masked_softmax_row(float* s, size_t T, const float* keep, bool any_kept) {
  if (!any_kept) {
    const float u = 1.0f / static_cast<float>(T);
    for (size_t j = 0; j < T; ++j) s[j] = u;
    return;
  }
  if (keep != nullptr) {
    for (size_t j = 0; j < T; ++j)
      s[j] = keep[j] == 0.0f ? -std::numeric_limits<float>::infinity() : s[j];
  }
  softmax_row(s, T, s);  // exp(-inf - max) = 0 exactly
}

// dS = P * (dP - rowsum(P * dP)) * scale, with dP = dP' * drop; g holds dP' in, dS out.
ADAPTEXT_CLONES void softmax_grad_rows(const float* P, const float* drop, float* g, size_t T,
                                       float scale) {
  for (size_t i = 0; i < T; ++i) {
    const float* p = P + i * T;
    float* gi = g + i * T;
    if (drop != nullptr) {
      const float* m = drop + i * T;
      for (size_t j = 0; j < T; ++j) gi[j] *= m[j];
    }
    const float dot = static_cast<float>(row_dot(p, gi, T));
    for (size_t j = 0; j < T; ++j) gi[j] = p[j] * (gi[j] - dot) * scale;
  }
}

ADAPTEXT_CLONES void mul_into(const float* a, const float* b, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}

}  // namespace

void attention_forward(const float* q, const float* k, const float* v, const float* key_mask,
                       size_t B, size_t T, size_t nH, size_t d, float scale,
                       const float* drop_mask, float* probs, float* out) {
  const size_t H = nH * d, TT = T * T;
  if (B == 0 || T == 0 || nH == 0) return;
  parallel_for(B * nH, 1, [&](size_t t0, size_t t1) {
    std::vector<float> dropped(drop_mask != nullptr ? TT : 0);  // [T,T] P * dropMask
    for (size_t task = t0; task < t1; ++task) {
      const size_t b = task / nH, h = task % nH;
      const size_t off = b * T * H + h * d;  // head h of token 0 of batch b
      float* P = probs + task * TT;          // [T,T] = probs[b,h]
      const float* keep = key_mask != nullptr ? key_mask + b * T : nullptr;
      bool any_kept = true;
      if (keep != nullptr) {
        any_kept = false;
        for (size_t j = 0; j < T; ++j) any_kept = any_kept || keep[j] != 0.0f;
      }
      // S = scale * Q_h K_h^T  ([T,d] x [T,d]^T, rows strided by H)
      if (d > 0) gemm_serial(false, true, T, T, d, scale, q + off, H, k + off, H, 0.0f, P, T);
      else for (size_t i = 0; i < TT; ++i) P[i] = 0.0f;
      for (size_t i = 0; i < T; ++i) masked_softmax_row(P + i * T, T, keep, any_kept);
      const float* Pd = P;
      if (drop_mask != nullptr) {
        mul_into(P, drop_mask + task * TT, dropped.data(), TT);
        Pd = dropped.data();
      }
      // out_h = P' V_h  ([T,T] x [T,d])
      if (d > 0) gemm_serial(false, false, T, d, T, 1.0f, Pd, T, v + off, H, 0.0f, out + off, H);
    }
  });
}

void attention_backward(const float* dout, const float* q, const float* k, const float* v,
                        const float* probs, const float* drop_mask, size_t B, size_t T,
                        size_t nH, size_t d, float scale, float* dq, float* dk, float* dv) {
  const size_t H = nH * d, TT = T * T;
  if (B == 0 || T == 0 || nH == 0 || d == 0) return;
  parallel_for(B * nH, 1, [&](size_t t0, size_t t1) {
    std::vector<float> g(TT);                                   // [T,T] dP' then dS
    std::vector<float> dropped(drop_mask != nullptr ? TT : 0);  // [T,T] P' = P * drop
    for (size_t task = t0; task < t1; ++task) {
      const size_t b = task / nH, h = task % nH;
      const size_t off = b * T * H + h * d;
      const float* P = probs + task * TT;
      const float* drop = drop_mask != nullptr ? drop_mask + task * TT : nullptr;
      const float* Pd = P;
      if (drop != nullptr) {
        mul_into(P, drop, dropped.data(), TT);
        Pd = dropped.data();
      }
      // dV_h += P'^T dO_h
      gemm_serial(true, false, T, d, T, 1.0f, Pd, T, dout + off, H, 1.0f, dv + off, H);
      // dP' = dO_h V_h^T
      gemm_serial(false, true, T, T, d, 1.0f, dout + off, H, v + off, H, 0.0f, g.data(), T);
      // dS = scale * P * (dP - rowsum(P * dP)), dP = dP' * drop
      softmax_grad_rows(P, drop, g.data(), T, scale);
      // dQ_h += dS K_h ; dK_h += dS^T Q_h
      gemm_serial(false, false, T, d, T, 1.0f, g.data(), T, k + off, H, 1.0f, dq + off, H);
      gemm_serial(true, false, T, d, T, 1.0f, g.data(), T, q + off, H, 1.0f, dk + off, H);
    }
  });
}

}  // namespace adaptext
