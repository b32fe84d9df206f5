// The native addon and the WebAssembly kernels against the TypeScript reference: ONE body per
// kernel runs on each table with identical random inputs and every output is compared with
// js's. GEMM is also checked against a float64 naive loop for every transpose combination,
// padded leading dims and beta cases, on every GEMM path this machine has (BLAS, each built-in
// ISA, wasm). Then bad input (wrong array type, short buffer, bad dims, out-of-range ids) and
// NaN propagation. Without the addon, the native halves are registered as visible skips; the
// wasm module is committed, so its halves always run.
//
// Tolerances (float32 kernels, float64 or float32 reference):
//   GEMM vs float64 loop: |err| <= 1e-5*|ref| + 2e-6*sqrt(K)   (summation-order rounding)
//   fused ops vs js:      |err| <= rtol*|ref| + atol, rtol 1e-5, atol 1e-6 unless stated
//   (GELU uses the A&S erf approximation, abs error 1.5e-7 — PyTorch's own — hence atol 1e-6.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsKernels } from '../../src/tensor/kernels/js.js';
import { loadNativeAddon, loadNativeKernels, nativeLoadError, nativeSource } from '../../src/tensor/kernels/native.js';
import { loadWasmKernels, wasmLoadError } from '../../src/tensor/kernels/wasm.js';
import { assertClose as sharedAssertClose, type ArrayDiff } from '../support/close.js';
import { nativeTest, REQUIRE_NATIVE } from '../support/native.js';
import type { Kernels } from '../../src/tensor/kernels/types.js';

const native = loadNativeKernels();
const addon = loadNativeAddon();
const wasmK = loadWasmKernels();
/** The wasm table (a load failure is a test failure: the module ships with the package). */
function wasm(): Kernels {
  assert.ok(wasmK !== null, `the WebAssembly kernels did not load: ${wasmLoadError()}`);
  return wasmK;
}

// Where the toolchain is known to be present (CI), a missing addon is a failure, not a skip
// (every native test below also fails on its own then: test/support/native.ts).
test('the native addon is loadable when ADAPTEXT_REQUIRE_NATIVE=1', { skip: REQUIRE_NATIVE ? false : 'ADAPTEXT_REQUIRE_NATIVE is not set' }, () => {
  assert.ok(native !== null, `ADAPTEXT_REQUIRE_NATIVE=1 but ${nativeLoadError()}`);
  // CI tests the build from source; a prebuilt left by `npm pack` (prepack) must not stand in for a broken build
  if (!process.env['ADAPTEXT_NATIVE_PATH']) assert.equal(nativeSource()?.kind, 'built from source', `loaded ${nativeSource()?.path}`);
});

// ---- helpers ---------------------------------------------------------------------------

/** Deterministic xorshift uniform / normal numbers (test-local, independent of src/ RNG). */
class Gen {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  u(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 4294967296;
  }
  n(): number {
    const a = Math.max(this.u(), 1e-12);
    return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * this.u());
  }
  f32(n: number, scale = 1): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.n() * scale;
    return a;
  }
}

type Diff = ArrayDiff;

/** Elementwise |got - want| <= atol + rtol*|want|; NaN must sit at the same places on both sides. */
function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, rtol = 1e-5, atol = 1e-6): Diff {
  return sharedAssertClose(got, want, what, { rtol, atol });
}

type Outputs = Record<string, Float32Array | number>;

/**
 * One body per kernel, run on js, native and wasm with identical inputs (the body builds its
 * inputs from a fresh seeded generator each time), then every named output of native and of
 * wasm compared with js's, with the same tolerances.
 */
function bothBackends(title: string, body: (k: Kernels, g: Gen) => Outputs, tol: Record<string, [number, number]> = {}): void {
  const compare = (got: Outputs, want: Outputs) => {
    for (const key of Object.keys(want)) {
      const [rtol, atol] = tol[key] ?? [1e-5, 1e-6];
      const w = want[key]!;
      const g = got[key]!;
      if (typeof w === 'number') assertClose([g as number], [w], `${title}: ${key}`, rtol, atol);
      else assertClose(g as Float32Array, w, `${title}: ${key}`, rtol, atol);
    }
  };
  nativeTest(`${title} [native vs js]`, () => compare(body(native!, new Gen(1234)), body(jsKernels, new Gen(1234))));
  test(`${title} [wasm vs js]`, () => compare(body(wasm(), new Gen(1234)), body(jsKernels, new Gen(1234))));
}

function naiveGemm(
  tA: boolean,
  tB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: Float32Array,
  lda: number,
  B: Float32Array,
  ldb: number,
  beta: number,
  C: Float32Array,
  ldc: number,
): Float64Array {
  const out = Float64Array.from(C);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (tA ? A[k * lda + i]! : A[i * lda + k]!) * (tB ? B[j * ldb + k]! : B[k * ldb + j]!);
      out[i * ldc + j] = alpha * s + (beta === 0 ? 0 : beta * C[i * ldc + j]!);
    }
  }
  return out;
}

/** Every GEMM path the addon has here: BLAS (if linked) and each built-in micro-kernel the CPU runs. */
function gemmPaths(): Array<{ name: string; enter: () => void }> {
  if (addon === null) return [];
  const info = addon.info();
  const restore = () => {
    addon.setGemmImpl(info.gemm);
    addon.setBuiltinIsa(info.builtinIsa as 'avx512');
  };
  const paths: Array<{ name: string; enter: () => void }> = [];
  if (info.blas !== 'none')
    paths.push({
      name: info.blas,
      enter: () => {
        restore();
        addon.setGemmImpl('blas');
      },
    });
  for (const isa of ['avx512', 'avx2+fma', 'generic'] as const) {
    if (!addon.setBuiltinIsa(isa)) continue;
    paths.push({
      name: `built-in ${isa}`,
      enter: () => {
        addon.setGemmImpl('builtin');
        addon.setBuiltinIsa(isa);
      },
    });
  }
  restore();
  paths.push({ name: 'restore', enter: restore });
  return paths;
}

