// `adaptext doctor [--json] [--probe-seconds S]`: which kernels run and why (prebuilt / built
// from source / ADAPTEXT_NATIVE_PATH / TypeScript), the CPU, BLAS, threads, a GEMM probe, Node
// and npm; on the slow path, how to get the fast one (src/tasks/doctor.ts).
import type { Command } from 'commander';
import { doctorReport, type DoctorReport } from '../../tasks/doctor.js';
import { numArg } from '../args.js';

export function formatDoctor(r: DoctorReport): string {
  const b = r.backend;
  const L: Array<[string, string]> = [];
  L.push(['adaptext', `${r.adaptext.version ?? '?'} (${r.adaptext.path ?? 'package root not found'})`]);
  if (b.name === 'native') {
    L.push(['kernels', `native, ${b.source ?? '?'}: ${b.path ?? '?'}`]);
    const g = r.gemm!;
    const blas =
      b.blas === 'none'
        ? 'none linked (built-in GEMM only)'
        : `${b.blas}${g.blasCore ? ` (${g.blasCore} kernels)` : ''}; ADAPTEXT_GEMM=${g.use}${g.builtinBeatsBlas ? ', the built-in kernel takes large shapes' : ''}`;
    L.push(['GEMM', `built-in ${b.isa} micro-kernel (chosen by CPUID); BLAS: ${blas}`]);
    L.push([
      'bf16 GEMM',
      b.bf16 === 'avx512bf16'
        ? 'AVX512-BF16 (vdpbf16ps) kernel, chosen by CPUID: `--precision bf16` speeds up the linear layers'
        : 'emulated (no AVX512-BF16 here, or ADAPTEXT_BF16_ISA=emulated): `--precision bf16` gives bf16 numerics without a speed-up',
    ]);
  } else {
    L.push(['kernels', `${b.description}: ${b.name === 'wasm' ? 'a slower path (single-threaded WebAssembly)' : 'THE SLOW PATH'}`]);
    L.push(['why', b.reason ?? '?']);
  }
  for (const c of r.candidates) L.push(['  tried', `${c.exists ? 'found  ' : 'missing'} ${c.kind}: ${c.path}`]);
  const ob = r.systemOpenBlas;
  L.push([
    'OpenBLAS',
    ob.library === null ? 'not installed on this system' : `${ob.library}${ob.header !== null ? ` + ${ob.header}` : ' (no cblas.h: libopenblas-dev is needed to build against it)'}`,
  ]);
  L.push([
    'threads',
    `${r.threads.used}${b.name === 'js' ? ' (the TypeScript kernels are single-threaded)' : ''} of ${r.threads.cores} cores${r.threads.ADAPTEXT_THREADS !== null ? ` (ADAPTEXT_THREADS=${r.threads.ADAPTEXT_THREADS})` : ''}`,
  ]);
  L.push(['CPU', `${r.cpu.model ?? '?'} x${r.cpu.cores}`]);
  L.push(['CPU flags', r.cpu.simd.length > 0 ? r.cpu.simd.join(' ') : 'unknown (no /proc/cpuinfo)']);
  if (r.probe !== null) {
    const [M, N, K] = r.probe.shape;
    L.push(['GEMM probe', `${r.probe.gflops.toFixed(1)} GFLOP/s (${M}x${N}x${K} float32, ${r.probe.calls} calls in ${r.probe.seconds.toFixed(1)} s, ${b.name} kernels)`]);
  }
  L.push([
    'Node',
    `${r.node.version} (N-API ${r.node.napi}), ${r.node.platform}-${r.node.arch}${r.node.libc !== null ? ` ${r.node.libc}${r.node.glibcVersion !== null ? ` ${r.node.glibcVersion}` : ''}` : ''}`,
  ]);
  L.push(['npm', r.npm ?? 'not found']);
  const w = Math.max(...L.map(([k]) => k.length));
  const lines = L.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
  // on the slow path the advice is a fix; on the native path only hints (OpenBLAS, threads)
  if (r.advice.length > 0) lines.push('', ...r.advice.map((a) => `${b.name !== 'native' ? 'fix' : 'hint'}: ${a}`));
  return lines.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('which kernels run and why (prebuilt, built from source, TypeScript), CPU, BLAS, threads, a 2-second GEMM probe, Node and npm; says how to get the fast path')
    .option('--json', 'print the report as JSON')
    .option('--probe-seconds <s>', 'length of the GEMM probe (0 = none)', numArg('--probe-seconds', 0), 2)
    .action((o: { json?: boolean; probeSeconds: number }) => {
      const r = doctorReport({ probeSeconds: o.probeSeconds });
      process.stdout.write(o.json === true ? JSON.stringify(r, null, 2) + '\n' : formatDoctor(r));
    });
}
