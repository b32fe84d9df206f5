// The training loop every stage shares: epochs of planned batches, forward/backward by the
// stage, global grad-norm clipping, AdamW step with the warm-up/decay schedule, a log record per
// step, validation at every epoch end with early stopping (best checkpoint kept), and
// resumable checkpoints every `saveEvery` steps and at every epoch end.
//
// Determinism (what makes `--resume` reproduce an uninterrupted run exactly):
// - the data order of an epoch is a pure function of (seed, stage, epoch) — or, for the mixed
//   sampler, of its state at the start of the epoch, which checkpoints store;
// - the model's generator (dropout) and the MLM generator are saved with every checkpoint;
// - weights and AdamW moments are saved as float32, bit for bit; the schedule is rebuilt from the
//   config and the optimizer's step count;
// - validation runs in eval mode and draws no random numbers.
import { optimizerUpdate, type AdamW } from '../optim/index.js';
import type { AdapterModel } from '../models/index.js';
import type { Tokenizer } from '../text/index.js';
import type { MixedSamplerState } from '../data/index.js';
import { loadOptimizerState, saveCheckpoint, type TrainerState } from './checkpoint.js';
import type { ModelFingerprint, RunFolder, StageName } from './run-folder.js';
import { CHECKPOINT_FORMAT_VERSION } from './checkpoint.js';
import type { ProgressSink } from '../engine/progress.js';
import { StoppedBySignal, type StopRequest } from '../engine/signals.js';
import { runLoop } from '../engine/loop.js';
import { withScratch } from '../tensor/index.js';

/** Thrown by `stopAfterSteps` to simulate a crash (nothing is saved at that moment). */
export class InterruptedError extends Error {
  /** The run folder to resume (set by the pipeline). */
  runDir: string | undefined;
  constructor(readonly steps: number) {
    super(`interrupted after ${steps} optimizer steps (stopAfterSteps)`);
    this.name = 'InterruptedError';
  }
}

/** What a stage's step reports besides loss (goes into the log record). */
export interface StepOutput {
  loss: number;
  lossTask?: number;
  lossMlm?: number;
  lossDomain?: number;
  /** Stage 2 with adversary 'confusion': CE of the discriminator's output against the uniform distribution. */
  lossConfusion?: number;
  /** Stage 2 with loss_weights.mmd > 0: the linear-kernel MMD² between the batch's source and target features. */
  lossMmd?: number;
  discAcc?: number;
  lambda?: number;
}

export interface StageHooks {
  /**
   * Plan epoch `epoch` (returns its batch count). Stage 2 first restores its sampler to
   * `samplerState`, the state at the start of that epoch, so a resumed epoch gets the same plan.
   */
  planEpoch(epoch: number, samplerState?: MixedSamplerState): number;
  /** The mixed sampler's current state (stage 2), for checkpoints. */
  samplerState?(): MixedSamplerState;
  /** Forward + backward of batch `batch` of the planned epoch; `step` = optimizer steps done. */
  step(batch: number, step: number): StepOutput;
  /** Validation metric (higher is better) at an epoch end, or null when there is no validation set. */
  validate(step: number, epoch: number): number | null;
  /** Extra generator states to checkpoint (stage 2: MLM masking). */
  rngStates?(): { mlm?: number[] };
  restoreRngStates?(s: { mlm?: number[] }): void;
  /** Extra files written into every checkpoint of the stage (e.g. vocab.json). */
  extraFiles?(): Record<string, string>;
}

export interface TrainerOptions {
  stage: StageName;
  run: RunFolder;
  model: AdapterModel;
  tokenizer: Tokenizer;
  optimizer: AdamW;
  epochs: number;
  totalSteps: number;
  patience: number | null;
  clipNorm: number;
  saveEvery: number;
  baseModel: ModelFingerprint;
  progress: ProgressSink;
  /** Shared across the stages of one process: simulated crash after this many steps. */
  budget: { stopAfterSteps: number | null; stepsDone: number };
  /** Signal policy: once requested, stop after the current step with a checkpoint (throws StoppedBySignal). */
  stop?: StopRequest | null;
  /** Resume from this in-stage checkpoint (its folder); null = fresh start. */
  resumeFrom: { dir: string; state: TrainerState } | null;
  /**
   * Validate once before the first step and keep that model as the best so far: the stage's
   * result is then never worse on validation than where it started (a probe-initialised head can
   * already be the best point of a short few-shot stage).
   */
  validateAtStart?: boolean;
}

export interface TrainerResult {
  /** Folder of the final checkpoint of the stage: best by validation, else the last. */
  finalDir: string;
  state: TrainerState;
}

