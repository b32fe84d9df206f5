// N-API entry points: validate every JS argument (type, integer-ness, buffer length), then
// call the C++ kernels in kernels.h. The addon never allocates JS memory for results; it
// writes into the Float32Arrays the caller passed. Argument order and
// meaning are exactly those of src/tensor/kernels/types.ts; src/tensor/kernels/native.ts
// passes calls straight through.
#include <cstdlib>
#include <cstring>
#include <string>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "args.h"
#include "kernels.h"
#include "parallel.h"

namespace adaptext {
namespace {

std::string shape2(size_t r, size_t c) { return "[" + std::to_string(r) + "," + std::to_string(c) + "]"; }

// Inputs must not share memory with the output: BLAS and the blocked kernel read inputs
// after writing parts of C, which would silently give a wrong answer.
void no_overlap(Args& a, const F32& in, size_t in_n, const char* in_name, const F32& out,
                size_t out_n, const char* out_name) {
  if (in_n == 0 || out_n == 0) return;
  const float* ib = in.p;
  const float* ie = in.p + in_n;
  const float* ob = out.p;
  const float* oe = out.p + out_n;
  if (ib < oe && ob < ie) {
    throw Napi::Error::New(a.env(), std::string(a.kernel()) + ": " + out_name +
                                        " overlaps input " + in_name +
                                        " in memory (the output must be a separate buffer)");
  }
}

struct GemmShape {
  size_t a_need, b_need, c_need;
};

GemmShape check_gemm(Args& a, bool ta, bool tb, size_t M, size_t N, size_t K, const F32& A,
                     size_t lda, size_t sA, const F32& B, size_t ldb, size_t sB, const F32& C,
                     size_t ldc, size_t sC, size_t batch) {
  const size_t a_cols = ta ? M : K, b_cols = tb ? K : N;
  if (lda < a_cols) a.fail_range("lda=" + std::to_string(lda) + " must be >= " + std::to_string(a_cols) + (ta ? " (M, transA)" : " (K)"));
  if (ldb < b_cols) a.fail_range("ldb=" + std::to_string(ldb) + " must be >= " + std::to_string(b_cols) + (tb ? " (K, transB)" : " (N)"));
  if (ldc < N) a.fail_range("ldc=" + std::to_string(ldc) + " must be >= N=" + std::to_string(N));
  GemmShape g{0, 0, 0};
  if (batch == 0) return g;
  const size_t a_rows = ta ? K : M, b_rows = tb ? N : K;
  const size_t last = batch - 1;
  g.a_need = a.span(a_rows, a_cols, lda);
  g.b_need = a.span(b_rows, b_cols, ldb);
  g.c_need = a.span(M, N, ldc);
  // A batch whose matrices are empty needs nothing, whatever the strides.
  if (g.a_need) g.a_need = a.add(a.mul(last, sA), g.a_need);
  if (g.b_need) g.b_need = a.add(a.mul(last, sB), g.b_need);
  if (g.c_need) g.c_need = a.add(a.mul(last, sC), g.c_need);
  const std::string bs = batch > 1 ? std::to_string(batch) + " x " : "";
  a.need(A.n, g.a_need, "A", bs + shape2(a_rows, a_cols) + " with lda=" + std::to_string(lda) + (batch > 1 ? ", strideA=" + std::to_string(sA) : ""));
  a.need(B.n, g.b_need, "B", bs + shape2(b_rows, b_cols) + " with ldb=" + std::to_string(ldb) + (batch > 1 ? ", strideB=" + std::to_string(sB) : ""));
  a.need(C.n, g.c_need, "C", bs + shape2(M, N) + " with ldc=" + std::to_string(ldc) + (batch > 1 ? ", strideC=" + std::to_string(sC) : ""));
  no_overlap(a, A, g.a_need, "A", C, g.c_need, "C");
  no_overlap(a, B, g.b_need, "B", C, g.c_need, "C");
  return g;
}

Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Args a(info, "gemm", 13);
  const bool ta = a.flag(0, "transA"), tb = a.flag(1, "transB");
  const size_t M = a.dim(2, "M"), N = a.dim(3, "N"), K = a.dim(4, "K");
  const float alpha = static_cast<float>(a.number(5, "alpha"));
  const F32 A = a.f32(6, "A");
  const size_t lda = a.dim(7, "lda");
  const F32 B = a.f32(8, "B");
  const size_t ldb = a.dim(9, "ldb");
  const float beta = static_cast<float>(a.number(10, "beta"));
  const F32 C = a.f32(11, "C");
  const size_t ldc = a.dim(12, "ldc");
  check_gemm(a, ta, tb, M, N, K, A, lda, 0, B, ldb, 0, C, ldc, 0, 1);
  gemm(ta, tb, M, N, K, alpha, A.p, lda, B.p, ldb, beta, C.p, ldc);
  return info.Env().Undefined();
}

Napi::Value GemmBf16(const Napi::CallbackInfo& info) {
  Args a(info, "gemmBf16", 13);
  const bool ta = a.flag(0, "transA"), tb = a.flag(1, "transB");
  const size_t M = a.dim(2, "M"), N = a.dim(3, "N"), K = a.dim(4, "K");
  const float alpha = static_cast<float>(a.number(5, "alpha"));
  const F32 A = a.f32(6, "A");
  const size_t lda = a.dim(7, "lda");
  const F32 B = a.f32(8, "B");
  const size_t ldb = a.dim(9, "ldb");
  const float beta = static_cast<float>(a.number(10, "beta"));
  const F32 C = a.f32(11, "C");
  const size_t ldc = a.dim(12, "ldc");
  check_gemm(a, ta, tb, M, N, K, A, lda, 0, B, ldb, 0, C, ldc, 0, 1);
  gemm_bf16(ta, tb, M, N, K, alpha, A.p, lda, B.p, ldb, beta, C.p, ldc);
  return info.Env().Undefined();
}

Napi::Value GemmBatched(const Napi::CallbackInfo& info) {
  Args a(info, "gemmBatched", 17);
  const size_t batch = a.dim(0, "batch");
  const bool ta = a.flag(1, "transA"), tb = a.flag(2, "transB");
  const size_t M = a.dim(3, "M"), N = a.dim(4, "N"), K = a.dim(5, "K");
  const float alpha = static_cast<float>(a.number(6, "alpha"));
  const F32 A = a.f32(7, "A");
  const size_t lda = a.dim(8, "lda"), sA = a.dim(9, "strideA");
  const F32 B = a.f32(10, "B");
  const size_t ldb = a.dim(11, "ldb"), sB = a.dim(12, "strideB");
  const float beta = static_cast<float>(a.number(13, "beta"));
  const F32 C = a.f32(14, "C");
  const size_t ldc = a.dim(15, "ldc"), sC = a.dim(16, "strideC");
  check_gemm(a, ta, tb, M, N, K, A, lda, sA, B, ldb, sB, C, ldc, sC, batch);
  gemm_batched(batch, ta, tb, M, N, K, alpha, A.p, lda, sA, B.p, ldb, sB, beta, C.p, ldc, sC);
  return info.Env().Undefined();
}

Napi::Value LayerNormForward(const Napi::CallbackInfo& info) {
  Args a(info, "layerNormForward", 9);
  const F32 x = a.f32(0, "x"), gamma = a.f32(1, "gamma"), beta = a.f32(2, "beta");
  const size_t R = a.dim(3, "R"), C = a.dim(4, "C");
  const double eps = a.number(5, "eps");
  const F32 out = a.f32(6, "out"), mean = a.f32(7, "mean"), rstd = a.f32(8, "rstd");
  const size_t RC = a.mul(R, C);
  const std::string rc = "R*C = " + shape2(R, C);
  a.need(x.n, RC, "x", rc);
  a.need(gamma.n, C, "gamma", "C = " + std::to_string(C));
  a.need(beta.n, C, "beta", "C = " + std::to_string(C));
  a.need(out.n, RC, "out", rc);
  a.need(mean.n, R, "mean", "R = " + std::to_string(R));
  a.need(rstd.n, R, "rstd", "R = " + std::to_string(R));
  if (C == 0 && R > 0) a.fail_range("C must be > 0 (LayerNorm over an empty dimension)");
  layernorm_forward(x.p, gamma.p, beta.p, R, C, static_cast<float>(eps), out.p, mean.p, rstd.p);
  return info.Env().Undefined();
}

Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
  Args a(info, "layerNormBackward", 10);
  const F32 dout = a.f32(0, "dout"), x = a.f32(1, "x"), gamma = a.f32(2, "gamma");
  const F32 mean = a.f32(3, "mean"), rstd = a.f32(4, "rstd");
  const size_t R = a.dim(5, "R"), C = a.dim(6, "C");
  const F32 dx = a.f32_or_null(7, "dx"), dgamma = a.f32_or_null(8, "dgamma"), dbeta = a.f32_or_null(9, "dbeta");
  const size_t RC = a.mul(R, C);
  const std::string rc = "R*C = " + shape2(R, C);
  a.need(dout.n, RC, "dout", rc);
  a.need(x.n, RC, "x", rc);
  a.need(gamma.n, C, "gamma", "C = " + std::to_string(C));
  a.need(mean.n, R, "mean", "R = " + std::to_string(R));
  a.need(rstd.n, R, "rstd", "R = " + std::to_string(R));
  if (dx.p) a.need(dx.n, RC, "dx", rc);
  if (dgamma.p) a.need(dgamma.n, C, "dgamma", "C = " + std::to_string(C));
  if (dbeta.p) a.need(dbeta.n, C, "dbeta", "C = " + std::to_string(C));
  layernorm_backward(dout.p, x.p, gamma.p, mean.p, rstd.p, R, C, dx.p, dgamma.p, dbeta.p);
  return info.Env().Undefined();
}

