// The `adaptext` CLI run in this process with stdout/stderr captured (and the temp-folder helper).
import { AsyncLocalStorage } from 'node:async_hooks';
export { tmp } from './tmp.js';

/** The part of a writable stream the capture replaces. */
export interface WriteTarget {
  write(chunk: string | Uint8Array, ...rest: unknown[]): boolean;
}

interface Sink {
  stdout: string[];
  stderr: string[];
}

const sinks = new AsyncLocalStorage<Sink>();
// per stream: the original write and how many captures are running (a capture may overlap another)
const installed = new Map<WriteTarget, { original: WriteTarget['write']; users: number }>();

function text(chunk: string | Uint8Array): string {
  return typeof chunk === 'string' ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
}

function install(stream: WriteTarget, which: keyof Sink): void {
  const got = installed.get(stream);
  if (got !== undefined) {
    got.users++;
    return;
  }
  const original = stream.write;
  installed.set(stream, { original, users: 1 });
  stream.write = function (this: unknown, chunk: string | Uint8Array, ...rest: unknown[]): boolean {
    const sink = sinks.getStore();
    if (sink === undefined) return original.call(stream, chunk, ...rest);
    sink[which].push(text(chunk));
    const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    if (done !== undefined) queueMicrotask(done);
    return true;
  };
}

function uninstall(stream: WriteTarget): void {
  const got = installed.get(stream)!;
  if (--got.users > 0) return;
  stream.write = got.original;
  installed.delete(stream);
}

/**
 * Run `fn`, capturing what it writes to the two streams — only the writes made in `fn`'s own async
 * context; every other write goes through. A plain swap of `write` for the duration of an `await`
 * is not enough: under `node --test` each test file runs in a child process that sends its results
 * to the parent over its own stdout, and a swapped `write` swallows whatever result frames are
 * flushed meanwhile — the parent then reports fewer tests, with no failure and exit code 0.
 */
export async function captureWrites<T>(streams: { stdout: WriteTarget; stderr: WriteTarget }, fn: () => Promise<T>): Promise<{ value: T; stdout: string; stderr: string }> {
  const sink: Sink = { stdout: [], stderr: [] };
  install(streams.stdout, 'stdout');
  install(streams.stderr, 'stderr');
  try {
    const value = await sinks.run(sink, fn);
    return { value, stdout: sink.stdout.join(''), stderr: sink.stderr.join('') };
  } finally {
    uninstall(streams.stdout);
    uninstall(streams.stderr);
  }
}

/** Run the `adaptext` CLI in this process (main()), capturing its stdout and stderr. */
export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await import('../../src/cli/main.js');
  const r = await captureWrites({ stdout: process.stdout, stderr: process.stderr }, () => main(args));
  return { code: r.value, stdout: r.stdout, stderr: r.stderr };
}
