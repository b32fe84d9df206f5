// `adaptext doctor` as a library call: which kernels run and why, where the addon came from,
// the CPU, BLAS, threads, a short GEMM probe, Node and npm — and, on the slow path, how to get
// the fast one. Shape legend: the probe is one GEMM C[M,N] = A[M,K] @ B[K,N]^T.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineInfo } from '../engine/machine.js';
import { backendInfo, kernels, type BackendInfo } from '../tensor/kernels/index.js';
import { linuxLibc, loadNativeAddon, nativeCandidates, packageRoot } from '../tensor/kernels/native.js';

export interface GemmProbe {
  /** [M, N, K]: a BERT-base linear layer (768 -> 768) on 256 tokens. */
  shape: [number, number, number];
  calls: number;
  seconds: number;
  gflops: number;
}

export interface DoctorReport {
  adaptext: { version: string | null; path: string | null };
  backend: BackendInfo;
  /** The addon's GEMM details (null without it). */
  gemm: { use: string; blasConfig: string; blasCore: string; builtinBeatsBlas: boolean } | null;
  /** Every addon file the loader tries, in order, and whether it exists. */
  candidates: Array<{ kind: string; path: string; exists: boolean }>;
  cpu: { model: string | null; cores: number; simd: string[] };
  threads: { used: number; ADAPTEXT_THREADS: string | null; cores: number };
  /** OpenBLAS on this system (what a build from source would link); null entries = not found. */
  systemOpenBlas: { library: string | null; header: string | null };
  probe: GemmProbe | null;
  node: { version: string; napi: string; platform: string; arch: string; libc: string | null; glibcVersion: string | null };
  npm: string | null;
  /** What to do, most important first (empty: nothing to fix). */
  advice: string[];
}

/** Multiplies [M,K] x [N,K]^T with the active kernels for about `seconds` (after one warm-up call). */
export function gemmProbe(seconds: number): GemmProbe {
  const [M, N, K] = [256, 768, 768];
  const a = new Float32Array(M * K).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const b = new Float32Array(N * K).map((_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
  const c = new Float32Array(M * N);
  const k = kernels();
  k.gemm(false, true, M, N, K, 1, a, K, b, K, 0, c, N);
  let calls = 0;
  const t0 = performance.now();
  let elapsed: number;
  do {
    k.gemm(false, true, M, N, K, 1, a, K, b, K, 0, c, N);
    calls++;
    elapsed = (performance.now() - t0) / 1000;
  } while (elapsed < seconds);
  return { shape: [M, N, K], calls, seconds: elapsed, gflops: (2 * M * N * K * calls) / elapsed / 1e9 };
}

/** npm's version: from npm_config_user_agent when run through npm/npx, else `npm --version` (5 s timeout); null when absent. */
export function npmVersion(): string | null {
  const ua = process.env['npm_config_user_agent'];
  const m = ua !== undefined ? /\bnpm\/(\S+)/.exec(ua) : null;
  if (m !== null) return m[1]!;
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['--version'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  return r.status === 0 ? r.stdout.trim() || null : null;
}

function findOpenBlas(): { library: string | null; header: string | null } {
  const t = process.arch === 'x64' ? 'x86_64-linux-gnu' : process.arch === 'arm64' ? 'aarch64-linux-gnu' : '';
  const libs = [
    `/usr/lib/${t}/libopenblas.so.0`,
    `/usr/lib/${t}/libopenblas.so`,
    '/usr/lib64/libopenblas.so.0',
    '/usr/lib/libopenblas.so.0',
    '/usr/local/lib/libopenblas.so',
    '/opt/OpenBLAS/lib/libopenblas.so',
    '/opt/homebrew/opt/openblas/lib/libopenblas.dylib',
    '/usr/local/opt/openblas/lib/libopenblas.dylib',
  ];
  const heads = [
    `/usr/include/${t}/openblas-pthread/cblas.h`,
    `/usr/include/${t}/openblas-openmp/cblas.h`,
    '/usr/include/openblas/cblas.h',
    `/usr/include/${t}/cblas.h`,
    '/usr/include/cblas.h',
    '/usr/local/include/cblas.h',
    '/opt/OpenBLAS/include/cblas.h',
    '/opt/homebrew/opt/openblas/include/cblas.h',
  ];
  return { library: libs.find((f) => existsSync(f)) ?? null, header: heads.find((f) => existsSync(f)) ?? null };
}

export function doctorReport(opts: { probeSeconds?: number } = {}): DoctorReport {
  const root = packageRoot();
  let version: string | null = null;
  if (root !== null) {
    try {
      version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? null;
    } catch {
      // unreadable: leave it null
    }
  }
  const backend = backendInfo();
  const addon = backend.name === 'native' ? loadNativeAddon() : null;
  const info = addon?.info() ?? null;
  const m = machineInfo();
  const glibcVersion = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime ?? null;
  const systemOpenBlas = findOpenBlas();
  const seconds = opts.probeSeconds ?? 2;
  const advice: string[] = [];
  if (backend.advice !== null) advice.push(backend.advice);
  if (backend.source === 'prebuilt' && systemOpenBlas.library !== null && systemOpenBlas.header !== null) {
    advice.push('OpenBLAS is installed: `npx adaptext build-native` builds an addon that links it (compare the GEMM probe before and after; `ADAPTEXT_GEMM=builtin` goes back to the built-in kernel)');
  }
  const envThreads = process.env['ADAPTEXT_THREADS'] ?? null;
  if (backend.name === 'native' && backend.threads < m.cpus && envThreads === null && process.env['OPENBLAS_NUM_THREADS'] === undefined) {
    advice.push(`${backend.threads} of ${m.cpus} cores are used; ADAPTEXT_THREADS=${m.cpus} uses them all`);
  }
  return {
    adaptext: { version, path: root },
    backend,
    gemm: info === null ? null : { use: info.gemm, blasConfig: info.blasConfig, blasCore: info.blasCore, builtinBeatsBlas: info.builtinBeatsBlas },
    candidates: nativeCandidates().map((c) => ({ kind: c.kind, path: c.path, exists: existsSync(c.path) })),
    cpu: { model: m.model, cores: m.cpus, simd: m.simd },
    threads: { used: backend.threads, ADAPTEXT_THREADS: envThreads, cores: m.cpus },
    systemOpenBlas,
    probe: seconds > 0 ? gemmProbe(seconds) : null,
    node: { version: process.version, napi: process.versions.napi ?? '?', platform: process.platform, arch: process.arch, libc: linuxLibc(), glibcVersion },
    npm: npmVersion(),
    advice,
  };
}
