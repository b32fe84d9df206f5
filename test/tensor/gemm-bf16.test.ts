// gemmBf16 (bf16-rounded inputs, fp32 accumulation) on every path against the TypeScript
// reference (src/tensor/kernels/bf16.ts: round A and B with bit tricks, then the js fp32 GEMM):
//   - the rounding itself against values PyTorch's `.to(torch.bfloat16)` gives (ties to even,
//     overflow to inf, denormals kept, NaN stays NaN);
//   - native (each bf16 path this CPU runs: avx512bf16 by CPUID, emulated) and wasm vs the
//     reference: every transpose, padded leading dims, odd shapes around the 12x32 tile, the
//     K-pair and the 512-deep K slice, alpha/beta (beta 0 ignores NaN in C);
//   - vs the fp32 GEMM: within the bf16 bound, and not equal to it (the rounding happens);
//   - bad arguments name 'gemmBf16' and the argument.
//
// Tolerances:
//   vs the reference (same bf16 inputs, products exact in fp32, only the summation order
//   differs): |err| <= 1e-5*|ref| + 4e-6*sqrt(K) for N(0,1) inputs (the fp32 GEMM test's bound,
//   doubled: both sides round);
//   vs fp32: each input is off by <= 2^-9 relative, so each product by <= 2^-8 + 2^-18:
//   |err| <= 2^-7 * sum_k |a_ik b_kj| (float64), a bound with room for the fp32 sums.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bf16Bits, roundBf16, roundBf16Array } from '../../src/tensor/kernels/bf16.js';
import { jsKernels } from '../../src/tensor/kernels/js.js';
import { loadNativeAddon, loadNativeKernels } from '../../src/tensor/kernels/native.js';
import { loadWasmKernels } from '../../src/tensor/kernels/wasm.js';
import type { Kernels } from '../../src/tensor/kernels/types.js';
import { assertClose } from '../support/close.js';
import { nativeTest } from '../support/native.js';

const native = loadNativeKernels();
const addon = loadNativeAddon();
const wasm = loadWasmKernels();

/** Deterministic N(0,1)-ish numbers (xorshift + Box-Muller). */
function gen(seed: number): (n: number) => Float32Array {
  let s = seed >>> 0 || 1;
  const u = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return Math.max(s / 4294967296, 1e-12);
  };
  return (n) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    return a;
  };
}

// ---- rounding ---------------------------------------------------------------------------

test('roundBf16: PyTorch .to(torch.bfloat16) on ties, overflow, denormals, signed zero, NaN', () => {
  // [input, bf16 bits torch gives] (torch 2.x, Debian python3-torch)
  const cases: Array<[number, number]> = [
    [1.0, 0x3f80],
    [1.00390625, 0x3f80], // 1 + 2^-8: tie, to even (down)
    [1.01171875, 0x3f82], // 1 + 3*2^-8: tie, to even (up)
    [1.0078125 + 2 ** -20, 0x3f81], // just above a representable value: down
    [-2.5, 0xc020],
    [3.4e38, 0x7f80], // rounds past the largest bf16: +inf
    [3.3895313892515355e38, 0x7f7f], // the largest bf16
    [1e-40, 0x0001], // fp32 denormal: rounded, not flushed
    [-0, 0x8000],
    [Infinity, 0x7f80],
    [0.1, 0x3dcd],
    [65504, 0x4780],
    [1 / 3, 0x3eab],
  ];
  for (const [x, bits] of cases) assert.equal(bf16Bits(x), bits, `bf16Bits(${x})`);
  assert.equal(roundBf16(1.01171875), 1.015625);
  assert.ok(Object.is(roundBf16(-0), -0));
  assert.ok(Number.isNaN(roundBf16(NaN)));
  const src = Float32Array.from(cases.map(([x]) => x));
  const arr = roundBf16Array(src.subarray(1), 5);
  assert.deepEqual(Array.from(arr), [1, 1.015625, 1.0078125, -2.5, Infinity]);
  // the rounded values are fixed points
  const r = gen(5)(1000);
  assert.deepEqual(roundBf16Array(roundBf16Array(r)), roundBf16Array(r));
});

// ---- helpers ----------------------------------------------------------------------------

interface Case {
  tA: boolean;
  tB: boolean;
  M: number;
  N: number;
  K: number;
  pad: number;
  alpha: number;
  beta: number;
}

