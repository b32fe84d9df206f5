// `adaptext pretrain`: masked-LM pretraining from scratch (a WordPiece vocabulary is learned on
// the corpus) or continued pretraining of an HF folder (--model DIR), with checkpoints and
// --resume. The flags are generated from the options schema (src/pretrain/options.ts: `batch_size`
// ↔ `--batch-size`, help and defaults from there); `--config FILE` reads the same options from
// YAML/JSON, and flags override the file. See src/pretrain/README.md for the table.
//
//   adaptext pretrain --out runs/mini corpus/*.jsonl.gz --heldout held.jsonl --layers 4 --hidden 256 \
//     --heads 4 --intermediate 1024 --vocab-size 16000 --max-length 128 --max-minutes 120
//   adaptext pretrain --config pretrain.yaml [--max-minutes 60]
//   adaptext pretrain --resume runs/mini [--max-minutes 60]
import { Option, type Command } from 'commander';
import { StopRequest, StoppedBySignal } from '../../engine/signals.js';
import { loadPretrainConfig, pretrain, pretrainFlags, RESUME_OVERRIDABLE, type FieldFlag } from '../../pretrain/index.js';
import { UsageError, countArg, intArg, numArg, progressArg } from '../args.js';

function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

/** Commander's name for a flag's value (`--batch-size` → batchSize). */
const attr = (f: FieldFlag) => f.flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

const boolFlag = (f: FieldFlag) => (f.fallback === true ? `--no-${f.flag.slice(2)}` : f.flag);

function optionOf(f: FieldFlag): Option {
  const shown = f.fallback === undefined || f.fallback === null || (Array.isArray(f.fallback) && f.fallback.length === 0) ? '' : ` (default: ${String(f.fallback)})`;
  // a boolean flag turns its default around: --no-lowercase (default true), --whole-word-mask (default false)
  if (f.kind === 'boolean') return new Option(boolFlag(f), f.description);
  const meta = f.kind === 'number' ? 'n' : f.kind === 'list' ? 'file' : f.expected.startsWith('a path') ? 'path' : 'value';
  const o = new Option(`${f.flag} <${meta}>`, `${f.description}${shown}`);
  // defaults are the schema's, applied when the options are validated (a config file may set them)
  if (f.kind === 'list') return o.argParser(collect);
  if (f.key === 'max_tokens') return o.argParser(countArg(f.flag));
  if (f.key === 'progress') return o.argParser(progressArg);
  if (f.kind === 'number') return o.argParser(/^an integer/.test(f.expected) ? intArg(f.flag, Number(/>= (\d+)/.exec(f.expected)?.[1] ?? 0)) : numArg(f.flag, 0));
  return o;
}

export function register(program: Command): void {
  const flags = pretrainFlags().filter((f) => f.key !== 'inputs');
  const cmd = program
    .command('pretrain')
    .description('masked-LM pretraining: from scratch (learns a WordPiece vocabulary) or continued from --model DIR; resumable')
    .argument('[inputs...]', pretrainFlags().find((f) => f.key === 'inputs')!.description)
    .option('--config <file>', 'YAML or JSON file of these options (snake_case keys, paths relative to the file); flags override it')
    .option('--resume <dir>', 'continue the run in <dir> from its last checkpoint (stop conditions and cadence flags may be changed)');
  for (const f of flags) cmd.addOption(optionOf(f));
  cmd.action(async (inputs: string[], given: Record<string, unknown> & { config?: string; resume?: string }, c: Command) => {
    const typed = (k: string) => c.getOptionValueSource(k) === 'cli';
    if (given.resume !== undefined) {
      if (inputs.length > 0 || given.config !== undefined) throw new UsageError('--resume takes its inputs and options from the run folder; give only stop conditions and cadence flags with it');
      // Only flags the user actually typed override the saved run.
      const overrides: Record<string, unknown> = {};
      const others: string[] = [];
      for (const f of flags) {
        if (!typed(attr(f))) continue;
        const key = f.key.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());
        if ((RESUME_OVERRIDABLE as readonly string[]).includes(key)) overrides[key] = given[attr(f)];
        else others.push(f.kind === 'boolean' ? boolFlag(f) : f.flag);
      }
      if (others.length > 0) throw new UsageError(`--resume continues the saved run; these flags cannot change: ${others.join(', ')}`);
      await runWithStop({ resume: given.resume, overrides });
      return;
    }
    // the typed flags (and the positional inputs) on top of the config file, by schema key
    const values: Record<string, unknown> = {};
    if (inputs.length > 0) values['inputs'] = inputs;
    for (const f of flags) {
      const a = attr(f);
      if (typed(a)) values[f.key] = given[a];
    }
    if (given.config === undefined) {
      if (values['out'] === undefined) throw new UsageError('--out <dir> is required (or --config FILE, or --resume <dir>)');
      if (values['inputs'] === undefined) throw new UsageError('no training corpus given (pass .txt / .jsonl files or globs)');
    }
    await runWithStop(loadPretrainConfig(given.config ?? null, values));
  });
}

/** Run with the CLI's signal policy: a signal-stopped run exits 130/143 and says how to resume. */
async function runWithStop(o: Parameters<typeof pretrain>[0]): Promise<void> {
  const stop = new StopRequest().install('pretrain');
  try {
    const r = await pretrain(o, { stop });
    if (stop.signal !== null) throw new StoppedBySignal(stop.signal, `stopped by ${stop.signal} at step ${r.step} (checkpoint written); continue with: adaptext pretrain --resume ${r.out}`);
  } finally {
    stop.dispose();
  }
}
