// The kernel table against direct float64 transcriptions of each kernel's documented formula
// (the js table is the oracle the native addon is compared with in kernels.test.ts, so it is
// itself checked here). One body per backend. Tolerance: 1e-5 relative unless stated.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng, kernels } from '../../src/tensor/index.js';
import { erf } from '../../src/tensor/kernels/js.js';
import { testBothBackends } from './helpers.js';
import { assertClose } from '../support/close.js';

function randArr(r: Rng, n: number, s = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.normal() * s;
  return a;
}
function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-5, atol = 1e-6): void {
  assertClose(actual, expected, what, { rtol, atol });
}

test('erf matches reference values (Python math.erf) to 1e-15', () => {
  const ref: Array<[number, number]> = [
    [0, 0],
    [0.1, 0.1124629160182849],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [2, 0.9953222650189527],
    [2.49, 0.9995707121322661],
    [2.51, 0.9996142945182758],
    [3, 0.9999779095030014],
    [4, 0.9999999845827421],
    [-1.5, -0.9661051464753108],
    [7, 1],
  ];
  for (const [x, e] of ref) assert.ok(Math.abs(erf(x) - e) < 1e-15, `erf(${x}) = ${erf(x)}, expected ${e}`);
  assert.ok(Number.isNaN(erf(NaN)));
});

testBothBackends('gemm: every transpose combination, padded leading dims, alpha/beta', () => {
  const r = new Rng(1);
  const M = 5;
  const N = 7;
  const K = 6;
  const pad = 3; // leading dims larger than the logical width
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      const [ar, ac] = tA ? [K, M] : [M, K];
      const [br, bc] = tB ? [N, K] : [K, N];
      const lda = ac + pad;
      const ldb = bc + pad;
      const ldc = N + pad;
      const A = randArr(r, ar * lda);
      const B = randArr(r, br * ldb);
      const C0 = randArr(r, M * ldc);
      const opA = (i: number, k: number) => (tA ? A[k * lda + i]! : A[i * lda + k]!);
      const opB = (k: number, j: number) => (tB ? B[j * ldb + k]! : B[k * ldb + j]!);
      for (const [alpha, beta] of [
        [1, 0],
        [0.5, 1],
        [-2, 0.25],
      ] as const) {
        const C = C0.slice();
        if (beta === 0) for (let i = 0; i < M; i++) C[i * ldc] = NaN; // beta = 0 must ignore old C
        kernels().gemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        const want = C0.slice();
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let s = 0;
            for (let k = 0; k < K; k++) s += opA(i, k) * opB(k, j);
            want[i * ldc + j] = alpha * s + (beta === 0 ? 0 : beta * C0[i * ldc + j]!);
          }
        }
        close(C, want, `gemm tA=${tA} tB=${tB} alpha=${alpha} beta=${beta}`, 1e-5, 1e-5);
      }
    }
  }
});

testBothBackends('gemmBatched equals a loop of gemm calls on offsets', () => {
  const r = new Rng(2);
  const [Bt, M, N, K] = [3, 4, 5, 6];
  const A = randArr(r, Bt * M * K);
  const B = randArr(r, Bt * N * K);
  const C = new Float32Array(Bt * M * N);
  kernels().gemmBatched(Bt, false, true, M, N, K, 1, A, K, M * K, B, K, N * K, 0, C, N, M * N);
  for (let b = 0; b < Bt; b++) {
    const want = new Float32Array(M * N);
    kernels().gemm(false, true, M, N, K, 1, A.subarray(b * M * K), K, B.subarray(b * N * K), K, 0, want, N);
    close(C.subarray(b * M * N, (b + 1) * M * N), want, `batch ${b}`);
  }
});

