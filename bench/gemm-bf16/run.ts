// bf16 vs fp32 GEMM throughput at BERT-base shapes (R = 2048 rows = batch 16 x 128 tokens):
// the Linear forward (NT), its dX (NN) and dW (TN) GEMMs, for the hidden (768x768) and FFN
// (768->3072) layers. Each kernel runs in a C++ loop in the addon (benchSgemm: no N-API or JS
// in the timing, one warm-up call): fp32 built-in AVX-512, fp32 OpenBLAS (if linked), bf16
// AVX512-BF16 (if the CPU has it) and bf16 emulated (rounded copies + fp32 GEMM).
// Best of `reps` timings per cell: the machine may be shared, so the load average before and
// after is recorded with the CPU model, its SIMD flags and the commit.
// Then one training step (forward + backward, no optimizer) of a BERT-base-width encoder
// (hidden 768, 12 heads, FFN 3072, 4 layers, random init, batch 8 x 128, sequence-classification
// loss, dropout off) with matmul precision fp32 vs bf16, best of `steps` after a warm-up: the
// end-to-end share the GEMMs have (attention, LayerNorm, GELU, softmax stay fp32).
//   node --import tsx bench/gemm-bf16/run.ts [--iters N] [--reps N] [--steps N]
// Writes bench/gemm-bf16/RESULTS.md and results.json.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { loadNativeAddon } from '../../src/tensor/kernels/native.js';
import { kernels, withMatmulPrecision, type Kernels, type MatmulPrecision } from '../../src/tensor/index.js';
import { AdapterModel } from '../../src/models/index.js';
import { gitCommit, machineInfo } from '../support/machine.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const iters = arg('--iters', 5);
const reps = arg('--reps', 3);
const steps = arg('--steps', 3);

const addon = loadNativeAddon();
if (addon === null) throw new Error('bench/gemm-bf16: the native addon is not built (node scripts/build-native.mjs)');
const info = addon.info();
const hasBf16 = addon.setBf16Isa('avx512bf16');

const R = 2048;
// [label, transA, transB, M, N, K]
const shapes: Array<[string, boolean, boolean, number, number, number]> = [
  ['hidden fwd  x@W^T  (NT)', false, true, R, 768, 768],
  ['hidden dX   dy@W   (NN)', false, false, R, 768, 768],
  ['hidden dW   dy^T@x (TN)', true, false, 768, 768, R],
  ['FFN up fwd         (NT)', false, true, R, 3072, 768],
  ['FFN down fwd       (NT)', false, true, R, 768, 3072],
  ['FFN up dW          (TN)', true, false, 3072, 768, R],
];

type Impl = 'fp32 built-in' | 'fp32 BLAS' | 'bf16 avx512bf16' | 'bf16 emulated';
const impls: Impl[] = ['fp32 built-in', ...(info.blas !== 'none' ? (['fp32 BLAS'] as Impl[]) : []), ...(hasBf16 ? (['bf16 avx512bf16'] as Impl[]) : []), 'bf16 emulated'];

function gflops(impl: Impl, ta: boolean, tb: boolean, M: number, N: number, K: number): number {
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    let s: number;
    if (impl === 'fp32 built-in') s = addon!.benchSgemm('builtin', ta, tb, M, N, K, iters);
    else if (impl === 'fp32 BLAS') s = addon!.benchSgemm('blas', ta, tb, M, N, K, iters);
    else {
      addon!.setBf16Isa(impl === 'bf16 emulated' ? 'emulated' : 'avx512bf16');
      s = addon!.benchSgemm('bf16', ta, tb, M, N, K, iters);
    }
    best = Math.min(best, s);
  }
  return (2 * M * N * K * iters) / best / 1e9;
}

const loadBefore = loadavg();
// one core's register-only multiply-add peak: the ceiling the GEMM columns are read against
const corePeak = { fp32: addon.benchPeak?.('fp32', 0.3) ?? -1, bf16: addon.benchPeak?.('bf16', 0.3) ?? -1 };
const rows: Array<{ shape: string; M: number; N: number; K: number; gflops: Record<string, number> }> = [];
for (const [label, ta, tb, M, N, K] of shapes) {
  const g: Record<string, number> = {};
  for (const impl of impls) g[impl] = gflops(impl, ta, tb, M, N, K);
  rows.push({ shape: label, M, N, K, gflops: g });
  console.log(
    label,
    Object.entries(g)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', '),
  );
}
addon.setBf16Isa(info.bf16Isa);