function cases(): Case[] {
  const out: Case[] = [];
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1],
    [3, 5, 2],
    [13, 33, 7], // tile edges: MR 12 + 1, NR 32 + 1, odd K (a half-empty k-pair)
    [12, 32, 16], // exactly one tile
    [25, 65, 513], // K crosses the 512-deep slice by one
    [61, 97, 1100],
    [250, 70, 64], // M > MC = 240: two row blocks, threads split M
    [40, 300, 96], // N > M: threads split N
  ];
  for (const [M, N, K] of shapes)
    for (const tA of [false, true])
      for (const tB of [false, true]) {
        const i = out.length;
        out.push({ tA, tB, M, N, K, pad: i % 3, alpha: i % 4 === 1 ? 0.5 : 1, beta: [0, 1, 0.5][i % 3]! });
      }
  return out;
}

/** Runs one case on `k`: returns C and the float64 sum_k |a b| bound per element. */
function run(k: Kernels, c: Case, fp32 = false): { C: Float32Array; absSum: Float64Array } {
  const g = gen(c.M * 1000 + c.N * 10 + c.K);
  const lda = (c.tA ? c.M : c.K) + c.pad;
  const ldb = (c.tB ? c.K : c.N) + c.pad;
  const ldc = c.N + c.pad;
  const A = g((c.tA ? c.K : c.M) * lda);
  const B = g((c.tB ? c.N : c.K) * ldb);
  const C = g(c.M * ldc);
  if (c.beta === 0) C[0] = NaN; // beta 0 must not read C
  (fp32 ? k.gemm : k.gemmBf16)(c.tA, c.tB, c.M, c.N, c.K, c.alpha, A, lda, B, ldb, c.beta, C, ldc);
  const absSum = new Float64Array(c.M * ldc);
  for (let i = 0; i < c.M; i++)
    for (let j = 0; j < c.N; j++) {
      let s = 0;
      for (let q = 0; q < c.K; q++) s += Math.abs((c.tA ? A[q * lda + i]! : A[i * lda + q]!) * (c.tB ? B[j * ldb + q]! : B[q * ldb + j]!));
      absSum[i * ldc + j] = Math.abs(c.alpha) * s;
    }
  return { C, absSum };
}

const what = (c: Case) => `gemmBf16(tA=${c.tA}, tB=${c.tB}, ${c.M}x${c.N}x${c.K}, pad ${c.pad}, alpha ${c.alpha}, beta ${c.beta})`;

function vsReference(k: Kernels, label: string): void {
  for (const c of cases()) {
    const got = run(k, c).C;
    const want = run(jsKernels, c).C;
    assertClose(got, want, `${label} ${what(c)} vs reference`, { rtol: 1e-5, atol: 4e-6 * Math.sqrt(c.K) });
  }
}

/** The bf16 paths of the addon here: each is entered with setBf16Isa, the default restored after. */
function bf16Paths(): string[] {
  if (addon === null) return [];
  const def = addon.info().bf16Isa;
  const paths = (['avx512bf16', 'emulated'] as const).filter((p) => addon.setBf16Isa(p));
  addon.setBf16Isa(def);
  return paths;
}

// ---- against the reference and fp32 ------------------------------------------------------

nativeTest('native gemmBf16 vs the TypeScript reference, every bf16 path, transposes, padding, odd shapes, alpha/beta', () => {
  const def = addon!.info().bf16Isa;
  const paths = bf16Paths();
  assert.ok(paths.includes('emulated'));
  try {
    for (const p of paths) {
      addon!.setBf16Isa(p as 'emulated');
      vsReference(native!, `native ${p}`);
    }
  } finally {
    addon!.setBf16Isa(def);
  }
});

nativeTest('native: the bf16 path CPUID picks is avx512bf16 exactly when /proc/cpuinfo lists avx512_bf16', async () => {
  const { readFileSync, existsSync } = await import('node:fs');
  if (!existsSync('/proc/cpuinfo')) return;
  const has = /\bavx512_bf16\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  if (process.env['ADAPTEXT_BF16_ISA'] === undefined) assert.equal(addon!.info().bf16Isa, has ? 'avx512bf16' : 'emulated');
  assert.equal(addon!.setBf16Isa('avx512bf16'), has);
  assert.equal(addon!.setBf16Isa('amx' as 'emulated'), false);
  addon!.setBf16Isa(has && process.env['ADAPTEXT_BF16_ISA'] !== 'emulated' ? 'avx512bf16' : 'emulated');
});

