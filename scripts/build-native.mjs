// Builds the native addon from source (binding.gyp -> build/Release/adaptext.node) with the
// node-gyp that npm bundles. Runs from the `prepare` script — `npm ci` / `npm install` in a
// checkout, and a git dependency — never from a registry install (the npm package has no
// install script: it ships a prebuilt addon for linux-x64 glibc, scripts/build-prebuilt.mjs).
// Users elsewhere, or who want OpenBLAS, run it with `npx adaptext build-native`.
// A build from source (build/Release) is loaded before the prebuilt (src/tensor/kernels/native.ts).
//
// It does not fail `npm ci`: when the addon cannot be built (no compiler, no Node headers, no
// node-gyp) it prints ONE line saying why and exits 0, and adaptext runs on the prebuilt or the
// TypeScript kernels — unless ADAPTEXT_REQUIRE_NATIVE=1 (CI) or --strict, which make that exit 1.
//
// Env: ADAPTEXT_SKIP_NATIVE=1 skips the build; ADAPTEXT_BLAS=none builds without BLAS;
// ADAPTEXT_BLAS_INCLUDE / ADAPTEXT_BLAS_LIBS point at another CBLAS (native/tools/detect-blas.cjs).
// The full compiler output goes to build/native-build.log.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findNodeGyp, nodeGypRebuildArgs } from './native-gyp.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const logFile = join(root, 'build', 'native-build.log');
const started = Date.now();

function done(line, code = 0) {
  console.log(`adaptext: ${line}`);
  process.exit(code);
}

const prebuilt = process.platform === 'linux' && process.arch === 'x64' && existsSync(join(root, 'prebuilds', 'linux-x64', 'adaptext.napi.glibc.node'));

// --strict (`adaptext build-native`) or ADAPTEXT_REQUIRE_NATIVE=1 (CI): a failed build exits 1
const strict = process.argv.includes('--strict') || process.env.ADAPTEXT_REQUIRE_NATIVE === '1';

function notBuilt(reason, required = strict) {
  if (required) done(`native addon not built (${reason})`, 1);
  done(`native addon not built from source (${reason}); ${prebuilt ? 'the prebuilt addon is used' : 'using the slower TypeScript kernels'}`);
}

if (process.env.ADAPTEXT_SKIP_NATIVE && process.env.ADAPTEXT_SKIP_NATIVE !== '0') {
  notBuilt('ADAPTEXT_SKIP_NATIVE is set', false);
}
// `npm pack` / `npm publish` run `prepare` too, after `prepack` built the prebuilt that ships;
// build/ is not in the package, so a build from source would only cost time there.
if (process.env.npm_command === 'pack' || process.env.npm_command === 'publish') {
  done(`not building from source for \`npm ${process.env.npm_command}\` (the package ships prebuilds/, made by prepack)`);
}

function has(cmd, args = ['--version']) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.status === 0;
}

const cxx = process.env.CXX || (process.platform === 'win32' ? null : 'c++');
if (cxx !== null && !has(cxx)) notBuilt(`no C++ compiler: \`${cxx}\` not found (install g++ and make)`);
if (process.platform !== 'win32' && !has('make')) notBuilt('`make` not found');
if (!existsSync(join(root, 'node_modules', 'node-addon-api')) && !existsSync(join(root, '..', 'node-addon-api'))) {
  notBuilt('the node-addon-api dependency is missing');
}
const nodeGyp = findNodeGyp(root);
if (nodeGyp === null) notBuilt("node-gyp not found (it ships with npm; run this with npm's node, or `npm install -g node-gyp`)");

const args = nodeGypRebuildArgs(nodeGyp);
const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
const output = `$ node ${args.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
mkdirSync(dirname(logFile), { recursive: true });
writeFileSync(logFile, output);

const addon = join(root, 'build', 'Release', 'adaptext.node');
if (r.status !== 0 || !existsSync(addon)) {
  const lines = output.split('\n');
  const first = lines.find((l) => /(fatal )?error:|No such file|not found|ERR! stack Error/i.test(l) && !/^gyp info/.test(l));
  const why = first
    ? first
        .replace(/^gyp ERR! stack /, '')
        .trim()
        .slice(0, 200)
    : `node-gyp exited with ${r.status}`;
  notBuilt(`${why}; full log: build/native-build.log`);
}

// Load it once in a child process so a broken binary is reported now, not at first use.
const probe = spawnSync(process.execPath, ['-e', `const i = require(${JSON.stringify(addon)}).info(); console.log(JSON.stringify(i))`], {
  encoding: 'utf8',
});
if (probe.status !== 0) {
  const msg = (probe.stderr || '').split('\n').find((l) => l.includes('Error')) ?? `exit ${probe.status}`;
  notBuilt(`the built addon does not load: ${msg.trim().slice(0, 200)}`);
}
const info = JSON.parse(probe.stdout);
const gemm =
  info.blas === 'none'
    ? `built-in GEMM ${info.builtinIsa} (no BLAS found at build time)`
    : info.builtinBeatsBlas
      ? `${info.blas} + built-in ${info.builtinIsa} GEMM for large shapes (ADAPTEXT_GEMM=blas to use only ${info.blas})`
      : `${info.blas} GEMM`;
done(`native addon built in ${((Date.now() - started) / 1000).toFixed(0)} s: ${gemm}, ${info.threads} threads`);
