// Mutation check: does the test suite notice the defects it claims to guard against?
// Each mutation below is one small, realistic defect (a flipped sign in the gradient-reversal
// layer, a dropped attention mask, a skipped adapter residual, skipped gradient clipping, AdamW
// without bias correction) — in the TypeScript kernels and, where the code has one, in the native
// C++ kernels too. For each: apply it to a SCRATCH COPY of the tree (never the working tree),
// rebuild the addon if the mutation is native, run the tests that should catch it, and record
// whether at least one went red ("killed"). Prints a table and the mutation score; exits 1 when a
// mutation survives (or the unmutated copy is not green).
//
//   npm run test:mutation                  every mutation, the relevant test files (~3 min on 2 cores: 3 native rebuilds)
//   npm run test:mutation -- --list        list the mutations
//   npm run test:mutation -- grl-sign ...  only these mutations
//   npm run test:mutation -- --all-tests   run the whole suite for every mutation (slow)
//   npm run test:mutation -- --keep        keep the scratch copy (its path is printed)
//
// The scratch copy: every tracked + untracked-not-ignored file (so uncommitted edits are
// checked too), node_modules symlinked, the built addon copied. Tests run with
// ADAPTEXT_REQUIRE_NATIVE=1 so a native variant can never turn into a skip.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = dirname(import.meta.dirname);

interface Mutation {
  id: string;
  what: string;
  /** Rebuild the addon before testing. */
  native?: boolean;
  file: string;
  /** Exact text → replacement; each text must occur once. */
  edits: Array<[string, string]>;
  tests: string[];
}

interface Outcome {
  status: 'killed' | 'SURVIVED' | 'error';
  detail: string;
  seconds: number;
}

const T: Record<'grl' | 'attention' | 'adapter' | 'clip' | 'adamw', string[]> = {
  grl: ['test/tensor/gradcheck.test.ts', 'test/tensor/autograd.test.ts', 'test/models/model.test.ts', 'test/models/golden.test.ts'],
  attention: ['test/tensor/kernel-reference.test.ts', 'test/tensor/golden-composite.test.ts', 'test/models/golden.test.ts', 'test/tensor/kernels.test.ts'],
  adapter: ['test/models/golden.test.ts', 'test/models/model.test.ts'],
  clip: ['test/optim/schedule-clip.test.ts', 'test/optim/adamw.test.ts', 'test/tensor/kernel-reference.test.ts', 'test/pipeline/training.test.ts'],
  adamw: ['test/optim/adamw.test.ts', 'test/tensor/kernel-reference.test.ts'],
};