nativeTest('native: benchPeak measures a positive peak for what the CPU has, -1 for bf16 without avx512_bf16, and names a bad kind', async () => {
  const { readFileSync, existsSync } = await import('node:fs');
  const flags = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const fp32 = addon!.benchPeak!('fp32', 0.02);
  if (/\b(avx512f|fma)\b/.test(flags)) assert.ok(fp32 > 1, `fp32 peak ${fp32}`);
  const bf16 = addon!.benchPeak!('bf16', 0.02);
  if (/\bavx512_bf16\b/.test(flags)) assert.ok(bf16 > 1, `bf16 peak ${bf16}`);
  else if (flags !== '') assert.equal(bf16, -1);
  assert.throws(() => addon!.benchPeak!('fp64' as 'fp32', 0.02), /benchPeak: kind must be 'fp32' or 'bf16'/);
  assert.throws(() => addon!.benchPeak!('fp32', 0), /seconds must be in \(0, 10\]/);
});

test('wasm gemmBf16 (emulated) vs the TypeScript reference', () => {
  assert.ok(wasm !== null);
  vsReference(wasm, 'wasm');
});

/** Within the bf16 bound of fp32, and visibly not fp32 (some element differs by > fp32 noise). */
function vsFp32(k: Kernels, label: string): void {
  let differs = 0;
  for (const c of cases()) {
    const { C: got } = run(k, c);
    const { C: want, absSum } = run(k, c, true);
    for (let i = 0; i < want.length; i++) {
      const err = Math.abs(got[i]! - want[i]!);
      const bound = 2 ** -7 * absSum[i]! + 1e-5 * Math.abs(want[i]!) + 1e-6;
      if (!(err <= bound)) assert.fail(`${label} ${what(c)}[${i}]: bf16 ${got[i]}, fp32 ${want[i]}, |diff| ${err.toExponential(2)} > bf16 bound ${bound.toExponential(2)}`);
      if (err > 1e-3 * absSum[i]!) differs++;
    }
  }
  assert.ok(differs > 100, `${label}: only ${differs} elements differ from fp32 beyond fp32 rounding: are the inputs rounded to bf16?`);
}

nativeTest('native gemmBf16 vs the fp32 gemm: within the bf16 bound, and not fp32', () => vsFp32(native!, 'native'));
test('js gemmBf16 vs the fp32 gemm: within the bf16 bound, and not fp32', () => vsFp32(jsKernels, 'js'));

// Times an identity, every product but one is x*0 and the one is x*1, all exact: C is the packed
// rounding of the operand itself, bit for bit, through each packing path (A or B, either
// layout, odd K, tails of the 16-lane conversion). Ties and the largest finite values included;
// no inf/NaN (inf*0 = NaN) and no denormals (vdpbf16ps flushes them: documented).
nativeTest('native gemmBf16 rounds exactly as the reference: X @ I and I @ X give round(X) bit for bit, every packing path', () => {
  const def = addon!.info().bf16Isa;
  const g = gen(11);
  const special = [1.00390625, 1.01171875, -1.00390625, 3.3895313892515355e38, -3.3e38, 1.0078125 + 2 ** -20, 0.1, 1e-30];
  try {
    for (const p of bf16Paths()) {
      addon!.setBf16Isa(p as 'emulated');
      for (const [R, K] of [
        [13, 37],
        [5, 1],
        [40, 530],
      ] as const) {
        const X = g(R * K);
        for (let i = 0; i < special.length && i < X.length; i++) X[(i * 7) % X.length] = special[i]!;
        const I = new Float32Array(K * K);
        for (let i = 0; i < K; i++) I[i * K + i] = 1;
        const want = roundBf16Array(X); // [R,K]
        const wantT = new Float32Array(K * R); // [K,R] = X^T rounded
        for (let i = 0; i < R; i++) for (let k = 0; k < K; k++) wantT[k * R + i] = want[i * K + k]!;
        const Xt = new Float32Array(K * R);
        for (let i = 0; i < R; i++) for (let k = 0; k < K; k++) Xt[k * R + i] = X[i * K + k]!;
        for (const tA of [false, true]) {
          const C = new Float32Array(R * K); // op(A) = X [R,K] stored as X or X^T, times I
          native!.gemmBf16(tA, false, R, K, K, 1, tA ? Xt : X, tA ? R : K, I, K, 0, C, K);
          assert.deepEqual(C, want, `${p}: X @ I, transA=${tA}, ${R}x${K}`);
        }
        for (const tB of [false, true]) {
          const C = new Float32Array(K * R); // I [K,K] @ op(B) = X^T [K,R] stored as X^T or X
          native!.gemmBf16(false, tB, K, R, K, 1, I, K, tB ? X : Xt, tB ? K : R, 0, C, R);
          assert.deepEqual(C, wantT, `${p}: I @ X^T, transB=${tB}, ${R}x${K}`);
        }
      }
    }
  } finally {
    addon!.setBf16Isa(def);
  }
});

