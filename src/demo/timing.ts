// Wall time per stage of a pipeline run, measured from the progress events the pipeline emits
// (src/train/progress.ts): a stage's training starts with `start(<stage>)` and its evaluation
// ends with the note `<stage>: target test acc ...`. Time between stages (loading the previous
// checkpoint) is charged to the stage that follows; everything before the first stage is
// "prepare" (reading data, loading the model), everything after the last one "baselines + report".
import type { ProgressSink } from '../train/progress.js';

export interface StageTiming {
  name: string;
  seconds: number;
}

const STAGE_NAMES = ['stage1', 'stage2', 'stage3', 'fewshot_only'];

export class TimingProgress implements ProgressSink {
  private readonly t0: number;
  private mark: number;
  private current: string | null = null;
  private lastNoteAt = 0;
  readonly timings: StageTiming[] = [];

  constructor(
    private readonly inner: ProgressSink,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.t0 = now();
    this.mark = this.t0;
  }

  start(label: string, total: number, done?: number): void {
    if (STAGE_NAMES.includes(label) && label !== this.current) {
      const t = this.now();
      if (this.current === null) {
        this.timings.push({ name: 'prepare (read data, load model)', seconds: (t - this.t0) / 1000 });
        this.mark = t;
      } else this.closeCurrent();
      this.current = label;
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
    const end = Math.max(this.lastNoteAt, this.mark);
    this.timings.push({ name: this.current, seconds: (end - this.mark) / 1000 });
    this.mark = end;
  }

  /** Close the last stage and the tail; call once the run returned. */
  finish(): StageTiming[] {
    const t = this.now();
    if (this.current !== null) {
      this.closeCurrent();
      this.current = null;
      this.timings.push({ name: 'baselines + report', seconds: (t - this.mark) / 1000 });
    }
    this.timings.push({ name: 'total', seconds: (t - this.t0) / 1000 });
    return this.timings;
  }
}
