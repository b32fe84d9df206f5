// What every benchmark records about where it ran: the CPU model and its SIMD flags (results are
// compared only within one machine) and the commit measured.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export { machineInfo } from '../../src/engine/machine.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** Short hash of HEAD in the repository, or null outside git. */
export function gitCommit(): string | null {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}