testBothBackends('layerNorm forward/backward follow the formulas (biased variance)', () => {
  const r = new Rng(3);
  const [R, C, eps] = [3, 10, 1e-5];
  const x = randArr(r, R * C, 3);
  const g = randArr(r, C);
  const b = randArr(r, C);
  const out = new Float32Array(R * C);
  const mean = new Float32Array(R);
  const rstd = new Float32Array(R);
  kernels().layerNormForward(x, g, b, R, C, eps, out, mean, rstd);
  for (let i = 0; i < R; i++) {
    const row = Array.from(x.subarray(i * C, (i + 1) * C));
    const m = row.reduce((s, v) => s + v, 0) / C;
    const v = row.reduce((s, x2) => s + (x2 - m) ** 2, 0) / C;
    const rs = 1 / Math.sqrt(v + eps);
    close([mean[i]!, rstd[i]!], [m, rs], `mean/rstd row ${i}`);
    close(
      out.subarray(i * C, (i + 1) * C),
      row.map((xv, j) => (xv - m) * rs * g[j]! + b[j]!),
      `out row ${i}`,
    );
  }
  // Backward accumulates: run twice into the same buffers and compare with 2x one pass.
  const dout = randArr(r, R * C);
  const once = [new Float32Array(R * C), new Float32Array(C), new Float32Array(C)] as const;
  kernels().layerNormBackward(dout, x, g, mean, rstd, R, C, once[0], once[1], once[2]);
  const twice = [new Float32Array(R * C), new Float32Array(C), new Float32Array(C)] as const;
  for (let k = 0; k < 2; k++) kernels().layerNormBackward(dout, x, g, mean, rstd, R, C, twice[0], twice[1], twice[2]);
  for (let k = 0; k < 3; k++)
    close(
      twice[k],
      Array.from(once[k], (v) => 2 * v),
      `accumulate ${k}`,
    );
  const dbeta = new Float32Array(C);
  kernels().layerNormBackward(dout, x, g, mean, rstd, R, C, null, null, dbeta);
  close(dbeta, once[2], 'dbeta alone (dx, dgamma null)');
});

testBothBackends('softmax is stable for large inputs; crossEntropy sum/count/probs', () => {
  const x = Float32Array.from([1000, 1001, 1002, -1, 0, 1]);
  const y = new Float32Array(6);
  kernels().softmaxForward(x, 2, 3, y);
  const e = [Math.exp(-2), Math.exp(-1), 1];
  const s = e[0]! + e[1]! + e[2]!;
  close(
    y.subarray(0, 3),
    e.map((v) => v / s),
    'softmax row 0',
  );
  close(
    y.subarray(3),
    e.map((v) => v / s),
    'softmax row 1 (same offsets)',
  );
  const probs = new Float32Array(6);
  const { lossSum, count } = kernels().crossEntropyForward(x, Int32Array.from([2, -100]), 2, 3, -100, probs);
  assert.equal(count, 1);
  close([lossSum], [Math.log(s)], 'CE loss of row 0');
  const d = new Float32Array(6);
  kernels().crossEntropyBackward(probs, Int32Array.from([2, -100]), 2, 3, -100, 0.5, d);
  close(d, [0.5 * y[0]!, 0.5 * y[1]!, 0.5 * (y[2]! - 1), 0, 0, 0], 'CE grad (ignored row untouched)');
});

testBothBackends('attention: a query row with every key masked gets a uniform distribution (as HF)', () => {
  const r = new Rng(4);
  const [B, T, nH, d] = [1, 3, 1, 2];
  const q = randArr(r, 6);
  const k = randArr(r, 6);
  const v = randArr(r, 6);
  const probs = new Float32Array(9);
  const out = new Float32Array(6);
  kernels().attentionForward(q, k, v, new Float32Array(3), B, T, nH, d, 1 / Math.sqrt(d), null, probs, out);
  close(probs, new Array(9).fill(1 / 3), 'probs');
});