nativeTest('native gemmBf16 on bf16-representable inputs equals the fp32 gemm up to summation order', () => {
  const g = gen(9);
  const [M, N, K] = [37, 70, 300];
  const A = roundBf16Array(g(M * K));
  const B = roundBf16Array(g(N * K));
  const C1 = new Float32Array(M * N);
  const C2 = new Float32Array(M * N);
  native!.gemmBf16(false, true, M, N, K, 1, A, K, B, K, 0, C1, N);
  native!.gemm(false, true, M, N, K, 1, A, K, B, K, 0, C2, N);
  assertClose(C1, C2, 'bf16 vs fp32 on bf16 values', { rtol: 1e-5, atol: 4e-6 * Math.sqrt(K) });
});

nativeTest('native gemmBf16: repeated threaded calls are bit-identical; NaN in A reaches its row', () => {
  const g = gen(3);
  const [M, N, K] = [300, 200, 700];
  const A = g(M * K);
  const B = g(K * N);
  const first = new Float32Array(M * N);
  native!.gemmBf16(false, false, M, N, K, 1, A, K, B, N, 0, first, N);
  const again = new Float32Array(M * N);
  native!.gemmBf16(false, false, M, N, K, 1, A, K, B, N, 0, again, N);
  assert.deepEqual(again, first);
  A[5 * K + 3] = NaN;
  native!.gemmBf16(false, false, M, N, K, 1, A, K, B, N, 0, again, N);
  for (let j = 0; j < N; j++) assert.ok(Number.isNaN(again[5 * N + j]!), `row 5 col ${j}`);
  assert.ok(!Number.isNaN(again[4 * N]!));
});

// ---- bad arguments ----------------------------------------------------------------------

function badArgs(k: Kernels): void {
  const f = (n: number) => new Float32Array(n);
  assert.throws(() => k.gemmBf16(false, false, 2, 2, 2, 1, new Float64Array(4) as unknown as Float32Array, 2, f(4), 2, 0, f(4), 2), {
    name: 'TypeError',
    message: /^gemmBf16: argument 'A' must be (a )?Float32Array, got Float64Array$/, // the addon's wording drops the article
  });
  assert.throws(() => k.gemmBf16(false, false, -1, 2, 2, 1, f(4), 2, f(4), 2, 0, f(4), 2), { name: 'RangeError', message: 'gemmBf16: M must be a non-negative integer, got -1' });
  assert.throws(() => k.gemmBf16(false, true, 4, 3, 5, 1, f(19), 5, f(15), 5, 0, f(12), 3), { message: /^gemmBf16: A (has 19 elements, needs 20|is too short: needs 20 elements .*, got 19)/ });
  assert.throws(() => k.gemmBf16(false, false, 2, 2, 3, 1, f(64), 2, f(64), 2, 0, f(4), 2), { message: /^gemmBf16: .*lda=2/ });
  const shared = f(64);
  assert.throws(() => k.gemmBf16(false, false, 2, 2, 2, 1, shared, 2, f(4), 2, 0, shared.subarray(2), 2), {
    message: 'gemmBf16: C overlaps input A in memory (the output must be a separate buffer)',
  });
  const C = f(4).fill(3);
  assert.throws(() => k.gemmBf16(false, false, 2, 2, 2, 1, f(3), 2, f(4), 2, 0, C, 2));
  assert.deepEqual(C, f(4).fill(3), 'a failed call writes nothing');
}

nativeTest('native gemmBf16: bad arguments name the kernel and the argument, write nothing', () => badArgs(native!));
test('js gemmBf16: bad arguments name the kernel and the argument, write nothing', () => badArgs(jsKernels));
test('wasm gemmBf16: bad arguments name the kernel and the argument, write nothing', () => badArgs(wasm!));
