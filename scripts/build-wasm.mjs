// Builds the WebAssembly SIMD kernels native/wasm/kernels.c -> native/wasm/adaptext.wasm with
// clang's wasm32 target (Debian: `apt-get install clang lld`; wasm-ld comes with lld).
// Freestanding: no libc, no Emscripten. The .wasm is committed (see native/README.md), so
// installing adaptext never needs clang; this script is for whoever edits kernels.c.
//
//   node scripts/build-wasm.mjs            rebuild, update native/wasm/BUILD.json
//   node scripts/build-wasm.mjs --check    rebuild into a temp dir and compare byte for byte
//                                          with the committed file (exit 1 on a difference,
//                                          exit 2 when clang/wasm-ld cannot build here)
//   CLANG=clang-16 node scripts/build-wasm.mjs   another clang
//   GEMM_MR=6 GEMM_NR=8 ...               another GEMM micro-tile (experiments; not committed)
//
// BUILD.json records the sha256 of kernels.c and of the .wasm and the clang version: a test
// (test/tensor/wasm-build.test.ts) fails when kernels.c changed without a rebuild, and runs
// --check when the same clang is present (the output is deterministic for one clang version;
// another version may schedule instructions differently, so it is then only compared for
// being a valid module).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'native', 'wasm', 'kernels.c');
const out = join(root, 'native', 'wasm', 'adaptext.wasm');
const infoFile = join(root, 'native', 'wasm', 'BUILD.json');
const clang = process.env.CLANG || 'clang';

export const FLAGS = [
  '--target=wasm32',
  '-O3',
  '-msimd128',
  '-mbulk-memory',
  '-nostdlib',
  '-ffreestanding',
  '-fno-exceptions',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-Wl,--no-entry',
  '-Wl,--strip-all',
  '-Wl,--stack-first',
  '-Wl,-z,stack-size=65536',
  '-Wl,--initial-memory=4194304', // 4 MiB: the GEMM packing buffers (2.1 MiB) + stack
  '-Wl,--max-memory=4294967296', // the JS arena grows memory up to the wasm32 limit
];

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

function clangVersion() {
  const r = spawnSync(clang, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0].trim() : null;
}

function build(dest) {
  const defs = ['GEMM_MR', 'GEMM_NR'].filter((k) => process.env[k]).map((k) => `-D${k}=${process.env[k]}`);
  // Relative paths, run from the package root: nothing machine-specific ends up in the output.
  const args = [...FLAGS, ...defs, '-o', dest, relative(root, src)];
  const r = spawnSync(clang, args, { cwd: root, encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : r.stderr.trim();
    return { ok: false, why: `${clang} ${args.join(' ')} failed: ${why}` };
  }
  return { ok: true };
}

const check = process.argv.includes('--check');
const version = clangVersion();
if (version === null) {
  console.error(`build-wasm: ${clang} not found (apt-get install clang lld)`);
  process.exit(2);
}
if (check) {
  const dir = mkdtempSync(join(tmpdir(), 'adaptext-wasm-'));
  try {
    const dest = join(dir, 'adaptext.wasm');
    const r = build(dest);
    if (!r.ok) {
      console.error(`build-wasm: ${r.why}`);
      process.exit(2);
    }
    const fresh = readFileSync(dest);
    const committed = readFileSync(out);
    if (Buffer.compare(fresh, committed) !== 0) {
      console.error(
        `build-wasm: rebuilding with ${version} gives ${fresh.length} bytes (sha256 ${sha256(fresh)}), the committed ${relative(root, out)} has ${committed.length} (sha256 ${sha256(committed)})`,
      );
      process.exit(1);
    }
    console.log(`build-wasm: ${relative(root, out)} is reproduced byte for byte by ${version}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  const r = build(out);
  if (!r.ok) {
    console.error(`build-wasm: ${r.why}`);
    process.exit(1);
  }
  const wasm = readFileSync(out);
  const info = { source: 'native/wasm/kernels.c', sourceSha256: sha256(readFileSync(src)), wasmSha256: sha256(wasm), bytes: wasm.length, clang: version, flags: FLAGS };
  writeFileSync(infoFile, JSON.stringify(info, null, 2) + '\n');
  console.log(`build-wasm: wrote ${relative(root, out)} (${wasm.length} bytes) with ${version}`);
}
