// What every training loop shares (pretraining and the three stages): the progress display and the
// signal policy.
export { CliProgress, PROGRESS_MODES, formatDuration, parseProgressMode, silentProgress } from './progress.js';
export type { CliProgressOptions, ProgressMode, ProgressSink } from './progress.js';
export { StopRequest, StoppedBySignal, signalExitCode, yieldToEventLoop } from './signals.js';
export type { StopSignalName } from './signals.js';
