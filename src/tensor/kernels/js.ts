// Plain TypeScript reference for every kernel of the table (src/tensor/kernels/types.ts).
// It is the oracle the native addon is tested against and the fallback when the addon is
// missing, so correctness comes first: reductions accumulate in float64 (JS numbers), and
// the GEMM uses i-k-j / dot-product loop orders so inner loops stream contiguous memory
// without allocating.
//
// Shape legend: M,N,K GEMM dims; R rows; C columns (classes / hidden); B batch; T tokens;
// nH heads; d head size (H = nH*d); V vocabulary.
import { emulatedGemmBf16 } from './bf16.js';
import * as check from './checks.js';
import type { Kernels } from './types.js';

// ---------------------------------------------------------------------------------------
// erf: JS has no Math.erf. Two float64-accurate pieces (error well below float32 epsilon):
//  |x| < 2.5: erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n (2x^2)^n x / (2n+1)!!  (all terms
//             positive, so no cancellation);
//  |x| >= 2.5: erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
//             evaluated bottom-up with a fixed depth (converges fast for x >= 2.5).
const TWO_OVER_SQRT_PI = 1.1283791670955126;
const INV_SQRT_PI = 0.5641895835477563;

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax > 6) return x > 0 ? 1 : -1; // 1 - erf(6) < 3e-17
  if (ax < 2.5) {
    const x2 = x * x;
    const t2 = 2 * x2;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= t2 / (2 * n + 1);
      sum += term;
      if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  }
  // Continued fraction, depth 60 is far more than needed for x >= 2.5.
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = (Math.exp(-ax * ax) * INV_SQRT_PI) / f;
  return x > 0 ? 1 - erfc : erfc - 1;
}

const INV_SQRT2 = 0.7071067811865476;
const INV_SQRT_2PI = 0.3989422804014327;

// ---------------------------------------------------------------------------------------
// GEMM on offsets so the batched version needs no subarray allocation per matrix.
function gemmAt(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: Float32Array,
  aOff: number,
  lda: number,
  B: Float32Array,
  bOff: number,
  ldb: number,
  beta: number,
  C: Float32Array,
  cOff: number,
  ldc: number,
): void {
  // C <- beta*C first; beta=0 overwrites so NaN/garbage in C never leaks through.
  for (let i = 0; i < M; i++) {
    const c0 = cOff + i * ldc;
    if (beta === 0) C.fill(0, c0, c0 + N);
    else if (beta !== 1) for (let j = 0; j < N; j++) C[c0 + j]! *= beta;
  }
  if (K === 0 || alpha === 0) return;
  if (!transB) {
    // i-k-j, k unrolled by 4: the inner loop streams four rows of B and one row of C, and each
    // C element is loaded/stored once per four k (the sum of four products is formed in float64).
    // No zero-skip on A: 0 * NaN in B must still give NaN (NaN propagates, see ops docs).
    const sa = transA ? lda : 1; // step between consecutive k in a row of op(A)
    for (let i = 0; i < M; i++) {
      const c0 = cOff + i * ldc;
      const a0i = aOff + (transA ? i : i * lda);
      let k = 0;
      for (; k + 4 <= K; k += 4) {
        const ak = a0i + k * sa;
        const x0 = alpha * A[ak]!;
        const x1 = alpha * A[ak + sa]!;
        const x2 = alpha * A[ak + 2 * sa]!;
        const x3 = alpha * A[ak + 3 * sa]!;
        const b0 = bOff + k * ldb;
        const b1 = b0 + ldb;
        const b2 = b1 + ldb;
        const b3 = b2 + ldb;
        for (let j = 0; j < N; j++) {
          C[c0 + j]! += x0 * B[b0 + j]! + x1 * B[b1 + j]! + x2 * B[b2 + j]! + x3 * B[b3 + j]!;
        }
      }
      for (; k < K; k++) {
        const x0 = alpha * A[a0i + k * sa]!;
        const b0 = bOff + k * ldb;
        for (let j = 0; j < N; j++) C[c0 + j]! += x0 * B[b0 + j]!;
      }
    }
  } else {
    // B stored [N,K]: each C entry is a dot of a row of op(A) with a row of B. Four columns at
    // a time share each load of A and give four independent accumulation chains.
    const sa = transA ? lda : 1;
    for (let i = 0; i < M; i++) {
      const c0 = cOff + i * ldc;
      const a0i = aOff + (transA ? i : i * lda);
      let j = 0;
      for (; j + 4 <= N; j += 4) {
        const b0 = bOff + j * ldb;
        const b1 = b0 + ldb;
        const b2 = b1 + ldb;
        const b3 = b2 + ldb;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let k = 0; k < K; k++) {
          const a = A[a0i + k * sa]!;
          s0 += a * B[b0 + k]!;
          s1 += a * B[b1 + k]!;
          s2 += a * B[b2 + k]!;
          s3 += a * B[b3 + k]!;
        }
        C[c0 + j]! += alpha * s0;
        C[c0 + j + 1]! += alpha * s1;
        C[c0 + j + 2]! += alpha * s2;
        C[c0 + j + 3]! += alpha * s3;
      }
      for (; j < N; j++) {
        const b0 = bOff + j * ldb;
        let s = 0;
        for (let k = 0; k < K; k++) s += A[a0i + k * sa]! * B[b0 + k]!;
        C[c0 + j]! += alpha * s;
      }
    }
  }
}