// ---- one training step, fp32 vs bf16 -------------------------------------------------------
const model = new AdapterModel(
  {
    model_type: 'bert',
    vocab_size: 8000,
    hidden_size: 768,
    num_hidden_layers: 4,
    num_attention_heads: 12,
    intermediate_size: 3072,
    max_position_embeddings: 512,
    type_vocab_size: 2,
  },
  { seed: 1 },
);
model.addHead('cls', { type: 'sequence_classification', numLabels: 2, style: 'bert' });
model.eval(); // dropout off: both precisions run the same ops
const [SB, ST] = [8, 128];
const ids = Int32Array.from({ length: SB * ST }, (_, i) => 5 + ((i * 7919) % 7000));
const input = { inputIds: ids, shape: [SB, ST] as [number, number], attentionMask: new Float32Array(SB * ST).fill(1) };
const labels = { cls: Int32Array.from({ length: SB }, (_, i) => i % 2) };
// time inside gemm / gemmBf16 too (wrapping the active table's two entries; bench only), to
// separate the GEMMs' share from the ops that stay fp32
const table = kernels() as { -readonly [K in 'gemm' | 'gemmBf16']: Kernels[K] };
let gemmMs = 0;
for (const name of ['gemm', 'gemmBf16'] as const) {
  const f = table[name];
  table[name] = (...a: Parameters<Kernels['gemm']>) => {
    const t = performance.now();
    f(...a);
    gemmMs += performance.now() - t;
  };
}
function step(p: MatmulPrecision): { seconds: number; gemmSeconds: number } {
  gemmMs = 0;
  const t0 = performance.now();
  withMatmulPrecision(p, () => model.forward(input, { heads: ['cls'], labels }).loss!.backward());
  for (const [, q] of model.namedParameters()) q.grad = null;
  return { seconds: (performance.now() - t0) / 1000, gemmSeconds: gemmMs / 1000 };
}
// interleaved (fp32, bf16, fp32, ...) so a change in the machine's load hits both alike
const bestStep: Record<MatmulPrecision, { seconds: number; gemmSeconds: number }> = { fp32: { seconds: Infinity, gemmSeconds: 0 }, bf16: { seconds: Infinity, gemmSeconds: 0 } };
for (let s = 0; s <= steps; s++)
  for (const p of ['fp32', 'bf16'] as const) {
    const t = step(p);
    if (s > 0 && t.seconds < bestStep[p].seconds) bestStep[p] = t; // s = 0: warm-up
  }
const stepRows = (['fp32', 'bf16'] as const).map((p) => ({ precision: p, ...bestStep[p] }));
for (const r of stepRows) console.log(`step ${r.precision}: ${r.seconds.toFixed(3)} s, GEMMs ${r.gemmSeconds.toFixed(3)} s`);
const loadAfter = loadavg();

const m = machineInfo();
const fmt = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
const best = (r: (typeof rows)[number]) => Math.max(r.gflops['fp32 built-in']!, r.gflops['fp32 BLAS'] ?? 0);
const ratioCol = hasBf16 ? ' bf16 / best fp32 |' : '';
const lines = [
  '# bf16 vs fp32 GEMM (bench/gemm-bf16/run.ts)',
  '',
  `CPU: ${m.model ?? 'unknown'}, ${m.cpus} cores; SIMD flags: ${m.simd.join(' ')}.`,
  `Addon: ${info.blas}${info.blasCore ? ` (${info.blasCore})` : ''}, built-in ${info.builtinIsa}, bf16 path ${info.bf16Isa}, ${info.threads} threads. Commit ${gitCommit() ?? 'unknown'}.`,
  `Load average (1/5/15 min) before ${fmt(loadBefore)}, after ${fmt(loadAfter)} — the machine is shared, so absolute numbers are low and noisy; the ratios are what to read.`,
  `GFLOP/s (2MNK per call), best of ${reps} runs of ${iters} calls in a C++ loop, one warm-up call each.`,
  `Peak of one core (register-only multiply-add loop, benchPeak): fp32 FMA ${corePeak.fp32.toFixed(0)}, bf16 vdpbf16ps ${corePeak.bf16 > 0 ? corePeak.bf16.toFixed(0) : 'n/a'} GFLOP/s; the ceiling on ${info.threads} threads is ${info.threads}x that.`,
  '',
  `| shape | M x N x K | ${impls.join(' | ')} |${ratioCol}`,
  `|---|---|${impls.map(() => '---:').join('|')}|${hasBf16 ? '---:|' : ''}`,
  ...rows.map(
    (r) =>
      `| ${r.shape.replace(/\s+/g, ' ')} | ${r.M}x${r.N}x${r.K} | ${impls.map((i) => r.gflops[i]!.toFixed(1)).join(' | ')} |${hasBf16 ? ` ${(r.gflops['bf16 avx512bf16']! / best(r)).toFixed(2)}x |` : ''}`,
  ),
  '',
  `One training step (forward + backward) of a 4-layer BERT-base-width encoder (768 hidden, 12 heads, FFN 3072), batch ${SB} x ${ST}, best of ${steps} after a warm-up, the two precisions interleaved (kernels: ${kernels().description}):`,
  '',
  '| matmul precision | seconds per step | speed-up | of which GEMM (linear layers) | GEMM speed-up |',
  '|---|---:|---:|---:|---:|',
  ...stepRows.map(
    (r) => `| ${r.precision} | ${r.seconds.toFixed(3)} | ${(stepRows[0]!.seconds / r.seconds).toFixed(2)}x | ${r.gemmSeconds.toFixed(3)} | ${(stepRows[0]!.gemmSeconds / r.gemmSeconds).toFixed(2)}x |`,
  ),
  '',
];
const dir = join(import.meta.dirname);
writeFileSync(join(dir, 'RESULTS.md'), lines.join('\n'));
writeFileSync(
  join(dir, 'results.json'),
  JSON.stringify({ machine: { model: m.model, cpus: m.cpus, simd: m.simd }, info, corePeak, loadBefore, loadAfter, iters, reps, rows, steps, stepRows }, null, 2) + '\n',
);
console.log(lines.join('\n'));
