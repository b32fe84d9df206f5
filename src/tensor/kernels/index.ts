// Chooses the kernel table once: the native addon when it loaded, else the WebAssembly SIMD
// kernels (slower than native, much faster than TypeScript), else the TypeScript reference —
// with one notice on stderr when falling back. ADAPTEXT_BACKEND=js|wasm|native forces one.
// Tests call `setBackend` to run one test body against each.
import type { Kernels } from './types.js';
import { jsKernels } from './js.js';
import { loadNativeKernels, nativeLoadError } from './native.js';
import { loadWasmKernels, wasmLoadError } from './wasm.js';

export type { Kernels } from './types.js';

let active: Kernels | null = null;
let nativeCache: Kernels | null | undefined;
let wasmCache: Kernels | null | undefined;

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

export function kernels(): Kernels {
  if (active === null) {
    const want = process.env['ADAPTEXT_BACKEND'];
    if (want === 'js') active = jsKernels;
    else if (want === 'wasm') active = setBackend('wasm');
    else {
      const n = nativeKernels();
      if (n === null) {
        if (want === 'native') throw new Error('ADAPTEXT_BACKEND=native but the native addon is not available (run `npm rebuild adaptext` and read its output)');
        const w = wasmKernels();
        if (w !== null) {
          process.stderr.write(`adaptext: native addon not available (${nativeLoadError() ?? 'not built'}), using the WebAssembly SIMD kernels, single-threaded and slower than native\n`);
          active = w;
        } else {
          process.stderr.write(`adaptext: native addon and WebAssembly kernels not available (${wasmLoadError() ?? 'unknown reason'}), using the much slower TypeScript kernels\n`);
          active = jsKernels;
        }
      } else active = n;
    }
  }
  return active;
}

export function setBackend(name: 'js' | 'wasm' | 'native'): Kernels {
  if (name === 'js') active = jsKernels;
  else if (name === 'wasm') {
    const w = wasmKernels();
    if (w === null) throw new Error(`setBackend: the WebAssembly kernels are not available: ${wasmLoadError() ?? 'unknown reason'}`);
    active = w;
  } else {
    const n = nativeKernels();
    if (n === null) throw new Error('setBackend: the native addon is not available');
    active = n;
  }
  return active;
}
