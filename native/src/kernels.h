// The C++ kernels, free of N-API: addon.cc validates JS arguments and calls these.
// Semantics are those documented in src/tensor/kernels/types.ts (the contract).
//
// Shape legend: M,N,K GEMM dims; R rows; C columns (classes / hidden); B batch; T tokens;
// nH heads; d head size (H = nH*d); V vocabulary.
//
// NaN: every kernel propagates NaN the IEEE way, like PyTorch: a NaN input reaches every
// output that depends on it (a softmax row containing a NaN is all-NaN, a GEMM output row
// that reads a NaN is NaN). Two documented exceptions, both also true of PyTorch:
// gemm with beta=0 never reads C (NaN in the old C is ignored), and attention keys masked
// out by keyMask are skipped entirely (their scores never enter the softmax).
#pragma once
#include <cstddef>
#include <cstdint>

namespace adaptext {

// ---- GEMM (gemm.cc) --------------------------------------------------------------------
// Auto (the default when BLAS is linked): the built-in kernel for shapes >= 64 in every dim
// when it has a wider ISA than the BLAS (AVX-512 vs OpenBLAS' Haswell kernels; measured in
// native/README.md and bench/model/RESULTS.md), BLAS for everything else. See gemm.cc.
enum class GemmImpl { Blas, Builtin, Auto };

// Row-major C[M,N] = alpha*op(A)@op(B) + beta*C, multi-threaded (BLAS pool or ours).
void gemm(bool ta, bool tb, size_t M, size_t N, size_t K, float alpha, const float* A, size_t lda,
          const float* B, size_t ldb, float beta, float* C, size_t ldc);
// Single-threaded built-in GEMM, for use inside parallel regions (attention per head).
void gemm_serial(bool ta, bool tb, size_t M, size_t N, size_t K, float alpha, const float* A,
                 size_t lda, const float* B, size_t ldb, float beta, float* C, size_t ldc);
void gemm_batched(size_t batch, bool ta, bool tb, size_t M, size_t N, size_t K, float alpha,
                  const float* A, size_t lda, size_t sA, const float* B, size_t ldb, size_t sB,
                  float beta, float* C, size_t ldc, size_t sC);

bool blas_available();
const char* blas_name();      // "OpenBLAS", "Accelerate", "CBLAS" or "none"
const char* blas_detail();    // e.g. openblas_get_config(), or ""
GemmImpl gemm_impl();
void set_gemm_impl(GemmImpl impl);  // Blas/Auto are refused (stay Builtin) when no BLAS was linked
bool builtin_beats_blas();          // Auto's ISA test: built-in AVX-512 vs a BLAS without it
const char* blas_core();            // openblas_get_corename(), or ""
void set_blas_threads(int n);       // OpenBLAS only; no-op elsewhere

// Built-in GEMM (gemm_builtin.cc). `threads` <= 1 runs on the calling thread only.
void builtin_gemm(bool ta, bool tb, size_t M, size_t N, size_t K, float alpha, const float* A,
                  size_t lda, const float* B, size_t ldb, float beta, float* C, size_t ldc,
                  bool parallel);
const char* builtin_isa();  // "avx512", "avx2+fma" or "generic"
bool set_builtin_isa(const char* name);  // false if unknown or the CPU lacks it

// bf16 GEMM (gemm_bf16.cc): same arguments and C semantics as gemm, but every element of
// op(A) and op(B) is rounded fp32 -> bf16 (nearest even) first; products and sums in fp32.
// AVX512-BF16 (vdpbf16ps) micro-kernel when CPUID has it, else rounded copies + gemm().
void gemm_bf16(bool ta, bool tb, size_t M, size_t N, size_t K, float alpha, const float* A,
               size_t lda, const float* B, size_t ldb, float beta, float* C, size_t ldc);
const char* bf16_isa();                 // "avx512bf16" or "emulated"
bool set_bf16_isa(const char* name);    // false if unknown or the CPU lacks it
uint16_t to_bf16_bits(float f);         // round to nearest even; NaN stays a (quiet) NaN
float round_bf16(float f);              // the bf16 value as fp32
double bench_bf16_gemm(bool ta, bool tb, size_t M, size_t N, size_t K, int iters);

// Raw CBLAS sgemm in a C++ loop (benchmark): seconds for `iters` calls after one warm-up.
// Returns -1 when no BLAS is linked.
double bench_blas_sgemm(bool ta, bool tb, size_t M, size_t N, size_t K, int iters);
double bench_builtin_sgemm(bool ta, bool tb, size_t M, size_t N, size_t K, int iters);
// One core's arithmetic peak in GFLOP/s (peak.cc): kind "fp32" (FMA, the widest the CPU has) or
// "bf16" (vdpbf16ps), a register-only loop run for about `seconds`; -1 if the CPU lacks it.
double bench_peak(const char* kind, double seconds);

// ---- fused ops -------------------------------------------------------------------------
void layernorm_forward(const float* x, const float* gamma, const float* beta, size_t R, size_t C,
                       float eps, float* out, float* mean, float* rstd);
void layernorm_backward(const float* dout, const float* x, const float* gamma, const float* mean,
                        const float* rstd, size_t R, size_t C, float* dx, float* dgamma,
                        float* dbeta);

void gelu_forward(const float* x, float* out, size_t n);
void gelu_backward(const float* x, const float* dout, float* dx, size_t n);

void softmax_forward(const float* x, size_t R, size_t C, float* out);
void softmax_backward(const float* y, const float* dy, size_t R, size_t C, float* dx);

void attention_forward(const float* q, const float* k, const float* v, const float* key_mask,
                       size_t B, size_t T, size_t nH, size_t d, float scale,
                       const float* drop_mask, float* probs, float* out);
void attention_backward(const float* dout, const float* q, const float* k, const float* v,
                        const float* probs, const float* drop_mask, size_t B, size_t T,
                        size_t nH, size_t d, float scale, float* dq, float* dk, float* dv);

// Targets must already be validated (every row ignore_index or in [0,C)).
// Returns the loss sum (float64); *count receives the number of non-ignored rows.
double cross_entropy_forward(const float* logits, const int32_t* targets, size_t R, size_t C,
                             int32_t ignore_index, float* probs, size_t* count);
void cross_entropy_backward(const float* probs, const int32_t* targets, size_t R, size_t C,
                            int32_t ignore_index, float scale, float* dlogits);

// ids must already be validated (all in [0,V)).
void embedding_forward(const float* weight, const int32_t* ids, size_t N, size_t C, float* out);
void embedding_backward(const float* dout, const int32_t* ids, size_t N, size_t C, float* dweight);

// Hyper-parameters arrive as float64 (JS numbers, like torch's python floats).
void adamw_update(float* param, const float* grad, float* m, float* v, size_t n, double lr,
                  double beta1, double beta2, double eps, double weight_decay, double step);

double sum_squares(const float* x, size_t n);
void scale_inplace(float* x, size_t n, float s);

// Inverted-dropout mask [n] from one seed: 0 with probability p, else 1/(1-p) (dropout.cc).
void dropout_mask(float* out, size_t n, double p, uint32_t seed);
// out[i] = a[i] + b[i], i < n (out may alias a or b); elementwise.cc.
void add_vectors(const float* a, const float* b, float* out, size_t n);
// out[i] = x[i]·mask[i] (or += when accumulate), the mask of dropout_mask regenerated; x, out: [n].
void dropout_apply(const float* x, float* out, size_t n, double p, uint32_t seed, bool accumulate);

}  // namespace adaptext