// ---- GEMM ------------------------------------------------------------------------------

nativeTest('gemm: all transposes, padded leading dims, beta 0 (NaN in C ignored) / 1 / 0.5, on every GEMM path, vs a float64 loop', () => {
  // Sizes straddle the micro-tile edges (6/12 rows, 16/32 cols), the K slice (256) and, with
  // M=250 / N=3100, the row block (240) and column block (3072); the larger ones use threads.
  // ADAPTEXT_GEMM=blas sends M = 1 to BLAS too, so both M = 1 paths are covered.
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1],
    [7, 5, 3],
    [13, 33, 300],
    [250, 40, 20],
    [5, 3100, 9],
    [64, 64, 64],
    // M = 1 (bias gradients: ones @ dY): the row-times-matrix path, serial and split over threads
    [1, 37, 300],
    [1, 700, 1024],
  ];
  const g = new Gen(7);
  const paths = gemmPaths();
  const seen: string[] = [];
  for (const path of paths) {
    if (path.name === 'restore') continue;
    path.enter();
    seen.push(path.name);
    for (const [M, N, K] of shapes) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          const lda = (tA ? M : K) + 3;
          const ldb = (tB ? K : N) + 1;
          const ldc = N + 2;
          const A = g.f32((tA ? K : M) * lda);
          const B = g.f32((tB ? N : K) * ldb);
          for (const [alpha, beta] of [
            [1, 0],
            [0.75, 1],
            [-1.5, 0.5],
          ] as const) {
            const C = g.f32(M * ldc);
            if (beta === 0) C.fill(NaN); // beta=0 must not read C
            const want = naiveGemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
            native!.gemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
            // Whole C including its padding columns, which must stay untouched (NaN when beta=0).
            assertClose(C, want, `${path.name} gemm(tA=${tA}, tB=${tB}, ${M}x${N}x${K}, alpha=${alpha}, beta=${beta})`, 1e-5, 2e-6 * Math.sqrt(K));
          }
        }
      }
    }
  }
  paths.at(-1)!.enter();
  assert.ok(seen.length >= 2, `expected at least BLAS or two built-in paths, ran ${seen.join(', ')}`);
});

nativeTest('gemm: repeated threaded calls give bit-identical results (thread pool reuse)', () => {
  const g = new Gen(3);
  const [M, N, K] = [300, 200, 100];
  const A = g.f32(M * K);
  const B = g.f32(N * K);
  const first = new Float32Array(M * N);
  native!.gemm(false, true, M, N, K, 1, A, K, B, K, 0, first, N);
  const C = new Float32Array(M * N);
  for (let r = 0; r < 30; r++) {
    native!.gemm(false, true, M, N, K, 1, A, K, B, K, 0, C, N);
    assert.deepEqual(C, first, `call ${r} differs`);
  }
});

// ---- wasm GEMM edge shapes ----------------------------------------------------------------
// The wasm GEMM is packed and register-blocked (4x8 micro-tile, MC 96, KC 256, NC 2048:
// native/wasm/kernels.c): shapes straddle every one of those edges, plus 1x1x1, K = 0,
// alpha = 0 and a large K (several K slices: later slices accumulate onto the first).
test('wasm gemm: edge shapes (tile, block and K-slice edges, 1x1, K=0, large K), all transposes, alpha/beta, vs a float64 loop', () => {
  const k = wasm();
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1],
    [1, 17, 1],
    [3, 15, 2],
    [4, 16, 256],
    [5, 33, 257],
    [97, 18, 7],
    [13, 2049, 3],
    [6, 5, 0],
    [9, 7, 1100],
  ];
  const g = new Gen(11);
  for (const [M, N, K] of shapes) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        const lda = (tA ? M : K) + (M % 2);
        const ldb = (tB ? K : N) + 2;
        const ldc = N + (K % 3);
        const A = g.f32(Math.max(1, (tA ? K : M) * lda));
        const B = g.f32(Math.max(1, (tB ? N : K) * ldb));
        for (const [alpha, beta] of [
          [1, 0],
          [0.75, 1],
          [-1.5, 0.5],
          [0, 0.5],
        ] as const) {
          const C = g.f32(M * ldc);
          if (beta === 0) C.fill(NaN); // beta=0 must not read C (padding columns stay NaN)
          const want = naiveGemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
          const A0 = A.slice();
          const B0 = B.slice();
          k.gemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
          assertClose(C, want, `wasm gemm(tA=${tA}, tB=${tB}, ${M}x${N}x${K}, alpha=${alpha}, beta=${beta})`, 1e-5, 2e-6 * Math.sqrt(Math.max(K, 1)));
          assert.deepEqual(A, A0, 'gemm must not write A');
          assert.deepEqual(B, B0, 'gemm must not write B');
        }
      }
    }
  }
});

test('wasm gemmBatched: strided/interleaved C with gaps keeps the elements no matrix writes, beta 0 and 1', () => {
  const k = wasm();
  const g = new Gen(5);
  // 3 matrices [5,6] in C with ldc 8 and strideC 50: gaps between and inside rows
  const [batch, M, N, K] = [3, 5, 6, 21];
  const A = g.f32(batch * 130);
  const B = g.f32(batch * 140);
  for (const beta of [0, 1]) {
    const C = g.f32(batch * 50);
    const want = C.slice();
    for (let b = 0; b < batch; b++) {
      const ref = naiveGemm(true, false, M, N, K, 0.5, A.subarray(b * 130), M, B.subarray(b * 140), N, beta, want.subarray(b * 50, b * 50 + (M - 1) * 8 + N), 8);
      want.set(Float32Array.from(ref), b * 50);
    }
    k.gemmBatched(batch, true, false, M, N, K, 0.5, A, M, 130, B, N, 140, beta, C, 8, 50);
    assertClose(C, want, `wasm gemmBatched beta=${beta}`, 1e-5, 1e-5);
  }
});