Napi::Value GeluForward(const Napi::CallbackInfo& info) {
  Args a(info, "geluForward", 2);
  const F32 x = a.f32(0, "x"), out = a.f32(1, "out");
  a.need(out.n, x.n, "out", "x.length");
  gelu_forward(x.p, out.p, x.n);
  return info.Env().Undefined();
}

Napi::Value GeluBackward(const Napi::CallbackInfo& info) {
  Args a(info, "geluBackward", 3);
  const F32 x = a.f32(0, "x"), dout = a.f32(1, "dout"), dx = a.f32(2, "dx");
  a.need(dout.n, x.n, "dout", "x.length");
  a.need(dx.n, x.n, "dx", "x.length");
  gelu_backward(x.p, dout.p, dx.p, x.n);
  return info.Env().Undefined();
}

Napi::Value SoftmaxForward(const Napi::CallbackInfo& info) {
  Args a(info, "softmaxForward", 4);
  const F32 x = a.f32(0, "x");
  const size_t R = a.dim(1, "R"), C = a.dim(2, "C");
  const F32 out = a.f32(3, "out");
  const size_t RC = a.mul(R, C);
  a.need(x.n, RC, "x", "R*C = " + shape2(R, C));
  a.need(out.n, RC, "out", "R*C = " + shape2(R, C));
  softmax_forward(x.p, R, C, out.p);
  return info.Env().Undefined();
}

Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
  Args a(info, "softmaxBackward", 5);
  const F32 y = a.f32(0, "y"), dy = a.f32(1, "dy");
  const size_t R = a.dim(2, "R"), C = a.dim(3, "C");
  const F32 dx = a.f32(4, "dx");
  const size_t RC = a.mul(R, C);
  a.need(y.n, RC, "y", "R*C = " + shape2(R, C));
  a.need(dy.n, RC, "dy", "R*C = " + shape2(R, C));
  a.need(dx.n, RC, "dx", "R*C = " + shape2(R, C));
  softmax_backward(y.p, dy.p, R, C, dx.p);
  return info.Env().Undefined();
}

