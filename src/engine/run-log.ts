// log.jsonl — the one run-log of `adaptext train` and `adaptext pretrain` (docs/run-format.md).
// One JSON object per line, camelCase fields, each with `type` (what happened: step, eval,
// heldout, checkpoint, ...) and `time`, stamped here when the line is written: Unix time in
// seconds, the only time unit of the format (a stage or run lasts last − first).
//
// Crash rule: lines are appended one at a time; a checkpoint records how many lines the log had
// when it was taken and a resumed run first cuts the log back to that count, so the final log
// holds each step once.
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, readSync, truncateSync } from 'node:fs';

export const RUN_LOG_NAME = 'log.jsonl';

/** What a writer hands in: the record's type and fields; `time` is added when it is written. */
export interface RunLogEntry {
  type: string;
  [field: string]: unknown;
}

/** A line as read back. */
export interface RunLogRecord extends RunLogEntry {
  /** Unix time in seconds when the line was written. */
  time: number;
}

export class RunLog {
  private count: number;

  constructor(readonly path: string) {
    this.count = existsSync(path) ? countLines(path) : 0;
  }

  /** Lines in the file (what a checkpoint records). */
  get lines(): number {
    return this.count;
  }

  append(entry: RunLogEntry): void {
    appendFileSync(this.path, JSON.stringify({ ...entry, time: Date.now() / 1000 }) + '\n');
    this.count += 1;
  }

  /** Cut the log back to its first `n` lines (what the checkpoint we resume from had seen). */
  truncate(n: number): void {
    if (!existsSync(this.path)) {
      if (n > 0) throw new Error(`${this.path}: missing, but the checkpoint expects ${n} log lines`);
      return;
    }
    const bytes = byteOffsetOfLine(this.path, n);
    if (bytes === null) throw new Error(`${this.path}: has fewer than the ${n} lines the checkpoint expects`);
    truncateSync(this.path, bytes);
    this.count = n;
  }

  /** Every record; a line that is not a JSON object is refused naming file and line. */
  read(): RunLogRecord[] {
    if (!existsSync(this.path)) return [];
    const out: RunLogRecord[] = [];
    readFileSync(this.path, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.trim() === '') return;
        let v: unknown;
        try {
          v = JSON.parse(line);
        } catch (e) {
          throw new Error(`${this.path}:${i + 1}: invalid JSON (${(e as Error).message})`, { cause: e });
        }
        if (typeof v !== 'object' || v === null || Array.isArray(v) || typeof (v as RunLogEntry).type !== 'string') {
          throw new Error(`${this.path}:${i + 1}: not a run-log record (a JSON object with a "type")`);
        }
        out.push(v as RunLogRecord);
      });
    return out;
  }
}

function countLines(path: string): number {
  const text = readFileSync(path, 'utf8');
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** Byte offset just after the n-th newline (0 → 0), or null when the file has fewer lines. */
function byteOffsetOfLine(path: string, n: number): number | null {
  if (n === 0) return 0;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 16);
    let pos = 0;
    let seen = 0;
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, pos);
      if (got === 0) return null;
      for (let i = 0; i < got; i++) {
        if (buf[i] === 10 && ++seen === n) return pos + i + 1;
      }
      pos += got;
    }
  } finally {
    closeSync(fd);
  }
}
