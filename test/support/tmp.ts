// Temp folders for tests: one helper for every test folder. Each folder is removed when the test
// process exits (set ADAPTEXT_KEEP_TMP=1 to keep them for a look), so a run leaves nothing
// behind in the OS temp dir, also when a test fails half-way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
process.on('exit', () => {
  if (process.env['ADAPTEXT_KEEP_TMP'] === '1') return;
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A new empty folder under the OS temp dir, removed at exit. */
export function tmp(prefix = 'adaptext-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
