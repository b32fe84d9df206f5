// JSON Lines: one JSON value per line (https://jsonlines.org). Streaming readers that yield
// each value with its 1-based line number, and report a malformed line as
// `file:line: reason` — either failing (default) or skipping it with a count when the user
// asked for that. Blank lines are skipped and counted; a UTF-8 BOM and CRLF endings are accepted.
// Plus an atomic writer for JSON Lines outputs (encode/predict), so a failed run never leaves
// a truncated output file behind.

import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { isStdin } from './read.js';
import { StringDecoder } from 'node:string_decoder';
import { AtomicFileWriter } from './atomic.js';

export interface JsonlRecord<T = unknown> {
  readonly value: T;
  /** 1-based line number in the file. */
  readonly line: number;
}

export interface JsonlOptions {
  /** 'fail' (default): throw a JsonlError at the first malformed line; 'skip': skip it. */
  onError?: 'fail' | 'skip';
  /** Called with the `file:line: reason` message of every skipped line (onError: 'skip'). */
  onSkip?: (message: string, line: number) => void;
  /** Require every value to be a JSON object (what data files hold); default true. */
  objects?: boolean;
  /** Longest accepted line in characters (a file without newlines must not eat all memory);
   * default 64 Mi. */
  maxLineChars?: number;
}

/** What a reader saw, returned by the generators when they finish. */
export interface JsonlSummary {
  /** Values yielded. */
  records: number;
  /** Malformed lines skipped (onError: 'skip'). */
  skipped: number;
  /** Empty / whitespace-only lines. */
  blank: number;
}

export class JsonlError extends Error {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
  constructor(file: string, line: number, reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'JsonlError';
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

const CHUNK = 1 << 20;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? 'a string' : typeof v === 'number' ? 'a number' : typeof v === 'boolean' ? 'a boolean' : typeof v;
}

/** Short, one-line JSON.parse failure reason (V8 echoes the whole input in some messages). */
function jsonReason(e: unknown): string {
  const msg = (e as Error).message.split('\n')[0]!;
  const m = /at position (\d+)/.exec(msg);
  const reason = msg
    .replace(/ at position \d+.*$/, '')
    .replace(/ in JSON$/, '')
    .replace(/, ".*" is not valid JSON$/, '');
  return m ? `invalid JSON: ${reason} (column ${Number(m[1]) + 1})` : `invalid JSON: ${reason}`;
}

/** Shared line logic: parse one line, or say why not. */
class LineParser {
  private lineNo = 0;
  readonly summary: JsonlSummary = { records: 0, skipped: 0, blank: 0 };
  private readonly objects: boolean;
  private readonly skip: boolean;

  constructor(
    private readonly source: string,
    private readonly opts: JsonlOptions,
  ) {
    this.objects = opts.objects ?? true;
    this.skip = (opts.onError ?? 'fail') === 'skip';
  }

  /** The next line's record, or null for blank/skipped lines. */
  parse(raw: string): JsonlRecord | null {
    this.lineNo++;
    let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (this.lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.trim() === '') {
      this.summary.blank++;
      return null;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return this.bad(jsonReason(e));
    }
    if (this.objects && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      return this.bad(`expected a JSON object, got ${describe(value)}`);
    }
    this.summary.records++;
    return { value, line: this.lineNo };
  }

  /** Called when a line grows past the limit before its newline arrives. */
  tooLong(limit: number): never {
    throw new JsonlError(this.source, this.lineNo + 1, `line longer than ${limit} characters (is this really JSON Lines?)`);
  }

  private bad(reason: string): null {
    const err = new JsonlError(this.source, this.lineNo, reason);
    if (!this.skip) throw err;
    this.summary.skipped++;
    this.opts.onSkip?.(err.message, this.lineNo);
    return null;
  }
}

/** Splits decoded text chunks into lines, keeping the unfinished tail. */
class LineSplitter {
  private tail = '';
  constructor(
    private readonly limit: number,
    private readonly parser: LineParser,
  ) {}