struct AttnDims {
  size_t BTH, BT, probs;
  std::string bth, pr;
};

AttnDims attn_dims(Args& a, size_t B, size_t T, size_t nH, size_t d) {
  AttnDims r;
  r.BT = a.mul(B, T);
  r.BTH = a.mul(r.BT, a.mul(nH, d));
  r.probs = a.mul(a.mul(B, nH), a.mul(T, T));
  r.bth = "[B,T,H] = [" + std::to_string(B) + "," + std::to_string(T) + "," + std::to_string(nH * d) + "]";
  r.pr = "[B,nH,T,T] = [" + std::to_string(B) + "," + std::to_string(nH) + "," + std::to_string(T) + "," + std::to_string(T) + "]";
  return r;
}

Napi::Value AttentionForward(const Napi::CallbackInfo& info) {
  Args a(info, "attentionForward", 12);
  const F32 q = a.f32(0, "q"), k = a.f32(1, "k"), v = a.f32(2, "v");
  const F32 mask = a.f32_or_null(3, "keyMask");
  const size_t B = a.dim(4, "B"), T = a.dim(5, "T"), nH = a.dim(6, "nH"), d = a.dim(7, "d");
  const float scale = static_cast<float>(a.number(8, "scale"));
  const F32 drop = a.f32_or_null(9, "dropMask");
  const F32 probs = a.f32(10, "probs"), out = a.f32(11, "out");
  const AttnDims s = attn_dims(a, B, T, nH, d);
  a.need(q.n, s.BTH, "q", s.bth);
  a.need(k.n, s.BTH, "k", s.bth);
  a.need(v.n, s.BTH, "v", s.bth);
  if (mask.p) a.need(mask.n, s.BT, "keyMask", "[B,T] = " + shape2(B, T));
  if (drop.p) a.need(drop.n, s.probs, "dropMask", s.pr);
  a.need(probs.n, s.probs, "probs", s.pr);
  a.need(out.n, s.BTH, "out", s.bth);
  no_overlap(a, q, s.BTH, "q", out, s.BTH, "out");
  no_overlap(a, k, s.BTH, "k", out, s.BTH, "out");
  no_overlap(a, v, s.BTH, "v", out, s.BTH, "out");
  attention_forward(q.p, k.p, v.p, mask.p, B, T, nH, d, scale, drop.p, probs.p, out.p);
  return info.Env().Undefined();
}

