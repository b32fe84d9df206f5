// The C++ addon (native/) seen as a `Kernels` table. The file is, in this order: the one
// ADAPTEXT_NATIVE_PATH names; a build from source (build/Release/adaptext.node: `npm ci` in a
// checkout, `adaptext build-native`); the prebuilt the npm package ships
// (prebuilds/linux-x64/adaptext.napi.glibc.node, scripts/build-prebuilt.mjs). A loader of our
// own rather than node-gyp-build: same order and naming, but we need to know which file loaded
// and why none did (adaptext doctor), and it is 40 lines with no dependency. Every method passes straight through: the addon validates its arguments
// itself (TypeError for a wrong array type, Error naming the argument and the needed vs
// actual length for a short buffer) and writes into the caller's arrays.
//
// Shape legend as in types.ts: M,N,K GEMM dims; R rows; C columns; B batch; T tokens;
// nH heads; d head size (H = nH*d); V vocabulary.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernels } from './types.js';

export interface NativeInfo {
  /** 'OpenBLAS' | 'Accelerate' | 'CBLAS' | 'none' (linked at build time). */
  blas: string;
  /** openblas_get_config() or ''. */
  blasConfig: string;
  /** Micro-kernel of the built-in GEMM: 'avx512' | 'avx2+fma' | 'generic'. */
  builtinIsa: string;
  threads: number;
  /** openblas_get_corename() (e.g. 'Haswell') or ''. */
  blasCore: string;
  /** True when the built-in micro-kernel has a wider ISA than the BLAS (AVX-512 vs OpenBLAS 'Haswell'). */
  builtinBeatsBlas: boolean;
  /**
   * Which GEMM `gemm` uses: 'auto' (default with BLAS: built-in for shapes >= 64 in every dim
   * when builtinBeatsBlas, else BLAS), 'blas' or 'builtin'. Env ADAPTEXT_GEMM overrides.
   */
  gemm: 'auto' | 'blas' | 'builtin';
  /** Path of `gemmBf16`: 'avx512bf16' (vdpbf16ps, by CPUID) or 'emulated' (bf16-rounded copies + fp32 GEMM). ADAPTEXT_BF16_ISA=emulated forces the latter. */
  bf16Isa: 'avx512bf16' | 'emulated';
}

/** The raw addon: the Kernels methods (crossEntropyForward takes a result slot) + tuning hooks. */
export interface NativeAddon extends Omit<Kernels, 'name' | 'description' | 'crossEntropyForward'> {
  crossEntropyForward(logits: Float32Array, targets: Int32Array, R: number, C: number, ignoreIndex: number, probs: Float32Array, result: Float64Array): void;
  info(): NativeInfo;
  /** Threads for our pool and OpenBLAS (default: ADAPTEXT_THREADS, OPENBLAS_NUM_THREADS, cores). */
  setThreads(n: number): void;
  /** Route `gemm` through BLAS, the built-in kernel, or pick per shape ('auto', the default with BLAS). */
  setGemmImpl(impl: 'auto' | 'blas' | 'builtin'): void;
  /** Pick the bf16 GEMM path ('avx512bf16' needs CPUID avx512_bf16); false when the CPU lacks it. */
  setBf16Isa(isa: 'avx512bf16' | 'emulated'): boolean;
  /** Pick the built-in micro-kernel; false when the CPU lacks it. */
  setBuiltinIsa(isa: 'avx512' | 'avx2+fma' | 'generic'): boolean;
  /** Seconds for `iters` sgemm calls in a C++ loop (after a warm-up); -1 when 'blas' is absent. */
  benchSgemm(which: 'blas' | 'builtin' | 'bf16', transA: boolean, transB: boolean, M: number, N: number, K: number, iters: number): number;
  /**
   * One core's multiply-add peak in GFLOP/s (a register-only loop of about `seconds`): 'fp32' FMA at
   * the widest vector width the CPU has, 'bf16' vdpbf16ps; -1 when the CPU lacks it. Benchmarks read
   * GEMM throughput against it; optional, so an addon built before it still loads.
   */
  benchPeak?(kind: 'fp32' | 'bf16', seconds: number): number;
}

/**
 * Every function the kernel table and the tuning hooks call. An addon built from an older
 * checkout (a stale build/Release, an old prebuilt) lacks the newer ones: it is refused with a
 * load error naming them, and the WebAssembly kernels run instead of a TypeError mid-training.
 */
const ADDON_FUNCTIONS: ReadonlyArray<keyof NativeAddon> = [
  'gemm',
  'gemmBf16',
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
  'embeddingForward',
  'embeddingBackward',
  'adamwUpdate',
  'sumSquares',
  'scaleInPlace',
  'dropoutMask',
  'dropoutApply',
  'add',
  'info',
  'setThreads',
  'setGemmImpl',
  'setBf16Isa',
  'setBuiltinIsa',
  'benchSgemm',
];

let addonCache: NativeAddon | null | undefined;
let loadError: string | null = null;
let loadedFrom: NativeSource | null = null;

/** Where the loaded addon came from. */
export type NativeSourceKind = 'built from source' | 'prebuilt' | 'ADAPTEXT_NATIVE_PATH';
export interface NativeSource {
  kind: NativeSourceKind;
  path: string;
}

