// What every benchmark records about where it ran: the CPU model and its SIMD flags (results are
// compared only within one machine) and the commit measured.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

/** CPU model and the SIMD flags that matter for these kernels (all flags go to the JSON). */
export function machineInfo(): { cpus: number; model: string | null; flags: string[]; simd: string[] } {
  let flags: string[] = [];
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => /^flags\s*:/.test(l));
    if (line !== undefined)
      flags = line
        .slice(line.indexOf(':') + 1)
        .trim()
        .split(/\s+/);
  } catch {
    // not Linux
  }
  const simd = flags.filter((f) => /^(sse4_2|avx|avx2|fma|f16c|avx512.*|avx_vnni|amx.*)$/.test(f));
  return { cpus: cpus().length, model: cpus()[0]?.model ?? null, flags, simd };
}

/** Short hash of HEAD in the repository, or null outside git. */
export function gitCommit(): string | null {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}
