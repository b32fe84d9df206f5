// The demo's stage settings (full and --quick) and the pipeline config built from them.
//
// Budget: the full demo (books → kitchen, all four ablation rows + baselines) must finish in
// under 15 minutes on 2 CPU cores with the bundled 4-layer/256 backbone; --quick in about two.
// Measured (2026-11-28, 4-layer/256 backbone, on a 2-core machine shared with 3+ other heavy
// jobs, load average 5–15): full = 7m29s of CPU time in total (stage 1 2m43s, stage 2 2m40s,
// stage 3 1m15s, few-shot-only 48s, rest 4s) — so at most ~7.5 minutes of wall time on 2 cores
// of its own, even single-threaded — but 22m50s of wall time on that shared machine; --quick =
// 2m00s of CPU time (8m wall on the shared machine). Re-measured 2026-11-29 on the same 2 cores
// nearly idle (phase-2 backbone): full books → kitchen 3m58s wall / 7m14s CPU, --quick 55–69 s
// wall per pair. Everything can be overridden with --set.
import { resolve } from 'node:path';
import { validateConfig, type Override, type PipelineConfig } from '../train/config.js';
import { DEMO_LABELS } from './splits.js';

export interface StageSettings {
  epochs: number;
  batchSize: number;
  /** Cap on optimizer steps (null = epochs × batches). */
  maxSteps: number | null;
  /** Tokens per review for this stage (null = the run's maxLength). */
  maxLength: number | null;
}

export interface DemoSettings {
  name: 'full' | 'quick';
  /** Tokens per review (evaluation, and training unless a stage sets its own). */
  maxLength: number;
  /** Target few-shot labels (stage 3, few-shot-only, TF-IDF + few-shot). */
  shots: number;
  stage1: StageSettings;
  stage2: StageSettings;
  stage3: StageSettings;
  /** Learning rates: the bundled backbone is small and briefly pretrained, so its upper layers move faster than the 1e-5 meant for BERT-base. */
  lr: { adapters: number; heads: number; backbone: number };
}

export const FULL_SETTINGS: Readonly<DemoSettings> = Object.freeze({
  name: 'full',
  maxLength: 128,
  shots: 200,
  stage1: { epochs: 2, batchSize: 32, maxSteps: null, maxLength: null },
  stage2: { epochs: 1, batchSize: 32, maxSteps: null, maxLength: null },
  stage3: { epochs: 8, batchSize: 16, maxSteps: null, maxLength: null },
  lr: { adapters: 5e-4, heads: 1e-3, backbone: 1e-4 },
});

export const QUICK_SETTINGS: Readonly<DemoSettings> = Object.freeze({
  name: 'quick',
  maxLength: 64,
  shots: 200,
  stage1: { epochs: 1, batchSize: 32, maxSteps: 30, maxLength: null },
  stage2: { epochs: 1, batchSize: 32, maxSteps: 20, maxLength: null },
  stage3: { epochs: 3, batchSize: 16, maxSteps: null, maxLength: null },
  lr: { adapters: 5e-4, heads: 1e-3, backbone: 1e-4 },
});

export interface DemoDataFiles {
  source: { name: string; train: string; validation: string; test: string };
  target: { name: string; train: string; validation: string; test: string; unlabelled: string; fewShot: string };
}

function stage(s: StageSettings, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    epochs: s.epochs,
    batch_size: s.batchSize,
    ...(s.maxSteps !== null ? { max_steps: s.maxSteps } : {}),
    ...(s.maxLength !== null ? { max_length: s.maxLength } : {}),
    ...extra,
  };
}

/** The raw pipeline config of a demo run (before --set overrides and validation). */
export function demoConfigObject(a: { model: string; output: string; seed: number; settings: DemoSettings; files: DemoDataFiles }): Record<string, unknown> {
  const s = a.settings;
  return {
    model: resolve(a.model),
    output: resolve(a.output),
    seed: a.seed,
    max_length: s.maxLength,
    tasks: { sentiment: { type: 'sequence_classification', labels: [...DEMO_LABELS] } },
    source: {
      name: a.files.source.name,
      task: 'sentiment',
      train: a.files.source.train,
      validation: a.files.source.validation,
      test: a.files.source.test,
    },
    target: {
      name: a.files.target.name,
      task: 'sentiment',
      train: a.files.target.train,
      validation: a.files.target.validation,
      test: a.files.target.test,
      unlabelled: a.files.target.unlabelled,
      few_shot: a.files.target.fewShot,
    },
    optimizer: { lr: { ...s.lr } },
    stage1: stage(s.stage1, { patience: 2 }),
    stage2: stage(s.stage2),
    stage3: stage(s.stage3, { patience: 3 }),
    // one checkpoint per epoch is enough for a demo (every save is a full model write)
    checkpoint: { save_every_steps: 100000 },
    ablation: true,
    baselines: true,
  };
}

/** Validate the demo config with --set overrides applied (a typo names the flag). */
export function demoConfig(raw: Record<string, unknown>, overrides: readonly Override[]): PipelineConfig {
  return validateConfig(raw, 'adaptext demo', process.cwd(), overrides);
}
