// One signal policy for every long-running loop (`pretrain`, `train`, `demo`): the first SIGINT or
// SIGTERM asks the loop to stop at the end of its current step, write a checkpoint and exit with the
// shell's code for that signal (128 + signal number: 130, 143), saying how to resume; a second
// one exits at once (the last checkpoint stays valid: checkpoints are written atomically).
//
// Signal handlers run on the event loop, so a loop that wants to see them must yield to it
// between steps (`yieldToEventLoop`); a fully synchronous loop could only be stopped by SIGKILL.
import { constants } from 'node:os';

export type StopSignalName = 'SIGINT' | 'SIGTERM';

/** The exit status a shell reports for a process ended by `signal` (130 for SIGINT, 143 for SIGTERM). */
export function signalExitCode(signal: StopSignalName): number {
  return 128 + constants.signals[signal];
}

/** Let pending signal handlers (and other callbacks) run. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((r) => setImmediate(r));
}

/** A stop asked for by a signal; the loop that holds it checks `requested` between steps. */
export class StopRequest {
  signal: StopSignalName | null = null;
  private readonly installed: Array<[StopSignalName, () => void]> = [];

  constructor(private readonly print: (line: string) => void = (l) => process.stderr.write(l + '\n')) {}

  get requested(): boolean {
    return this.signal !== null;
  }

  /** Ask for a stop (what the first signal does). */
  request(signal: StopSignalName): void {
    this.signal ??= signal;
  }

  /** Listen for SIGINT/SIGTERM until `dispose()`. */
  install(what: string): this {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const h = (): void => {
        if (this.signal !== null) {
          this.print(`${what}: second ${sig}, exiting now (the last checkpoint is kept)`);
          process.exit(signalExitCode(sig));
        }
        this.request(sig);
        this.print(`${what}: ${sig} received, stopping at the end of this step (a checkpoint follows; ${sig === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again exits at once)`);
      };
      process.on(sig, h);
      this.installed.push([sig, h]);
    }
    return this;
  }

  dispose(): void {
    for (const [sig, h] of this.installed) process.removeListener(sig, h);
    this.installed.length = 0;
  }
}

/**
 * A run stopped cleanly by a signal: its checkpoint is written and it can be resumed. The CLI
 * prints the message (which says how to resume) and exits with `exitCode`.
 */
export class StoppedBySignal extends Error {
  constructor(
    readonly signal: StopSignalName,
    message: string,
  ) {
    super(message);
    this.name = 'StoppedBySignal';
  }

  get exitCode(): number {
    return signalExitCode(this.signal);
  }
}
