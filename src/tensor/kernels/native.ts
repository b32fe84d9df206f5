// The C++ addon (native/, built by `npm install` into build/Release/adaptext.node) seen as a
// `Kernels` table. Every method passes straight through: the addon validates its arguments
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
}

/** The raw addon: the Kernels methods (crossEntropyForward takes a result slot) + tuning hooks. */
export interface NativeAddon extends Omit<Kernels, 'name' | 'description' | 'crossEntropyForward'> {
  crossEntropyForward(logits: Float32Array, targets: Int32Array, R: number, C: number, ignoreIndex: number, probs: Float32Array, result: Float64Array): void;
  info(): NativeInfo;
  /** Threads for our pool and OpenBLAS (default: ADAPTEXT_THREADS, OPENBLAS_NUM_THREADS, cores). */
  setThreads(n: number): void;
  /** Route `gemm` through BLAS, the built-in kernel, or pick per shape ('auto', the default with BLAS). */
  setGemmImpl(impl: 'auto' | 'blas' | 'builtin'): void;
  /** Pick the built-in micro-kernel; false when the CPU lacks it. */
  setBuiltinIsa(isa: 'avx512' | 'avx2+fma' | 'generic'): boolean;
  /** Seconds for `iters` sgemm calls in a C++ loop (after a warm-up); -1 when 'blas' is absent. */
  benchSgemm(which: 'blas' | 'builtin', transA: boolean, transB: boolean, M: number, N: number, K: number, iters: number): number;
}

let addonCache: NativeAddon | null | undefined;
let loadError: string | null = null;

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

/** The raw addon, or null (see `nativeLoadError()` for why). ADAPTEXT_NATIVE_PATH overrides the file. */
export function loadNativeAddon(): NativeAddon | null {
  if (addonCache !== undefined) return addonCache;
  addonCache = null;
  const root = packageRoot();
  const candidates = process.env['ADAPTEXT_NATIVE_PATH']
    ? [process.env['ADAPTEXT_NATIVE_PATH']]
    : root === null
      ? []
      : [join(root, 'build', 'Release', 'adaptext.node'), join(root, 'build', 'Debug', 'adaptext.node')];
  const file = candidates.find((f) => existsSync(f));
  if (file === undefined) {
    loadError = `native addon not built (looked for ${candidates.join(', ') || 'the package root'}; build it with \`node scripts/build-native.mjs\` in the adaptext folder, or \`npm rebuild adaptext\` where it is a dependency)`;
    return null;
  }
  try {
    const require = createRequire(import.meta.url);
    addonCache = require(file) as NativeAddon;
  } catch (e) {
    loadError = `native addon ${file} failed to load: ${(e as Error).message.split('\n')[0]}`;
    addonCache = null;
  }
  return addonCache;
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
  };
}
