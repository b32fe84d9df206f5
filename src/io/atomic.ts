// Atomic writes: a reader (or a resumed run after a crash) sees either the old file/folder or
// the complete new one, never a half-written checkpoint.
//
// Files: write a temp file in the SAME directory (rename is only atomic within one file
// system), fsync it, rename it over the target, fsync the directory so the rename itself is
// durable. Folders: build the new folder as a temp sibling, fsync everything in it, then
// swap: rename old aside, rename new in, delete old. POSIX has no atomic exchange of two
// non-empty folders (renameat2(RENAME_EXCHANGE) is Linux-only and not in Node), so there is
// a tiny window in which the target name is missing while both complete versions exist on
// disk; `recoverDir` (run at the start of every `writeDirAtomic`, and available to readers)
// puts the old version back if a crash hit that window.
//
// Temp names carry the writer's pid so recovery never touches a folder a live process is
// still building: `.<name>.tmp-<pid>-<rand>` and `.<name>.old-<pid>-<rand>`.

import { closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';

/** What `writeFileAtomic` accepts: text (UTF-8), bytes, or chunks produced lazily (a generator
 * lets a large file be encoded piecewise without ever holding all of it in memory). */
export type AtomicData = string | Uint8Array | Iterable<Uint8Array | string>;

function tempName(target: string, kind: 'tmp' | 'old'): string {
  return join(dirname(target), `.${basename(target)}.${kind}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function writeAll(fd: number, chunk: Uint8Array | string): void {
  if (typeof chunk === 'string') chunk = Buffer.from(chunk, 'utf8');
  let off = 0;
  while (off < chunk.byteLength) off += writeSync(fd, chunk, off, chunk.byteLength - off);
}

/** fsync a directory so a rename/creation inside it survives a power loss. Windows cannot open
 * directories for fsync (EPERM/EISDIR); there the rename is as durable as the OS makes it. */
function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // EINVAL/EPERM on file systems or platforms that do not support directory fsync.
  } finally {
    closeSync(fd);
  }
}

/**
 * A file being written atomically, for producers that push data piece by piece (JSON Lines
 * outputs, logs of a finished run): chunks go to a temp file in the target's directory;
 * `commit()` fsyncs and renames it over `path`; `abort()` (or any failure) deletes it and
 * leaves an existing `path` untouched.
 */
/**
 * A file-system error as the user should see it: their path and the reason (ENOSPC, EROFS, EACCES,
 * ...), never the name of our temp file.
 */
function userPathError(path: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code !== 'string') return e as Error;
  const why: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EROFS: 'read-only file system',
    EACCES: 'permission denied',
    EDQUOT: 'disk quota exceeded',
    EIO: 'input/output error',
    EISDIR: 'is a folder',
  };
  return new Error(`${path}: cannot write (${err.code}: ${why[err.code] ?? err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')})`);
}

export class AtomicFileWriter {
  readonly path: string;
  private readonly target: string;
  private readonly tmp: string;
  private fd: number | null;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private done = false;

  constructor(path: string) {
    this.path = path;
    this.target = resolve(path);
    const parent = dirname(this.target);
    if (!existsSync(parent)) throw new Error(`${path}: cannot write, directory ${parent} does not exist`);
    if (existsSync(this.target) && statSync(this.target).isDirectory()) throw new Error(`${path}: is a folder; give a file path`);
    this.tmp = tempName(this.target, 'tmp');
    try {
      this.fd = openSync(this.tmp, 'wx', 0o666);
    } catch (e) {
      throw userPathError(path, e);
    }
  }

  /** Append text (UTF-8) or bytes. Small writes are buffered up to 1 MiB. */
  write(chunk: Uint8Array | string): void {
    if (this.done || this.fd === null) throw new Error(`${this.path}: write after commit/abort`);
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (bytes.byteLength >= 1 << 20) {
      this.flush();
      this.guard(() => writeAll(this.fd!, bytes));
      return;
    }
    // Copy what we keep: the caller may reuse its buffer after write() returns.
    this.pending.push(typeof chunk === 'string' ? bytes : bytes.slice());
    this.pendingBytes += bytes.byteLength;
    if (this.pendingBytes >= 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    this.guard(() => writeAll(this.fd!, all));
  }

  private guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.abort();
      throw userPathError(this.path, e);
    }
  }

  /** Make the file visible under its name: flush, fsync, keep the old file's mode, rename. */
  commit(): void {
    if (this.done) throw new Error(`${this.path}: already committed or aborted`);
    this.flush();
    this.guard(() => {
      fsyncSync(this.fd!);
      closeSync(this.fd!);
      this.fd = null;
      try {
        chmodSync(this.tmp, statSync(this.target).mode & 0o7777);
      } catch {
        // No existing target (or not stat-able): keep the umask-derived mode of the new file.
      }
      renameSync(this.tmp, this.target);
    });
    this.done = true;
    fsyncDir(dirname(this.target));
  }

  /** Discard everything written; an existing file at `path` is untouched. Idempotent. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    this.pending = [];
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already failing; the caller reports the original error
      }
      this.fd = null;
    }
    rmSync(this.tmp, { force: true });
  }
}

/**
 * Write `data` to `path` atomically: temp file in the same directory, fsync, rename over.
 * If anything throws (including a chunk generator midway), the temp file is removed and an
 * existing `path` is left untouched. The parent directory must exist.
 * An existing target's permission bits are kept.
 */
export function writeFileAtomic(path: string, data: AtomicData): void {
  const w = new AtomicFileWriter(path);
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) w.write(data);
    else for (const chunk of data) w.write(chunk);
    w.commit();
  } catch (e) {
    w.abort();
    throw e;
  }
}

/** `JSON.stringify(value, null, indent)` + newline, written atomically. */
export function writeJsonAtomic(path: string, value: unknown, indent = 2): void {
  const text = JSON.stringify(value, null, indent);
  if (text === undefined) throw new Error(`${path}: value is not JSON-serialisable`);
  writeFileAtomic(path, text + '\n');
}

/** fsync every file and directory under `dir` (children first), so the folder's contents
 * are on disk before the rename that publishes it. */
function fsyncTree(dir: string): void {
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) fsyncTree(p);
    else if (ent.isFile()) {
      const fd = openSync(p, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  }
  fsyncDir(dir);
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Leftovers of interrupted `writeDirAtomic` calls on `dir`, from processes that are gone. */
function staleSiblings(target: string): { tmp: string[]; old: string[] } {
  const parent = dirname(target);
  const base = basename(target);
  const out = { tmp: [] as string[], old: [] as string[] };
  if (!existsSync(parent)) return out;
  const prefix = `.${base}.`;
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(tmp|old)-(\d+)-[0-9a-f]+$/.exec(name.slice(prefix.length));
    if (!m) continue;
    if (pidAlive(Number(m[2]))) continue;
    (m[1] === 'tmp' ? out.tmp : out.old).push(join(parent, name));
  }
  return out;
}

/**
 * Repair what a crash inside `writeDirAtomic(dir, ...)` may have left:
 * - `dir` missing but an `.old-` copy present (crash between the two renames): put it back;
 * - half-built `.tmp-` folders and superseded `.old-` folders: delete them.
 * Only leftovers of processes that are no longer running are touched. Returns what it did,
 * so a caller (e.g. `--resume`) can log it.
 */
export function recoverDir(dir: string): string[] {
  const target = resolve(dir);
  const { tmp, old } = staleSiblings(target);
  const actions: string[] = [];
  if (!existsSync(target) && old.length > 0) {
    // Newest first: with one writer there is only ever one, but be deterministic.
    old.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    const restore = old.shift()!;
    renameSync(restore, target);
    actions.push(`restored ${target} from ${restore}`);
  }
  for (const p of [...tmp, ...old]) {
    rmSync(p, { recursive: true, force: true });
    actions.push(`removed ${p}`);
  }
  if (actions.length > 0) fsyncDir(dirname(target));
  return actions;
}

function prepareDir(dir: string): { target: string; tmp: string } {
  const target = resolve(dir);
  mkdirSync(dirname(target), { recursive: true });
  recoverDir(target);
  if (existsSync(target) && !lstatSync(target).isDirectory()) {
    throw new Error(`${dir}: exists and is not a directory; refusing to replace it with a folder`);
  }
  const tmp = tempName(target, 'tmp');
  mkdirSync(tmp);
  return { target, tmp };
}

function publishDir(target: string, tmp: string): void {
  fsyncTree(tmp);
  const parent = dirname(target);
  if (!existsSync(target)) {
    renameSync(tmp, target);
    fsyncDir(parent);
    return;
  }
  const old = tempName(target, 'old');
  renameSync(target, old);
  try {
    renameSync(tmp, target);
  } catch (e) {
    renameSync(old, target);
    throw e;
  }
  fsyncDir(parent);
  rmSync(old, { recursive: true, force: true });
}

/**
 * Build a folder atomically: `build(tmpDir)` fills a fresh temp sibling of `dir`; when it
 * returns, the folder is fsynced and renamed into place, replacing an existing `dir` (old one
 * renamed aside, new one renamed in, old one deleted). If `build` throws, the temp folder is
 * deleted and an existing `dir` is untouched.
 */
export function writeDirAtomic(dir: string, build: (tmpDir: string) => void): void {
  const { target, tmp } = prepareDir(dir);
  try {
    const r: unknown = build(tmp);
    if (r instanceof Promise) {
      throw new Error(`writeDirAtomic(${dir}): build returned a Promise; use writeDirAtomicAsync for async builders`);
    }
    publishDir(target, tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** `writeDirAtomic` for builders that do asynchronous I/O. */
export async function writeDirAtomicAsync(dir: string, build: (tmpDir: string) => Promise<void>): Promise<void> {
  const { target, tmp } = prepareDir(dir);
  try {
    await build(tmp);
    publishDir(target, tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * A new output folder must not exist yet or be empty (hidden files aside): a command never writes
 * into, or over, something the user did not ask it to replace. `hint` says what to do instead.
 */
export function checkNewOutputDir(dir: string, hint: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new Error(`${dir}: output exists and is not a folder`);
  const entries = readdirSync(dir).filter((e) => !e.startsWith('.'));
  if (entries.length > 0) throw new Error(`${dir}: output folder is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''}); ${hint}`);
}
