// `prepack` hook (`npm pack`, `npm publish`): builds the prebuilt addon that ships in the npm
// package, prebuilds/linux-x64/adaptext.napi.glibc.node (prebuildify's naming, which
// node-gyp-build reads too; our loader is src/tensor/kernels/native.ts). With it a user
// install on linux-x64 glibc needs no install script and no compiler. It is never committed.
//
// The one recipe, so the file is reproducible (same compiler + same sources = same bytes; this
// script prints the sha256):
// - the same binding.gyp and sources as a build from source, copied to a temp folder so
//   build/ (the developer's own, maybe OpenBLAS) is untouched;
// - ADAPTEXT_BLAS=none: the built-in GEMM (CPUID-dispatched AVX-512 / AVX2+FMA / generic
//   micro-kernels), so no libopenblas is needed where it runs;
// - no -march flags (binding.gyp): ISA-specific code is picked at run time;
// - -static-libstdc++ (no GLIBCXX_3.4.30 requirement: gcc 12's libstdc++ is newer than many
//   distros'), --exclude-libs,ALL so that copy stays private, --gc-sections (drops e.g.
//   std::random_device's arc4random, GLIBC_2.36); libgcc_s stays shared (-static-libgcc would
//   bring the unwinder's _dl_find_object, GLIBC_2.35). The file needs only glibc and libgcc_s —
//   checked below with readelf, which also reports the newest GLIBC_ symbol version it needs:
//   the minimum glibc (2.34 when built on Debian 12: pthread_* moved into libc in 2.34);
// - -ffile-prefix-map: no build-folder paths in the binary; `strip --strip-unneeded`.
//
// Env: ADAPTEXT_SKIP_PREBUILT=1 packs without a prebuilt (other platforms, quick local packs);
// on a host that is not linux-x64 glibc this script fails rather than pack silently without it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findNodeGyp, nodeGypRebuildArgs } from './native-gyp.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dest = join(root, 'prebuilds', 'linux-x64', 'adaptext.napi.glibc.node');
/** Shared libraries the prebuilt may need: glibc's own, the dynamic loader, and libgcc_s (which glibc itself needs for pthread_cancel). */
const ALLOWED_NEEDED = /^(libgcc_s\.so\.1|libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|ld-linux-x86-64\.so\.2)$/;
const started = Date.now();

function fail(msg) {
  console.error(`build-prebuilt: ${msg}`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  return r;
}

if (process.env.ADAPTEXT_SKIP_PREBUILT && process.env.ADAPTEXT_SKIP_PREBUILT !== '0') {
  console.log('build-prebuilt: ADAPTEXT_SKIP_PREBUILT is set; the package will have no prebuilt addon');
  process.exit(0);
}
const glibc = process.report.getReport().header.glibcVersionRuntime;
if (process.platform !== 'linux' || process.arch !== 'x64' || glibc === undefined) {
  fail(
    `the prebuilt is built on linux-x64 glibc, this is ${process.platform}-${process.arch}${process.platform === 'linux' && glibc === undefined ? ' (musl)' : ''}; set ADAPTEXT_SKIP_PREBUILT=1 to pack without it`,
  );
}
const nodeGyp = findNodeGyp(root) ?? fail('node-gyp not found (it ships with npm)');

// 1. the sources in a temp folder (node-gyp always builds into ./build)
const work = mkdtempSync(join(tmpdir(), 'adaptext-prebuilt-'));
try {
  cpSync(join(root, 'binding.gyp'), join(work, 'binding.gyp'));
  cpSync(join(root, 'native'), join(work, 'native'), { recursive: true });
  const napiDir = realpathSync(dirname(createRequire(join(root, 'package.json')).resolve('node-addon-api/package.json')));
  mkdirSync(join(work, 'node_modules'));
  symlinkSync(napiDir, join(work, 'node_modules', 'node-addon-api'), 'dir');

  // 2. build
  const env = {
    ...process.env,
    ADAPTEXT_BLAS: 'none',
    ADAPTEXT_BLAS_LIBS: '',
    ADAPTEXT_BLAS_INCLUDE: '',
    CXXFLAGS: `-ffunction-sections -fdata-sections -ffile-prefix-map=${work}=. -ffile-prefix-map=${napiDir}=node-addon-api`,
    CFLAGS: `-ffile-prefix-map=${work}=.`,
    LDFLAGS: '-static-libstdc++ -Wl,--exclude-libs,ALL -Wl,--gc-sections',
  };
  const args = nodeGypRebuildArgs(nodeGyp);
  const r = run(process.execPath, args, { cwd: work, env });
  const built = join(work, 'build', 'Release', 'adaptext.node');
  if (r.status !== 0 || !existsSync(built)) fail(`node-gyp failed (exit ${r.status}):\n${(r.stdout + r.stderr).split('\n').slice(-30).join('\n')}`);
  run('strip', ['--strip-unneeded', built]);

  // 3. what it links against, and the newest glibc symbol version it needs
  const dyn = run('readelf', ['-d', built]);
  if (dyn.status !== 0) fail(`readelf -d: ${dyn.stderr}`);
  const needed = [...dyn.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const extra = needed.filter((n) => !ALLOWED_NEEDED.test(n));
  if (extra.length > 0) fail(`the prebuilt needs ${extra.join(', ')}; it may need only glibc (${needed.join(', ')})`);
  const syms = run('readelf', ['--dyn-syms', '-W', built]);
  const versions = [...new Set([...syms.stdout.matchAll(/@GLIBC_(\d+(?:\.\d+)+)/g)].map((m) => m[1]))];
  const cmp = (a, b) => {
    const x = a.split('.').map(Number);
    const y = b.split('.').map(Number);
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  };
  versions.sort(cmp);
  const minGlibc = versions.at(-1) ?? '?';
  const newest = [...syms.stdout.matchAll(/ (\w+)@GLIBC_(\d+(?:\.\d+)+)/g)].filter((m) => m[2] === minGlibc).map((m) => m[1]);

  // 4. it loads, reports no BLAS, and multiplies
  const probe = run(process.execPath, [
    '-e',
    `const a = require(${JSON.stringify(built)}); const i = a.info(); const c = new Float32Array(1);
     a.gemm(false, false, 1, 1, 2, 1, Float32Array.from([1, 2]), 2, Float32Array.from([3, 4]), 1, 0, c, 1);
     if (c[0] !== 11) throw new Error('gemm gave ' + c[0]); console.log(JSON.stringify(i));`,
  ]);
  if (probe.status !== 0) fail(`the prebuilt does not load: ${probe.stderr.trim().split('\n').slice(0, 5).join(' | ')}`);
  const info = JSON.parse(probe.stdout);
  if (info.blas !== 'none') fail(`the prebuilt links ${info.blas}; it must use the built-in GEMM`);

  mkdirSync(dirname(dest), { recursive: true });
  cpSync(built, dest);
  const bytes = readFileSync(dest);
  const cxx = run(process.env.CXX || 'c++', ['--version']).stdout.split('\n')[0];
  console.log(
    `build-prebuilt: ${dest.slice(root.length + 1)} in ${((Date.now() - started) / 1000).toFixed(0)} s: ${(statSync(dest).size / 1024).toFixed(0)} KiB, ` +
      `sha256 ${createHash('sha256').update(bytes).digest('hex')}, ${cxx}, needs ${needed.join(' ')}, glibc >= ${minGlibc} (${newest.join(', ')}), ` +
      `GEMM built-in (here: ${info.builtinIsa}, chosen by CPUID at run time)`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