/** id, what the defect is, where (file + exact text → replacement), which tests should catch it. */
const MUTATIONS: Mutation[] = [
  {
    id: 'grl-sign',
    what: 'gradient reversal passes +λ·g (sign not flipped)',
    file: 'src/tensor/ops/gradient-reversal.ts',
    edits: [['gx[i]! -= lambda * g[i]!;', 'gx[i]! += lambda * g[i]!;']],
    tests: T.grl,
  },
  {
    id: 'grl-identity',
    what: 'gradient reversal backward is the identity (no -λ)',
    file: 'src/tensor/ops/gradient-reversal.ts',
    edits: [['gx[i]! -= lambda * g[i]!;', 'gx[i]! += g[i]!;']],
    tests: T.grl,
  },
  {
    id: 'attention-mask-js',
    what: 'attention ignores the padding mask (TypeScript kernel)',
    file: 'src/tensor/kernels/js.ts',
    edits: [['if (anyKept && keyMask !== null && keyMask[km + j] === 0) {', 'if (false) {']],
    tests: T.attention,
  },
  {
    id: 'attention-mask-native',
    what: 'attention ignores the padding mask (native kernel)',
    native: true,
    file: 'native/src/attention.cc',
    edits: [['  if (keep != nullptr) {\n    for (size_t j = 0; j < T; ++j)', '  if (false) {\n    for (size_t j = 0; j < T; ++j)']],
    tests: T.attention,
  },
  {
    id: 'adapter-residual',
    what: 'bottleneck adapter skips its residual (default: added after the adapter)',
    file: 'src/models/adapters.ts',
    edits: [['if (!c.adapter_residual_before_ln) out = add(out, residual!);', '']],
    tests: T.adapter,
  },
  {
    id: 'adapter-residual-before-ln',
    what: 'bottleneck adapter skips its residual (adapter_residual_before_ln variant)',
    file: 'src/models/adapters.ts',
    edits: [['if (c.adapter_residual_before_ln) out = add(out, residual!);', '']],
    tests: T.adapter,
  },
  {
    id: 'clip-skip',
    what: 'clipGradNorm computes the norm but never scales the gradients',
    file: 'src/optim/clip.ts',
    edits: [['if (coef < 1) for (const g of grads) k.scaleInPlace(g, coef);', '']],
    tests: T.clip,
  },
  {
    id: 'clip-scale-js',
    what: 'scaleInPlace does nothing (TypeScript kernel: clipping has no effect)',
    file: 'src/tensor/kernels/js.ts',
    edits: [['for (let i = 0; i < x.length; i++) x[i]! *= s;', 'void s;']],
    tests: T.clip,
  },
  {
    id: 'clip-scale-native',
    what: 'scale_inplace does nothing (native kernel: clipping has no effect)',
    native: true,
    file: 'native/src/reduce.cc',
    edits: [['for (size_t i = b; i < e; ++i) x[i] *= s;', '(void)b; (void)e; (void)s;']],
    tests: T.clip,
  },
  {
    id: 'adamw-bias-correction-js',
    what: 'AdamW without bias correction (TypeScript kernel)',
    file: 'src/tensor/kernels/js.ts',
    edits: [['const bc1 = 1 - Math.pow(beta1, step);\n    const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));', 'const bc1 = 1;\n    const bc2Sqrt = 1;']],
    tests: T.adamw,
  },
  {
    id: 'adamw-bias-correction-native',
    what: 'AdamW without bias correction (native kernel)',
    native: true,
    file: 'native/src/adamw.cc',
    edits: [
      ['s.bc2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(b2, step)));', 's.bc2_sqrt = 1.0f;'],
      ['s.neg_step = static_cast<float>(-lr / (1.0 - std::pow(b1, step)));', 's.neg_step = static_cast<float>(-lr);'],
    ],
    tests: T.adamw,
  },
];

// ---------------------------------------------------------------------------------------------

const argv = process.argv.slice(2);
if (argv.includes('--list')) {
  for (const m of MUTATIONS) console.log(`${m.id.padEnd(30)} ${m.native ? '[native] ' : ''}${m.what}  (${m.file})`);
  process.exit(0);
}
const allTests = argv.includes('--all-tests');
const keep = argv.includes('--keep');
const only = argv.filter((a) => !a.startsWith('--'));
const unknown = only.filter((id) => !MUTATIONS.some((m) => m.id === id));
if (unknown.length > 0) {
  console.error(`mutation-check: unknown mutation ${unknown.join(', ')} (see --list)`);
  process.exit(2);
}
const selected = only.length > 0 ? MUTATIONS.filter((m) => only.includes(m.id)) : MUTATIONS;

