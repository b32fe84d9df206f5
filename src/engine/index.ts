// What every training loop shares (pretraining and the three stages): the progress display,
// the run log, the signal policy and the named random streams.
export { CliProgress, PROGRESS_MODES, noteOnFirstStart, parseProgressMode, silentProgress } from './progress.js';
export { formatCount, formatDuration } from './format.js';
export type { CliProgressOptions, ProgressMode, ProgressSink } from './progress.js';
export { StopRequest, StoppedBySignal, signalExitCode, yieldToEventLoop } from './signals.js';
export type { StopSignalName } from './signals.js';
export { deriveSeed } from './seeds.js';
export { RUN_LOG_NAME, RunLog } from './run-log.js';
export { runLoop } from './loop.js';
export type { LoopEnd, LoopHooks, LoopPosition } from './loop.js';
export type { RunLogEntry, RunLogRecord } from './run-log.js';
