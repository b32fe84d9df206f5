// Learning-rate schedules: a multiplier of each parameter group's base lr, as a function of
// the number of optimizer steps already taken (torch LambdaLR semantics: the first step uses
// multiplier(0)). Schedules are plain data + a pure function, so a resumed run rebuilds the
// same schedule from its config and the optimizer's saved step count — nothing to checkpoint.

export type ScheduleKind = 'constant' | 'constant_with_warmup' | 'linear';

export interface LrSchedule {
  readonly kind: ScheduleKind;
  readonly warmupSteps: number;
  /** Total training steps (linear decay reaches 0 here); 0 for schedules without an end. */
  readonly totalSteps: number;
  /** Multiplier for the optimizer step that follows `step` completed steps (0-based). */
  multiplier(step: number): number;
}

function checkSteps(where: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new Error(`${where}: ${name} must be a non-negative integer, got ${v}`);
}

/** Multiplier 1 at every step. */
export function constantSchedule(): LrSchedule {
  return Object.freeze({ kind: 'constant' as const, warmupSteps: 0, totalSteps: 0, multiplier: () => 1 });
}

/** transformers `get_constant_schedule_with_warmup`: step/warmup during warm-up, then 1. */
export function constantWithWarmupSchedule(warmupSteps: number): LrSchedule {
  checkSteps('constantWithWarmupSchedule', 'warmupSteps', warmupSteps);
  return Object.freeze({
    kind: 'constant_with_warmup' as const,
    warmupSteps,
    totalSteps: 0,
    multiplier: (step: number) => (step < warmupSteps ? step / Math.max(1, warmupSteps) : 1),
  });
}

/**
 * transformers `get_linear_schedule_with_warmup`: rises linearly from 0 to 1 over `warmupSteps`,
 * then falls linearly to 0 at `totalSteps` (and stays 0 after). As in transformers, the very
 * first step (step 0) gets multiplier 0 when warmupSteps > 0.
 */
export function linearWarmupDecaySchedule(warmupSteps: number, totalSteps: number): LrSchedule {
  checkSteps('linearWarmupDecaySchedule', 'warmupSteps', warmupSteps);
  checkSteps('linearWarmupDecaySchedule', 'totalSteps', totalSteps);
  if (warmupSteps > totalSteps) {
    throw new Error(`linearWarmupDecaySchedule: warmupSteps (${warmupSteps}) exceeds totalSteps (${totalSteps})`);
  }
  return Object.freeze({
    kind: 'linear' as const,
    warmupSteps,
    totalSteps,
    multiplier: (step: number) => {
      if (step < warmupSteps) return step / Math.max(1, warmupSteps);
      return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
    },
  });
}

/** Warm-up steps for a warm-up ratio (transformers `TrainingArguments.get_warmup_steps`: ceil). */
export function warmupStepsFromRatio(ratio: number, totalSteps: number): number {
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`warmupStepsFromRatio: ratio must be in [0, 1], got ${ratio}`);
  checkSteps('warmupStepsFromRatio', 'totalSteps', totalSteps);
  return Math.ceil(totalSteps * ratio);
}
