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
    [0, 0], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149],
    [2, 0.9953222650189527], [2.49, 0.9995707121322661], [2.51, 0.9996142945182758],
    [3, 0.9999779095030014], [4, 0.9999999845827421], [-1.5, -0.9661051464753108], [7, 1],
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
      for (const [alpha, beta] of [[1, 0], [0.5, 1], [-2, 0.25]] as const) {
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
    close(out.subarray(i * C, (i + 1) * C), row.map((xv, j) => (xv - m) * rs * g[j]! + b[j]!), `out row ${i}`);
  }
  // Backward accumulates: run twice into the same buffers and compare with 2x one pass.
  const dout = randArr(r, R * C);
  const once = [new Float32Array(R * C), new Float32Array(C), new Float32Array(C)] as const;
  kernels().layerNormBackward(dout, x, g, mean, rstd, R, C, once[0], once[1], once[2]);
  const twice = [new Float32Array(R * C), new Float32Array(C), new Float32Array(C)] as const;
  for (let k = 0; k < 2; k++) kernels().layerNormBackward(dout, x, g, mean, rstd, R, C, twice[0], twice[1], twice[2]);
  for (let k = 0; k < 3; k++) close(twice[k], Array.from(once[k], (v) => 2 * v), `accumulate ${k}`);
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
  close(y.subarray(0, 3), e.map((v) => v / s), 'softmax row 0');
  close(y.subarray(3), e.map((v) => v / s), 'softmax row 1 (same offsets)');
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
