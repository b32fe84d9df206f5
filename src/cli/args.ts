// Flag value parsers shared by the subcommands: a bad value is a usage error (exit 2) that names
// the flag and repeats what was given. UsageError is the same for flag combinations a command
// checks itself (a missing --config, --config with --resume, ...).
import { InvalidArgumentError, Option } from 'commander';
import { CliProgress, parseProgressMode, PROGRESS_MODES, type ProgressMode } from '../engine/progress.js';
import { resolveModelRef } from '../hub/index.js';
import { MATMUL_PRECISIONS } from '../tensor/precision.js';

/** Bad usage found by a command (not by commander): one line and exit code 2, like commander's own. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function intArg(flag: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${flag} must be an integer >= ${min}, got '${v}'`);
    return n;
  };
}

export function numArg(flag: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min) throw new InvalidArgumentError(`${flag} must be a number >= ${min}, got '${v}'`);
    return n;
  };
}

/** Accepts 1e6 / 50M / 2G style counts (tokens). */
export function countArg(flag: string) {
  return (v: string): number => {
    const m = /^\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([kKmMgG]?)\s*$/.exec(v);
    const mult: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9 };
    const n = m === null ? NaN : Number(m[1]) * mult[m[2]!.toLowerCase()]!;
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${flag} must be a non-negative count like 5000000, 5e6 or 5M, got '${v}'`);
    return Math.round(n);
  };
}

/** `--progress auto|bar|lines|none`, the same on every long command. */
export function progressArg(v: string): ProgressMode {
  try {
    return parseProgressMode(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

/** The `--progress` option itself, one definition for every long command (pretrain's comes from its schema). */
export function progressOption(): Option {
  return new Option('--progress <mode>', `${PROGRESS_MODES.join(' | ')}: a bar on a terminal, lines otherwise (auto), or nothing`).argParser(progressArg).default('auto');
}

/** A model argument: an existing path as is; a hub model id fetched into the Hugging Face cache
 * (progress on stderr) and replaced by its snapshot folder. */
export async function modelArg(ref: string, mode: ProgressMode = 'auto'): Promise<string> {
  return resolveModelRef(ref, { progress: new CliProgress(process.stderr, { mode }) });
}

/** `--precision fp32|bf16`: the matmul precision of the linear layers (src/tensor/precision.ts); unset = the config's (train, demo) or fp32 (predict, eval, serve). */
export function precisionOption(): Option {
  return new Option('--precision <p>', 'linear-layer GEMMs in fp32, or bf16 (bfloat16 inputs, fp32 sums; fast on CPUs with AVX512-BF16)').choices([...MATMUL_PRECISIONS]);
}
