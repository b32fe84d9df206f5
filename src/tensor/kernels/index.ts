// Chooses the kernel table once: the native addon when it loaded, else the TypeScript
// reference (with one notice on stderr). ADAPTEXT_BACKEND=js forces the reference.
// Tests call `setBackend` to run one test body against both.
import type { Kernels } from './types.js';
import { jsKernels } from './js.js';
import { loadNativeKernels } from './native.js';

export type { Kernels } from './types.js';

let active: Kernels | null = null;
let nativeCache: Kernels | null | undefined;

/** The native kernel table, or null when the addon is not built/loadable. */
export function nativeKernels(): Kernels | null {
  if (nativeCache === undefined) nativeCache = loadNativeKernels();
  return nativeCache;
}

export function kernels(): Kernels {
  if (active === null) {
    const want = process.env['ADAPTEXT_BACKEND'];
    if (want === 'js') active = jsKernels;
    else {
      const n = nativeKernels();
      if (n === null) {
        if (want === 'native') throw new Error('ADAPTEXT_BACKEND=native but the native addon is not available (run `npm rebuild adaptext` and read its output)');
        process.stderr.write('adaptext: native addon not available, using the slower TypeScript kernels\n');
        active = jsKernels;
      } else active = n;
    }
  }
  return active;
}

export function setBackend(name: 'js' | 'native'): Kernels {
  if (name === 'js') active = jsKernels;
  else {
    const n = nativeKernels();
    if (n === null) throw new Error('setBackend: the native addon is not available');
    active = n;
  }
  return active;
}
