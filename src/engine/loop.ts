// The one step loop of every training run — each of the three stages (src/train/trainer.ts) and
// masked-LM pretraining (src/pretrain/pretrain.ts). It owns the order of things; what a run does
// at each point is its hooks:
//
//   per epoch: plan its batches (a stream without epoch ends is one endless epoch)
//     per batch: stop condition? → one optimizer step → count it → cadence (log, evaluation,
//                checkpoints) → let signal handlers run → a signal ends the loop at this boundary
//   epoch end (also when a stop condition cut it short): validation, early stopping, or the end
//
// Resuming = calling it again with the saved position (step, epoch, batch within the epoch): the
// epoch plan is a pure function of the run's state, so the same batches follow.
import { yieldToEventLoop, type StopRequest, type StopSignalName } from './signals.js';

/** Where a run stands; checkpoints save it. */
export interface LoopPosition {
  /** Optimizer steps taken. */
  step: number;
  /** Epoch in progress. */
  epoch: number;
  /** Batches of that epoch already done. */
  batchInEpoch: number;
}

export type LoopEnd = { kind: 'stopped'; reason: string } | { kind: 'signal'; signal: StopSignalName };

export interface LoopHooks {
  /** Batches of epoch `epoch` (Infinity: a stream). */
  planEpoch(epoch: number): number;
  /** A reason to stop before the next step (step/token/time budgets), or null to take it. */
  stopBeforeStep(pos: Readonly<LoopPosition>): string | null;
  /**
   * One optimizer step on batch `batch` of the epoch: forward, backward, update. The training
   * loops run it in a scratch scope (withScratch, src/tensor/scratch.ts) so the next step reuses
   * its activations: no tensor made inside may be kept past it.
   */
  step(batch: number, pos: Readonly<LoopPosition>): void;
  /** After the step is counted: log, evaluation and checkpoint cadence; a reason to stop after it, or null. */
  afterStep?(pos: Readonly<LoopPosition>): string | null;
  /**
   * The epoch ended (`cutShort`: a stop condition ended it): validation, early stopping, moving
   * to the next epoch. A reason ends the run; null goes on. Without it the loop ends at the stop.
   */
  endEpoch?(pos: LoopPosition, cutShort: boolean): string | null;
}

/** Run from `pos` (updated in place) until a hook gives a reason to stop or a signal arrives. */
export async function runLoop(name: string, pos: LoopPosition, hooks: LoopHooks, stop: StopRequest | null): Promise<LoopEnd> {
  for (;;) {
    const batches = hooks.planEpoch(pos.epoch);
    if (pos.batchInEpoch > batches) {
      throw new Error(`${name}: the checkpoint is at batch ${pos.batchInEpoch} of epoch ${pos.epoch + 1}, which has ${batches} batches: it does not belong to this run's data`);
    }
    let reason: string | null = null;
    for (let b = pos.batchInEpoch; b < batches; b++) {
      reason = hooks.stopBeforeStep(pos);
      if (reason !== null) break;
      hooks.step(b, pos);
      pos.step += 1;
      pos.batchInEpoch = b + 1;
      reason = hooks.afterStep?.(pos) ?? null;
      await yieldToEventLoop(); // lets a signal handler run
      if (stop?.signal != null) return { kind: 'signal', signal: stop.signal };
      if (reason !== null) break;
    }
    if (hooks.endEpoch === undefined) return { kind: 'stopped', reason: reason ?? 'end of data' };
    const end = hooks.endEpoch(pos, reason !== null);
    if (end !== null) return { kind: 'stopped', reason: end };
  }
}
