// `adaptext eval --model RUN_OR_MODEL --data FILE [--domain NAME]` — metrics of a trained model
// on any labelled file (same readers, label checks and truncation rule as training).
// A run folder uses its latest finished stage, the domain's adapter and task head, and the
// reader options of that domain in the run's config; a model folder uses its main head.
import type { Command } from 'commander';
import { writeJsonAtomic } from '../../io/atomic.js';
import type { Metrics } from '../../eval/types.js';
import { evaluateFile, openForInference } from '../../train/inference.js';
import { CliProgress, noteOnFirstStart, type ProgressMode } from '../../engine/progress.js';
import { backendLine } from '../../tensor/index.js';
import { modelArg, precisionOption, progressOption } from '../args.js';
import { withMatmulPrecision, type MatmulPrecision } from '../../tensor/precision.js';

export function formatMetrics(m: Metrics): string {
  const p = (x: number) => `${(x * 100).toFixed(1)}%`;
  const w = Math.max(9, ...m.labels.map((l) => l.length));
  const lines = [`accuracy ${p(m.accuracy)}  macro-F1 ${p(m.macroF1)}  (n = ${m.n})`, ''];
  lines.push(`${'label'.padEnd(w)}  precision  recall     f1  support`);
  for (const c of m.perClass) {
    lines.push(`${c.label.padEnd(w)}  ${p(c.precision).padStart(9)}  ${p(c.recall).padStart(6)}  ${p(c.f1).padStart(6)}  ${String(c.support).padStart(7)}`);
  }
  lines.push('', `confusion [true \\ predicted]: ${m.labels.join(', ')}`);
  m.confusion.forEach((row, i) => lines.push(`${m.labels[i]!.padEnd(w)}  ${row.map((x) => String(x).padStart(6)).join(' ')}`));
  return lines.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('evaluate a run (latest stage) or a model folder on a labelled file: accuracy, macro-F1, per-class scores, confusion matrix')
    .requiredOption('--model <run_or_model>', 'run folder (uses its latest finished stage) or model folder')
    .requiredOption('--data <file>', 'labelled file (JSON Lines / CSV / TSV; CoNLL or {tokens, tags} for token classification)')
    .option('--domain <name>', 'domain whose adapter and task head to use (run default: the target domain)')
    .option('--head <name>', "task head to use (default: the domain's task / the folder's main head)")
    .option('--output <file>', 'also write the metrics as JSON')
    .option('--json', 'print the metrics as JSON')
    .addOption(precisionOption())
    .addOption(progressOption())
    .action(async (o: { model: string; data: string; domain?: string; head?: string; output?: string; json?: boolean; precision?: MatmulPrecision; progress: ProgressMode }) => {
      const m = openForInference(await modelArg(o.model, o.progress), { domain: o.domain, head: o.head });
      for (const n of m.notes) process.stderr.write(`note: ${n}\n`);
      const progress = noteOnFirstStart(new CliProgress(process.stderr, { mode: o.progress }), () => backendLine());
      const r = withMatmulPrecision(o.precision ?? 'fp32', () => evaluateFile(m, o.data, { progress }));
      if (o.output !== undefined) writeJsonAtomic(o.output, r.metrics);
      if (o.json === true) process.stdout.write(JSON.stringify(r.metrics, null, 2) + '\n');
      else {
        process.stdout.write(`${o.data}: ${r.examples} examples${r.skipped > 0 ? ` (${r.skipped} skipped)` : ''}, model ${m.dir}, adapter ${m.adapter ?? 'none'}, head ${m.head}\n`);
        process.stdout.write(formatMetrics(r.metrics));
      }
    });
}