Napi::Value AttentionBackward(const Napi::CallbackInfo& info) {
  Args a(info, "attentionBackward", 14);
  const F32 dout = a.f32(0, "dout"), q = a.f32(1, "q"), k = a.f32(2, "k"), v = a.f32(3, "v");
  const F32 probs = a.f32(4, "probs");
  const F32 drop = a.f32_or_null(5, "dropMask");
  const size_t B = a.dim(6, "B"), T = a.dim(7, "T"), nH = a.dim(8, "nH"), d = a.dim(9, "d");
  const float scale = static_cast<float>(a.number(10, "scale"));
  const F32 dq = a.f32(11, "dq"), dk = a.f32(12, "dk"), dv = a.f32(13, "dv");
  const AttnDims s = attn_dims(a, B, T, nH, d);
  a.need(dout.n, s.BTH, "dout", s.bth);
  a.need(q.n, s.BTH, "q", s.bth);
  a.need(k.n, s.BTH, "k", s.bth);
  a.need(v.n, s.BTH, "v", s.bth);
  a.need(probs.n, s.probs, "probs", s.pr);
  if (drop.p) a.need(drop.n, s.probs, "dropMask", s.pr);
  a.need(dq.n, s.BTH, "dq", s.bth);
  a.need(dk.n, s.BTH, "dk", s.bth);
  a.need(dv.n, s.BTH, "dv", s.bth);
  attention_backward(dout.p, q.p, k.p, v.p, probs.p, drop.p, B, T, nH, d, scale, dq.p, dk.p, dv.p);
  return info.Env().Undefined();
}

void check_targets(Args& a, const I32& targets, size_t R, size_t C, int32_t ignore) {
  for (size_t r = 0; r < R; ++r) {
    const int32_t t = targets.p[r];
    if (t == ignore) continue;
    if (t < 0 || static_cast<size_t>(t) >= C) {
      throw Napi::RangeError::New(a.env(), std::string(a.kernel()) + ": target " + std::to_string(t) + " at row " + std::to_string(r) + " is outside [0, " + std::to_string(C) + ") and is not ignoreIndex " + std::to_string(ignore));
    }
  }
}

