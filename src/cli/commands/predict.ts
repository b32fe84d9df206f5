// `adaptext predict --model RUN --domain NAME --input FILE [--output FILE]` — labels and
// probabilities per input line (one JSON object per line, input order). The domain picks the
// adapter. Input: .txt (one text per line) or JSON Lines with `text` (token classification:
// `tokens`, or `text` split on whitespace). Without --output the lines go to stdout; with it the
// file is written atomically (a failure leaves an existing file untouched).
import type { Command } from 'commander';
import { openForInference, predictFile } from '../../train/inference.js';
import { CliProgress, noteOnFirstStart, type ProgressMode } from '../../engine/progress.js';
import { backendLine, withMatmulPrecision, type MatmulPrecision } from '../../tensor/index.js';
import { modelArg, precisionOption, progressOption } from '../args.js';

let epipeHandled = false;

export function register(program: Command): void {
  program
    .command('predict')
    .description('predict labels + probabilities for each line of a file with a run (latest stage) or a model folder')
    .requiredOption('--model <run_or_model>', 'run folder (uses its latest finished stage) or model folder')
    .requiredOption('--input <file>', '.txt (one text per line) or JSON Lines with "text" (or "tokens")')
    .option('--domain <name>', 'domain whose adapter (and task head) to use (run default: the target domain)')
    .option('--head <name>', 'task head to use')
    .option('--output <file>', 'write JSON Lines here (default: stdout)')
    .addOption(precisionOption())
    .addOption(progressOption())
    .action(async (o: { model: string; input: string; domain?: string; head?: string; output?: string; precision?: MatmulPrecision; progress: ProgressMode }) => {
      // `adaptext predict ... | head`: a closed pipe ends the output quietly, not with a stack trace.
      if (o.output === undefined && !epipeHandled) {
        epipeHandled = true;
        process.stdout.on('error', (e: NodeJS.ErrnoException) => {
          if (e.code === 'EPIPE') process.exit(0);
          throw e;
        });
      }
      const m = openForInference(await modelArg(o.model, o.progress), { domain: o.domain, head: o.head });
      for (const n of m.notes) process.stderr.write(`note: ${n}\n`);
      const progress = noteOnFirstStart(new CliProgress(process.stderr, { mode: o.progress }), () => backendLine());
      const r = withMatmulPrecision(o.precision ?? 'fp32', () => predictFile(m, o.input, { output: o.output, write: (l) => process.stdout.write(l + '\n'), progress }));
      if (o.output !== undefined) process.stderr.write(`${r.lines} predictions (adapter ${m.adapter ?? 'none'}, head ${m.head}) -> ${o.output}\n`);
    });
}
