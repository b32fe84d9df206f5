// `adaptext encode`: flags → `encodeFile` (src/tasks/encode.ts, which documents the formats).
import { InvalidArgumentError, type Command } from 'commander';
import type { Pooling } from '../../models/index.js';
import { encodeFile, POOLINGS } from '../../tasks/index.js';
import { intArg, modelArg, progressOption } from '../args.js';
import { CliProgress, noteOnFirstStart, type ProgressMode } from '../../engine/progress.js';
import { backendLine } from '../../tensor/index.js';

export function register(program: Command): void {
  program
    .command('encode')
    .description('write one embedding per JSON Lines input line (`text` or `input_ids`), in input order')
    .requiredOption('--model <dir>', 'model folder (Hugging Face / adaptext / run checkpoint)')
    .requiredOption('--input <file>', 'JSON Lines input: {"id"?, "text"} or {"id"?, "input_ids", "token_type_ids"?} per line')
    .requiredOption('--output <file>', 'JSON Lines output: {"id"?, "embedding": [...]} per line (written atomically)')
    .option(
      '--pooling <kind>',
      'cls ([CLS] hidden state), mean (masked mean of the last layer) or pooler',
      (v: string) => {
        if (!(POOLINGS as readonly string[]).includes(v)) throw new InvalidArgumentError(`--pooling must be one of ${POOLINGS.join(', ')}, got '${v}'`);
        return v as Pooling;
      },
      'cls',
    )
    .option('--batch-size <n>', 'sequences per forward pass', intArg('--batch-size', 1), 32)
    .option('--max-length <n>', 'tokens per sequence incl. special tokens (text is truncated; default: the model limit)', intArg('--max-length', 2))
    .option('--adapter <name>', "adapter to run ('none' = no adapter; default: the folder's active adapter)")
    .addOption(progressOption())
    .action(async (opts: { model: string; input: string; output: string; pooling: Pooling; batchSize: number; maxLength?: number; adapter?: string; progress: ProgressMode }) => {
      opts.model = await modelArg(opts.model, opts.progress);
      const progress = noteOnFirstStart(new CliProgress(process.stderr, { mode: opts.progress }), () => backendLine());
      let started = false; // from the first encoded chunk on: a bad input line stays a one-line error
      let r: ReturnType<typeof encodeFile>;
      try {
        r = encodeFile({
          ...opts,
          onProgress: (n) => {
            if (!started) progress.start('encode', 0, 0, 'lines'); // streamed in chunks: the line count is not known in advance
            started = true;
            progress.update(n);
          },
        });
      } finally {
        progress.end();
      }
      if (r.note !== null) process.stderr.write(`encode: note: ${r.note}\n`);
      process.stderr.write(
        `encode: ${r.lines} vectors (dim ${r.dim}, ${opts.pooling} pooling, adapter ${r.adapter ?? 'none'}, max length ${r.maxLength}, ` +
          `${(r.paddingFraction * 100).toFixed(1)}% padding) -> ${opts.output} in ${r.seconds.toFixed(1)} s\n`,
      );
    });
}
