// Progress of long work, one way for every command (`train`, `demo`, `pretrain`, `encode`, `predict`): the loops call a
// ProgressSink; the CLI's implementation writes to stderr — on a terminal (or `--progress bar`) one
// bar redrawn in place with rate and ETA; otherwise (`--progress lines`: CI logs, pipes, files)
// plain lines, one every 10% of the work or every 30 s, whichever comes first, so logs stay
// readable and grep-able; nothing with `--progress none`. Library users get the silent sink.
//
// Why not the `cli-progress` package: it is well kept, but its non-TTY mode either prints
// nothing or repaints the whole bar per schedule, and interleaving our one-line notes (stage
// results, "resuming at step N") with a live bar needs the clear/redraw dance anyway. What we
// need is ~100 lines with no dependency.
import { formatDuration } from './format.js';

export { formatDuration };

export interface ProgressSink {
  /** A unit of work begins: `total` steps (0: not known in advance), `done` already done (a resumed stage); `unit` names them. */
  start(label: string, total: number, done?: number, unit?: string): void;
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

/**
 * `sink` that first notes `line()` once, just before the first unit of work starts: after the
 * command's input checks (a bad input stays a one-line error), before the time is spent. The CLI
 * uses it for the kernel backend line of its long commands.
 */
export function noteOnFirstStart(sink: ProgressSink, line: () => string): ProgressSink {
  let said = false;
  return {
    start(label, total, done, unit) {
      if (!said) {
        said = true;
        sink.note(line());
      }
      sink.start(label, total, done, unit);
    },
    update: (done, info) => sink.update(done, info),
    end: () => sink.end(),
    note: (m) => sink.note(m),
  };
}

export const PROGRESS_MODES = ['auto', 'bar', 'lines', 'none'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

/** The `--progress` flag's value, checked. */
export function parseProgressMode(v: string): ProgressMode {
  if (!(PROGRESS_MODES as readonly string[]).includes(v)) throw new Error(`--progress must be ${PROGRESS_MODES.join(', ')}; got '${v}'`);
  return v as ProgressMode;
}

function formatInfo(info: Record<string, number> | undefined): string {
  if (info === undefined) return '';
  return Object.entries(info)
    .map(([k, v]) => ` ${k} ${Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : Math.abs(v) < 0.01 ? v.toExponential(2) : v.toFixed(3)}`)
    .join('');
}

export interface CliProgressOptions {
  /** auto (default): a live bar on a TTY, lines otherwise; none: print nothing, notes included (--quiet). */
  mode?: ProgressMode;
  /** Clock in ms (tests). */
  now?: () => number;
  /** Bar width in characters. Default 24. */
  width?: number;
}

export class CliProgress implements ProgressSink {
  private readonly tty: boolean;
  private readonly enabled: boolean;
  private readonly now: () => number;
  private readonly width: number;
  private label = '';
  private total = 0;
  private startDone = 0;
  private done = 0;
  private t0 = 0;
  private lastDraw = 0;
  private lastLineAt = 0;
  private lastLineDone = 0;
  private info: Record<string, number> | undefined;
  private active = false;

  constructor(
    private readonly out: { write(s: string): unknown; isTTY?: boolean } = process.stderr,
    opts: CliProgressOptions = {},
  ) {
    const mode = opts.mode ?? 'auto';
    this.tty = mode === 'bar' || (mode === 'auto' && out.isTTY === true);
    this.enabled = mode !== 'none';
    this.now = opts.now ?? Date.now;
    this.width = opts.width ?? 24;
  }

  start(label: string, total: number, done = 0, unit = 'steps'): void {
    this.label = label;
    this.total = Math.max(0, total);
    this.startDone = done;
    this.done = done;
    this.t0 = this.now();
    this.lastDraw = 0;
    this.lastLineAt = this.t0;
    this.lastLineDone = done;
    this.info = undefined;
    this.active = true;
    if (!this.enabled) return;
    if (this.tty) this.draw(true);
    else this.out.write(`${label}: ${done}${total > 0 ? `/${total}` : ''} ${unit}${done > 0 ? ' (resumed)' : ''}\n`);
  }

  /** Seconds left, from the rate since start() (steps done before a resume do not count). */
  eta(): number {
    const did = this.done - this.startDone;
    if (did <= 0) return NaN;
    const rate = did / ((this.now() - this.t0) / 1000);
    return (this.total - this.done) / rate;
  }

  line(): string {
    const elapsed = (this.now() - this.t0) / 1000;
    if (this.total === 0) return `${this.label} ${this.done} elapsed ${formatDuration(elapsed)}${formatInfo(this.info)}`; // total not known
    const frac = Math.min(1, this.done / this.total);
    return `${this.label} ${this.done}/${this.total} (${(frac * 100).toFixed(0)}%) elapsed ${formatDuration(elapsed)} ETA ${formatDuration(this.eta())}${formatInfo(this.info)}`;
  }

  private bar(): string {
    const frac = this.total > 0 ? Math.min(1, this.done / this.total) : 1;
    const full = Math.round(frac * this.width);
    return `[${'#'.repeat(full)}${'-'.repeat(this.width - full)}]`;
  }

  private draw(force = false): void {
    const t = this.now();
    if (!force && t - this.lastDraw < 100) return;
    this.lastDraw = t;
    const elapsed = (t - this.t0) / 1000;
    if (this.total === 0) this.out.write(`\r\x1b[2K${this.label} ${this.done} ${formatDuration(elapsed)}${formatInfo(this.info)}`);
    else this.out.write(`\r\x1b[2K${this.label} ${this.bar()} ${this.done}/${this.total} ${formatDuration(elapsed)} ETA ${formatDuration(this.eta())}${formatInfo(this.info)}`);
  }

  update(done: number, info?: Record<string, number>): void {
    this.done = done;
    if (info !== undefined) this.info = info;
    if (!this.enabled || !this.active) return;
    if (this.tty) {
      this.draw(this.total > 0 && done >= this.total);
      return;
    }
    const t = this.now();
    // every 10% of a known total, at its end, and every 30 s (the only cadence when the total is not known)
    const step = this.total > 0 ? Math.max(1, Math.ceil(this.total / 10)) : Infinity;
    if (done - this.lastLineDone >= step || t - this.lastLineAt >= 30_000 || (this.total > 0 && done === this.total)) {
      this.lastLineAt = t;
      this.lastLineDone = done;
      this.out.write(this.line() + '\n');
    }
  }

  end(): void {
    if (!this.active) return;
    this.active = false;
    if (!this.enabled) return;
    if (this.tty) {
      this.draw(true);
      this.out.write('\n');
    }
  }

  note(message: string): void {
    if (!this.enabled) return;
    if (this.tty && this.active) {
      this.out.write(`\r\x1b[2K${message}\n`);
      this.draw(true);
    } else this.out.write(message + '\n');
  }
}