testBothBackends('embedding gather/scatter-add with repeated ids', () => {
  const w = Float32Array.from([0, 1, 10, 11, 20, 21]); // [3,2]
  const out = new Float32Array(6);
  kernels().embeddingForward(w, Int32Array.from([2, 0, 2]), 3, 2, out);
  assert.deepEqual([...out], [20, 21, 0, 1, 20, 21]);
  const dw = new Float32Array(6).fill(1);
  kernels().embeddingBackward(Float32Array.from([1, 2, 3, 4, 5, 6]), Int32Array.from([2, 0, 2]), 3, 2, dw);
  assert.deepEqual([...dw], [4, 5, 1, 1, 7, 9]);
});

testBothBackends('adamwUpdate = torch.optim.AdamW for 3 steps (hand transcription in float64)', () => {
  const r = new Rng(5);
  const n = 16;
  const p = randArr(r, n);
  const m = new Float32Array(n);
  const v = new Float32Array(n);
  const [lr, b1, b2, eps, wd] = [1e-2, 0.9, 0.999, 1e-8, 0.1];
  const P = Array.from(p);
  const Mv = new Array<number>(n).fill(0);
  const Vv = new Array<number>(n).fill(0);
  for (let step = 1; step <= 3; step++) {
    const g = randArr(r, n);
    kernels().adamwUpdate(p, g, m, v, lr, b1, b2, eps, wd, step);
    for (let i = 0; i < n; i++) {
      P[i]! *= 1 - lr * wd;
      Mv[i] = b1 * Mv[i]! + (1 - b1) * g[i]!;
      Vv[i] = b2 * Vv[i]! + (1 - b2) * g[i]! * g[i]!;
      const mh = Mv[i]! / (1 - b1 ** step);
      const vh = Vv[i]! / (1 - b2 ** step);
      P[i]! -= (lr * mh) / (Math.sqrt(vh) + eps);
    }
  }
  close(p, P, 'param', 1e-5, 1e-6);
  close(m, Mv, 'm');
  close(v, Vv, 'v');
});

testBothBackends('sumSquares (float64 accumulation) and scaleInPlace', () => {
  const a = new Float32Array(100000).fill(0.1);
  const b = Float32Array.from([3, 4]);
  const want = 100000 * Math.fround(0.1) ** 2 + 25;
  assert.ok(Math.abs(kernels().sumSquares([a, b]) - want) < 1e-9 * want);
  assert.equal(kernels().sumSquares([]), 0);
  kernels().scaleInPlace(b, 0.5);
  assert.deepEqual([...b], [1.5, 2]);
});

testBothBackends('kernels reject short buffers and wrong array types (no silent partial writes)', () => {
  const k = kernels();
  const f = (n: number) => new Float32Array(n);
  assert.throws(() => k.gemm(false, false, 2, 2, 2, 1, f(4), 2, f(4), 2, 0, f(3), 2), /gemm/);
  assert.throws(() => k.gemm(false, false, 2, 2, 2, 1, f(3), 2, f(4), 2, 0, f(4), 2), /gemm/);
  assert.throws(() => k.layerNormForward(new Float64Array(4) as unknown as Float32Array, f(2), f(2), 2, 2, 1e-5, f(4), f(2), f(2)), /layerNormForward/);
  assert.throws(() => k.softmaxForward(f(6), 2, 3, f(5)), /softmaxForward/);
  assert.throws(() => k.embeddingForward(f(6), Int32Array.from([0, 1]), 3, 2, f(3)), /embeddingForward/);
  assert.throws(() => k.crossEntropyForward(f(6), Float32Array.from([0, 1]) as unknown as Int32Array, 2, 3, -100, f(6)), /crossEntropyForward/);
  assert.throws(() => k.attentionForward(f(8), f(8), f(8), f(1), 1, 2, 2, 2, 1, null, f(8), f(8)), /attentionForward/);
  assert.throws(() => k.adamwUpdate(f(4), f(3), f(4), f(4), 1e-3, 0.9, 0.999, 1e-8, 0, 1), /adamwUpdate/);
});

