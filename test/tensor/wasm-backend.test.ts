// The WebAssembly backend as shipped: the committed native/wasm/adaptext.wasm is the build of
// the committed kernels.c (BUILD.json hashes; byte for byte when this machine has the clang
// that built it), and the backend selection falls back native -> wasm -> js with a notice.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');
const sha256 = (f: string) =>
  createHash('sha256')
    .update(readFileSync(join(ROOT, f)))
    .digest('hex');
const info = JSON.parse(readFileSync(join(ROOT, 'native', 'wasm', 'BUILD.json'), 'utf8')) as { sourceSha256: string; wasmSha256: string; clang: string };

test('native/wasm/adaptext.wasm is the build of the committed kernels.c (BUILD.json hashes)', () => {
  assert.equal(sha256('native/wasm/kernels.c'), info.sourceSha256, 'kernels.c changed without a rebuild: run `node scripts/build-wasm.mjs` and commit the .wasm and BUILD.json');
  assert.equal(sha256('native/wasm/adaptext.wasm'), info.wasmSha256, 'adaptext.wasm is not the file BUILD.json describes: rebuild with `node scripts/build-wasm.mjs`');
});

const clang = spawnSync(process.env['CLANG'] || 'clang', ['--version'], { encoding: 'utf8' });
const clangVersion = clang.status === 0 ? clang.stdout.split('\n')[0]!.trim() : null;
test(
  'rebuilding native/wasm/adaptext.wasm reproduces it byte for byte (same clang)',
  { skip: clangVersion === null ? 'clang not installed' : clangVersion !== info.clang ? `clang here is "${clangVersion}", the committed build used "${info.clang}"` : false },
  () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-wasm.mjs'), '--check'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr + r.stdout);
  },
);

/** kernels().name in a fresh process with `env`, and its stderr. */
function selected(env: Record<string, string>): { name: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', "import { kernels } from './src/tensor/kernels/index.ts'; console.log(kernels().name);"], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ADAPTEXT_BACKEND: '', ...env },
  });
  assert.equal(r.status, 0, r.stderr);
  return { name: r.stdout.trim(), stderr: r.stderr };
}

test('backend selection: ADAPTEXT_BACKEND=wasm forces wasm; without the addon wasm is used with a notice; without both, js', () => {
  assert.equal(selected({ ADAPTEXT_BACKEND: 'wasm' }).name, 'wasm');
  const noNative = selected({ ADAPTEXT_NATIVE_PATH: '/nonexistent/adaptext.node' });
  assert.equal(noNative.name, 'wasm');
  assert.match(noNative.stderr, /native addon not available .*using the WebAssembly SIMD kernels, single-threaded and slower than native/);
  const neither = selected({ ADAPTEXT_NATIVE_PATH: '/nonexistent/adaptext.node', ADAPTEXT_WASM_PATH: '/nonexistent/adaptext.wasm' });
  assert.equal(neither.name, 'js');
  assert.match(neither.stderr, /native addon and WebAssembly kernels not available .*much slower TypeScript kernels/);
});
