// How long work reports progress: the pipeline calls a ProgressSink; the CLI's implementation
// (src/cli/progress.ts) draws a bar with ETA on a terminal and plain lines otherwise. Library
// users get the silent sink by default.

export interface ProgressSink {
  /** A unit of work begins: `total` steps, `done` already done (a resumed stage). */
  start(label: string, total: number, done?: number): void;
  update(done: number, info?: Record<string, number>): void;
  end(): void;
  /** A one-line message (stage finished, metrics, notes). */
  note(message: string): void;
}

export const silentProgress: ProgressSink = {
  start() {},
  update() {},
  end() {},
  note() {},
};
