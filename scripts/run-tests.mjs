// Runs the test files with Node's built-in test runner through tsx.
// (Node 20's `--test` does not expand globs or pick up .ts files by itself.)
//   node scripts/run-tests.mjs [--slow | --all] [path filters...]
// Default: the fast suite — unit, golden and fuzz tests (everything but *.e2e.test.ts).
// --slow: only the end-to-end tests (*.e2e.test.ts: training runs, the demo, pretraining).
// --all: both (what CI runs).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const mode = args.includes('--all') ? 'all' : args.includes('--slow') ? 'slow' : 'fast';
const filter = args.filter((a) => !a.startsWith('--'));
const e2e = (f) => f.endsWith('.e2e.test.ts');
let files = find('test', []).filter((f) => mode === 'all' || (mode === 'slow') === e2e(f));
if (filter.length > 0) files = files.filter((f) => filter.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error(`run-tests: no ${mode === 'all' ? '' : mode + ' '}test files matched ${filter.join(' ') || 'test/**/*.test.ts'}`);
  process.exit(1);
}
// ADAPTEXT_COVERAGE=1 (CI, `npm run test:coverage`): Node's own line/branch/function coverage, per file, after the run
const coverage = process.env.ADAPTEXT_COVERAGE === '1' ? ['--experimental-test-coverage'] : [];
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...coverage, ...files], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