// crossEntropyForward(logits, targets, R, C, ignoreIndex, probs, result: Float64Array(2))
// result[0] = loss sum, result[1] = non-ignored row count (native.ts builds the object).
Napi::Value CrossEntropyForward(const Napi::CallbackInfo& info) {
  Args a(info, "crossEntropyForward", 7);
  const F32 logits = a.f32(0, "logits");
  const I32 targets = a.i32(1, "targets");
  const size_t R = a.dim(2, "R"), C = a.dim(3, "C");
  const int32_t ignore = a.int32(4, "ignoreIndex");
  const F32 probs = a.f32(5, "probs");
  const F64 result = a.f64(6, "result");
  const size_t RC = a.mul(R, C);
  a.need(logits.n, RC, "logits", "R*C = " + shape2(R, C));
  a.need(targets.n, R, "targets", "R = " + std::to_string(R));
  a.need(probs.n, RC, "probs", "R*C = " + shape2(R, C));
  a.need(result.n, 2, "result", "loss sum and count");
  check_targets(a, targets, R, C, ignore);
  size_t count = 0;
  const double loss = cross_entropy_forward(logits.p, targets.p, R, C, ignore, probs.p, &count);
  result.p[0] = loss;
  result.p[1] = static_cast<double>(count);
  return info.Env().Undefined();
}

Napi::Value CrossEntropyBackward(const Napi::CallbackInfo& info) {
  Args a(info, "crossEntropyBackward", 7);
  const F32 probs = a.f32(0, "probs");
  const I32 targets = a.i32(1, "targets");
  const size_t R = a.dim(2, "R"), C = a.dim(3, "C");
  const int32_t ignore = a.int32(4, "ignoreIndex");
  const float scale = static_cast<float>(a.number(5, "scale"));
  const F32 dlogits = a.f32(6, "dlogits");
  const size_t RC = a.mul(R, C);
  a.need(probs.n, RC, "probs", "R*C = " + shape2(R, C));
  a.need(targets.n, R, "targets", "R = " + std::to_string(R));
  a.need(dlogits.n, RC, "dlogits", "R*C = " + shape2(R, C));
  check_targets(a, targets, R, C, ignore);
  cross_entropy_backward(probs.p, targets.p, R, C, ignore, scale, dlogits.p);
  return info.Env().Undefined();
}

void check_ids(Args& a, const I32& ids, size_t V) {
  for (size_t i = 0; i < ids.n; ++i) {
    const int32_t id = ids.p[i];
    if (id < 0 || static_cast<size_t>(id) >= V) {
      throw Napi::RangeError::New(a.env(), std::string(a.kernel()) + ": id " + std::to_string(id) + " at index " + std::to_string(i) + " is outside [0, " + std::to_string(V) + ") (V=" + std::to_string(V) + ")");
    }
  }
}

Napi::Value EmbeddingForward(const Napi::CallbackInfo& info) {
  Args a(info, "embeddingForward", 5);
  const F32 weight = a.f32(0, "weight");
  const I32 ids = a.i32(1, "ids");
  const size_t V = a.dim(2, "V"), C = a.dim(3, "C");
  const F32 out = a.f32(4, "out");
  a.need(weight.n, a.mul(V, C), "weight", "[V,C] = " + shape2(V, C));
  a.need(out.n, a.mul(ids.n, C), "out", "[N,C] = " + shape2(ids.n, C) + ", N = ids.length");
  check_ids(a, ids, V);
  embedding_forward(weight.p, ids.p, ids.n, C, out.p);
  return info.Env().Undefined();
}

Napi::Value EmbeddingBackward(const Napi::CallbackInfo& info) {
  Args a(info, "embeddingBackward", 5);
  const F32 dout = a.f32(0, "dout");
  const I32 ids = a.i32(1, "ids");
  const size_t V = a.dim(2, "V"), C = a.dim(3, "C");
  const F32 dweight = a.f32(4, "dweight");
  a.need(dout.n, a.mul(ids.n, C), "dout", "[N,C] = " + shape2(ids.n, C) + ", N = ids.length");
  a.need(dweight.n, a.mul(V, C), "dweight", "[V,C] = " + shape2(V, C));
  check_ids(a, ids, V);
  embedding_backward(dout.p, ids.p, ids.n, C, dweight.p);
  return info.Env().Undefined();
}

