// The native half of a test, registered the same way everywhere: it runs when the addon loads;
// when it does not, it is a visible skip (naming why) — unless ADAPTEXT_REQUIRE_NATIVE=1 (CI),
// in which case the test is registered anyway and fails with the load error. Every native
// variant honours the variable on its own, so a filtered run (`npm test -- models`) cannot
// hide a broken build behind skips.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { nativeKernels } from '../../src/tensor/kernels/index.js';
import { nativeLoadError } from '../../src/tensor/kernels/native.js';

export const REQUIRE_NATIVE = process.env['ADAPTEXT_REQUIRE_NATIVE'] === '1';

export const HAVE_NATIVE = nativeKernels() !== null;

/** Why the native variants do not run here, or null when they do. */
export function nativeUnavailable(): string | null {
  return HAVE_NATIVE ? null : `native addon not available: ${nativeLoadError() ?? 'unknown reason'}`;
}

/** Fails the current test when the addon is missing (call first in a native test body). */
export function requireNative(): void {
  const why = nativeUnavailable();
  if (why !== null) assert.fail(`ADAPTEXT_REQUIRE_NATIVE=1 but the ${why}`);
}

/**
 * Registers a test that needs the native addon: runs it when the addon loads; otherwise a
 * visible skip, or (ADAPTEXT_REQUIRE_NATIVE=1) a failure naming the load error.
 */
export function nativeTest(title: string, body: (t: TestContext) => void | Promise<void>): void {
  const why = nativeUnavailable();
  if (why === null) test(title, body);
  else if (REQUIRE_NATIVE) test(title, () => requireNative());
  else test(title, { skip: why }, () => {});
}

export type Backend = 'js' | 'wasm' | 'native';

/**
 * Registers `body` once per kernel backend: `title [js]` and `title [wasm]` always (the wasm
 * module is committed, so it must load: a load failure fails the test), `title [native]`
 * through nativeTest (runs, visible skip, or failure under ADAPTEXT_REQUIRE_NATIVE=1). The body
 * gets the backend name; the caller selects it (setBackend) — see test/tensor/helpers.ts.
 */
export function forEachBackend(title: (backend: Backend) => string, body: (backend: Backend, t: TestContext) => void | Promise<void>): void {
  test(title('js'), (t) => body('js', t));
  test(title('wasm'), (t) => body('wasm', t));
  nativeTest(title('native'), (t) => body('native', t));
}
