// What a user gets from the registry (issue 17, item 4): `npm pack` (prepack builds the
// linux-x64 glibc prebuilt), the tarball installed into a fresh project with install scripts
// disabled, then plain Node in that project: the addon that loads must be the prebuilt (no
// build/ exists: no compiler was used), and the bundled backbone's forward pass on it must
// match the TypeScript kernels. Also: the installed package.json gives npm no install script to
// run (so npm 11's allowScripts never asks). Linux x64 glibc only (the one prebuilt we ship).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { linuxLibc } from '../../src/tensor/kernels/native.js';
import { tmp } from '../support/tmp.js';

const ROOT = join(import.meta.dirname, '..', '..');
const PREBUILT = 'prebuilds/linux-x64/adaptext.napi.glibc.node';
const supported = process.platform === 'linux' && process.arch === 'x64' && linuxLibc() === 'glibc';

/** The script run inside the fresh project: plain `node`, the package as a user imports it. */
const CHECK = `
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadModel, noGrad, setBackend } from 'adaptext';
import { backendInfo } from 'adaptext/tensor';

const info = backendInfo();
console.log('backend: ' + JSON.stringify(info));
assert.equal(info.name, 'native', 'the native addon did not load: ' + info.reason);
assert.equal(info.source, 'prebuilt');
assert.equal(info.blas, 'none');
const pkg = dirname(createRequire(import.meta.url).resolve('adaptext/package.json'));
assert.equal(info.path, join(pkg, ${JSON.stringify(PREBUILT)}));

const dir = join(pkg, 'models', 'adaptext-mini-en');
const V = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).vocab_size;
const { model } = loadModel(dir);
model.eval();
const B = 2, T = 12;
const ids = Int32Array.from({ length: B * T }, (_, i) => (i === 0 || i === T ? 2 : 5 + ((i * 7919) % (V - 5))));
const mask = Int32Array.from({ length: B * T }, (_, i) => (i >= T + 9 ? 0 : 1)); // second row padded
const run = () => noGrad(() => model.forward({ inputIds: ids, shape: [B, T], attentionMask: mask }).lastHiddenState).data.slice();
const nat = run();
setBackend('js');
const ref = run();
let maxDiff = 0, maxRef = 0;
for (let i = 0; i < ref.length; i++) { maxDiff = Math.max(maxDiff, Math.abs(nat[i] - ref[i])); maxRef = Math.max(maxRef, Math.abs(ref[i])); }
console.log('forward [' + B + ',' + T + ',' + ref.length / (B * T) + ']: max |native - js| = ' + maxDiff.toExponential(2) + ' (max |js| ' + maxRef.toFixed(2) + ')');
assert.ok(Number.isFinite(maxDiff) && maxDiff < 1e-4, 'native and js forward differ by ' + maxDiff);
`;

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env, timeout: 600_000, maxBuffer: 64 << 20 });
  const out = `$ ${cmd} ${args.join(' ')}\n${r.stdout}${r.stderr}`;
  assert.equal(r.status, 0, out);
  return out;
}

test(
  'npm pack -> npm install --ignore-scripts in a fresh project: the prebuilt loads and matches the TypeScript kernels',
  { skip: supported ? false : 'the prebuilt is linux-x64 glibc only', timeout: 900_000 },
  () => {
    const dir = tmp('adaptext-install-');
    const transcript: string[] = [];
    // a user's environment: none of our developer/CI switches
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of ['ADAPTEXT_NATIVE_PATH', 'ADAPTEXT_BACKEND', 'ADAPTEXT_SKIP_PREBUILT', 'NODE_OPTIONS']) delete env[k];

    // 1. pack (prepack builds the prebuilt; prepare compiles dist/ and skips the build from source)
    const packed = spawnSync('npm', ['pack', '--json', '--foreground-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', env, timeout: 600_000, maxBuffer: 64 << 20 });
    assert.equal(packed.status, 0, packed.stdout + packed.stderr);
    // --foreground-scripts: the scripts' lines come first on stdout, then npm's JSON array
    const json = packed.stdout.lastIndexOf('\n[') + 1;
    const [info] = JSON.parse(packed.stdout.slice(json)) as Array<{ filename: string; size: number; unpackedSize: number; files: Array<{ path: string; size: number }> }>;
    transcript.push(
      `$ npm pack --json --foreground-scripts --pack-destination ${dir}`,
      ...packed.stdout
        .slice(0, json)
        .split('\n')
        .filter((l) => /build-prebuilt|adaptext:/.test(l)),
    );
    transcript.push(`${info!.filename}: ${(info!.size / 1e6).toFixed(2)} MB packed, ${(info!.unpackedSize / 1e6).toFixed(2)} MB unpacked, ${info!.files.length} files`);
    const prebuilt = info!.files.find((f) => f.path === PREBUILT);
    assert.ok(prebuilt !== undefined, `${PREBUILT} is not in the tarball`);
    assert.ok(!info!.files.some((f) => f.path.startsWith('build/')), 'build/ must not be packed');

    // 2. a fresh project, install scripts off (registry only for the dependencies; the npm cache first)
    const proj = join(dir, 'project');
    sh('mkdir', ['-p', proj], dir);
    writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'adaptext-install-test', private: true, type: 'module' }, null, 2));
    const install = sh('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', join(dir, info!.filename)], proj, env);
    transcript.push(install.trim());
    assert.doesNotMatch(install, /gyp|native addon built|install scripts/i);

    // 3. nothing npm would run at install time, and nothing was compiled
    const pkgDir = join(proj, 'node_modules', 'adaptext');
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { scripts?: Record<string, string>; gypfile?: boolean };
    const lifecycle = Object.keys(pkg.scripts ?? {}).filter((s) => ['preinstall', 'install', 'postinstall'].includes(s));
    assert.deepEqual(lifecycle, [], 'the package has install scripts');
    assert.equal(pkg.gypfile, false, 'binding.gyp ships, so gypfile:false must stop npm adding `node-gyp rebuild` as an install script');
    const lock = JSON.parse(readFileSync(join(proj, 'node_modules', '.package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
    assert.notEqual(lock.packages['node_modules/adaptext']?.hasInstallScript, true);
    // dependencies npm 11 would still ask about (not ours to change; protobufjs 6's postinstall, via onnx-proto, is optional housekeeping)
    const withScripts = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript === true)
      .map(([k]) => k.replace(/^node_modules\//, ''));
    transcript.push(`dependencies with install scripts (not run): ${withScripts.join(', ') || 'none'}`);
    assert.ok(!existsSync(join(pkgDir, 'build')), 'a build/ folder exists: something compiled the addon');
    assert.ok(existsSync(join(pkgDir, PREBUILT)));

    // 4. the user's Node: prebuilt loaded, forward pass matches the TypeScript kernels
    writeFileSync(join(proj, 'check.mjs'), CHECK);
    const check = sh(process.execPath, ['check.mjs'], proj, env);
    transcript.push(check.trim());
    process.stdout.write(transcript.join('\n') + '\n');
  },
);