function rowSoftmax(x: Float32Array, x0: number, C: number, out: Float32Array, o0: number): void {
  let mx = -Infinity;
  for (let j = 0; j < C; j++) if (x[x0 + j]! > mx) mx = x[x0 + j]!;
  let s = 0;
  for (let j = 0; j < C; j++) {
    const e = Math.exp(x[x0 + j]! - mx);
    out[o0 + j] = e;
    s += e;
  }
  const inv = 1 / s;
  for (let j = 0; j < C; j++) out[o0 + j]! *= inv;
}

export const jsKernels: Kernels = {
  name: 'js',
  description: 'js (TypeScript reference kernels)',

  gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) {
    check.gemm('gemm', 1, transA, transB, M, N, K, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0);
    gemmAt(transA, transB, M, N, K, alpha, A, 0, lda, B, 0, ldb, beta, C, 0, ldc);
  },

  gemmBf16(...args) {
    emulatedGemmBf16(jsKernels.gemm, ...args); // bf16-rounded copies, then the fp32 gemm
  },

  gemmBatched(batch, transA, transB, M, N, K, alpha, A, lda, strideA, B, ldb, strideB, beta, C, ldc, strideC) {
    if (batch === 0) return;
    check.gemm('gemmBatched', batch, transA, transB, M, N, K, alpha, A, lda, strideA, B, ldb, strideB, beta, C, ldc, strideC);
    for (let b = 0; b < batch; b++) {
      gemmAt(transA, transB, M, N, K, alpha, A, b * strideA, lda, B, b * strideB, ldb, beta, C, b * strideC, ldc);
    }
  },

  layerNormForward(x, gamma, beta, R, C, eps, out, mean, rstd) {
    check.layerNormForward(x, gamma, beta, R, C, out, mean, rstd);
    for (let r = 0; r < R; r++) {
      const x0 = r * C;
      let s = 0;
      for (let j = 0; j < C; j++) s += x[x0 + j]!;
      const m = s / C;
      let v = 0;
      for (let j = 0; j < C; j++) {
        const dlt = x[x0 + j]! - m;
        v += dlt * dlt;
      }
      const rs = 1 / Math.sqrt(v / C + eps);
      mean[r] = m;
      rstd[r] = rs;
      for (let j = 0; j < C; j++) out[x0 + j] = (x[x0 + j]! - m) * rs * gamma[j]! + beta[j]!;
    }
  },

  layerNormBackward(dout, x, gamma, mean, rstd, R, C, dx, dgamma, dbeta) {
    check.layerNormBackward(dout, x, gamma, mean, rstd, R, C, dx, dgamma, dbeta);
    // llm.c layernorm_backward: with n = (x-mean)*rstd and g = dout*gamma,
    // dx = rstd * (g - mean(g) - n * mean(g*n)).
    for (let r = 0; r < R; r++) {
      const x0 = r * C;
      const m = mean[r]!;
      const rs = rstd[r]!;
      let gMean = 0;
      let gnMean = 0;
      for (let j = 0; j < C; j++) {
        const n = (x[x0 + j]! - m) * rs;
        const g = dout[x0 + j]! * gamma[j]!;
        gMean += g;
        gnMean += g * n;
      }
      gMean /= C;
      gnMean /= C;
      for (let j = 0; j < C; j++) {
        const n = (x[x0 + j]! - m) * rs;
        const dy = dout[x0 + j]!;
        if (dbeta !== null) dbeta[j]! += dy;
        if (dgamma !== null) dgamma[j]! += dy * n;
        if (dx !== null) dx[x0 + j]! += rs * (dy * gamma[j]! - gMean - n * gnMean);
      }
    }
  },

  geluForward(x, out) {
    check.geluForward(x, out);
    for (let i = 0; i < x.length; i++) {
      const xi = x[i]!;
      out[i] = 0.5 * xi * (1 + erf(xi * INV_SQRT2));
    }
  },

  geluBackward(x, dout, dx) {
    check.geluBackward(x, dout, dx);
    for (let i = 0; i < x.length; i++) {
      const xi = x[i]!;
      const cdf = 0.5 * (1 + erf(xi * INV_SQRT2));
      const pdf = INV_SQRT_2PI * Math.exp(-0.5 * xi * xi);
      dx[i]! += dout[i]! * (cdf + xi * pdf);
    }
  },

  softmaxForward(x, R, C, out) {
    check.softmaxForward(x, R, C, out);
    for (let r = 0; r < R; r++) rowSoftmax(x, r * C, C, out, r * C);
  },

  softmaxBackward(y, dy, R, C, dx) {
    check.softmaxBackward(y, dy, R, C, dx);
    for (let r = 0; r < R; r++) {
      const o = r * C;
      let dot = 0;
      for (let j = 0; j < C; j++) dot += dy[o + j]! * y[o + j]!;
      for (let j = 0; j < C; j++) dx[o + j]! += y[o + j]! * (dy[o + j]! - dot);
    }
  },

  attentionForward(q, k, v, keyMask, B, T, nH, d, scale, dropMask, probs, out) {
    check.attentionForward(q, k, v, keyMask, B, T, nH, d, dropMask, probs, out);
    // Per (b, h): S = scale * Q_h K_h^T (+ mask) → P = softmax(S) → out_h = (P ∘ drop) V_h.
    // Masked keys are skipped (probability exactly 0), like HF's finfo.min additive mask.
    // A row whose keys are ALL masked gets a uniform distribution over every key — that is
    // what HF computes too (all scores collapse to finfo.min, softmax of equal values).
    const H = nH * d;
    const row = new Float64Array(T); // [T] scores of one query row
    for (let b = 0; b < B; b++) {
      const km = b * T;
      let anyKept = keyMask === null;
      if (keyMask !== null) for (let j = 0; j < T; j++) if (keyMask[km + j] !== 0) anyKept = true;
      for (let h = 0; h < nH; h++) {
        const hc = h * d;
        for (let i = 0; i < T; i++) {
          const qi = (b * T + i) * H + hc;
          let mx = -Infinity;
          for (let j = 0; j < T; j++) {
            if (anyKept && keyMask !== null && keyMask[km + j] === 0) {
              row[j] = -Infinity;
              continue;
            }
            const kj = (b * T + j) * H + hc;
            let s = 0;
            for (let c = 0; c < d; c++) s += q[qi + c]! * k[kj + c]!;
            s *= scale;
            row[j] = s;
            if (s > mx) mx = s;
          }
          const p0 = ((b * nH + h) * T + i) * T;
          if (!anyKept) {
            for (let j = 0; j < T; j++) probs[p0 + j] = 1 / T;
          } else {
            let sum = 0;
            for (let j = 0; j < T; j++) {
              const e = row[j] === -Infinity ? 0 : Math.exp(row[j]! - mx);
              row[j] = e;
              sum += e;
            }
            const inv = 1 / sum;
            for (let j = 0; j < T; j++) probs[p0 + j] = row[j]! * inv;
          }
          // out row = sum_j p'_ij v_j
          const o0 = (b * T + i) * H + hc;
          for (let c = 0; c < d; c++) out[o0 + c] = 0;
          for (let j = 0; j < T; j++) {
            let p = probs[p0 + j]!;
            if (dropMask !== null) p *= dropMask[p0 + j]!;
            if (p === 0) continue;
            const vj = (b * T + j) * H + hc;
            for (let c = 0; c < d; c++) out[o0 + c]! += p * v[vj + c]!;
          }
        }
      }
    }
  },

  attentionBackward(dout, q, k, v, probs, dropMask, B, T, nH, d, scale, dq, dk, dv) {
    check.attentionBackward(dout, q, k, v, probs, dropMask, B, T, nH, d, dq, dk, dv);
    // With P' = P ∘ drop:  dV += P'^T dO;  dP' = dO V^T;  dP = dP' ∘ drop;
    // dS = P ∘ (dP - rowsum(P ∘ dP));  dQ += scale dS K;  dK += scale dS^T Q.
    const H = nH * d;
    const dP = new Float64Array(T); // [T] one row of dP
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < nH; h++) {
        const hc = h * d;
        for (let i = 0; i < T; i++) {
          const p0 = ((b * nH + h) * T + i) * T;
          const oi = (b * T + i) * H + hc;
          let dot = 0;
          for (let j = 0; j < T; j++) {
            const p = probs[p0 + j]!;
            const m = dropMask === null ? 1 : dropMask[p0 + j]!;
            const vj = (b * T + j) * H + hc;
            const pd = p * m;
            let g = 0;
            for (let c = 0; c < d; c++) {
              g += dout[oi + c]! * v[vj + c]!;
              if (pd !== 0) dv[vj + c]! += pd * dout[oi + c]!;
            }
            g *= m;
            dP[j] = g;
            dot += p * g;
          }
          for (let j = 0; j < T; j++) {
            const ds = probs[p0 + j]! * (dP[j]! - dot) * scale;
            if (ds === 0) continue;
            const kj = (b * T + j) * H + hc;
            for (let c = 0; c < d; c++) {
              dq[oi + c]! += ds * k[kj + c]!;
              dk[kj + c]! += ds * q[oi + c]!;
            }
          }
        }
      }
    }
  },

  crossEntropyForward(logits, targets, R, C, ignoreIndex, probs) {
    check.crossEntropyForward(logits, targets, R, C, probs);
    let lossSum = 0;
    let count = 0;
    for (let r = 0; r < R; r++) {
      const t = targets[r]!;
      if (t === ignoreIndex) continue;
      if (!(t >= 0 && t < C)) {
        throw new Error(`crossEntropy: target ${t} at row ${r} is outside [0, ${C}) and is not ignoreIndex ${ignoreIndex}`);
      }
      const o = r * C;
      let mx = -Infinity;
      for (let j = 0; j < C; j++) if (logits[o + j]! > mx) mx = logits[o + j]!;
      let s = 0;
      for (let j = 0; j < C; j++) {
        const e = Math.exp(logits[o + j]! - mx);
        probs[o + j] = e;
        s += e;
      }
      const inv = 1 / s;
      for (let j = 0; j < C; j++) probs[o + j]! *= inv;
      lossSum += Math.log(s) + mx - logits[o + t]!;
      count++;
    }
    return { lossSum, count };
  },

  crossEntropyBackward(probs, targets, R, C, ignoreIndex, scale, dlogits) {
    check.crossEntropyBackward(probs, targets, R, C, dlogits);
    for (let r = 0; r < R; r++) {
      const t = targets[r]!;
      if (t === ignoreIndex) continue;
      if (!(t >= 0 && t < C)) {
        throw new Error(`crossEntropy: target ${t} at row ${r} is outside [0, ${C}) and is not ignoreIndex ${ignoreIndex}`);
      }
      const o = r * C;
      for (let j = 0; j < C; j++) dlogits[o + j]! += scale * probs[o + j]!;
      dlogits[o + t]! -= scale;
    }
  },

  embeddingForward(weight, ids, V, C, out) {
    const k = 'embeddingForward';
    check.need(k, 'weight', weight, V * C);
    check.need(k, 'ids', ids, 0, true);
    check.need(k, 'out', out, ids.length * C);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && id < V)) throw new Error(`embedding: id ${id} at index ${i} is outside [0, ${V}) (V=${V})`);
      out.set(weight.subarray(id * C, id * C + C), i * C);
    }
  },

  embeddingBackward(dout, ids, V, C, dweight) {
    const k = 'embeddingBackward';
    check.need(k, 'ids', ids, 0, true);
    check.need(k, 'dout', dout, ids.length * C);
    check.need(k, 'dweight', dweight, V * C);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && id < V)) throw new Error(`embedding: id ${id} at index ${i} is outside [0, ${V}) (V=${V})`);
      const w0 = id * C;
      const o0 = i * C;
      for (let c = 0; c < C; c++) dweight[w0 + c]! += dout[o0 + c]!;
    }
  },

  adamwUpdate(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step) {
    check.adamwUpdate(param, grad, m, v, step);
    // Same operation order as torch.optim.AdamW (single-tensor path):
    // p *= 1 - lr*wd; m,v EMA; p -= (lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps).
    const decay = 1 - lr * weightDecay;
    const bc1 = 1 - Math.pow(beta1, step);
    const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
    const stepSize = lr / bc1;
    for (let i = 0; i < param.length; i++) {
      const g = grad[i]!;
      const mi = beta1 * m[i]! + (1 - beta1) * g;
      const vi = beta2 * v[i]! + (1 - beta2) * g * g;
      m[i] = mi;
      v[i] = vi;
      const decayed = Math.fround(param[i]! * decay); // torch rounds after p.mul_()
      param[i] = decayed - (stepSize * m[i]!) / (Math.sqrt(v[i]!) / bc2Sqrt + eps);
    }
  },

  sumSquares(buffers) {
    if (!Array.isArray(buffers)) throw new TypeError("sumSquares: argument 'buffers' must be an Array of Float32Array");
    buffers.forEach((b, i) => check.need('sumSquares', `buffers[${i}]`, b, 0));
    let s = 0;
    for (const buf of buffers) for (let i = 0; i < buf.length; i++) s += buf[i]! * buf[i]!;
    return s;
  },

  scaleInPlace(x, s) {
    check.need('scaleInPlace', 'x', x, 0);
    for (let i = 0; i < x.length; i++) x[i]! *= s;
  },

  add(a, b, out) {
    const n = out.length;
    check.need('add', 'out', out, 0);
    check.need('add', 'a', a, n);
    check.need('add', 'b', b, n);
    for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
  },

  dropoutMask(out, p, seed) {
    check.need('dropoutMask', 'out', out, 0);
    checkDropout('dropoutMask', p, seed);
    const keep = dropoutKeep(p);
    for (let i = 0; i < out.length; i++) out[i] = dropoutHash(seed, i) / 4294967296 < p ? 0 : keep;
  },

  dropoutApply(x, out, p, seed, accumulate) {
    check.need('dropoutApply', 'x', x, 0);
    check.need('dropoutApply', 'out', out, x.length);
    checkDropout('dropoutApply', p, seed);
    const keep = dropoutKeep(p);
    const n = x.length;
    if (accumulate) for (let i = 0; i < n; i++) out[i]! += dropoutHash(seed, i) / 4294967296 < p ? 0 : x[i]! * keep;
    else for (let i = 0; i < n; i++) out[i] = dropoutHash(seed, i) / 4294967296 < p ? 0 : x[i]! * keep;
  },
};

function checkDropout(fn: string, p: number, seed: number): void {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`${fn}: p must be in [0, 1], got ${String(p)}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`${fn}: seed must be an integer in [0, 2^32), got ${String(seed)}`);
}

/** The survivors' scale, fround(1/(1-p)) (0 when everything is dropped). */
function dropoutKeep(p: number): number {
  return p < 1 ? Math.fround(1 / (1 - p)) : 0;
}

/** murmur3 fmix32 of seed + (i+1)·0x9e3779b9 (mod 2^32): element i's dropout draw. */
function dropoutHash(seed: number, i: number): number {
  let z = (seed + Math.imul(i + 1, 0x9e3779b9)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