Napi::Value AdamwUpdate(const Napi::CallbackInfo& info) {
  Args a(info, "adamwUpdate", 10);
  const F32 p = a.f32(0, "param"), g = a.f32(1, "grad"), m = a.f32(2, "m"), v = a.f32(3, "v");
  const double lr = a.number(4, "lr"), b1 = a.number(5, "beta1"), b2 = a.number(6, "beta2");
  const double eps = a.number(7, "eps"), wd = a.number(8, "weightDecay");
  const double step = a.number(9, "step");
  if (!(step >= 1) || step != std::floor(step)) a.fail_range("step must be an integer >= 1 (1-based), got " + Args::num(step));
  if (!(b1 >= 0 && b1 < 1)) a.fail_range("beta1 must be in [0, 1), got " + Args::num(b1));
  if (!(b2 >= 0 && b2 < 1)) a.fail_range("beta2 must be in [0, 1), got " + Args::num(b2));
  a.need(g.n, p.n, "grad", "param.length");
  a.need(m.n, p.n, "m", "param.length");
  a.need(v.n, p.n, "v", "param.length");
  adamw_update(p.p, g.p, m.p, v.p, p.n, lr, b1, b2, eps, wd, step);
  return info.Env().Undefined();
}

Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) {
    throw Napi::TypeError::New(env, "sumSquares: argument 'buffers' must be an Array of Float32Array");
  }
  Napi::Array arr = info[0].As<Napi::Array>();
  double s = 0;
  const uint32_t n = arr.Length();
  for (uint32_t i = 0; i < n; ++i) {
    Napi::Value v = arr.Get(i);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      throw Napi::TypeError::New(env, "sumSquares: buffers[" + std::to_string(i) + "] must be a Float32Array");
    }
    auto f = v.As<Napi::Float32Array>();
    s += sum_squares(f.Data(), f.ElementLength());
  }
  return Napi::Number::New(env, s);
}

Napi::Value ScaleInPlace(const Napi::CallbackInfo& info) {
  Args a(info, "scaleInPlace", 2);
  const F32 x = a.f32(0, "x");
  const float s = static_cast<float>(a.number(1, "s"));
  scale_inplace(x.p, x.n, s);
  return info.Env().Undefined();
}

Napi::Value DropoutMask(const Napi::CallbackInfo& info) {
  Args a(info, "dropoutMask", 3);
  const F32 out = a.f32(0, "out");
  const double p = a.number(1, "p");
  if (!(p >= 0 && p <= 1)) a.fail_range("p must be in [0, 1]");
  const size_t seed = a.dim(2, "seed");
  if (seed > 0xffffffffu) a.fail_range("seed must be an integer in [0, 2^32)");
  dropout_mask(out.p, out.n, p, static_cast<uint32_t>(seed));
  return info.Env().Undefined();
}

Napi::Value Add(const Napi::CallbackInfo& info) {
  Args a(info, "add", 3);
  const F32 x = a.f32(0, "a");
  const F32 y = a.f32(1, "b");
  const F32 out = a.f32(2, "out");
  if (x.n < out.n || y.n < out.n) a.fail_range("a and b must be at least as long as out");
  add_vectors(x.p, y.p, out.p, out.n);
  return info.Env().Undefined();
}

Napi::Value DropoutApply(const Napi::CallbackInfo& info) {
  Args a(info, "dropoutApply", 5);
  const F32 x = a.f32(0, "x");
  const F32 out = a.f32(1, "out");
  if (out.n < x.n) a.fail_range("out is shorter than x");
  const double p = a.number(2, "p");
  if (!(p >= 0 && p <= 1)) a.fail_range("p must be in [0, 1]");
  const size_t seed = a.dim(3, "seed");
  if (seed > 0xffffffffu) a.fail_range("seed must be an integer in [0, 2^32)");
  dropout_apply(x.p, out.p, x.n, p, static_cast<uint32_t>(seed), a.flag(4, "accumulate"));
  return info.Env().Undefined();
}