/** Directory holding package.json (works from src/ under tsx and from dist/ after tsc). */
export function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'adaptext') return dir;
      } catch {
        // unreadable package.json: keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/** 'glibc' | 'musl' | null (not Linux): the C library the running Node was linked against. */
export function linuxLibc(): 'glibc' | 'musl' | null {
  if (process.platform !== 'linux') return null;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime !== undefined ? 'glibc' : 'musl';
}

/**
 * The prebuilt addon's file name for this platform, prebuildify's naming
 * (`prebuilds/<platform>-<arch>/<name>.napi[.<libc>].node`, which node-gyp-build also reads),
 * relative to the package root. Only linux-x64 glibc is shipped (scripts/build-prebuilt.mjs).
 */
export function prebuiltName(platform: string = process.platform, arch: string = process.arch, libc: string | null = linuxLibc()): string {
  return join('prebuilds', `${platform}-${arch}`, `adaptext.napi${libc !== null ? `.${libc}` : ''}.node`);
}

/**
 * The addon files to try, in order: ADAPTEXT_NATIVE_PATH alone when set; else a build from
 * source (build/Release, build/Debug: `npm ci` in a checkout, `adaptext build-native`), which
 * wins because it was built on this machine (and may link OpenBLAS), then the prebuilt that
 * ships in the npm package.
 */
export function nativeCandidates(): NativeSource[] {
  const forced = process.env['ADAPTEXT_NATIVE_PATH'];
  if (forced) return [{ kind: 'ADAPTEXT_NATIVE_PATH', path: forced }];
  const root = packageRoot();
  if (root === null) return [];
  return [
    { kind: 'built from source', path: join(root, 'build', 'Release', 'adaptext.node') },
    { kind: 'built from source', path: join(root, 'build', 'Debug', 'adaptext.node') },
    { kind: 'prebuilt', path: join(root, prebuiltName()) },
  ];
}

/** The raw addon, or null (see `nativeLoadError()` for why). ADAPTEXT_NATIVE_PATH overrides the file. */
export function loadNativeAddon(): NativeAddon | null {
  if (addonCache !== undefined) return addonCache;
  addonCache = null;
  const candidates = nativeCandidates();
  const found = candidates.find((c) => existsSync(c.path));
  if (found === undefined) {
    const where = candidates.map((c) => c.path).join(', ') || 'the package root';
    loadError =
      process.env['ADAPTEXT_NATIVE_PATH'] !== undefined && process.env['ADAPTEXT_NATIVE_PATH'] !== ''
        ? `ADAPTEXT_NATIVE_PATH=${process.env['ADAPTEXT_NATIVE_PATH']} does not exist`
        : `no native addon for ${process.platform}-${process.arch}${linuxLibc() !== null ? ` (${linuxLibc()})` : ''} (looked for ${where}); build it from source with \`npx adaptext build-native\` (needs a C++ compiler, make and python3)`;
    return null;
  }
  try {
    const require = createRequire(import.meta.url);
    const mod = require(found.path) as Record<string, unknown>;
    const missing = ADDON_FUNCTIONS.filter((f) => typeof mod[f] !== 'function');
    if (missing.length > 0) {
      loadError = `native addon ${found.path} (${found.kind}) is older than this adaptext: it lacks ${missing.join(', ')}; rebuild it with \`npx adaptext build-native\``;
      return null;
    }
    addonCache = mod as unknown as NativeAddon;
    loadedFrom = found;
  } catch (e) {
    loadError = `native addon ${found.path} (${found.kind}) failed to load: ${(e as Error).message.split('\n')[0]}`;
    addonCache = null;
  }
  return addonCache;
}

/** Where the loaded addon came from, or null when none loaded (or it was not tried yet). */
export function nativeSource(): NativeSource | null {
  return loadedFrom;
}

/** Why the addon is unavailable, or null when it loaded (or was not tried yet). */
export function nativeLoadError(): string | null {
  return loadError;
}

function describe(a: NativeAddon): string {
  const i = a.info();
  const gemm =
    i.gemm === 'builtin' || i.blas === 'none' ? `built-in GEMM ${i.builtinIsa}` : i.gemm === 'auto' && i.builtinBeatsBlas ? `${i.blas} + built-in ${i.builtinIsa} GEMM for large shapes` : i.blas;
  return `native (${gemm}, ${i.threads} thread${i.threads === 1 ? '' : 's'})`;
}

export function loadNativeKernels(): Kernels | null {
  const a = loadNativeAddon();
  if (a === null) return null;
  const ceResult = new Float64Array(2); // [lossSum, count], reused: kernels are synchronous
  return {
    name: 'native',
    get description() {
      return describe(a);
    },
    gemm: a.gemm,
    gemmBf16: a.gemmBf16,
    gemmBatched: a.gemmBatched,
    layerNormForward: a.layerNormForward,
    layerNormBackward: a.layerNormBackward,
    geluForward: a.geluForward,
    geluBackward: a.geluBackward,
    softmaxForward: a.softmaxForward,
    softmaxBackward: a.softmaxBackward,
    attentionForward: a.attentionForward,
    attentionBackward: a.attentionBackward,
    crossEntropyForward(logits, targets, R, C, ignoreIndex, probs) {
      a.crossEntropyForward(logits, targets, R, C, ignoreIndex, probs, ceResult);
      return { lossSum: ceResult[0]!, count: ceResult[1]! };
    },
    crossEntropyBackward: a.crossEntropyBackward,
    embeddingForward: a.embeddingForward,
    embeddingBackward: a.embeddingBackward,
    adamwUpdate: a.adamwUpdate,
    sumSquares: a.sumSquares,
    scaleInPlace: a.scaleInPlace,
    dropoutMask: a.dropoutMask,
    dropoutApply: a.dropoutApply,
    add: a.add,
  };
}
