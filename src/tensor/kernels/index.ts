// Chooses the kernel table once: the native addon when it loaded, else the WebAssembly SIMD
// kernels (slower than native, much faster than TypeScript), else the TypeScript reference —
// with one notice on stderr when falling back. ADAPTEXT_BACKEND=js|wasm|native forces one.
// Tests call `setBackend` to run one test body against each. `backendInfo()` says which one
// runs and why (adaptext doctor, the line long commands print at start).
import type { Kernels } from './types.js';
import { jsKernels } from './js.js';
import { loadNativeAddon, loadNativeKernels, nativeLoadError, nativeSource, type NativeSourceKind } from './native.js';
import { loadWasmKernels, wasmLoadError } from './wasm.js';

export type { Kernels } from './types.js';

let active: Kernels | null = null;
let nativeCache: Kernels | null | undefined;
let wasmCache: Kernels | null | undefined;
/** Why the active table is not the native one (null when it is, or nothing was chosen yet). */
let notNativeReason: string | null = null;

/** The native kernel table, or null when the addon is not built/loadable. */
export function nativeKernels(): Kernels | null {
  if (nativeCache === undefined) nativeCache = loadNativeKernels();
  return nativeCache;
}

/** The WebAssembly kernel table, or null when the module does not load (no WebAssembly SIMD). */
export function wasmKernels(): Kernels | null {
  if (wasmCache === undefined) wasmCache = loadWasmKernels();
  return wasmCache;
}

/** How to get the native kernels when they did not load (doctor and the start-of-command line print it). */
export const FAST_PATH_ADVICE =
  'the native kernels are several times faster: on linux-x64 (glibc) the npm package ships a prebuilt addon (reinstall adaptext if prebuilds/ is missing); elsewhere build it once with `npx adaptext build-native` (needs a C++ compiler, make and python3); run `npx adaptext doctor` to check';

export function kernels(): Kernels {
  return choose(false);
}

/** kernels(), optionally without the stderr notice (backendInfo's callers print their own line). */
function choose(quiet: boolean): Kernels {
  if (active === null) {
    const want = process.env['ADAPTEXT_BACKEND'];
    if (want === 'js') {
      active = jsKernels;
      notNativeReason = 'ADAPTEXT_BACKEND=js is set';
    } else if (want === 'wasm') {
      active = setBackend('wasm');
      notNativeReason = 'ADAPTEXT_BACKEND=wasm is set';
    } else {
      const n = nativeKernels();
      if (n === null) {
        if (want === 'native') throw new Error(`ADAPTEXT_BACKEND=native but the native addon is not available: ${nativeLoadError() ?? 'unknown reason'}`);
        notNativeReason = nativeLoadError() ?? 'the native addon is not available';
        const w = wasmKernels();
        if (w !== null) {
          if (!quiet)
            process.stderr.write(
              `adaptext: native addon not available (${notNativeReason}), using the WebAssembly SIMD kernels, single-threaded and slower than native (\`npx adaptext doctor\` says how to fix it)\n`,
            );
          active = w;
        } else {
          if (!quiet)
            process.stderr.write(
              `adaptext: native addon and WebAssembly kernels not available (${wasmLoadError() ?? 'unknown reason'}), using the much slower TypeScript kernels (\`npx adaptext doctor\` says why and how to fix it)\n`,
            );
          active = jsKernels;
        }
      } else active = n;
    }
  }
  return active;
}

export function setBackend(name: 'js' | 'wasm' | 'native'): Kernels {
  if (name === 'js') {
    active = jsKernels;
    notNativeReason = "selected with setBackend('js')";
  } else if (name === 'wasm') {
    const w = wasmKernels();
    if (w === null) throw new Error(`setBackend: the WebAssembly kernels are not available: ${wasmLoadError() ?? 'unknown reason'}`);
    active = w;
    notNativeReason = "selected with setBackend('wasm')";
  } else {
    const n = nativeKernels();
    if (n === null) throw new Error('setBackend: the native addon is not available');
    active = n;
    notNativeReason = null;
  }
  return active;
}

export interface BackendInfo {
  /** The kernel table in use. */
  name: Kernels['name'];
  /** kernels().description, e.g. "native (OpenBLAS + built-in avx512 GEMM for large shapes, 2 threads)". */
  description: string;
  /** Where the native addon came from; null for the wasm and TypeScript kernels. */
  source: NativeSourceKind | null;
  /** The addon file; null for the wasm and TypeScript kernels. */
  path: string | null;
  /** Why this is not the native backend (null when it is). */
  reason: string | null;
  /** What to do to get the native kernels (null when they are in use). */
  advice: string | null;
  /** Built-in GEMM micro-kernel chosen by CPUID ('avx512' | 'avx2+fma' | 'generic'); null without the addon. */
  isa: string | null;
  /** Path of the bf16 GEMM: 'avx512bf16' (the addon, CPUID) or 'emulated' (bf16-rounded copies + the fp32 GEMM: no AVX512-BF16, wasm, js). */
  bf16: 'avx512bf16' | 'emulated';
  /** BLAS linked into the addon ('OpenBLAS', 'none', ...); null without the addon. */
  blas: string | null;
  /** Threads of the addon's pool; 1 for the wasm and TypeScript kernels (single-threaded). */
  threads: number;
}

/** Which kernels run and why; chooses them (kernels()) if nothing was chosen yet. */
export function backendInfo(): BackendInfo {
  const k = choose(true);
  const addon = k.name === 'native' ? loadNativeAddon() : null;
  if (addon !== null) {
    const i = addon.info();
    const src = nativeSource();
    return {
      name: k.name,
      description: k.description,
      source: src?.kind ?? null,
      path: src?.path ?? null,
      reason: null,
      advice: null,
      isa: i.builtinIsa,
      bf16: i.bf16Isa,
      blas: i.blas,
      threads: i.threads,
    };
  }
  // forced away from native although the addon loads: the fix is to stop forcing it
  const forced = process.env['ADAPTEXT_BACKEND'] === 'js' || process.env['ADAPTEXT_BACKEND'] === 'wasm';
  const advice = forced && nativeKernels() !== null ? 'unset ADAPTEXT_BACKEND to use the native addon, which loads here' : FAST_PATH_ADVICE;
  return { name: k.name, description: k.description, source: null, path: null, reason: notNativeReason, advice, isa: null, bf16: 'emulated', blas: null, threads: 1 };
}

/** One line for the start of a long command: "kernels: native (...) [prebuilt]" or the slower-path warning with the fix. */
export function backendLine(b: BackendInfo = backendInfo()): string {
  if (b.name === 'native') return `kernels: ${b.description} [${b.source ?? 'native'}]`;
  const path = b.name === 'wasm' ? 'a slower path' : 'the slow path';
  return `kernels: ${b.description} — ${path} (${b.reason ?? 'no native addon'}); ${b.advice ?? ''}`;
}