export async function runStage(o: TrainerOptions, hooks: StageHooks): Promise<TrainerResult> {
  const { run, model, optimizer, stage } = o;
  const lastDir = run.progressDir(stage, 'last');
  const bestDir = run.progressDir(stage, 'best');
  let st: TrainerState;
  if (o.resumeFrom !== null) {
    st = o.resumeFrom.state;
    loadOptimizerState(o.resumeFrom.dir, optimizer);
    if (st.rng.mlm !== undefined) hooks.restoreRngStates?.({ mlm: st.rng.mlm });
    if (optimizer.stepCount !== st.step) throw new Error(`${o.resumeFrom.dir}: optimizer has ${optimizer.stepCount} steps but the trainer state says ${st.step}`);
  } else {
    st = {
      format: 'adaptext.trainer_state',
      formatVersion: CHECKPOINT_FORMAT_VERSION,
      stage,
      complete: false,
      trainingDone: false,
      step: 0,
      totalSteps: o.totalSteps,
      epoch: 0,
      batchInEpoch: 0,
      best: null,
      badEpochs: 0,
      stopped: null,
      rng: { model: [] },
      logLines: 0,
      baseModel: o.baseModel,
      vocabSize: o.tokenizer.vocabSize,
      savedAt: '',
    };
  }
  const save = (dir: string): void => {
    st.rng = { model: model.rng.getState(), ...(hooks.rngStates?.() ?? {}) };
    st.logLines = run.logLines;
    st.savedAt = new Date().toISOString();
    saveCheckpoint(dir, { model, tokenizer: o.tokenizer, optimizer, state: st, extra: hooks.extraFiles?.(), diverged: { what: stage, step: st.step, hint: 'lower the learning rates' } });
  };
  const params = optimizer.params();
  if (o.resumeFrom === null && o.validateAtStart === true) {
    model.train(); // what the loop would leave; validate() switches to eval mode and back itself
    const metric = hooks.validate(0, 0);
    if (metric !== null) {
      st.best = { metric, step: 0, epoch: 0 };
      save(bestDir);
    }
  }
  o.progress.start(stage, o.totalSteps, st.step);
  if (!st.trainingDone && st.epoch >= o.epochs) st.stopped ??= 'epochs';
  else if (!st.trainingDone) {
    let out: StepOutput | null = null;
    let update = { gradNorm: 0, lrs: {} as Record<string, number> };
    let batchesInEpoch = 0;
    const end = await runLoop(
      stage,
      st,
      {
        planEpoch: () => {
          if (st.sampler === undefined && hooks.samplerState) st.sampler = hooks.samplerState();
          batchesInEpoch = hooks.planEpoch(st.epoch, st.sampler);
          model.train();
          return batchesInEpoch;
        },
        stopBeforeStep: () => {
          if (st.step < o.totalSteps) return null;
          st.stopped = 'max_steps';
          return 'max_steps';
        },
        // a scratch scope: the step's activations are reused by the next (StepOutput holds numbers only)
        step: (b) =>
          withScratch(() => {
            out = hooks.step(b, st.step);
            update = optimizerUpdate(optimizer, params, o.clipNorm, out.loss, `${stage}: training diverged at step ${st.step + 1}`);
          }),
        afterStep: () => {
          const r = out!;
          run.log({ type: 'step', stage, step: st.step, epoch: st.epoch + st.batchInEpoch / batchesInEpoch, ...r, lr: update.lrs['adapters'] ?? 0, lrs: update.lrs, gradNorm: update.gradNorm });
          o.progress.update(st.step, { loss: r.loss, ...(r.discAcc !== undefined ? { discAcc: r.discAcc } : {}) });
          if (st.step % o.saveEvery === 0) save(lastDir);
          o.budget.stepsDone += 1;
          if (o.budget.stopAfterSteps !== null && o.budget.stepsDone >= o.budget.stopAfterSteps) {
            o.progress.end();
            throw new InterruptedError(o.budget.stepsDone);
          }
          return null;
        },
        endEpoch: () => {
          const metric = hooks.validate(st.step, st.epoch);
          if (metric !== null && (st.best === null || metric > st.best.metric)) {
            st.best = { metric, step: st.step, epoch: st.epoch + 1 };
            st.badEpochs = 0;
            st.epoch += 1;
            st.batchInEpoch = 0;
            save(bestDir);
          } else {
            if (metric !== null) st.badEpochs += 1;
            st.epoch += 1;
            st.batchInEpoch = 0;
          }
          // the sampler's state after planning this epoch is the state at the start of the next
          if (hooks.samplerState) st.sampler = hooks.samplerState();
          if (st.epoch >= o.epochs) st.stopped = 'epochs';
          else if (st.stopped === 'max_steps' || st.step >= o.totalSteps) st.stopped = 'max_steps';
          else if (o.patience !== null && st.badEpochs >= o.patience) st.stopped = 'early_stopping';
          st.trainingDone = st.stopped !== null;
          save(lastDir);
          return st.trainingDone ? st.stopped : null;
        },
      },
      o.stop ?? null,
    );
    if (end.kind === 'signal') {
      save(lastDir);
      o.progress.end();
      throw new StoppedBySignal(end.signal, `${stage} stopped by ${end.signal} after step ${st.step} (checkpoint written)`);
    }
  }
  o.progress.end();
  return { finalDir: st.best !== null ? bestDir : lastDir, state: st };
}
