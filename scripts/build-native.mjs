// `npm install` hook: builds the native addon (binding.gyp -> build/Release/adaptext.node)
// with the node-gyp that npm bundles. It never fails the install: when the addon cannot be
// built (no compiler, no Node headers, no node-gyp) it prints ONE line saying why and exits
// 0, and adaptext runs on its TypeScript kernels (src/tensor/kernels/index.ts says so once).
//
// Env: ADAPTEXT_SKIP_NATIVE=1 skips the build; ADAPTEXT_BLAS=none builds without BLAS;
// ADAPTEXT_BLAS_INCLUDE / ADAPTEXT_BLAS_LIBS point at another CBLAS (native/tools/detect-blas.cjs).
// The full compiler output goes to build/native-build.log.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const logFile = join(root, 'build', 'native-build.log');
const started = Date.now();

function done(line, code = 0) {
  console.log(`adaptext: ${line}`);
  process.exit(code);
}

function notBuilt(reason) {
  done(`native addon not built (${reason}); using the slower TypeScript kernels`);
}

if (process.env.ADAPTEXT_SKIP_NATIVE && process.env.ADAPTEXT_SKIP_NATIVE !== '0') {
  notBuilt('ADAPTEXT_SKIP_NATIVE is set');
}

/** node-gyp's CLI script: npm's own (npm sets npm_config_node_gyp for install scripts) or a local one. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try {
    candidates.push(createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not a local dependency
  }
  if (process.env.npm_execpath) {
    candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  const prefix = dirname(dirname(process.execPath));
  candidates.push(join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => c.endsWith('.js') && existsSync(c)) ?? null;
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
const nodeGyp = findNodeGyp();
if (nodeGyp === null) notBuilt('node-gyp not found (it ships with npm; try `npm rebuild adaptext` from npm)');

const args = [nodeGyp, 'rebuild', '--release', `--jobs=${Math.max(1, availableParallelism())}`];
// Offline machines: build against the headers of the running Node (e.g. /usr/include/node)
// instead of letting node-gyp download them, unless npm already passes a nodedir.
if (!process.env.npm_config_nodedir) {
  const prefix = dirname(dirname(process.execPath));
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h')) && existsSync(join(prefix, 'include', 'node', 'common.gypi'))) {
    args.push(`--nodedir=${prefix}`);
  }
}

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