test('wasm: memory grows for a large call and is reused by later small ones (results unchanged)', () => {
  const k = wasm();
  const g = new Gen(9);
  const small = () => {
    const x = g.f32(4 * 9);
    const y = new Float32Array(4 * 9);
    k.softmaxForward(x, 4, 9, y);
    const want = new Float32Array(4 * 9);
    jsKernels.softmaxForward(x, 4, 9, want);
    assertClose(y, want, 'small softmax', 1e-5, 1e-6);
  };
  small();
  const n = 6_000_000; // 3 x 24 MB in the arena
  const x = g.f32(n);
  const dout = g.f32(n);
  const dx = new Float32Array(n);
  k.geluBackward(x, dout, dx);
  const want = new Float32Array(n);
  jsKernels.geluBackward(x.subarray(0, 1000), dout, want);
  assertClose(dx.subarray(0, 1000), want.subarray(0, 1000), 'large gelu backward', 1e-5, 1e-6);
  small();
});

test('wasm: bad arguments throw naming the kernel and the argument, and write nothing', () => {
  const k = wasm();
  const f = (n: number) => new Float32Array(n);
  assert.throws(() => k.gemm(false, false, 2, 2, 2, 1, new Float64Array(4) as unknown as Float32Array, 2, f(4), 2, 0, f(4), 2), {
    name: 'TypeError',
    message: "gemm: argument 'A' must be a Float32Array, got Float64Array",
  });
  assert.throws(() => k.gemm(false, true, 4, 3, 5, 1, f(19), 5, f(15), 5, 0, f(12), 3), { message: 'gemm: A has 19 elements, needs 20 (M=4 N=3 K=5 transA=false)' });
  assert.throws(() => k.gemm(false, false, 2, 2, 3, 1, f(64), 2, f(64), 2, 0, f(4), 2), { message: /gemm: leading dims too small \(lda=2 needs >= 3/ });
  assert.throws(() => k.gemm(false, false, -1, 2, 2, 1, f(4), 2, f(4), 2, 0, f(4), 2), { name: 'RangeError', message: 'gemm: M must be a non-negative integer, got -1' });
  assert.throws(() => k.gemm(false, false, 2, 2.5, 2, 1, f(4), 2, f(6), 3, 0, f(6), 3), { name: 'RangeError', message: 'gemm: N must be a non-negative integer, got 2.5' });
  const shared = f(64);
  assert.throws(() => k.gemm(false, false, 2, 2, 2, 1, shared, 2, f(4), 2, 0, shared.subarray(2), 2), { message: 'gemm: C overlaps input A in memory (the output must be a separate buffer)' });
  assert.throws(() => k.gemmBatched(3, false, false, 2, 2, 2, 1, f(11), 2, 4, f(12), 2, 4, 0, f(12), 2, 4), { message: /gemmBatched: A has 11 elements, needs 12/ });
  assert.throws(() => k.layerNormForward(f(6), f(3), [1, 2, 3] as unknown as Float32Array, 2, 3, 1e-5, f(6), f(2), f(2)), {
    name: 'TypeError',
    message: "layerNormForward: argument 'beta' must be a Float32Array, got Array",
  });
  assert.throws(() => k.layerNormForward(f(6), f(3), f(3), 2, 3, 1e-5, f(6), f(1), f(2)), { message: "layerNormForward: argument 'mean' has 1 elements, needs 2" });
  assert.throws(() => k.softmaxForward(f(6), 2, -3, f(6)), { name: 'RangeError', message: 'softmaxForward: C must be a non-negative integer, got -3' });
  assert.throws(() => k.geluBackward(f(5), f(5), f(4)), { message: "geluBackward: argument 'dx' has 4 elements, needs 5" });
  assert.throws(() => k.attentionForward(f(8), f(8), f(8), null, 1, 2, 2, 2, 1, null, f(7), f(8)), { message: "attentionForward: argument 'probs' has 7 elements, needs 8" });
  assert.throws(() => k.attentionBackward(f(8), f(8), f(8), f(8), f(8), new Uint8Array(8) as unknown as Float32Array, 1, 2, 2, 2, 1, f(8), f(8), f(8)), {
    name: 'TypeError',
    message: "attentionBackward: argument 'dropMask' must be a Float32Array, got Uint8Array",
  });
  assert.throws(() => k.adamwUpdate(f(4), f(4), f(3), f(4), 1e-3, 0.9, 0.999, 1e-8, 0, 1), { message: "adamwUpdate: argument 'm' has 3 elements, needs 4" });
  assert.throws(() => k.adamwUpdate(f(4), f(4), f(4), f(4), 1e-3, 0.9, 0.999, 1e-8, 0, 0), { name: 'RangeError', message: 'adamwUpdate: step must be an integer >= 1 (1-based), got 0' });
  // out-of-range targets: checked for every row before anything is written
  const probs = f(6).fill(7);
  assert.throws(() => k.crossEntropyForward(Float32Array.from([1, 2, 3, 4, 5, 6]), Int32Array.from([0, 3]), 2, 3, -100, probs), {
    name: 'RangeError',
    message: 'crossEntropyForward: target 3 at row 1 is outside [0, 3) and is not ignoreIndex -100',
  });
  assert.deepEqual(probs, f(6).fill(7));
  const dl = f(6).fill(7);
  assert.throws(() => k.crossEntropyBackward(f(6), Int32Array.from([-5, 0]), 2, 3, -100, 1, dl), {
    name: 'RangeError',
    message: 'crossEntropyBackward: target -5 at row 0 is outside [0, 3) and is not ignoreIndex -100',
  });
  assert.deepEqual(dl, f(6).fill(7));
  assert.throws(() => k.crossEntropyForward(f(6), Float32Array.from([0, 1]) as unknown as Int32Array, 2, 3, -100, f(6)), {
    name: 'TypeError',
    message: "crossEntropyForward: argument 'targets' must be an Int32Array, got Float32Array",
  });
  // a failed GEMM leaves C as it was
  const C = f(4).fill(3);
  assert.throws(() => k.gemm(false, false, 2, 2, 2, 1, f(3), 2, f(4), 2, 0, C, 2));
  assert.deepEqual(C, f(4).fill(3));
});

test('wasm: the table is js for the entries it does not implement, and says so', () => {
  const k = wasm();
  assert.equal(k.name, 'wasm');
  assert.match(k.description, /^wasm \(WebAssembly SIMD/);
  for (const name of ['embeddingForward', 'embeddingBackward', 'sumSquares', 'scaleInPlace', 'dropoutMask', 'dropoutApply', 'add'] as const) assert.equal(k[name], jsKernels[name], name);
  for (const name of [
    'gemm',
    'gemmBatched',
    'layerNormForward',
    'layerNormBackward',
    'geluForward',
    'geluBackward',
    'softmaxForward',
    'softmaxBackward',
    'attentionForward',
    'attentionBackward',
    'crossEntropyForward',
    'crossEntropyBackward',
    'adamwUpdate',
  ] as const)
    assert.notEqual(k[name], jsKernels[name], name);
});

bothBackends('gemm (NT, beta 0.5, sub-array views)', (k, g) => {
  const [M, N, K] = [9, 11, 17];
  const A = g.f32(3 + M * K).subarray(3); // a view with a byte offset
  const B = g.f32(N * K);
  const C = g.f32(M * N);
  k.gemm(false, true, M, N, K, 2, A, K, B, K, 0.5, C, N);
  return { C };
});

bothBackends('gemmBatched (per-head [B,T,H] layout: interleaved matrices, ld = H)', (k, g) => {
  const [Bt, T, nH, d] = [2, 5, 3, 4];
  const H = nH * d;
  const q = g.f32(Bt * T * H);
  const kk = g.f32(Bt * T * H);
  // scores for every (b, h): [T,d] x [T,d]^T, matrices start at b*T*H + h*d
  const S = new Float32Array(Bt * nH * T * T);
  for (let b = 0; b < Bt; b++) k.gemmBatched(nH, false, true, T, T, d, 0.5, q.subarray(b * T * H), H, d, kk.subarray(b * T * H), H, d, 0, S.subarray(b * nH * T * T), T, T * T);
  // and a plain batched NN with accumulate
  const A = g.f32(4 * 6 * 7);
  const B = g.f32(4 * 7 * 5);
  const C = g.f32(4 * 6 * 5);
  k.gemmBatched(4, false, false, 6, 5, 7, 1, A, 7, 42, B, 5, 35, 1, C, 5, 30);
  return { S, C };
});

// ---- fused ops -------------------------------------------------------------------------

bothBackends(
  'layerNormForward',
  (k, g) => {
    const [R, C] = [70, 37]; // 70 rows: several thread ranges
    const x = g.f32(R * C, 3);
    for (let j = 0; j < C; j++) x[j] = 5 + x[j]! * 1e-3; // a row with a large mean and tiny variance
    const gamma = g.f32(C);
    const beta = g.f32(C);
    const out = new Float32Array(R * C);
    const mean = new Float32Array(R);
    const rstd = new Float32Array(R);
    k.layerNormForward(x, gamma, beta, R, C, 1e-12, out, mean, rstd);
    return { out, mean, rstd };
  },
  { out: [1e-5, 1e-5] },
);

bothBackends(
  'layerNormBackward (dx, dgamma, dbeta accumulate; nulls allowed)',
  (k, g) => {
    const [R, C] = [70, 37];
    const x = g.f32(R * C);
    const gamma = g.f32(C);
    const beta = g.f32(C);
    const out = new Float32Array(R * C);
    const mean = new Float32Array(R);
    const rstd = new Float32Array(R);
    k.layerNormForward(x, gamma, beta, R, C, 1e-5, out, mean, rstd);
    const dout = g.f32(R * C);
    const dx = g.f32(R * C);
    const dgamma = g.f32(C);
    const dbeta = g.f32(C);
    k.layerNormBackward(dout, x, gamma, mean, rstd, R, C, dx, dgamma, dbeta);
    const dx2 = new Float32Array(R * C);
    k.layerNormBackward(dout, x, gamma, mean, rstd, R, C, dx2, null, null);
    const dgamma2 = new Float32Array(C);
    k.layerNormBackward(dout, x, gamma, mean, rstd, R, C, null, dgamma2, null);
    return { dx, dgamma, dbeta, dx2, dgamma2 };
  },
  { dx: [1e-5, 1e-5], dx2: [1e-5, 1e-5], dgamma: [1e-5, 1e-5], dgamma2: [1e-5, 1e-5], dbeta: [1e-5, 1e-5] },
);

bothBackends('geluForward / geluBackward (x in [-12, 12], 40k elements: threaded)', (k, g) => {
  const n = 40_000;
  const x = g.f32(n, 3);
  x[0] = -12;
  x[1] = 12;
  x[2] = 0;
  x[3] = -0;
  x[4] = 1e-30;
  x[5] = -5;
  x[6] = Infinity;
  x[7] = -Infinity;
  const out = new Float32Array(n);
  k.geluForward(x, out);
  const dout = g.f32(n);
  const dx = g.f32(n);
  k.geluBackward(x.subarray(0, n - 8), dout, dx); // last 8 stay as initialised: length = x.length
  return { out, dx };
});

bothBackends('softmaxForward / softmaxBackward (large C, shifted rows)', (k, g) => {
  const [R, C] = [40, 300];
  const x = g.f32(R * C, 4);
  for (let j = 0; j < C; j++) x[C + j]! += 80; // a row far from 0: needs the max shift
  const y = new Float32Array(R * C);
  k.softmaxForward(x, R, C, y);
  const dy = g.f32(R * C);
  const dx = g.f32(R * C);
  k.softmaxBackward(y, dy, R, C, dx);
  return { y, dx };
});

function attnCase(k: Kernels, g: Gen, withDrop: boolean): Outputs {
  const [B, T, nH, d] = [3, 13, 3, 8]; // T=13: not a multiple of any micro-tile
  const H = nH * d;
  const scale = 1 / Math.sqrt(d);
  const q = g.f32(B * T * H);
  const kk = g.f32(B * T * H);
  const v = g.f32(B * T * H);
  const keyMask = new Float32Array(B * T).fill(1);
  for (let j = 9; j < T; j++) keyMask[j] = 0; // batch 0: 4 padding keys
  for (let j = 0; j < T; j++) keyMask[2 * T + j] = 0; // batch 2: every key masked -> uniform rows
  let drop: Float32Array | null = null;
  if (withDrop) {
    drop = new Float32Array(B * nH * T * T);
    for (let i = 0; i < drop.length; i++) drop[i] = g.u() < 0.1 ? 0 : 1 / 0.9;
  }
  const probs = new Float32Array(B * nH * T * T);
  const out = new Float32Array(B * T * H);
  k.attentionForward(q, kk, v, keyMask, B, T, nH, d, scale, drop, probs, out);
  const dout = g.f32(B * T * H);
  const dq = g.f32(B * T * H);
  const dk = g.f32(B * T * H);
  const dv = g.f32(B * T * H);
  k.attentionBackward(dout, q, kk, v, probs, drop, B, T, nH, d, scale, dq, dk, dv);
  // no mask at all
  const probs2 = new Float32Array(B * nH * T * T);
  const out2 = new Float32Array(B * T * H);
  k.attentionForward(q, kk, v, null, B, T, nH, d, scale, null, probs2, out2);
  return { probs, out, dq, dk, dv, probs2, out2 };
}
const attnTol: Record<string, [number, number]> = {
  probs: [1e-5, 1e-6],
  probs2: [1e-5, 1e-6],
  out: [1e-5, 1e-5],
  out2: [1e-5, 1e-5],
  dq: [1e-5, 1e-5],
  dk: [1e-5, 1e-5],
  dv: [1e-5, 1e-5],
};
bothBackends('attentionForward / attentionBackward (key mask incl. a fully masked batch, no dropout)', (k, g) => attnCase(k, g, false), attnTol);
bothBackends('attentionForward / attentionBackward (key mask + dropout mask)', (k, g) => attnCase(k, g, true), attnTol);

bothBackends(
  'crossEntropyForward / crossEntropyBackward (ignore index, wide rows)',
  (k, g) => {
    const [R, C] = [37, 1000];
    const logits = g.f32(R * C, 5);
    const targets = new Int32Array(R);
    for (let r = 0; r < R; r++) targets[r] = r % 5 === 0 ? -100 : Math.floor(g.u() * C);
    const probs = new Float32Array(R * C);
    const { lossSum, count } = k.crossEntropyForward(logits, targets, R, C, -100, probs);
    for (let r = 0; r < R; r += 5) probs.fill(0, r * C, (r + 1) * C); // ignored rows may hold anything
    const dlogits = g.f32(R * C);
    k.crossEntropyBackward(probs, targets, R, C, -100, 1 / count, dlogits);
    return { lossSum, count, probs, dlogits };
  },
  { lossSum: [1e-6, 1e-6] },
);

bothBackends(
  'embeddingForward / embeddingBackward (repeated ids: scatter-add)',
  (k, g) => {
    const [V, C, N] = [50, 96, 400]; // N*C >= 32k: column-split threads on native
    const weight = g.f32(V * C);
    const ids = new Int32Array(N);
    for (let i = 0; i < N; i++) ids[i] = i % 7 === 0 ? 3 : Math.floor(g.u() * V);
    const out = new Float32Array(N * C);
    k.embeddingForward(weight, ids, V, C, out);
    const dout = g.f32(N * C);
    const dweight = g.f32(V * C);
    k.embeddingBackward(dout, ids, V, C, dweight);
    return { out, dweight };
  },
  { dweight: [1e-5, 1e-5] },
);

bothBackends(
  'adamwUpdate (3 steps, weight decay, 70k params: threaded)',
  (k, g) => {
    const n = 70_000;
    const p = g.f32(n);
    const m = new Float32Array(n);
    const v = new Float32Array(n);
    for (let step = 1; step <= 3; step++) {
      const grad = g.f32(n, 0.1);
      k.adamwUpdate(p, grad, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.01, step);
    }
    return { p, m, v };
  },
  { p: [1e-6, 1e-7], m: [1e-5, 1e-8], v: [1e-5, 1e-10] },
);

bothBackends(
  'sumSquares (float64 accumulation) / scaleInPlace',
  (k, g) => {
    const a = g.f32(100_001, 3);
    const b = g.f32(17);
    const empty = new Float32Array(0);
    const ss = k.sumSquares([a, b, empty]);
    const big = new Float32Array(1 << 20).fill(1e-4); // float32 accumulation would drift here
    const ssBig = k.sumSquares([big]);
    k.scaleInPlace(a, 0.25);
    return { ss, ssBig, a };
  },
  { ss: [1e-10, 0], ssBig: [1e-9, 0], a: [0, 0] },
);

nativeTest('sumSquares accumulates in float64 (2^20 squares of 1e-4: relative error < 1e-10; float32 accumulation is off by > 1e-3)', () => {
  const big = new Float32Array(1 << 20).fill(1e-4);
  const f = Math.fround(1e-4);
  const want = (1 << 20) * f * f;
  assert.ok(Math.abs(native!.sumSquares([big]) - want) <= 1e-10 * want, `got ${native!.sumSquares([big])}, want ${want}`);
});

bothBackends(
  'dropoutMask (counter-based: identical bits on both backends)',
  (k) => {
    const n = 200_003; // several thread ranges plus a tail
    const m1 = new Float32Array(n);
    k.dropoutMask(m1, 0.1, 0x9e3779b9);
    const m3 = new Float32Array(n);
    k.dropoutMask(m3, 0.5, 0);
    const m0 = new Float32Array(17).fill(7);
    k.dropoutMask(m0, 0, 123);
    const mAll = new Float32Array(17).fill(7);
    k.dropoutMask(mAll, 1, 0xffffffff);
    return { m1, m3, m0, mAll };
  },
  { m1: [0, 0], m3: [0, 0], m0: [0, 0], mAll: [0, 0] },
);

bothBackends(
  'add: out = a + b, in place into a or b too (float sums: identical bits on both backends)',
  (k) => {
    const n = 100_003;
    const a = new Float32Array(n).map((_, i) => Math.sin(i) * 1e3);
    const b = new Float32Array(n).map((_, i) => Math.cos(i) * 1e-3);
    const out = new Float32Array(n).fill(NaN);
    k.add(a, b, out);
    for (let i = 0; i < n; i++) if (out[i] !== Math.fround(a[i]! + b[i]!)) throw new Error(`out[${i}] = ${out[i]}`);
    const intoA = a.slice();
    k.add(intoA, b, intoA);
    const intoB = b.slice();
    k.add(a, intoB, intoB);
    const head = new Float32Array(5);
    k.add(a, b, head); // out shorter than the inputs: its length rules
    return { out, intoA, intoB, head };
  },
  { out: [0, 0], intoA: [0, 0], intoB: [0, 0], head: [0, 0] },
);

test('add rejects inputs shorter than out, naming the kernel', () => {
  assert.throws(() => jsKernels.add(new Float32Array(3), new Float32Array(4), new Float32Array(4)), /add/);
  if (native !== null) assert.throws(() => native.add(new Float32Array(4), new Float32Array(3), new Float32Array(4)), { name: 'RangeError', message: /add: a and b must be at least as long as out/ });
});

bothBackends(
  'dropoutApply = x times the dropoutMask of the same seed, written or accumulated, never stored (identical bits on both backends)',
  (k) => {
    const n = 200_003;
    const x = new Float32Array(n).map((_, i) => Math.sin(i) * 3);
    const mask = new Float32Array(n);
    k.dropoutMask(mask, 0.1, 12345);
    const out = new Float32Array(n).fill(NaN); // written, old contents ignored
    k.dropoutApply(x, out, 0.1, 12345, false);
    const acc = new Float32Array(n).map((_, i) => Math.cos(i));
    const acc0 = acc.slice();
    k.dropoutApply(x, acc, 0.1, 12345, true);
    for (let i = 0; i < n; i++) {
      if (out[i] !== Math.fround(x[i]! * mask[i]!)) throw new Error(`out[${i}] = ${out[i]}, want x·mask = ${Math.fround(x[i]! * mask[i]!)}`);
      if (acc[i] !== Math.fround(acc0[i]! + x[i]! * mask[i]!)) throw new Error(`acc[${i}] = ${acc[i]}`);
    }
    const inPlace = x.slice();
    k.dropoutApply(inPlace, inPlace, 0.5, 7, false);
    const all = new Float32Array(9).fill(3);
    k.dropoutApply(all, all, 1, 7, false);
    return { out, acc, inPlace, all };
  },
  { out: [0, 0], acc: [0, 0], inPlace: [0, 0], all: [0, 0] },
);

test('dropoutApply rejects a short out, a bad p or seed, naming the kernel', () => {
  const x = new Float32Array(4);
  assert.throws(() => jsKernels.dropoutApply(x, new Float32Array(3), 0.1, 1, false), /dropoutApply/);
  assert.throws(() => jsKernels.dropoutApply(x, x, 2, 1, false), /dropoutApply: p must be in \[0, 1\]/);
  assert.throws(() => jsKernels.dropoutApply(x, x, 0.1, 2 ** 32, true), /dropoutApply: seed must be an integer/);
  if (native !== null) {
    assert.throws(() => native.dropoutApply(x, new Float32Array(3), 0.1, 1, false), { name: 'RangeError', message: /dropoutApply/ });
    assert.throws(() => native.dropoutApply(x, x, 2, 1, false), { name: 'RangeError', message: /dropoutApply: p must be in \[0, 1\]/ });
  }
});

test('dropoutMask: keep rate within 4 sigma of 1-p, survivors exactly fround(1/(1-p)), seeds decorrelated', () => {
  const n = 1 << 20;
  for (const p of [0.1, 0.5]) {
    const m = new Float32Array(n);
    jsKernels.dropoutMask(m, p, 42);
    const keep = Math.fround(1 / (1 - p));
    let kept = 0;
    for (const v of m) {
      if (v === keep) kept++;
      else assert.equal(v, 0, `p=${p}: mask value ${v} is neither 0 nor ${keep}`);
    }
    const sigma = Math.sqrt(n * p * (1 - p));
    assert.ok(Math.abs(kept - n * (1 - p)) < 4 * sigma, `p=${p}: kept ${kept} of ${n}, want ${n * (1 - p)} ± ${4 * sigma}`);
  }
  const a = new Float32Array(4096);
  const b = new Float32Array(4096);
  jsKernels.dropoutMask(a, 0.5, 1);
  jsKernels.dropoutMask(b, 0.5, 2);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  assert.ok(Math.abs(same - 2048) < 4 * 32, `seeds 1 and 2 agree on ${same} of 4096 elements (want ~2048)`);
  assert.throws(() => jsKernels.dropoutMask(a, 1.5, 1), /dropoutMask: p must be in \[0, 1\]/);
  assert.throws(() => jsKernels.dropoutMask(a, 0.1, -1), /dropoutMask: seed must be an integer/);
});

nativeTest('dropoutMask native: bad p / seed are RangeErrors naming the kernel', () => {
  const f = new Float32Array(4);
  assert.throws(() => native!.dropoutMask(f, 1.5, 1), { name: 'RangeError', message: /dropoutMask: p must be in \[0, 1\]/ });
  assert.throws(() => native!.dropoutMask(f, 0.1, 2 ** 32), { name: 'RangeError', message: /dropoutMask: seed must be an integer/ });
});

// ---- bad input -------------------------------------------------------------------------

nativeTest('bad input: wrong array types are TypeErrors naming the kernel and the argument', () => {
  const f = new Float32Array(16);
  const k = native!;
  assert.throws(() => k.gemm(false, false, 2, 2, 2, 1, new Float64Array(4) as unknown as Float32Array, 2, f, 2, 0, new Float32Array(4), 2), {
    name: 'TypeError',
    message: "gemm: argument 'A' must be Float32Array, got Float64Array",
  });
  assert.throws(() => k.layerNormForward(f, f, [1, 2] as unknown as Float32Array, 2, 2, 1e-5, new Float32Array(4), f, f), {
    name: 'TypeError',
    message: "layerNormForward: argument 'beta' must be Float32Array, got Array",
  });
  assert.throws(() => k.embeddingForward(f, new Float32Array(2) as unknown as Int32Array, 4, 4, new Float32Array(8)), {
    name: 'TypeError',
    message: "embeddingForward: argument 'ids' must be Int32Array, got Float32Array",
  });
  assert.throws(() => k.crossEntropyForward(f, new Uint32Array(2) as unknown as Int32Array, 2, 2, -100, new Float32Array(4)), {
    name: 'TypeError',
    message: "crossEntropyForward: argument 'targets' must be Int32Array, got Uint32Array",
  });
  assert.throws(() => k.attentionForward(f, f, f, new Uint8Array(4) as unknown as Float32Array, 1, 2, 1, 2, 1, null, new Float32Array(4), new Float32Array(4)), {
    name: 'TypeError',
    message: "attentionForward: argument 'keyMask' must be Float32Array or null, got Uint8Array",
  });
  assert.throws(() => k.gemm(1 as unknown as boolean, false, 2, 2, 2, 1, f, 2, f, 2, 0, new Float32Array(4), 2), {
    name: 'TypeError',
    message: "gemm: argument 'transA' must be a boolean, got number 1",
  });
  assert.throws(() => k.sumSquares([f, new Float64Array(2) as unknown as Float32Array]), { name: 'TypeError', message: 'sumSquares: buffers[1] must be a Float32Array' });
  assert.throws(() => (k.geluForward as (x: Float32Array) => void)(f), { name: 'TypeError', message: 'geluForward: expected 2 arguments, got 1' });
});

nativeTest('bad input: short buffers are Errors naming kernel, argument, needed vs got', () => {
  const k = native!;
  assert.throws(() => k.gemm(false, true, 4, 3, 5, 1, new Float32Array(19), 5, new Float32Array(15), 5, 0, new Float32Array(12), 3), {
    message: 'gemm: A is too short: needs 20 elements ([4,5] with lda=5), got 19',
  });
  assert.throws(() => k.gemm(false, false, 4, 3, 5, 1, new Float32Array(20), 5, new Float32Array(15), 3, 0, new Float32Array(11), 3), {
    message: 'gemm: C is too short: needs 12 elements ([4,3] with ldc=3), got 11',
  });
  assert.throws(() => k.gemmBatched(3, false, false, 2, 2, 2, 1, new Float32Array(11), 2, 4, new Float32Array(12), 2, 4, 0, new Float32Array(12), 2, 4), {
    message: 'gemmBatched: A is too short: needs 12 elements (3 x [2,2] with lda=2, strideA=4), got 11',
  });
  assert.throws(() => k.layerNormForward(new Float32Array(6), new Float32Array(3), new Float32Array(3), 2, 3, 1e-5, new Float32Array(6), new Float32Array(1), new Float32Array(2)), {
    message: 'layerNormForward: mean is too short: needs 2 elements (R = 2), got 1',
  });
  assert.throws(() => k.geluBackward(new Float32Array(5), new Float32Array(5), new Float32Array(4)), { message: 'geluBackward: dx is too short: needs 5 elements (x.length), got 4' });
  assert.throws(() => k.attentionForward(new Float32Array(8), new Float32Array(8), new Float32Array(8), null, 1, 2, 2, 2, 1, null, new Float32Array(7), new Float32Array(8)), {
    message: 'attentionForward: probs is too short: needs 8 elements ([B,nH,T,T] = [1,2,2,2]), got 7',
  });
  assert.throws(() => k.embeddingBackward(new Float32Array(6), Int32Array.from([0, 1, 2]), 3, 2, new Float32Array(5)), {
    message: 'embeddingBackward: dweight is too short: needs 6 elements ([V,C] = [3,2]), got 5',
  });
  assert.throws(() => k.adamwUpdate(new Float32Array(4), new Float32Array(4), new Float32Array(3), new Float32Array(4), 1e-3, 0.9, 0.999, 1e-8, 0, 1), {
    message: 'adamwUpdate: m is too short: needs 4 elements (param.length), got 3',
  });
});

nativeTest('bad input: bad dims, leading dims, ids, targets, steps and overlapping output are rejected', () => {
  const k = native!;
  const f = new Float32Array(64);
  assert.throws(() => k.gemm(false, false, -1, 2, 2, 1, f, 2, f, 2, 0, new Float32Array(4), 2), { name: 'RangeError', message: 'gemm: M must be a non-negative integer, got -1' });
  assert.throws(() => k.gemm(false, false, 2, 2.5, 2, 1, f, 2, f, 3, 0, new Float32Array(6), 3), { name: 'RangeError', message: 'gemm: N must be a non-negative integer, got 2.5' });
  assert.throws(() => k.gemm(false, false, 2, 2, 3, 1, f, 2, f, 2, 0, new Float32Array(4), 2), { name: 'RangeError', message: 'gemm: lda=2 must be >= 3 (K)' });
  assert.throws(() => k.gemm(false, true, 2, 4, 3, 1, f, 3, f, 2, 0, new Float32Array(8), 4), { name: 'RangeError', message: 'gemm: ldb=2 must be >= 3 (K, transB)' });
  assert.throws(() => k.gemm(false, false, 2, 2, 2, 1, f, 2, f, 2, 0, f.subarray(2), 2), { message: 'gemm: C overlaps input A in memory (the output must be a separate buffer)' });
  assert.throws(() => k.embeddingForward(new Float32Array(6), Int32Array.from([0, 3]), 3, 2, new Float32Array(4)), {
    name: 'RangeError',
    message: 'embeddingForward: id 3 at index 1 is outside [0, 3) (V=3)',
  });
  assert.throws(() => k.embeddingBackward(new Float32Array(4), Int32Array.from([-1, 0]), 3, 2, new Float32Array(6)), {
    name: 'RangeError',
    message: 'embeddingBackward: id -1 at index 0 is outside [0, 3) (V=3)',
  });
  assert.throws(() => k.crossEntropyForward(new Float32Array(6), Int32Array.from([0, 3]), 2, 3, -100, new Float32Array(6)), {
    name: 'RangeError',
    message: 'crossEntropyForward: target 3 at row 1 is outside [0, 3) and is not ignoreIndex -100',
  });
  assert.throws(() => k.crossEntropyBackward(new Float32Array(6), Int32Array.from([-5, 0]), 2, 3, -100, 1, new Float32Array(6)), {
    name: 'RangeError',
    message: 'crossEntropyBackward: target -5 at row 0 is outside [0, 3) and is not ignoreIndex -100',
  });
  assert.throws(() => k.adamwUpdate(f, f.slice(), f.slice(), f.slice(), 1e-3, 0.9, 0.999, 1e-8, 0, 0), { name: 'RangeError', message: 'adamwUpdate: step must be an integer >= 1 (1-based), got 0' });
  // nothing was written by the failed embedding call
  const out = new Float32Array(4).fill(7);
  assert.throws(() => k.embeddingForward(Float32Array.from([1, 2, 3, 4, 5, 6]), Int32Array.from([1, 9]), 3, 2, out));
  assert.deepEqual(out, new Float32Array(4).fill(7));
});

// ---- NaN -------------------------------------------------------------------------------
// Documented behaviour (native/src/kernels.h, same as PyTorch): NaN propagates IEEE-style to
// every output that depends on it and nowhere else; gemm with beta=0 never reads C; keys
// masked out by keyMask are skipped.
for (const [name, k] of [
  ['js', jsKernels],
  ['wasm', wasmK],
  ['native', native],
] as const) {
  (name === 'native' ? nativeTest : test)(`NaN propagates to exactly the outputs that depend on it [${name}]`, () => {
    const K = name === 'wasm' ? wasm() : k!;
    // gemm: NaN in row 1 of A -> row 1 of C only
    const A = Float32Array.from([1, 2, NaN, 4, 5, 6]); // [3,2]
    const B = Float32Array.from([1, 0, 0, 1]);
    const C = new Float32Array(6);
    K.gemm(false, false, 3, 2, 2, 1, A, 2, B, 2, 0, C, 2);
    assert.deepEqual(Array.from(C).map(Number.isNaN), [false, false, true, true, false, false]);
    // softmax: a NaN makes its whole row NaN, other rows are fine
    const y = new Float32Array(6);
    K.softmaxForward(Float32Array.from([0, NaN, 1, 0, 1, 2]), 2, 3, y);
    assert.ok(y.subarray(0, 3).every(Number.isNaN) && !y.subarray(3).some(Number.isNaN));
    // layerNorm: NaN row -> NaN row (mean, rstd too)
    const out = new Float32Array(6);
    const mean = new Float32Array(2);
    const rstd = new Float32Array(2);
    K.layerNormForward(Float32Array.from([1, NaN, 3, 1, 2, 3]), new Float32Array(3).fill(1), new Float32Array(3), 2, 3, 1e-5, out, mean, rstd);
    assert.ok(out.subarray(0, 3).every(Number.isNaN) && !out.subarray(3).some(Number.isNaN) && Number.isNaN(mean[0]!) && !Number.isNaN(mean[1]!));
    // gelu: elementwise
    const gl = new Float32Array(3);
    K.geluForward(Float32Array.from([NaN, 1, -1]), gl);
    assert.ok(Number.isNaN(gl[0]!) && !Number.isNaN(gl[1]!) && !Number.isNaN(gl[2]!));
    // attention: NaN in query 0 -> that query's probs and output row are NaN, the other query is fine
    const q = Float32Array.from([NaN, 1, 0.5, 0.5]); // B=1, T=2, nH=1, d=2
    const kv = Float32Array.from([1, 0, 0, 1]);
    const probs = new Float32Array(4);
    const ao = new Float32Array(4);
    K.attentionForward(q, kv, kv, null, 1, 2, 1, 2, 1, null, probs, ao);
    assert.deepEqual(Array.from(probs).map(Number.isNaN), [true, true, false, false]);
    assert.deepEqual(Array.from(ao).map(Number.isNaN), [true, true, false, false]);
    // cross-entropy: NaN logit in a counted row -> NaN loss; in an ignored row -> no effect
    const ce = K.crossEntropyForward(Float32Array.from([NaN, 1, 0, 2]), Int32Array.from([-100, 1]), 2, 2, -100, new Float32Array(4));
    assert.ok(Number.isFinite(ce.lossSum) && ce.count === 1);
    assert.ok(Number.isNaN(K.crossEntropyForward(Float32Array.from([NaN, 1, 0, 2]), Int32Array.from([0, 1]), 2, 2, -100, new Float32Array(4)).lossSum));
    // AdamW: NaN grad -> NaN param (and moments) at that index only
    const p = Float32Array.from([1, 1]);
    K.adamwUpdate(p, Float32Array.from([NaN, 1]), new Float32Array(2), new Float32Array(2), 0.1, 0.9, 0.999, 1e-8, 0, 1);
    assert.ok(Number.isNaN(p[0]!) && !Number.isNaN(p[1]!));
    // gradient norm: NaN anywhere -> NaN
    assert.ok(Number.isNaN(K.sumSquares([Float32Array.from([1, 2]), Float32Array.from([NaN])])));
  });
}

nativeTest('the native table describes its GEMM and thread count', () => {
  const info = addon!.info();
  assert.match(native!.description, /^native \(.+, \d+ threads?\)$/);
  assert.ok(info.threads >= 1);
  if (process.env['ADAPTEXT_THREADS']) assert.equal(info.threads, Number(process.env['ADAPTEXT_THREADS']));
  assert.ok(['avx512', 'avx2+fma', 'generic'].includes(info.builtinIsa));
});