  *push(chunk: string): Generator<string> {
    let start = 0;
    let nl = chunk.indexOf('\n');
    if (nl === -1) {
      this.tail += chunk;
      if (this.tail.length > this.limit) this.parser.tooLong(this.limit);
      return;
    }
    let first = true;
    while (nl !== -1) {
      let line = chunk.slice(start, nl);
      if (first) {
        line = this.tail + line;
        this.tail = '';
        first = false;
      }
      if (line.length > this.limit) this.parser.tooLong(this.limit);
      yield line;
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    this.tail = chunk.slice(start);
    if (this.tail.length > this.limit) this.parser.tooLong(this.limit);
  }

  *end(): Generator<string> {
    if (this.tail.length > 0) yield this.tail;
    this.tail = '';
  }
}

function openForRead(path: string): number {
  if (isStdin(path)) return 0; // `-` / /dev/stdin: read fd 0 as a stream (a pipe cannot seek)
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new Error(`${path}: is a directory, expected a JSON Lines file`);
    if (!st.isFile()) throw new Error(`${path}: is not a regular file (a device or a pipe); give a file, or - for standard input`);
    return openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${path}: file not found`, { cause: e });
    if (code) throw new Error(`${path}: cannot open (${code})`, { cause: e });
    throw e;
  }
}

/** Parse JSON Lines text already in memory (`source` names it in messages). */
export function* parseJsonl<T = unknown>(text: string, source: string, opts: JsonlOptions = {}): Generator<JsonlRecord<T>, JsonlSummary> {
  const parser = new LineParser(source, opts);
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const l of lines) {
    const r = parser.parse(l);
    if (r) yield r as JsonlRecord<T>;
  }
  return parser.summary;
}

/** Stream a JSON Lines file synchronously (1 MiB reads; memory stays flat for any file size). */
export function* readJsonlSync<T = unknown>(path: string, opts: JsonlOptions = {}): Generator<JsonlRecord<T>, JsonlSummary> {
  const parser = new LineParser(path, opts);
  const splitter = new LineSplitter(opts.maxLineChars ?? 64 << 20, parser);
  const decoder = new StringDecoder('utf8');
  const fd = openForRead(path);
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let pos = 0;
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, CHUNK, fd === 0 ? null : pos);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue; // non-blocking stdin, no data yet
        if ((e as NodeJS.ErrnoException).code === 'EOF') break;
        throw e;
      }
      if (n === 0) break;
      pos += n;
      for (const l of splitter.push(decoder.write(buf.subarray(0, n)))) {
        const r = parser.parse(l);
        if (r) yield r as JsonlRecord<T>;
      }
    }
    for (const l of [...splitter.push(decoder.end()), ...splitter.end()]) {
      const r = parser.parse(l);
      if (r) yield r as JsonlRecord<T>;
    }
  } finally {
    if (fd !== 0) closeSync(fd);
  }
  return parser.summary;
}

/** Stream a JSON Lines file asynchronously (for servers/CLI that must stay responsive). */
export async function* readJsonl<T = unknown>(path: string, opts: JsonlOptions = {}): AsyncGenerator<JsonlRecord<T>, JsonlSummary> {
  const parser = new LineParser(path, opts);
  const splitter = new LineSplitter(opts.maxLineChars ?? 64 << 20, parser);
  closeSync(openForRead(path)); // same "file not found" / "is a directory" messages as the sync reader
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: CHUNK });
  try {
    for await (const chunk of stream) {
      for (const l of splitter.push(chunk as string)) {
        const r = parser.parse(l);
        if (r) yield r as JsonlRecord<T>;
      }
    }
    for (const l of splitter.end()) {
      const r = parser.parse(l);
      if (r) yield r as JsonlRecord<T>;
    }
  } finally {
    stream.destroy();
  }
  return parser.summary;
}

/** Read a whole JSON Lines file into an array (small files: labels, few-shot sets). */
export function readJsonlAll<T = unknown>(path: string, opts: JsonlOptions = {}): { records: JsonlRecord<T>[]; summary: JsonlSummary } {
  const it = readJsonlSync<T>(path, opts);
  const records: JsonlRecord<T>[] = [];
  for (;;) {
    const r = it.next();
    if (r.done) return { records, summary: r.value };
    records.push(r.value);
  }
}

/**
 * Atomic JSON Lines output: `write(value)` appends one line; `close()` publishes the file
 * (fsync + rename); `abort()` discards it. Until `close()`, an existing file at `path` is
 * untouched, so a crash mid-run never leaves a truncated output.
 */
export class JsonlWriter {
  private readonly w: AtomicFileWriter;
  private n = 0;
  constructor(readonly path: string) {
    this.w = new AtomicFileWriter(path);
  }
  write(value: unknown): void {
    const text = JSON.stringify(value);
    if (text === undefined) throw new Error(`${this.path}: line ${this.n + 1}: value is not JSON-serialisable`);
    this.w.write(text + '\n');
    this.n++;
  }
  /** Lines written so far. */
  get lines(): number {
    return this.n;
  }
  close(): void {
    this.w.commit();
  }
  abort(): void {
    this.w.abort();
  }
}
