// `npm run bench [-- --json FILE] [--quick] [--threads N] [--rounds N] [--no-js]`
//
// 1. GEMM GFLOP/s at the BERT-base Linear shapes (1024 tokens; 768->768, 768->3072,
//    3072->768), each as used by Linear forward (NT), input gradient (NN) and weight
//    gradient (TN), measured three ways:
//      addon   : kernels().gemm from JS through N-API (BLAS when linked)
//      raw BLAS: cblas_sgemm in a C++ loop inside the addon (no N-API, no JS)
//      built-in: the addon's own GEMM kernel in a C++ loop (every micro-kernel ISA the CPU has)
//    and the ratios addon/raw and built-in/raw (issue 2 targets: >= 0.90 and >= 0.40).
// 2. Fused-op throughput in GB/s (bytes each call must read + write, counted from the
//    buffer sizes) at BERT-base shapes, native vs the TypeScript reference.
//
// 3. Backends side by side: GEMM GFLOP/s through kernels().gemm for native, wasm (WebAssembly
//    SIMD, plus the same kernel on operands already in wasm memory, so the copy cost shows) and
//    the TypeScript reference, and the time of one training step (forward + cross-entropy +
//    backward + AdamW) of a small BERT on each backend.
//
// Each number is the best of --rounds rounds (default 5); a GEMM round runs >= 0.15 s per
// variant, round-robin over the variants, a fused-op round >= 0.2 s. Other processes share the CPU, so the load average before and
// after is printed and stored.
import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { jsKernels } from '../src/tensor/kernels/js.js';
import { loadNativeAddon, loadNativeKernels, nativeLoadError, type NativeAddon } from '../src/tensor/kernels/native.js';
import type { Kernels } from '../src/tensor/kernels/types.js';
import { benchWasmGemm, loadWasmKernels, wasmLoadError } from '../src/tensor/kernels/wasm.js';
import { setBackend } from '../src/tensor/kernels/index.js';
import { AdapterModel, type BertFamilyConfig } from '../src/models/index.js';
import { AdamW } from '../src/optim/index.js';
import { machineInfo } from './support/machine.js';

