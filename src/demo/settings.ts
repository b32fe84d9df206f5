// The demo's stage settings (full and --quick) and the pipeline config built from them.
//
// Budget: the full demo (books → kitchen, all four ablation rows + baselines) must finish in
// under 15 minutes on 2 CPU cores with the bundled 4-layer/256 backbone; --quick in about two.
// Measured times per stage are in bench/transfer/RESULTS.md (every pair's run prints them).
// Everything can be overridden with --set.
import { resolve } from 'node:path';
import { validateConfig, type Override, type PipelineConfig } from '../train/config.js';
import { DEMO_LABELS } from './splits.js';
import type { DemoStage2Recipe } from './bundled.js';

/** Per-group learning rates of one stage (the pipeline's `stageN.lr`). */
export interface StageLrs {
  adapters: number;
  heads: number;
  backbone: number;
  discriminator?: number;
}

export interface StageSettings {
  epochs: number;
  batchSize: number;
  /** Cap on optimizer steps (null = epochs × batches). */
  maxSteps: number | null;
  /** Tokens per review for this stage (null = the run's maxLength). */
  maxLength: number | null;
  lr: StageLrs;
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
}

// The recipe for the bundled backbone (chosen on books → kitchen VALIDATION accuracy — source
// validation for stages 1–2, target validation for stage 3 and few-shot-only — and on the logged
// stage-2 discriminator accuracy; bench/transfer/RESULTS.md has the measurements):
// - heads start as linear probes (LP-FT) and then move slowly: stages 1 and 3 at 1e-4 for heads
//   and adapters, 1e-5 for the backbone (the 1e-3 a random head needs made the probe-initialised
//   head's loss jump and cost 2–4 validation points);
// - stage 3 refits the head on the target's few-shot labels when that probe beats the
//   source-trained head on target validation (refit_head: auto);
// - stage 2 uses the confusion adversary with a fast encoder (adapters 1e-3, backbone 3e-4),
//   λ up to 5 and MLM at weight 0.1: the discriminator then sits near chance instead of winning
//   (slow encoder) or being swapped (gradient reversal with a fast encoder).
// - stage 2 centres each domain's features (centre_features, src/train/README.md "Domain
//   centres"): chosen without target labels — it is the mechanism that takes the held-out domain
//   classifier to chance — and kept because the 12-pair benchmark shows what it costs and buys.
// - both bundled backbones: stage 2 trains every layer and the embeddings (stage2.freeze_layers 0;
//   stage 1 keeps the top-level freeze): on the labelled target reviews that are not held out
//   (validation + few-shot rows) it was ahead of the frozen stage 2 on every seed's mean — English
//   bench/transfer/RESULTS.md, "`s2f0` against the recipe with seeds 43 and 44"; Chinese
//   bench/transfer/RESULTS-zh.md, "stage 2 unfrozen, chosen on validation rows".
// - English only: stage 2 ends by refitting the source head as a linear probe of the moved
//   encoder's source features when that wins on source validation (stage2.refit_head: auto; the
//   stage-2 head otherwise lags the encoder and can end tilted towards one class on both domains).
//   Chosen on the validation + few-shot rows (src/train/README.md, "The source head at the end of
//   stage 2"); on the Chinese backbone it did not help.
// - stage 3's probe may also read the 1,600 source labels at a total weight of 0.25, 1 or 4 times
//   the few-shot rows' (or none), chosen with C on target validation (src/train/head-init.ts).
const PROBE_SOURCE_WEIGHTS = [0, 0.25, 1, 4] as const;
const S1_LR: StageLrs = { adapters: 1e-4, heads: 1e-4, backbone: 1e-5 };
const S2_LR: StageLrs = { adapters: 1e-3, heads: 1e-4, backbone: 3e-4, discriminator: 1e-3 };
const S3_LR: StageLrs = { adapters: 1e-4, heads: 1e-4, backbone: 1e-5 };

export const FULL_SETTINGS: Readonly<DemoSettings> = Object.freeze({
  name: 'full',
  maxLength: 128,
  shots: 200,
  stage1: { epochs: 2, batchSize: 32, maxSteps: null, maxLength: null, lr: S1_LR },
  stage2: { epochs: 1, batchSize: 32, maxSteps: null, maxLength: null, lr: S2_LR },
  stage3: { epochs: 8, batchSize: 16, maxSteps: null, maxLength: null, lr: S3_LR },
});

export const QUICK_SETTINGS: Readonly<DemoSettings> = Object.freeze({
  name: 'quick',
  maxLength: 64,
  shots: 200,
  stage1: { epochs: 1, batchSize: 32, maxSteps: 30, maxLength: null, lr: S1_LR },
  stage2: { epochs: 1, batchSize: 32, maxSteps: 20, maxLength: null, lr: S2_LR },
  stage3: { epochs: 3, batchSize: 16, maxSteps: null, maxLength: null, lr: S3_LR },
});

export interface DemoDataFiles {
  source: { name: string; train: string; validation: string; test: string };
  target: { name: string; train: string; validation: string; test: string; unlabelled: string; fewShot: string };
}

function stage(s: StageSettings, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    epochs: s.epochs,
    batch_size: s.batchSize,
    lr: { ...s.lr },
    ...(s.maxSteps !== null ? { max_steps: s.maxSteps } : {}),
    ...(s.maxLength !== null ? { max_length: s.maxLength } : {}),
    ...extra,
  };
}

/** The raw pipeline config of a demo run (before --set overrides and validation). */
export function demoConfigObject(a: {
  model: string;
  output: string;
  seed: number;
  settings: DemoSettings;
  files: DemoDataFiles;
  /** The corpus' measured stage-2 settings (src/demo/bundled.ts); absent: the pipeline defaults. */
  stage2Recipe?: Readonly<DemoStage2Recipe>;
}): Record<string, unknown> {
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
    stage1: stage(s.stage1, { patience: 2 }),
    stage2: stage(s.stage2, {
      adversary: 'confusion',
      centre_features: true,
      lambda: { max: 5 },
      loss_weights: { mlm: 0.1 },
      ...(a.stage2Recipe ?? {}),
    }),
    stage3: stage(s.stage3, { patience: 3, refit_head: 'auto', probe_source_weights: [...PROBE_SOURCE_WEIGHTS] }),
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
