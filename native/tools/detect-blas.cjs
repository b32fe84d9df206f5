#!/usr/bin/env node
// Finds a CBLAS for binding.gyp at BUILD time and prints gyp list items for one of:
//   node native/tools/detect-blas.cjs defines|include_dirs|libraries|summary
//
// Order: ADAPTEXT_BLAS=none (force the built-in GEMM) | macOS Accelerate | OpenBLAS found by
// compiling and linking a two-line test program against each candidate include dir.
// A generic reference CBLAS is deliberately NOT used: the built-in kernel is far faster.
// Other optimised CBLAS builds (MKL, BLIS, a custom OpenBLAS) can be passed explicitly:
//   ADAPTEXT_BLAS_INCLUDE=/path/include ADAPTEXT_BLAS_LIBS="-L/path/lib -lmkl_rt" npm rebuild
// The result is cached in build/blas-detect.json for the duration of one configure run.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function multiarch() {
  const r = spawnSync(process.env.CC || 'gcc', ['-print-multiarch'], { encoding: 'utf8' });
  const t = r.status === 0 ? r.stdout.trim() : '';
  if (t) return t;
  return `${process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch}-linux-gnu`;
}

// Compiles + links a test calling cblas_sgemm (and optionally an OpenBLAS extra symbol).
function links(includeDir, libs, openblas) {
  const src = [
    '#include <cblas.h>',
    openblas ? 'extern "C" char* openblas_get_config(void);' : '',
    'int main() { float a = 2, b = 3, c = 0;',
    '  cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1);',
    openblas ? '  if (!openblas_get_config()) return 2;' : '',
    '  return c == 6.0f ? 0 : 1; }',
  ].join('\n');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adaptext-blas-'));
  try {
    const exe = path.join(dir, 'probe');
    const args = ['-x', 'c++', '-', '-o', exe];
    if (includeDir) args.push(`-I${includeDir}`);
    args.push(...libs);
    const cc = spawnSync(process.env.CXX || 'c++', args, { input: src, encoding: 'utf8' });
    if (cc.status !== 0) return false;
    const run = spawnSync(exe, [], { encoding: 'utf8', timeout: 20000, env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
    return run.status === 0;
  } catch {
    return false;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function detect() {
  const force = (process.env.ADAPTEXT_BLAS || '').toLowerCase();
  if (force === 'none' || force === '0' || force === 'off') return { kind: 'none', why: 'ADAPTEXT_BLAS=none' };
  if (process.env.ADAPTEXT_BLAS_LIBS) {
    const inc = process.env.ADAPTEXT_BLAS_INCLUDE || '';
    const libs = process.env.ADAPTEXT_BLAS_LIBS.split(/\s+/).filter(Boolean);
    const isOpen = links(inc, libs, true);
    if (isOpen || links(inc, libs, false)) return { kind: isOpen ? 'openblas' : 'cblas', include: inc, libs };
    return { kind: 'none', why: `ADAPTEXT_BLAS_LIBS="${process.env.ADAPTEXT_BLAS_LIBS}" did not link a cblas_sgemm test` };
  }
  if (process.platform === 'darwin') {
    return { kind: 'accelerate', include: '', libs: ['-framework', 'Accelerate'] };
  }
  if (process.platform === 'win32') return { kind: 'none', why: 'no BLAS detection on Windows' };
  const t = multiarch();
  const incs = [
    `/usr/include/${t}/openblas-pthread`, `/usr/include/${t}/openblas-openmp`, `/usr/include/${t}/openblas-serial`,
    '/usr/include/openblas', `/usr/include/${t}`, '/usr/include', '/usr/local/include',
    '/opt/OpenBLAS/include', '/usr/local/opt/openblas/include', '/opt/homebrew/opt/openblas/include',
  ];
  const libDirs = ['', '/opt/OpenBLAS/lib', '/usr/local/opt/openblas/lib', '/opt/homebrew/opt/openblas/lib', '/usr/lib64/openblas'];
  for (const inc of incs) {
    if (!fs.existsSync(path.join(inc, 'cblas.h'))) continue;
    for (const ld of libDirs) {
      if (ld && !fs.existsSync(ld)) continue;
      const libs = ld ? [`-L${ld}`, `-Wl,-rpath,${ld}`, '-lopenblas'] : ['-lopenblas'];
      if (links(inc, libs, true)) return { kind: 'openblas', include: inc, libs };
    }
  }
  return { kind: 'none', why: 'no OpenBLAS (cblas.h + libopenblas) found; install libopenblas-dev for faster GEMM' };
}

function cached() {
  const file = path.join(process.cwd(), 'build', 'blas-detect.json');
  try {
    const c = JSON.parse(fs.readFileSync(file, 'utf8'));
    // One configure run calls us three times within seconds; anything older is stale.
    if (Date.now() - c.at < 60_000 && c.env === envKey()) return c.result;
  } catch { /* no cache */ }
  const result = detect();
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ at: Date.now(), env: envKey(), result }, null, 1));
  } catch { /* read-only tree: fine, just slower */ }
  return result;
}

function envKey() {
  return [process.env.ADAPTEXT_BLAS, process.env.ADAPTEXT_BLAS_LIBS, process.env.ADAPTEXT_BLAS_INCLUDE, process.env.CXX].join('|');
}

const what = process.argv[2];
const r = cached();
const out = [];
if (what === 'defines') {
  if (r.kind !== 'none') out.push('ADAPTEXT_CBLAS');
  if (r.kind === 'openblas') out.push('ADAPTEXT_OPENBLAS');
  if (r.kind === 'accelerate') out.push('ADAPTEXT_ACCELERATE');
} else if (what === 'include_dirs') {
  if (r.include) out.push(r.include);
} else if (what === 'libraries') {
  out.push(...(r.libs || []));
} else if (what === 'summary') {
  out.push(r.kind === 'none' ? `none (${r.why})` : `${r.kind}${r.include ? ` (${r.include})` : ''}`);
} else {
  process.stderr.write('usage: detect-blas.cjs defines|include_dirs|libraries|summary\n');
  process.exit(2);
}
process.stdout.write(out.join(' ') + '\n');
