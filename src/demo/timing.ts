// Wall time (and this process's CPU time) per stage of a pipeline run, measured from the
// progress events the pipeline emits (src/engine/progress.ts): a stage's training starts with
// `start(<stage>)` and its evaluation ends with the note `<stage>: target test acc ...`. Time
// between stages (loading the previous checkpoint) is charged to the stage that follows;
// everything before the first stage is "prepare" (reading data, loading the model), everything
// after the last one "baselines + report". CPU time (user + system, all threads) is kept next to
// wall time because on a shared machine wall time also counts the other jobs' share.
import type { ProgressSink } from '../engine/progress.js';

export interface StageTiming {
  name: string;
  /** Wall-clock seconds. */
  seconds: number;
  /** CPU seconds of this process (user + system, summed over its threads). */
  cpuSeconds: number;
}

interface Clock {
  wall: number;
  cpu: number;
}

const STAGE_NAMES = ['stage1', 'stage2', 'stage3', 'fewshot_only'];

function realClock(): Clock {
  const u = process.cpuUsage();
  return { wall: performance.now(), cpu: (u.user + u.system) / 1000 };
}

export class TimingProgress implements ProgressSink {
  private readonly t0: Clock;
  private mark: Clock;
  private current: string | null = null;
  private lastNoteAt: Clock | null = null;
  readonly timings: StageTiming[] = [];

  /** `now` returns milliseconds of wall and CPU time (tests pass a fake clock). */
  constructor(
    private readonly inner: ProgressSink,
    private readonly now: () => Clock = realClock,
  ) {
    this.t0 = now();
    this.mark = this.t0;
  }

  private push(name: string, from: Clock, to: Clock): void {
    this.timings.push({ name, seconds: (to.wall - from.wall) / 1000, cpuSeconds: (to.cpu - from.cpu) / 1000 });
  }

  start(label: string, total: number, done?: number): void {
    if (STAGE_NAMES.includes(label) && label !== this.current) {
      const t = this.now();
      if (this.current === null) {
        this.push('prepare', this.t0, t);
        this.mark = t;
      } else this.closeCurrent();
      this.current = label;
      this.lastNoteAt = null;
    }
    this.inner.start(label, total, done);
  }

  update(done: number, info?: Record<string, number>): void {
    this.inner.update(done, info);
  }

  end(): void {
    this.inner.end();
  }

  note(message: string): void {
    const stage = /^([a-z_0-9]+):/.exec(message)?.[1];
    if (stage !== undefined && stage === this.current) this.lastNoteAt = this.now();
    this.inner.note(message);
  }

  private closeCurrent(): void {
    if (this.current === null) return;
    const end = this.lastNoteAt ?? this.now();
    this.push(this.current, this.mark, end);
    this.mark = end;
  }

  /** Close the last stage and the tail; call once the run returned. */
  finish(): StageTiming[] {
    const t = this.now();
    if (this.current !== null) {
      this.closeCurrent();
      this.current = null;
      this.push('baselines + report', this.mark, t);
    }
    this.push('total', this.t0, t);
    return this.timings;
  }
}
