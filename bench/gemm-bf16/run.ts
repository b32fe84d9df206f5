// bf16 vs fp32 GEMM throughput at BERT-base shapes (R = 2048 rows = batch 16 x 128 tokens):
// the Linear forward (NT), its dX (NN) and dW (TN) GEMMs, for the hidden (768x768) and FFN
// (768->3072) layers. Each kernel runs in a C++ loop in the addon (benchSgemm: no N-API or JS
// in the timing, one warm-up call): fp32 built-in AVX-512, fp32 OpenBLAS (if linked), bf16
// AVX512-BF16 (if the CPU has it) and bf16 emulated (rounded copies + fp32 GEMM).
// Best of `reps` timings per cell: the machine may be shared, so the load average before and
// after is recorded with the CPU model, its SIMD flags and the commit.
//   node --import tsx bench/gemm-bf16/run.ts [--iters N] [--reps N]
// Writes bench/gemm-bf16/RESULTS.md and results.json.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { loadNativeAddon } from '../../src/tensor/kernels/native.js';
import { gitCommit, machineInfo } from '../support/machine.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const iters = arg('--iters', 5);
const reps = arg('--reps', 3);

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
const loadAfter = loadavg();
addon.setBf16Isa(info.bf16Isa);

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
  '',
  `| shape | M x N x K | ${impls.join(' | ')} |${ratioCol}`,
  `|---|---|${impls.map(() => '---:').join('|')}|${hasBf16 ? '---:|' : ''}`,
  ...rows.map(
    (r) =>
      `| ${r.shape.replace(/\s+/g, ' ')} | ${r.M}x${r.N}x${r.K} | ${impls.map((i) => r.gflops[i]!.toFixed(1)).join(' | ')} |${hasBf16 ? ` ${(r.gflops['bf16 avx512bf16']! / best(r)).toFixed(2)}x |` : ''}`,
  ),
  '',
];
const dir = join(import.meta.dirname);
writeFileSync(join(dir, 'RESULTS.md'), lines.join('\n'));
writeFileSync(join(dir, 'results.json'), JSON.stringify({ machine: { model: m.model, cpus: m.cpus, simd: m.simd }, info, loadBefore, loadAfter, iters, reps, rows }, null, 2) + '\n');
console.log(lines.join('\n'));
