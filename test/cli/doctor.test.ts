// `adaptext doctor`: the fields it reports, and on the forced TypeScript path (ADAPTEXT_BACKEND=js,
// or an addon that cannot be found) that it says so, why, and how to get the native kernels.
// Child processes: the kernel backend is chosen once per process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DoctorReport } from '../../src/tasks/doctor.js';
import { HAVE_NATIVE } from '../support/native.js';

const ROOT = join(import.meta.dirname, '..', '..');

function doctor(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', "const { main } = await import('./src/cli/main.ts'); process.exitCode = await main(process.argv.slice(2));", 'adaptext', 'doctor', ...args],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ADAPTEXT_BACKEND: '', ...env } },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('doctor --json: backend, where the addon came from, CPU, threads, probe, Node and npm', () => {
  const r = doctor(['--json', '--probe-seconds', '0.2']);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as DoctorReport;
  assert.equal(j.adaptext.path, ROOT);
  assert.equal(j.backend.name, HAVE_NATIVE ? 'native' : 'js');
  if (HAVE_NATIVE) {
    assert.ok(j.backend.source !== null && ['built from source', 'prebuilt', 'ADAPTEXT_NATIVE_PATH'].includes(j.backend.source));
    assert.ok(['avx512', 'avx2+fma', 'generic'].includes(j.backend.isa!));
    assert.ok(j.backend.threads >= 1);
    assert.equal(j.backend.reason, null);
  }
  assert.deepEqual(
    j.candidates.map((c) => c.kind),
    ['built from source', 'built from source', 'prebuilt'],
  );
  assert.ok(j.cpu.cores >= 1);
  assert.ok(j.probe !== null && j.probe.calls >= 1 && j.probe.gflops > 0, JSON.stringify(j.probe));
  assert.deepEqual(j.probe.shape, [256, 768, 768]);
  assert.equal(j.node.version, process.version);
  assert.match(j.npm ?? 'absent', /^\d+\.\d+\.\d+|absent$/);
});

test('doctor (text) names each field', () => {
  const r = doctor(['--probe-seconds', '0.1']);
  assert.equal(r.status, 0, r.stderr);
  for (const k of ['adaptext', 'kernels', 'tried', 'OpenBLAS', 'threads', 'CPU', 'CPU flags', 'GEMM probe', 'Node', 'npm']) assert.match(r.stdout, new RegExp(`^ *${k} `, 'm'), k);
  assert.match(r.stdout, /GEMM probe +\d+\.\d GFLOP\/s \(256x768x768 float32/);
});

test('doctor on the TypeScript kernels: says it is the slow path, why, and how to get the fast one', () => {
  const forced = doctor(['--probe-seconds', '0'], { ADAPTEXT_BACKEND: 'js' });
  assert.equal(forced.status, 0, forced.stderr);
  assert.match(forced.stdout, /^kernels +js \(TypeScript reference kernels\): THE SLOW PATH$/m);
  assert.match(forced.stdout, /^why +ADAPTEXT_BACKEND=js is set$/m);
  assert.match(forced.stdout, HAVE_NATIVE ? /^fix: unset ADAPTEXT_BACKEND/m : /^fix: .*npx adaptext build-native/m);
  assert.doesNotMatch(forced.stdout, /GEMM probe/);
  // no addon file at all (what a user without a prebuilt for their platform and no compiler gets)
  const missing = doctor(['--probe-seconds', '0'], { ADAPTEXT_NATIVE_PATH: '/nowhere/adaptext.node' });
  assert.equal(missing.status, 0, missing.stderr);
  assert.match(missing.stdout, /^why +ADAPTEXT_NATIVE_PATH=\/nowhere\/adaptext\.node does not exist$/m);
  assert.match(missing.stdout, /^kernels +wasm \(WebAssembly SIMD kernels.*\): a slower path \(single-threaded WebAssembly\)$/m, 'no addon: the WebAssembly kernels');
  assert.match(missing.stdout, /^fix: .*prebuilt addon.*`npx adaptext build-native` \(needs a C\+\+ compiler, make and python3\)/m);
  // an addon from an older build that lacks kernels this version calls: refused by name, not a TypeError later
  const stale = join(mkdtempSync(join(tmpdir(), 'adaptext-stale-')), 'adaptext.js');
  writeFileSync(stale, 'module.exports = { gemm() {}, info() { return {}; } };\n');
  const old = doctor(['--probe-seconds', '0'], { ADAPTEXT_NATIVE_PATH: stale });
  assert.equal(old.status, 0, old.stderr);
  assert.match(
    old.stdout,
    /^why +native addon .*adaptext\.js \(ADAPTEXT_NATIVE_PATH\) is older than this adaptext: it lacks gemmBf16, .*dropoutApply, add, .*; rebuild it with `npx adaptext build-native`$/m,
  );
  assert.match(old.stdout, /^kernels +wasm /m);
  // neither the addon nor the WebAssembly module: the TypeScript kernels, with the same fix
  const none = doctor(['--probe-seconds', '0'], { ADAPTEXT_NATIVE_PATH: '/nowhere/adaptext.node', ADAPTEXT_WASM_PATH: '/nowhere/adaptext.wasm' });
  assert.equal(none.status, 0, none.stderr);
  assert.match(none.stdout, /^kernels +js \(TypeScript reference kernels\): THE SLOW PATH$/m);
  assert.match(none.stdout, /^fix: .*`npx adaptext build-native`/m);
});