interface Options {
  json: string | null;
  quick: boolean;
  threads: number | null;
  rounds: number;
  js: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { json: null, quick: false, threads: null, rounds: 5, js: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench: ${a} needs a value`);
      return v;
    };
    if (a === '--json') o.json = next();
    else if (a === '--quick') o.quick = true;
    else if (a === '--no-js') o.js = false;
    else if (a === '--threads') o.threads = Number(next());
    else if (a === '--rounds') o.rounds = Number(next());
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run bench -- [--json FILE] [--quick] [--threads N] [--rounds N] [--no-js]');
      process.exit(0);
    } else throw new Error(`bench: unknown option ${a} (try --help)`);
  }
  if (o.threads !== null && !(Number.isInteger(o.threads) && o.threads >= 1)) throw new Error('bench: --threads must be a positive integer');
  if (!(Number.isInteger(o.rounds) && o.rounds >= 1)) throw new Error('bench: --rounds must be a positive integer');
  return o;
}

// ---- timing ----------------------------------------------------------------------------

/** Best seconds-per-call over `rounds` rounds of >= minSeconds each (one warm-up call first). */
function timeCall(fn: () => void, rounds: number, minSeconds: number): number {
  fn();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const t0 = process.hrtime.bigint();
    let el: number;
    do {
      fn();
      n++;
      el = Number(process.hrtime.bigint() - t0) / 1e9;
    } while (el < minSeconds);
    best = Math.min(best, el / n);
  }
  return best;
}

/**
 * Best seconds-per-call of each variant, measured round-robin: one warm-up + calibration
 * per variant (iterations for >= minSeconds), then `rounds` rounds visiting every variant.
 */
function roundRobin(variants: Array<{ key: string; perCall: (iters: number) => number }>, rounds: number, minSeconds: number): Record<string, number> {
  const iters: Record<string, number> = {};
  const best: Record<string, number> = {};
  for (const v of variants) {
    v.perCall(1); // warm-up
    let n = 1;
    let s = v.perCall(n);
    while (s < minSeconds && n < 1 << 20) {
      n = Math.max(n * 2, Math.ceil((n * minSeconds) / Math.max(s, 1e-6)));
      s = v.perCall(n);
    }
    iters[v.key] = n;
    best[v.key] = s / n;
  }
  for (let r = 1; r < rounds; r++) {
    for (const v of variants) best[v.key] = Math.min(best[v.key]!, v.perCall(iters[v.key]!) / iters[v.key]!);
  }
  return best;
}

function rand(n: number, scale = 1, seed = 1): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    a[i] = ((s >>> 0) / 4294967296 - 0.5) * 2 * scale;
  }
  return a;
}

// ---- table -----------------------------------------------------------------------------

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), w.map((x) => '-'.repeat(x)).join('  '), ...rows.map(line)].join('\n');
}
const f1 = (x: number | null) => (x === null ? '-' : x.toFixed(1));
const f2 = (x: number | null) => (x === null ? '-' : x.toFixed(2));

// ---- GEMM ------------------------------------------------------------------------------

interface GemmRow {
  name: string;
  op: 'NT' | 'NN' | 'TN';
  M: number;
  N: number;
  K: number;
  addonGflops: number;
  /** kernels().gemm with the default GEMM choice ('auto'), when that is not plain BLAS. */
  defaultGflops: number | null;
  rawBlasGflops: number | null;
  builtinGflops: Record<string, number>;
  addonVsRaw: number | null;
  builtinVsRaw: number | null;
}

function benchGemm(addon: NativeAddon, k: Kernels, o: Options): GemmRow[] {
  const T = 1024; // tokens: batch 8 x 128
  const layers: Array<[string, number, number]> = [
    ['768->768', 768, 768],
    ['768->3072', 768, 3072],
    ['3072->768', 3072, 768],
  ];
  const info = addon.info();
  const isas = (['avx512', 'avx2+fma', 'generic'] as const).filter((isa) => addon.setBuiltinIsa(isa));
  addon.setBuiltinIsa(info.builtinIsa as 'avx512');
  const rows: GemmRow[] = [];
  const minS = o.quick ? 0.05 : 0.15;
  for (const [lname, inF, outF] of layers) {
    // Linear y[T,out] = x[T,in] W[out,in]^T ; dX = dY W ; dW = dY^T X
    const cases: Array<[GemmRow['op'], string, number, number, number]> = [
      ['NT', 'fwd  y = x W^T', T, outF, inF],
      ['NN', 'bwd dx = dy W', T, inF, outF],
      ['TN', 'bwd dW = dy^T x', outF, inF, T],
    ];
    if (o.quick && lname !== '768->3072') continue;
    for (const [op, what, M, N, K] of cases) {
      const tA = op === 'TN';
      const tB = op === 'NT';
      const A = rand(M * K, 1, 3);
      const B = rand(K * N, 1, 5);
      const C = new Float32Array(M * N);
      const lda = tA ? M : K;
      const ldb = tB ? K : N;
      const flops = 2 * M * N * K;
      const gf = (s: number) => flops / s / 1e9;
      // The variants are measured round-robin (addon, raw, built-in ISAs, then again), so a
      // burst of load from other processes hits them alike; each keeps its best round.
      const variants: Array<{ key: string; perCall: (iters: number) => number }> = [];
      const addonImpl = info.blas === 'none' ? 'builtin' : 'blas';
      variants.push({
        key: 'addon',
        perCall: (iters) => {
          addon.setGemmImpl(addonImpl);
          const t0 = process.hrtime.bigint();
          for (let i = 0; i < iters; i++) k.gemm(tA, tB, M, N, K, 1, A, lda, B, ldb, 0, C, N);
          const s = Number(process.hrtime.bigint() - t0) / 1e9;
          addon.setGemmImpl(info.gemm);
          return s;
        },
      });
      if (info.gemm === 'auto') {
        variants.push({
          key: 'default',
          perCall: (iters) => {
            const t0 = process.hrtime.bigint();
            for (let i = 0; i < iters; i++) k.gemm(tA, tB, M, N, K, 1, A, lda, B, ldb, 0, C, N);
            return Number(process.hrtime.bigint() - t0) / 1e9;
          },
        });
      }
      if (info.blas !== 'none') variants.push({ key: 'raw', perCall: (iters) => addon.benchSgemm('blas', tA, tB, M, N, K, iters) });
      for (const isa of o.quick ? isas.slice(0, 1) : isas) {
        variants.push({
          key: isa,
          perCall: (iters) => {
            addon.setBuiltinIsa(isa);
            const s = addon.benchSgemm('builtin', tA, tB, M, N, K, iters);
            addon.setBuiltinIsa(info.builtinIsa as 'avx512');
            return s;
          },
        });
      }
      const best = roundRobin(variants, o.rounds, minS);
      const raw = best['raw'] === undefined ? null : gf(best['raw']);
      const addonS = best['addon']!;
      const builtin: Record<string, number> = {};
      for (const isa of isas) if (best[isa] !== undefined) builtin[isa] = gf(best[isa]);
      const bestBuiltin = builtin[info.builtinIsa] ?? Object.values(builtin)[0]!;
      rows.push({
        name: `${lname} ${what}`,
        op,
        M,
        N,
        K,
        addonGflops: gf(addonS),
        defaultGflops: best['default'] === undefined ? null : gf(best['default']),
        rawBlasGflops: raw,
        builtinGflops: builtin,
        addonVsRaw: raw === null ? null : gf(addonS) / raw,
        builtinVsRaw: raw === null ? null : bestBuiltin / raw,
      });
      process.stderr.write('.');
    }
  }
  process.stderr.write('\n');
  return rows;
}

// ---- fused ops -------------------------------------------------------------------------

interface OpRow {
  name: string;
  shape: string;
  bytes: number;
  nativeMs: number;
  nativeGBs: number;
  jsMs: number | null;
  speedup: number | null;
  gflops?: number;
}

interface OpCase {
  name: string;
  shape: string;
  bytes: number; // bytes read + written per call
  flops?: number;
  run: (k: Kernels) => void;
}

function opCases(quick: boolean): OpCase[] {
  const R = 1024; // tokens
  const H = 768;
  const I = 3072;
  const [B, T, nH, d] = [8, 128, 12, 64];
  const BTH = B * T * H;
  const P = B * nH * T * T;
  const V = 30522;
  const Rce = quick ? 64 : 256; // MLM: ~15% of 1024 tokens are predicted, rounded up
  const nAdam = quick ? 1 << 20 : 10_000_000;
  const F = 4; // bytes per float

  const x = rand(R * H, 2, 1);
  const gamma = rand(H, 1, 2);
  const beta = rand(H, 1, 3);
  const lnOut = new Float32Array(R * H);
  const mean = new Float32Array(R);
  const rstd = new Float32Array(R);
  const dOut = rand(R * H, 1, 4);
  const dx = new Float32Array(R * H);
  const dgamma = new Float32Array(H);
  const dbeta = new Float32Array(H);

  const gx = rand(R * I, 3, 5);
  const gOut = new Float32Array(R * I);
  const gd = rand(R * I, 1, 6);
  const gdx = new Float32Array(R * I);

  const sx = rand(P, 3, 7);
  const sy = new Float32Array(P);
  const sdy = rand(P, 1, 8);
  const sdx = new Float32Array(P);

  const q = rand(BTH, 1, 9);
  const kk = rand(BTH, 1, 10);
  const v = rand(BTH, 1, 11);
  const mask = new Float32Array(B * T).fill(1);
  for (let b = 0; b < B; b++) for (let t = 100 + b * 3; t < T; t++) mask[b * T + t] = 0; // some padding
  const probs = new Float32Array(P);
  const aOut = new Float32Array(BTH);
  const aD = rand(BTH, 1, 12);
  const dq = new Float32Array(BTH);
  const dk = new Float32Array(BTH);
  const dv = new Float32Array(BTH);

  const logits = rand(Rce * V, 4, 13);
  const targets = new Int32Array(Rce);
  for (let r = 0; r < Rce; r++) targets[r] = r % 10 === 9 ? -100 : (r * 7919) % V;
  const ceProbs = new Float32Array(Rce * V);
  const dlogits = new Float32Array(Rce * V);

  const emb = rand(V * H, 1, 14);
  const ids = new Int32Array(R);
  for (let i = 0; i < R; i++) ids[i] = (i * 104729) % V;
  const embOut = new Float32Array(R * H);
  const dEmb = new Float32Array(V * H);

  const p = rand(nAdam, 1, 15);
  const g = rand(nAdam, 0.01, 16);
  const m = new Float32Array(nAdam);
  const vv = new Float32Array(nAdam);

  let step = 0;
  const cases: OpCase[] = [
    { name: 'layerNormForward', shape: `[${R},${H}]`, bytes: F * (2 * R * H + 2 * H + 2 * R), run: (k) => k.layerNormForward(x, gamma, beta, R, H, 1e-12, lnOut, mean, rstd) },
    { name: 'layerNormBackward', shape: `[${R},${H}]`, bytes: F * (4 * R * H + 5 * H + 2 * R), run: (k) => k.layerNormBackward(dOut, x, gamma, mean, rstd, R, H, dx, dgamma, dbeta) },
    { name: 'geluForward', shape: `[${R},${I}]`, bytes: F * 2 * R * I, run: (k) => k.geluForward(gx, gOut) },
    { name: 'geluBackward', shape: `[${R},${I}]`, bytes: F * 4 * R * I, run: (k) => k.geluBackward(gx, gd, gdx) },
    { name: 'softmaxForward', shape: `[${B * nH * T},${T}]`, bytes: F * 2 * P, run: (k) => k.softmaxForward(sx, B * nH * T, T, sy) },
    { name: 'softmaxBackward', shape: `[${B * nH * T},${T}]`, bytes: F * 4 * P, run: (k) => k.softmaxBackward(sy, sdy, B * nH * T, T, sdx) },
    {
      name: 'attentionForward',
      shape: `B${B} T${T} nH${nH} d${d}`,
      bytes: F * (4 * BTH + B * T + P),
      flops: 4 * B * nH * T * T * d,
      run: (k) => k.attentionForward(q, kk, v, mask, B, T, nH, d, 0.125, null, probs, aOut),
    },
    {
      name: 'attentionBackward',
      shape: `B${B} T${T} nH${nH} d${d}`,
      bytes: F * (10 * BTH + P),
      flops: 8 * B * nH * T * T * d,
      run: (k) => k.attentionBackward(aD, q, kk, v, probs, null, B, T, nH, d, 0.125, dq, dk, dv),
    },
    { name: 'crossEntropyForward', shape: `[${Rce},${V}]`, bytes: F * (2 * Rce * V + Rce), run: (k) => void k.crossEntropyForward(logits, targets, Rce, V, -100, ceProbs) },
    { name: 'crossEntropyBackward', shape: `[${Rce},${V}]`, bytes: F * (3 * Rce * V + Rce), run: (k) => k.crossEntropyBackward(ceProbs, targets, Rce, V, -100, 1 / Rce, dlogits) },
    { name: 'embeddingForward', shape: `[${V},${H}] x ${R} ids`, bytes: F * (2 * R * H + R), run: (k) => k.embeddingForward(emb, ids, V, H, embOut) },
    { name: 'embeddingBackward', shape: `[${V},${H}] x ${R} ids`, bytes: F * (3 * R * H + R), run: (k) => k.embeddingBackward(dOut, ids, V, H, dEmb) },
    { name: 'adamwUpdate', shape: `${nAdam} params`, bytes: F * 7 * nAdam, run: (k) => k.adamwUpdate(p, g, m, vv, 1e-5, 0.9, 0.999, 1e-8, 0.01, ++step) },
    { name: 'sumSquares', shape: `${nAdam} floats`, bytes: F * nAdam, run: (k) => void k.sumSquares([p]) },
  ];
  return cases;
}

function benchOps(native: Kernels, o: Options): OpRow[] {
  const rows: OpRow[] = [];
  for (const c of opCases(o.quick)) {
    const ns = timeCall(() => c.run(native), o.rounds, o.quick ? 0.05 : 0.2);
    let js: number | null = null;
    if (o.js) js = timeCall(() => c.run(jsKernels), 1, 0); // one timed call (plus warm-up): the reference is slow
    rows.push({
      name: c.name,
      shape: c.shape,
      bytes: c.bytes,
      nativeMs: ns * 1e3,
      nativeGBs: c.bytes / ns / 1e9,
      jsMs: js === null ? null : js * 1e3,
      speedup: js === null ? null : js / ns,
      ...(c.flops !== undefined ? { gflops: c.flops / ns / 1e9 } : {}),
    });
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  return rows;
}

// ---- backends: native / wasm / js ------------------------------------------------------

interface BackendGemmRow {
  shape: string;
  op: 'NT' | 'NN' | 'TN';
  M: number;
  N: number;
  K: number;
  native: number;
  wasm: number;
  /** The wasm kernel on operands already in wasm memory: wasm / wasmRaw - 1 is the copy cost. */
  wasmRaw: number;
  js: number | null;
}

function benchBackendGemm(native: Kernels, wasm: Kernels, o: Options): BackendGemmRow[] {
  const shapes: Array<[string, BackendGemmRow['op'], number, number, number]> = [
    ['128 tokens 768->768', 'NT', 128, 768, 768],
    ['1024 tokens 768->768', 'NT', 1024, 768, 768],
    ['1024 tokens 768->3072', 'NT', 1024, 3072, 768],
    ['1024 tokens dx 3072->768', 'NN', 1024, 768, 3072],
    ['1024 tokens dW 768x768', 'TN', 768, 768, 1024],
  ];
  const rows: BackendGemmRow[] = [];
  for (const [shape, op, M, N, K] of o.quick ? shapes.slice(0, 2) : shapes) {
    const tA = op === 'TN';
    const tB = op === 'NT';
    const A = rand(M * K, 1, 3);
    const B = rand(K * N, 1, 5);
    const C = new Float32Array(M * N);
    const lda = tA ? M : K;
    const ldb = tB ? K : N;
    const gf = (s: number) => (2 * M * N * K) / s / 1e9;
    const via = (k: Kernels) => (iters: number) => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < iters; i++) k.gemm(tA, tB, M, N, K, 1, A, lda, B, ldb, 0, C, N);
      return Number(process.hrtime.bigint() - t0) / 1e9;
    };
    const best = roundRobin(
      [
        { key: 'native', perCall: via(native) },
        { key: 'wasm', perCall: via(wasm) },
        { key: 'wasmRaw', perCall: (iters) => benchWasmGemm(tA, tB, M, N, K, iters) },
      ],
      o.rounds,
      o.quick ? 0.05 : 0.15,
    );
    const js = o.js ? timeCall(() => jsKernels.gemm(tA, tB, M, N, K, 1, A, lda, B, ldb, 0, C, N), 1, 0) : null;
    rows.push({ shape, op, M, N, K, native: gf(best['native']!), wasm: gf(best['wasm']!), wasmRaw: gf(best['wasmRaw']!), js: js === null ? null : gf(js) });
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  return rows;
}

/** A small BERT (H128 L2 A2 I512, vocab 2000) classifier, batch 8 x 64 tokens, dropout 0.1. */
const STEP_MODEL = { hidden: 128, layers: 2, heads: 2, intermediate: 512, vocab: 2000, B: 8, T: 64 };

/** Median seconds of one training step (forward + CE + backward + AdamW) on `backend`. */
function trainStepSeconds(backend: 'native' | 'wasm' | 'js', steps: number): number {
  setBackend(backend);
  const m = STEP_MODEL;
  const config: BertFamilyConfig = {
    model_type: 'bert',
    vocab_size: m.vocab,
    hidden_size: m.hidden,
    num_hidden_layers: m.layers,
    num_attention_heads: m.heads,
    intermediate_size: m.intermediate,
    max_position_embeddings: 512,
    type_vocab_size: 2,
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    pad_token_id: 0,
  };
  const model = new AdapterModel(config, { seed: 1 });
  model.addHead('cls', { type: 'sequence_classification', numLabels: 2 });
  model.train();
  const inputIds = Int32Array.from({ length: m.B * m.T }, (_, i) => 1 + ((i * 7919) % (m.vocab - 1))); // [B,T]
  const input = { inputIds, shape: [m.B, m.T] as const, attentionMask: new Float32Array(m.B * m.T).fill(1), tokenTypeIds: new Int32Array(m.B * m.T) };
  const labels = Int32Array.from({ length: m.B }, (_, i) => i % 2); // [B]
  const opt = new AdamW([{ name: 'all', params: model.parameters(), lr: 1e-5 }], { weightDecay: 0.01 });
  const step = () => {
    model.zeroGrad();
    model.forward(input, { heads: ['cls'], labels: { cls: labels } }).loss!.backward();
    opt.step();
  };
  step(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = process.hrtime.bigint();
    step();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  setBackend('native');
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

// ---- main ------------------------------------------------------------------------------

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  const addon = loadNativeAddon();
  const native = loadNativeKernels();
  if (addon === null || native === null) {
    console.error(`bench: ${nativeLoadError() ?? 'native addon not available'}`);
    process.exit(1);
  }
  if (o.threads !== null) addon.setThreads(o.threads);
  const info = addon.info();
  let commit = '';
  try {
    commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a git checkout
  }
  const loadBefore = loadavg();
  console.log(`adaptext bench  ${new Date().toISOString()}  commit ${commit || '?'}  node ${process.version}`);
  const mi = machineInfo();
  console.log(`cpu: ${mi.model ?? cpus()[0]?.model ?? '?'} x${mi.cpus} (${mi.simd.join(' ')})  kernels: ${native.description}`);
  console.log(`blas: ${info.blasConfig || info.blas}  built-in GEMM: ${info.builtinIsa}  load avg: ${loadBefore.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`best of ${o.rounds} round(s)${o.quick ? ', --quick' : ''}\n`);

  const gemm = benchGemm(addon, native, o);
  const isas = Object.keys(gemm[0]?.builtinGflops ?? {});
  const showDefault = gemm.some((r) => r.defaultGflops !== null);
  console.log(
    `GEMM (GFLOP/s; addon = kernels().gemm from JS through N-API on ${info.blas === 'none' ? 'the built-in kernel' : 'BLAS'};${showDefault ? ` addon auto = the default per-shape choice (${native.description});` : ''} raw BLAS and built-in = C++ loop)`,
  );
  console.log(
    table(
      ['shape', 'op', 'M x N x K', 'addon', ...(showDefault ? ['addon auto'] : []), 'raw BLAS', ...isas.map((i) => `built-in ${i}`), 'addon/raw', 'built-in/raw'],
      gemm.map((r) => [
        r.name,
        r.op,
        `${r.M}x${r.N}x${r.K}`,
        f1(r.addonGflops),
        ...(showDefault ? [f1(r.defaultGflops)] : []),
        f1(r.rawBlasGflops),
        ...isas.map((i) => f1(r.builtinGflops[i] ?? null)),
        f2(r.addonVsRaw),
        f2(r.builtinVsRaw),
      ]),
    ),
  );
  const ratios = (key: 'addonVsRaw' | 'builtinVsRaw') => gemm.map((r) => r[key]).filter((x): x is number => x !== null);
  if (ratios('addonVsRaw').length > 0) {
    console.log(
      `min addon/raw ${Math.min(...ratios('addonVsRaw')).toFixed(2)} (target >= 0.90), min built-in(${info.builtinIsa})/raw ${Math.min(...ratios('builtinVsRaw')).toFixed(2)} (target >= 0.40)`,
    );
  }

  // N-API cost of one call, independent of load bursts: a 1x1x1 GEMM through the addon.
  const one = new Float32Array(1);
  const out1 = new Float32Array(1);
  const callS = timeCall(() => native.gemm(false, false, 1, 1, 1, 1, one, 1, one, 1, 0, out1, 1), o.rounds, 0.05);
  const smallest = Math.min(...gemm.map((r) => (2 * r.M * r.N * r.K) / (r.addonGflops * 1e9)));
  console.log(`N-API call overhead: ${(callS * 1e6).toFixed(2)} us per gemm call = ${((callS / smallest) * 100).toFixed(3)}% of the fastest GEMM above`);

  const ops = benchOps(native, o);
  console.log('\nFused ops (GB/s = bytes read + written per call / time)');
  console.log(
    table(
      ['op', 'shape', 'native ms', 'GB/s', 'GFLOP/s', 'js ms', 'native/js'],
      ops.map((r) => [
        r.name,
        r.shape,
        r.nativeMs.toFixed(3),
        f1(r.nativeGBs),
        r.gflops === undefined ? '' : f1(r.gflops),
        r.jsMs === null ? '-' : r.jsMs.toFixed(1),
        r.speedup === null ? '-' : `${r.speedup.toFixed(0)}x`,
      ]),
    ),
  );

  const wasm = loadWasmKernels();
  let backendGemm: BackendGemmRow[] = [];
  let trainStep: Record<string, number | null> = {};
  if (wasm === null) console.log(`\nwasm: ${wasmLoadError()}`);
  else {
    backendGemm = benchBackendGemm(native, wasm, o);
    console.log(
      `\nBackends: GEMM GFLOP/s through kernels().gemm (native: ${native.description}; wasm: 1 thread, copies A, B, C in and C out; wasm raw: the same kernel on operands already in wasm memory)`,
    );
    console.log(
      table(
        ['shape', 'op', 'M x N x K', 'native', 'wasm', 'wasm raw', 'copy cost', 'js', 'native/wasm', 'wasm/js'],
        backendGemm.map((r) => [
          r.shape,
          r.op,
          `${r.M}x${r.N}x${r.K}`,
          f1(r.native),
          f1(r.wasm),
          f1(r.wasmRaw),
          `${((r.wasmRaw / r.wasm - 1) * 100).toFixed(0)}%`,
          f2(r.js),
          f1(r.native / r.wasm),
          r.js === null ? '-' : f1(r.wasm / r.js),
        ]),
      ),
    );
    const steps = o.quick ? 3 : 7;
    trainStep = { native: trainStepSeconds('native', steps), wasm: trainStepSeconds('wasm', steps), js: o.js ? trainStepSeconds('js', o.quick ? 1 : 3) : null };
    const sm = STEP_MODEL;
    console.log(`\nTraining step (forward + CE + backward + AdamW), BERT H${sm.hidden} L${sm.layers} A${sm.heads} I${sm.intermediate} V${sm.vocab}, batch ${sm.B} x ${sm.T}, median ms:`);
    console.log(
      table(
        ['backend', 'ms / step', 'vs native'],
        (['native', 'wasm', 'js'] as const).map((b) => [
          b,
          trainStep[b] == null ? '-' : (trainStep[b]! * 1e3).toFixed(1),
          trainStep[b] == null ? '-' : `${(trainStep[b]! / trainStep['native']!).toFixed(1)}x`,
        ]),
      ),
    );
  }
  const loadAfter = loadavg();
  console.log(`\nload avg after: ${loadAfter.map((x) => x.toFixed(2)).join(' ')}`);

  if (o.json !== null) {
    const out = {
      date: new Date().toISOString(),
      commit,
      node: process.version,
      cpu: cpus()[0]?.model ?? '',
      cores: cpus().length,
      kernels: native.description,
      native: info,
      rounds: o.rounds,
      quick: o.quick,
      loadAvgBefore: loadBefore,
      loadAvgAfter: loadAfter,
      napiCallMicroseconds: callS * 1e6,
      machine: machineInfo(),
      gemm,
      ops,
      backendGemm,
      trainStep,
      trainStepModel: STEP_MODEL,
    };
    writeFileSync(o.json, JSON.stringify(out, null, 2) + '\n');
    console.log(`wrote ${o.json}`);
  }
}

main();