// ---- GELU, softmax backward, attention: float64 formula references --------------------------
// These kernels were otherwise only compared native-vs-js (kernels.test.ts), i.e. against code
// by the same author. Each reference below is a direct float64 transcription of the math,
// independent of src/: its own erf (series), the softmax Jacobian written out, attention by
// explicit loops with the chain rule — and the attention reference's own backward is itself
// checked against central differences of its forward.

/** erf(x) = 2/sqrt(pi) · exp(-x²) · Σ_n 2^n x^(2n+1) / (1·3·…·(2n+1)) — all terms positive, float64-exact to ~1e-15 for |x| <= 6. */
function erfRef(x: number): number {
  if (Math.abs(x) > 6) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

test('the reference erf (series) agrees with Python math.erf', () => {
  for (const [x, e] of [
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [2.49, 0.9995707121322661],
    [-1.5, -0.9661051464753108],
    [4, 0.9999999845827421],
  ] as const) {
    assert.ok(Math.abs(erfRef(x) - e) < 1e-14, `erfRef(${x}) = ${erfRef(x)}, expected ${e}`);
  }
});

testBothBackends('gelu forward/backward = x·Φ(x) and Φ(x) + x·φ(x) in float64 (backward accumulates)', () => {
  const r = new Rng(11);
  const x = Float32Array.from([...randArr(r, 200, 3), 0, -0, 1e-6, -1e-6, 5.5, -5.5, 9, -9, 20, -20]);
  const out = new Float32Array(x.length);
  kernels().geluForward(x, out);
  const Phi = (v: number) => 0.5 * (1 + erfRef(v / Math.SQRT2));
  const phi = (v: number) => Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
  // atol 1e-6: the kernels use an erf accurate to 1.5e-7 (as PyTorch's float32 GELU)
  close(
    out,
    Array.from(x, (v) => v * Phi(v)),
    'gelu',
    1e-5,
    1e-6,
  );
  const dout = randArr(r, x.length);
  const dx0 = randArr(r, x.length);
  const dx = dx0.slice();
  kernels().geluBackward(x, dout, dx);
  close(
    dx,
    Array.from(x, (v, i) => dx0[i]! + dout[i]! * (Phi(v) + v * phi(v))),
    'gelu backward',
    1e-5,
    1e-6,
  );
});

/** Row softmax in float64. */
function softmaxRef(x: ArrayLike<number>, R: number, C: number): Float64Array {
  const y = new Float64Array(R * C);
  for (let i = 0; i < R; i++) {
    let m = -Infinity;
    for (let j = 0; j < C; j++) m = Math.max(m, x[i * C + j]!);
    let s = 0;
    for (let j = 0; j < C; j++) s += Math.exp(x[i * C + j]! - m);
    for (let j = 0; j < C; j++) y[i * C + j] = Math.exp(x[i * C + j]! - m) / s;
  }
  return y;
}

testBothBackends('softmax backward = the softmax Jacobian (y_j(δ_jk - y_k)) times dy, in float64 (accumulates)', () => {
  const r = new Rng(12);
  const [R, C] = [5, 9];
  const x = randArr(r, R * C, 2);
  const y = new Float32Array(R * C);
  kernels().softmaxForward(x, R, C, y);
  const y64 = softmaxRef(x, R, C);
  close(y, y64, 'softmax forward', 1e-5, 1e-7);
  const dy = randArr(r, R * C);
  const dx0 = randArr(r, R * C);
  const dx = dx0.slice();
  kernels().softmaxBackward(y, dy, R, C, dx);
  const want = Float64Array.from(dx0);
  for (let i = 0; i < R; i++) {
    for (let k = 0; k < C; k++) {
      // dx_k = Σ_j (∂y_j/∂x_k) dy_j with ∂y_j/∂x_k = y_j (δ_jk - y_k)
      let s = 0;
      for (let j = 0; j < C; j++) s += y64[i * C + j]! * ((j === k ? 1 : 0) - y64[i * C + k]!) * dy[i * C + j]!;
      want[i * C + k]! += s;
    }
  }
  close(dx, want, 'softmax backward', 1e-5, 1e-6);
});

interface AttnRef {
  probs: Float64Array;
  out: Float64Array;
  dq: Float64Array;
  dk: Float64Array;
  dv: Float64Array;
}

/**
 * Self-attention in float64 by explicit loops: scores s_ij = scale·q_i·k_j over unmasked keys
 * (masked keys: probability 0; a row with no key left: uniform, as HF's finfo.min mask gives),
 * p = softmax(s), out_i = Σ_j p_ij·drop_ij·v_j; backward by the chain rule from dout.
 * q,k,v,out: [B,T,H] with head h in columns h*d..(h+1)*d; probs [B,nH,T,T].
 */
function attentionRef(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  mask: ArrayLike<number> | null,
  drop: ArrayLike<number> | null,
  B: number,
  T: number,
  nH: number,
  d: number,
  scale: number,
  dout: ArrayLike<number> | null,
): AttnRef {
  const H = nH * d;
  const at = (b: number, t: number, h: number, c: number) => (b * T + t) * H + h * d + c;
  const P = (b: number, h: number, i: number, j: number) => ((b * nH + h) * T + i) * T + j;
  const probs = new Float64Array(B * nH * T * T);
  const out = new Float64Array(B * T * H);
  const dq = new Float64Array(B * T * H);
  const dk = new Float64Array(B * T * H);
  const dv = new Float64Array(B * T * H);
  for (let b = 0; b < B; b++) {
    const keys = [...Array(T).keys()].filter((j) => mask === null || mask[b * T + j] !== 0);
    for (let h = 0; h < nH; h++) {
      for (let i = 0; i < T; i++) {
        if (keys.length === 0) {
          for (let j = 0; j < T; j++) probs[P(b, h, i, j)] = 1 / T;
        } else {
          const s = keys.map((j) => {
            let dot = 0;
            for (let c = 0; c < d; c++) dot += q[at(b, i, h, c)]! * k[at(b, j, h, c)]!;
            return scale * dot;
          });
          const m = Math.max(...s);
          const z = s.reduce((acc, x) => acc + Math.exp(x - m), 0);
          keys.forEach((j, n) => (probs[P(b, h, i, j)] = Math.exp(s[n]! - m) / z));
        }
        const dr = (j: number) => (drop === null ? 1 : drop[P(b, h, i, j)]!);
        for (let j = 0; j < T; j++) for (let c = 0; c < d; c++) out[at(b, i, h, c)]! += probs[P(b, h, i, j)]! * dr(j) * v[at(b, j, h, c)]!;
        if (dout === null) continue;
        // dP_ij = drop_ij · (dout_i · v_j); dv_j += p_ij·drop_ij·dout_i; dS_ij = p_ij (dP_ij - Σ_l p_il dP_il)
        const dP = new Float64Array(T);
        for (let j = 0; j < T; j++) {
          let s = 0;
          for (let c = 0; c < d; c++) {
            s += dout[at(b, i, h, c)]! * v[at(b, j, h, c)]!;
            dv[at(b, j, h, c)]! += probs[P(b, h, i, j)]! * dr(j) * dout[at(b, i, h, c)]!;
          }
          dP[j] = dr(j) * s;
        }
        let pdp = 0;
        for (let j = 0; j < T; j++) pdp += probs[P(b, h, i, j)]! * dP[j]!;
        for (let j = 0; j < T; j++) {
          const dS = probs[P(b, h, i, j)]! * (dP[j]! - pdp);
          if (keys.length === 0) continue; // a fully masked row is constant: no gradient to q, k
          for (let c = 0; c < d; c++) {
            dq[at(b, i, h, c)]! += scale * dS * k[at(b, j, h, c)]!;
            dk[at(b, j, h, c)]! += scale * dS * q[at(b, i, h, c)]!;
          }
        }
      }
    }
  }
  return { probs, out, dq, dk, dv };
}

test('the float64 attention reference: its backward equals central differences of its forward', () => {
  const r = new Rng(13);
  const [B, T, nH, d] = [2, 4, 2, 3];
  const n = B * T * nH * d;
  const q = Array.from(randArr(r, n), Number);
  const k = Array.from(randArr(r, n), Number);
  const v = Array.from(randArr(r, n), Number);
  const mask = [1, 1, 1, 1, 1, 1, 0, 0];
  const drop = Array.from({ length: B * nH * T * T }, (_, i) => (i % 5 === 0 ? 0 : 1.25));
  const dout = Array.from(randArr(r, n), Number);
  const g = attentionRef(q, k, v, mask, drop, B, T, nH, d, 0.6, dout);
  const L = (qq: number[], kk: number[], vv: number[]) => attentionRef(qq, kk, vv, mask, drop, B, T, nH, d, 0.6, null).out.reduce((s, o, i) => s + o * dout[i]!, 0);
  const eps = 1e-6;
  for (const [name, x, grad] of [
    ['q', q, g.dq],
    ['k', k, g.dk],
    ['v', v, g.dv],
  ] as const) {
    const num = x.map((_, i) => {
      const up = x.slice();
      const dn = x.slice();
      up[i]! += eps;
      dn[i]! -= eps;
      const args = (z: number[]) => (name === 'q' ? L(z, k, v) : name === 'k' ? L(q, z, v) : L(q, k, z));
      return (args(up) - args(dn)) / (2 * eps);
    });
    close(grad, num, `reference d${name} vs finite differences`, 1e-6, 1e-8);
  }
});

testBothBackends('attention forward/backward = the float64 reference (padding mask, dropout mask, accumulation)', () => {
  const r = new Rng(14);
  const [B, T, nH, d] = [2, 5, 2, 4];
  const n = B * T * nH * d;
  const scale = 1 / Math.sqrt(d);
  const q = randArr(r, n);
  const k = randArr(r, n);
  const v = randArr(r, n);
  const mask = Float32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]); // row 1: two padded keys
  for (const withDrop of [false, true]) {
    const drop = withDrop ? Float32Array.from({ length: B * nH * T * T }, (_, i) => ((i * 7) % 10 < 3 ? 0 : Math.fround(1 / 0.7))) : null;
    const probs = new Float32Array(B * nH * T * T);
    const out = new Float32Array(n);
    kernels().attentionForward(q, k, v, mask, B, T, nH, d, scale, drop, probs, out);
    const dout = randArr(r, n);
    const ref = attentionRef(q, k, v, mask, drop, B, T, nH, d, scale, dout);
    const what = withDrop ? 'with dropout' : 'no dropout';
    close(probs, ref.probs, `probs ${what}`, 1e-5, 1e-7);
    close(out, ref.out, `out ${what}`, 1e-5, 1e-6);
    const init = [randArr(r, n), randArr(r, n), randArr(r, n)] as const;
    const [dq, dk, dv] = init.map((a) => a.slice()) as [Float32Array, Float32Array, Float32Array];
    kernels().attentionBackward(dout, q, k, v, probs, drop, B, T, nH, d, scale, dq, dk, dv);
    close(
      dq,
      Array.from(ref.dq, (x, i) => x + init[0][i]!),
      `dq ${what}`,
      1e-5,
      1e-6,
    );
    close(
      dk,
      Array.from(ref.dk, (x, i) => x + init[1][i]!),
      `dk ${what}`,
      1e-5,
      1e-6,
    );
    close(
      dv,
      Array.from(ref.dv, (x, i) => x + init[2][i]!),
      `dv ${what}`,
      1e-5,
      1e-6,
    );
  }
});
