// The machine a run is on: CPU model, core count and the SIMD flags that matter for the kernels
// (Linux: /proc/cpuinfo; elsewhere the flags are unknown). Benchmarks record it with every
// result (bench/support/machine.ts); `adaptext doctor` prints it.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** CPU model and the SIMD flags that matter for these kernels (`flags`: all of them). */
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
