// `adaptext train --config FILE [flags]` — the three-stage pipeline (src/train/pipeline.ts).
// `adaptext train --resume RUN`          — continue a run after a crash from its last checkpoint.
//
// Flags override the config file (applied before validation, so a wrong value is reported with
// the flag that gave it): --model, --output, --seed, --ablation, --vocab-top-k, and the general
// --set key.path=value (repeatable), e.g. --set stage1.epochs=2 --set stage2.loss_weights.domain=0.1.
import { Option, type Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseModelId } from '../../hub/index.js';
import { loadPipelineConfig, parseSetFlag, type Override } from '../../train/config.js';
import { resumePipeline, trainPipeline, type PipelineResult } from '../../train/pipeline.js';
import { InterruptedError } from '../../train/trainer.js';
import { StopRequest } from '../../engine/signals.js';
import type { Metrics, RunMetrics } from '../../eval/types.js';
import { CliProgress, noteOnFirstStart, type ProgressMode } from '../../engine/progress.js';
import { backendLine, type MatmulPrecision } from '../../tensor/index.js';
import { UsageError, intArg, precisionOption, progressOption } from '../args.js';

interface TrainFlags {
  config?: string;
  resume?: string;
  model?: string;
  output?: string;
  seed?: number;
  ablation?: boolean;
  vocabTopK?: number;
  precision?: MatmulPrecision;
  set: string[];
  quiet?: boolean;
  progress: ProgressMode;
  stopAfterSteps?: number;
}

const pct = (x: number | undefined) => (x === undefined ? '   -  ' : `${(x * 100).toFixed(1).padStart(5)}%`);

/** The summary printed at the end of a run (stdout). */
export function formatSummary(m: RunMetrics, r: { runDir: string; reportPath: string }): string {
  const lines: string[] = [];
  const names = [...Object.keys(m.stages), ...(m.ablation ?? []).map((a) => a.name), ...(m.baselines ?? []).map((b) => b.name)];
  const w = Math.max(12, ...names.map((n) => n.length));
  const row = (name: string, t: Metrics | undefined, dc: { accuracy: number } | undefined) => `${name.padEnd(w)} ${pct(t?.accuracy)}  ${pct(t?.macroF1)}  ${pct(dc?.accuracy)}`;
  lines.push(`${'target test'.padEnd(w)} ${'acc'.padStart(6)}  ${'mF1'.padStart(6)}  ${'domain'.padStart(6)}`);
  for (const [s, v] of Object.entries(m.stages)) lines.push(row(s, v.target_test, v.domain_confusion));
  if (m.ablation !== undefined) {
    lines.push('', 'ablation (same target test set; domain = held-out domain-classifier accuracy, 0.5 = aligned):');
    for (const a of m.ablation) lines.push(row(a.name, a.target, a.domain_confusion));
  }
  if (m.baselines !== undefined) for (const b of m.baselines) lines.push(row(b.name, b.target, undefined));
  if (m.vocab !== undefined) {
    lines.push('', `vocabulary: +${m.vocab.added} tokens, sub-words per target word ${m.vocab.fragmentationBefore.toFixed(3)} -> ${m.vocab.fragmentationAfter.toFixed(3)}`);
  }
  lines.push('', `run: ${r.runDir}`, `report: ${r.reportPath}`);
  return lines.join('\n') + '\n';
}

export async function runTrain(o: TrainFlags, stop?: StopRequest): Promise<PipelineResult> {
  const progress = noteOnFirstStart(new CliProgress(process.stderr, { mode: o.quiet === true ? 'none' : o.progress }), () => backendLine());
  const opts = { progress, stopAfterSteps: o.stopAfterSteps ?? null, ...(stop !== undefined ? { stop } : {}) };
  if (o.resume !== undefined) {
    if (o.config !== undefined) throw new UsageError('give either --config FILE (a new run) or --resume RUN (continue one), not both');
    const extra = [
      o.output && '--output',
      o.seed !== undefined && '--seed',
      o.ablation && '--ablation',
      o.vocabTopK !== undefined && '--vocab-top-k',
      o.precision !== undefined && '--precision',
      o.set.length > 0 && '--set',
    ].filter(Boolean);
    if (extra.length > 0) throw new UsageError(`${extra.join(', ')}: a resumed run keeps the settings it started with (see ${resolve(o.resume, 'run.json')})`);
    return resumePipeline(o.resume, { ...opts, expectModel: o.model });
  }
  if (o.config === undefined) throw new UsageError('missing --config FILE (or --resume RUN)');
  const overrides: Override[] = [];
  // a hub model id stays an id (trainPipeline fetches it); a folder becomes absolute
  if (o.model !== undefined) overrides.push({ path: 'model', value: existsSync(o.model) || parseModelId(o.model) === null ? resolve(o.model) : o.model, origin: '--model' });
  if (o.output !== undefined) overrides.push({ path: 'output', value: resolve(o.output), origin: '--output' });
  if (o.seed !== undefined) overrides.push({ path: 'seed', value: o.seed, origin: '--seed' });
  if (o.precision !== undefined) overrides.push({ path: 'precision', value: o.precision, origin: '--precision' });
  if (o.ablation === true) overrides.push({ path: 'ablation', value: true, origin: '--ablation' });
  if (o.vocabTopK !== undefined) {
    overrides.push({ path: 'vocab.enabled', value: true, origin: '--vocab-top-k' });
    overrides.push({ path: 'vocab.top_k', value: o.vocabTopK, origin: '--vocab-top-k' });
  }
  for (const s of o.set) overrides.push(parseSetFlag(s));
  const cfg = loadPipelineConfig(o.config, overrides);
  return trainPipeline(cfg, opts);
}

export function register(program: Command): void {
  program
    .command('train')
    .description('run the three-stage transfer pipeline (source warm-up, MLM+DANN alignment, few-shot target) from a config file')
    .option('--config <file>', 'pipeline config (YAML or JSON; see examples/)')
    .option('--resume <run>', 'continue an interrupted run from its last checkpoint (same seed => same final metrics)')
    .option('--model <dir>', "override `model`: a folder or a hub model id (with --resume: refuse to continue if this is not the run's model)")
    .option('--output <dir>', 'override `output` (the run folder)')
    .option('--seed <n>', 'override `seed`', intArg('--seed', 0))
    .option('--ablation', 'also train few-shot-only from the raw backbone and write the ablation table')
    .option('--vocab-top-k <n>', 'expand the vocabulary with the top N target sub-words before stage 2', intArg('--vocab-top-k', 1))
    .addOption(precisionOption())
    .option(
      '--set <key=value>',
      'override any config key, e.g. --set stage1.epochs=2 (repeatable; relative paths resolve against the config file folder)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .addOption(progressOption())
    .option('--quiet', 'same as --progress none (the summary is still printed)')
    .addOption(new Option('--stop-after-steps <n>', 'simulate a crash after N optimizer steps (tests of --resume)').argParser(intArg('--stop-after-steps', 1)).hideHelp())
    .action(async (o: TrainFlags) => {
      let r: PipelineResult;
      const stop = new StopRequest().install('train');
      try {
        r = await runTrain(o, stop);
      } catch (e) {
        if (e instanceof InterruptedError) {
          throw new Error(`${e.message}; continue with: adaptext train --resume ${e.runDir ?? o.resume ?? '<run folder>'}`, { cause: e });
        }
        throw e;
      } finally {
        stop.dispose();
      }
      process.stdout.write(formatSummary(r.metrics, r));
    });
}
