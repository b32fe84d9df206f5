// bin/adaptext.js runs the compiled dist/: a source file newer than its compiled file is named at
// start-up, so a checkout that pulled sources without `npm run build` does not silently run old
// code; and the version the command reports.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { staleSource, staleWarning } from '../../bin/stale-build.js';
import { runCli, tmp } from '../support/cli.js';

function tree(files: Record<string, number>): string {
  const root = tmp();
  for (const [rel, mtime] of Object.entries(files)) {
    const path = join(root, rel);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '');
    utimesSync(path, mtime, mtime);
  }
  return root;
}

test('staleSource: names the source newer than its build, or one with no build; null when every build is newer', () => {
  const built = { 'src/cli/main.ts': 1000, 'dist/cli/main.js': 2000, 'src/train/pipeline.ts': 1000, 'dist/train/pipeline.js': 2000, 'src/types.d.ts': 5000 };
  assert.equal(staleSource(tree(built)), null);
  assert.deepEqual(staleSource(tree({ ...built, 'src/train/pipeline.ts': 3000 })), { path: join('src', 'train', 'pipeline.ts'), missing: false });
  assert.deepEqual(staleSource(tree({ ...built, 'src/train/refit.ts': 1000 })), { path: join('src', 'train', 'refit.ts'), missing: true });
  assert.equal(staleSource(tree({ ...built, 'src/train/.#pipeline.ts': 3000 })), null, 'editor lock files are not sources');
});

test('staleWarning: the one line bin/adaptext.js prints, which says how to fix it; never throws', () => {
  const root = tree({ 'src/cli/main.ts': 3000, 'dist/cli/main.js': 2000, 'src/cli/new.ts': 1000 });
  assert.equal(staleWarning(root), `adaptext: ${join('src', 'cli', 'main.ts')} is newer than its build in dist/ (the older build runs); \`npm run build\` updates it`);
  assert.match(staleWarning(tree({ 'src/cli/new.ts': 1 }))!, /new\.ts has no build in dist\//);
  const dangling = tree({ 'src/cli/main.ts': 1000, 'dist/cli/main.js': 2000 });
  symlinkSync(join(dangling, 'nowhere'), join(dangling, 'src', 'cli', 'gone.ts'));
  assert.equal(staleWarning(dangling), null, 'a dangling link is not a source');
  assert.equal(staleWarning(join(tmp(), 'no-such-package')), null);
});

test('staleSource: a package without src/ (as published) is never stale', () => {
  assert.equal(staleSource(tree({ 'dist/cli/main.js': 1 })), null);
});

test('adaptext --version prints the package version and exits 0', async () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = await runCli([flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), pkg.version);
  }
});