// ---- introspection and benchmark hooks -------------------------------------------------

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("blas", blas_name());
  o.Set("blasConfig", blas_detail());
  o.Set("builtinIsa", builtin_isa());
  o.Set("threads", num_threads());
  const GemmImpl impl = gemm_impl();
  o.Set("gemm", impl == GemmImpl::Blas ? "blas" : impl == GemmImpl::Builtin ? "builtin" : "auto");
  o.Set("blasCore", blas_core());
  o.Set("builtinBeatsBlas", builtin_beats_blas());
  o.Set("bf16Isa", bf16_isa());
  return o;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Args a(info, "setThreads", 1);
  const size_t n = a.dim(0, "n");
  if (n < 1 || n > 1024) a.fail_range("n must be in [1, 1024]");
  set_num_threads(static_cast<int>(n));
  set_blas_threads(static_cast<int>(n));
  return info.Env().Undefined();
}

Napi::Value SetGemmImpl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string name = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  if (name == "builtin") set_gemm_impl(GemmImpl::Builtin);
  else if (name == "blas" || name == "auto") {
    if (!blas_available()) throw Napi::Error::New(env, "setGemmImpl: this build has no BLAS (built-in GEMM only)");
    set_gemm_impl(name == "blas" ? GemmImpl::Blas : GemmImpl::Auto);
  } else throw Napi::TypeError::New(env, "setGemmImpl: expected 'auto', 'blas' or 'builtin'");
  return env.Undefined();
}

Napi::Value SetBuiltinIsa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string name = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  return Napi::Boolean::New(env, set_builtin_isa(name.c_str()));
}

Napi::Value SetBf16Isa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string name = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  return Napi::Boolean::New(env, set_bf16_isa(name.c_str()));
}

// benchSgemm(which: 'blas'|'builtin'|'bf16', transA, transB, M, N, K, iters) -> seconds for iters
// calls in a C++ loop (after one warm-up call), or -1 when 'blas' is not linked.
Napi::Value BenchSgemm(const Napi::CallbackInfo& info) {
  Args a(info, "benchSgemm", 7);
  const std::string which = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  const bool ta = a.flag(1, "transA"), tb = a.flag(2, "transB");
  const size_t M = a.dim(3, "M"), N = a.dim(4, "N"), K = a.dim(5, "K"), iters = a.dim(6, "iters");
  double s;
  if (which == "blas") s = bench_blas_sgemm(ta, tb, M, N, K, static_cast<int>(iters));
  else if (which == "builtin") s = bench_builtin_sgemm(ta, tb, M, N, K, static_cast<int>(iters));
  else if (which == "bf16") s = bench_bf16_gemm(ta, tb, M, N, K, static_cast<int>(iters));
  else throw Napi::TypeError::New(info.Env(), "benchSgemm: which must be 'blas', 'builtin' or 'bf16'");
  return Napi::Number::New(info.Env(), s);
}

// benchPeak(kind: 'fp32'|'bf16', seconds) -> one core's multiply-add peak in GFLOP/s (register-only
// loop, peak.cc), or -1 when the CPU lacks the instructions.
Napi::Value BenchPeak(const Napi::CallbackInfo& info) {
  Args a(info, "benchPeak", 2);
  const std::string kind = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  if (kind != "fp32" && kind != "bf16") throw Napi::TypeError::New(info.Env(), "benchPeak: kind must be 'fp32' or 'bf16'");
  const double seconds = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1;
  if (!(seconds > 0 && seconds <= 10)) throw Napi::RangeError::New(info.Env(), "benchPeak: seconds must be in (0, 10]");
  return Napi::Number::New(info.Env(), bench_peak(kind.c_str(), seconds));
}

