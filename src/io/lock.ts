// An exclusive lock on an output folder for the life of a writer (`train`, `train --resume`,
// `pretrain`): two processes on one run folder would interleave log.jsonl and publish stages
// with no weights. The lock is a file created with O_EXCL (atomic on local file systems) holding
// who took it; it is removed when the writer ends, also on errors and on process exit.
//
// A lock left by a process that died (SIGKILL, power loss) is stale: when it names a process of
// this host that no longer exists it is taken over; anything else is refused with a message
// that says who holds it and how to remove it if that process is gone.
import { closeSync, fsyncSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_NAME = '.adaptext.lock';

interface Owner {
  pid: number;
  host: string;
  started: string;
  command: string;
}

/** The lock is held by a live process (or one this host cannot check): a caller may wait and retry. */
export class LockBusyError extends Error {}

export interface DirLock {
  readonly path: string;
  /** Remove the lock (idempotent). */
  release(): void;
}

function readOwner(path: string): Owner | null {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as Partial<Owner>;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? { pid: o.pid, host: o.host, started: String(o.started), command: String(o.command) } : null;
  } catch {
    return null;
  }
}

/** Whether process `pid` exists (signal 0 only checks; nothing is delivered). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Take the lock on `dir` (which must exist) for `command`, or throw a one-line error naming the
 * holder. `name`: the lock file's name inside `dir` (a writer of a folder that does not exist yet
 * locks its parent under a name derived from the folder's).
 */
export function lockDir(dir: string, command: string, name = LOCK_NAME): DirLock {
  const path = join(dir, name);
  const me: Owner = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command };
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new Error(`${dir}: cannot create the lock file ${name} (${code ?? (e as Error).message})`, { cause: e });
      const owner = readOwner(path);
      // stale: a process of this host that is gone, or a lock its writer never finished writing
      let stale = owner !== null && owner.host === me.host && !alive(owner.pid);
      if (owner === null) {
        try {
          stale = Date.now() - statSync(path).mtimeMs > 60_000;
        } catch {
          stale = true; // removed meanwhile
        }
      }
      if (stale && attempt === 0) {
        rmSync(path, { force: true });
        continue;
      }
      const who = owner !== null ? `${owner.command} (pid ${owner.pid} on ${owner.host}, since ${owner.started})` : 'another process';
      throw new LockBusyError(`${dir}: in use by ${who}; wait for it to end, or if it is gone, remove ${path}`, { cause: e });
    }
    try {
      writeSync(fd, JSON.stringify(me) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      process.removeListener('exit', release);
      if (readOwner(path)?.pid === me.pid) rmSync(path, { force: true });
    };
    process.on('exit', release);
    return { path, release };
  }
}
