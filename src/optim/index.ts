export { AdamW, isNoDecayParam } from './adamw.js';
export type { AdamWOptions, AdamWStateDict, AdamWStateMeta, ParamGroup, ParamGroupSpec } from './adamw.js';
export { SGD } from './sgd.js';
export type { SgdGroupSpec } from './sgd.js';
export { clipGradNorm } from './clip.js';
export { optimizerUpdate, type UpdateResult } from './step.js';
export type { ClipOptions } from './clip.js';
export {
  constantSchedule,
  constantWithWarmupSchedule,
  linearWarmupDecaySchedule,
  warmupStepsFromRatio,
} from './schedule.js';
export type { LrSchedule, ScheduleKind } from './schedule.js';
export { grlLambda, progressOf } from './lambda.js';
export type { LambdaSchedule } from './lambda.js';