// Why: every op allocates a fresh output Float32Array; Node backs large ArrayBuffers with glibc
// calloc/malloc, which by default gives each big block its own mmap and unmaps it on free, so
// every step faults all its activation pages in again (15-45 us per 4 KiB page on a VM; about
// half of inference time in bench/model/RESULTS.md). Keeping freed memory in the heap (no mmap
// for big blocks, no trimming, 256 MiB top pad) makes the next step reuse already-mapped pages.
// Cost: memory freed stays with the process, so peak RSS can rise. ADAPTEXT_MALLOC=default
// keeps glibc's defaults. Same effect as GLIBC_TUNABLES=glibc.malloc.mmap_max=0:...
static void tune_malloc() {
#ifdef __GLIBC__
  const char* m = std::getenv("ADAPTEXT_MALLOC");
  if (m != nullptr && std::strcmp(m, "default") == 0) return;
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 0x7fffffff);  // int: largest value mallopt takes (2 GiB - 1)
  mallopt(M_TOP_PAD, 256 << 20);
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tune_malloc();
  // ADAPTEXT_GEMM=blas|builtin|auto (default auto when BLAS is linked, see kernels.h).
  const char* impl = std::getenv("ADAPTEXT_GEMM");
  if (impl != nullptr && std::strcmp(impl, "builtin") == 0) set_gemm_impl(GemmImpl::Builtin);
  if (impl != nullptr && std::strcmp(impl, "blas") == 0) set_gemm_impl(GemmImpl::Blas);
  if (std::getenv("ADAPTEXT_THREADS") != nullptr) set_blas_threads(num_threads());
  const char* isa = std::getenv("ADAPTEXT_GEMM_ISA");
  if (isa != nullptr && *isa) set_builtin_isa(isa);

  exports.Set("gemm", Napi::Function::New(env, Gemm, "gemm"));
  exports.Set("gemmBf16", Napi::Function::New(env, GemmBf16, "gemmBf16"));
  exports.Set("gemmBatched", Napi::Function::New(env, GemmBatched, "gemmBatched"));
  exports.Set("layerNormForward", Napi::Function::New(env, LayerNormForward, "layerNormForward"));
  exports.Set("layerNormBackward", Napi::Function::New(env, LayerNormBackward, "layerNormBackward"));
  exports.Set("geluForward", Napi::Function::New(env, GeluForward, "geluForward"));
  exports.Set("geluBackward", Napi::Function::New(env, GeluBackward, "geluBackward"));
  exports.Set("softmaxForward", Napi::Function::New(env, SoftmaxForward, "softmaxForward"));
  exports.Set("softmaxBackward", Napi::Function::New(env, SoftmaxBackward, "softmaxBackward"));
  exports.Set("attentionForward", Napi::Function::New(env, AttentionForward, "attentionForward"));
  exports.Set("attentionBackward", Napi::Function::New(env, AttentionBackward, "attentionBackward"));
  exports.Set("crossEntropyForward", Napi::Function::New(env, CrossEntropyForward, "crossEntropyForward"));
  exports.Set("crossEntropyBackward", Napi::Function::New(env, CrossEntropyBackward, "crossEntropyBackward"));
  exports.Set("embeddingForward", Napi::Function::New(env, EmbeddingForward, "embeddingForward"));
  exports.Set("embeddingBackward", Napi::Function::New(env, EmbeddingBackward, "embeddingBackward"));
  exports.Set("adamwUpdate", Napi::Function::New(env, AdamwUpdate, "adamwUpdate"));
  exports.Set("sumSquares", Napi::Function::New(env, SumSquares, "sumSquares"));
  exports.Set("scaleInPlace", Napi::Function::New(env, ScaleInPlace, "scaleInPlace"));
  exports.Set("dropoutMask", Napi::Function::New(env, DropoutMask, "dropoutMask"));
  exports.Set("dropoutApply", Napi::Function::New(env, DropoutApply, "dropoutApply"));
  exports.Set("add", Napi::Function::New(env, Add, "add"));
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("setGemmImpl", Napi::Function::New(env, SetGemmImpl, "setGemmImpl"));
  exports.Set("setBuiltinIsa", Napi::Function::New(env, SetBuiltinIsa, "setBuiltinIsa"));
  exports.Set("setBf16Isa", Napi::Function::New(env, SetBf16Isa, "setBf16Isa"));
  exports.Set("benchSgemm", Napi::Function::New(env, BenchSgemm, "benchSgemm"));
  exports.Set("benchPeak", Napi::Function::New(env, BenchPeak, "benchPeak"));
  return exports;
}

}  // namespace
}  // namespace adaptext

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  return adaptext::Init(env, exports);
}

NODE_API_MODULE(adaptext, InitAddon)
