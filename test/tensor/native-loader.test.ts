// Which addon file loads (src/tensor/kernels/native.ts) and what backendInfo() reports: the
// prebuilt's name follows prebuildify, a build from source comes before the prebuilt, and
// ADAPTEXT_NATIVE_PATH replaces both. Child processes, because the choice is made once.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { nativeCandidates, prebuiltName } from '../../src/tensor/kernels/native.js';

const ROOT = join(import.meta.dirname, '..', '..');

function backendInfoIn(env: Record<string, string>): Record<string, unknown> {
  const code = `import('./src/tensor/kernels/index.ts').then((m) => console.log(JSON.stringify(m.backendInfo())))`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

test('the prebuilt is named the prebuildify way: prebuilds/<platform>-<arch>/adaptext.napi[.<libc>].node', () => {
  assert.equal(prebuiltName('linux', 'x64', 'glibc'), join('prebuilds', 'linux-x64', 'adaptext.napi.glibc.node'));
  assert.equal(prebuiltName('linux', 'arm64', 'musl'), join('prebuilds', 'linux-arm64', 'adaptext.napi.musl.node'));
  assert.equal(prebuiltName('darwin', 'arm64', null), join('prebuilds', 'darwin-arm64', 'adaptext.napi.node'));
});

test('a build from source is tried before the prebuilt; ADAPTEXT_NATIVE_PATH alone when set', () => {
  const saved = process.env['ADAPTEXT_NATIVE_PATH'];
  try {
    delete process.env['ADAPTEXT_NATIVE_PATH'];
    const c = nativeCandidates();
    assert.deepEqual(
      c.map((x) => x.kind),
      ['built from source', 'built from source', 'prebuilt'],
    );
    assert.ok(c[0]!.path.endsWith(join('build', 'Release', 'adaptext.node')));
    assert.ok(c[2]!.path.endsWith(prebuiltName()));
    process.env['ADAPTEXT_NATIVE_PATH'] = '/nowhere/adaptext.node';
    assert.deepEqual(nativeCandidates(), [{ kind: 'ADAPTEXT_NATIVE_PATH', path: '/nowhere/adaptext.node' }]);
  } finally {
    if (saved === undefined) delete process.env['ADAPTEXT_NATIVE_PATH'];
    else process.env['ADAPTEXT_NATIVE_PATH'] = saved;
  }
});

test('backendInfo: a missing ADAPTEXT_NATIVE_PATH file gives the wasm kernels (or js without the wasm module), the reason and how to get the native ones', () => {
  for (const [env, name] of [
    [{ ADAPTEXT_NATIVE_PATH: '/nowhere/adaptext.node', ADAPTEXT_BACKEND: '' }, 'wasm'],
    [{ ADAPTEXT_NATIVE_PATH: '/nowhere/adaptext.node', ADAPTEXT_WASM_PATH: '/nowhere/adaptext.wasm', ADAPTEXT_BACKEND: '' }, 'js'],
  ] as const) {
    const b = backendInfoIn(env);
    assert.equal(b['name'], name);
    assert.equal(b['source'], null);
    assert.equal(b['threads'], 1);
    assert.match(String(b['reason']), /ADAPTEXT_NATIVE_PATH=\/nowhere\/adaptext\.node does not exist/);
    assert.match(String(b['advice']), /npx adaptext build-native/);
  }
});

test('backendInfo: ADAPTEXT_BACKEND=js says it was forced', () => {
  const b = backendInfoIn({ ADAPTEXT_BACKEND: 'js' });
  assert.equal(b['name'], 'js');
  assert.equal(b['reason'], 'ADAPTEXT_BACKEND=js is set');
  assert.equal(b['threads'], 1);
});