const git = (args: string[]): string => {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

// Every mutation's text must exist exactly once in the CURRENT tree: a mutation that no longer
// applies is an error, not a survivor or a kill.
for (const m of selected) {
  const src = readFileSync(join(root, m.file), 'utf8');
  for (const [from] of m.edits) {
    const n = src.split(from).length - 1;
    if (n !== 1) {
      console.error(`mutation-check: ${m.id}: the text to mutate occurs ${n} times in ${m.file} (expected once): ${JSON.stringify(from)}`);
      process.exit(2);
    }
  }
}

const addon = join(root, 'build', 'Release', 'adaptext.node');
if (!existsSync(addon)) {
  console.error('mutation-check: build/Release/adaptext.node is missing: run `npm ci` (or `node scripts/build-native.mjs`) first');
  process.exit(2);
}

const scratch = mkdtempSync(join(tmpdir(), 'adaptext-mutation-'));
console.log(`mutation-check: scratch copy ${scratch}`);
const files = git(['ls-files', '-z', '--cached', '--others', '--exclude-standard'])
  .split('\0')
  .filter((f) => f !== '' && existsSync(join(root, f)));
for (const f of files) {
  mkdirSync(dirname(join(scratch, f)), { recursive: true });
  copyFileSync(join(root, f), join(scratch, f));
}
symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'), 'dir');
const restoreAddon = () => {
  rmSync(join(scratch, 'build'), { recursive: true, force: true });
  mkdirSync(join(scratch, 'build', 'Release'), { recursive: true });
  copyFileSync(addon, join(scratch, 'build', 'Release', 'adaptext.node'));
};
restoreAddon();

const env: NodeJS.ProcessEnv = { ...process.env, ADAPTEXT_REQUIRE_NATIVE: '1' };
delete env['ADAPTEXT_BACKEND'];
delete env['ADAPTEXT_NATIVE_PATH'];

function runTests(tests: string[]) {
  const t0 = Date.now();
  const list = allTests ? ['--all'] : ['--all', ...tests];
  const r = spawnSync(process.execPath, ['scripts/run-tests.mjs', ...list], { cwd: scratch, env, encoding: 'utf8', maxBuffer: 256 << 20 });
  const out = (r.stdout ?? '') + (r.stderr ?? '');
  const failed = [...out.matchAll(/^\s*not ok \d+ - (.*)$/gm)].map((x) => x[1]!.replace(/ # .*$/, ''));
  const counts: Record<string, number> = Object.fromEntries([...out.matchAll(/^# (pass|fail|skipped) (\d+)$/gm)].map((x) => [x[1]!, Number(x[2])]));
  return { ok: r.status === 0, failed, counts, seconds: (Date.now() - t0) / 1000 };
}

function buildNative() {
  const r = spawnSync(process.execPath, ['scripts/build-native.mjs'], { cwd: scratch, encoding: 'utf8', env: { ...env, ADAPTEXT_SKIP_NATIVE: '' } });
  const built = existsSync(join(scratch, 'build', 'Release', 'adaptext.node'));
  return { built, line: (r.stdout ?? '').trim().split('\n').at(-1) ?? '' };
}

const results: Array<Mutation & Outcome> = [];
let exitCode = 0;
try {
  // The unmutated copy must be green on the union of the test files, or no result means anything.
  const union = [...new Set(selected.flatMap((m) => m.tests))];
  console.log(`mutation-check: baseline (unmutated) on ${allTests ? 'the whole suite' : union.join(' ')}`);
  const base = runTests(union);
  if (!base.ok) {
    console.error(`mutation-check: the unmutated copy is not green (${base.failed.join('; ')}): fix that first`);
    process.exit(1);
  }
  console.log(`  green: ${base.counts['pass'] ?? '?'} passed, ${base.counts['skipped'] ?? 0} skipped, ${base.seconds.toFixed(0)} s`);

  for (const m of selected) {
    const path = join(scratch, m.file);
    const original = readFileSync(path, 'utf8');
    let mutated = original;
    for (const [from, to] of m.edits) mutated = mutated.replace(from, to);
    writeFileSync(path, mutated);
    let res: Outcome | undefined;
    try {
      if (m.native) {
        const b = buildNative();
        if (!b.built) {
          res = { status: 'error', detail: `native build failed: ${b.line}`, seconds: 0 };
        }
      }
      if (res === undefined) {
        const r = runTests(m.tests);
        res = r.ok
          ? { status: 'SURVIVED', detail: `${r.counts['pass'] ?? '?'} tests passed`, seconds: r.seconds }
          : {
              status: 'killed',
              detail: r.failed
                .filter((f) => !/^(stage mechanics|.* end to end|.*subtests? failed)$/.test(f))
                .slice(0, 3)
                .join(' | '),
              seconds: r.seconds,
            };
      }
    } finally {
      writeFileSync(path, original);
      if (m.native) restoreAddon();
    }
    results.push({ ...m, ...res });
    console.log(`  ${res.status.padEnd(8)} ${m.id}: ${m.what} (${res.seconds.toFixed(0)} s)${res.detail ? `\n           ${res.detail}` : ''}`);
  }
} finally {
  if (!keep) rmSync(scratch, { recursive: true, force: true });
}

const killed = results.filter((r) => r.status === 'killed').length;
const errors = results.filter((r) => r.status === 'error').length;
console.log(`\nmutation score: ${killed}/${results.length} killed${errors > 0 ? ` (${errors} could not be built)` : ''}`);
for (const r of results) if (r.status !== 'killed') console.log(`  not killed: ${r.id} (${r.status})`);
if (killed !== results.length) exitCode = 1;
process.exit(exitCode);
