// The writer's lock on an output folder (issue 13 item 3): exclusive, names its holder, released on
// the way out, and a lock left by a dead process of this host is taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LOCK_NAME, lockDir } from '../../src/io/lock.js';
import { tmp } from '../support/tmp.js';

const dir = () => tmp('adaptext-lock-');

test('one holder at a time; the second is told who holds it; release frees it', () => {
  const d = dir();
  const a = lockDir(d, 'train');
  const owner = JSON.parse(readFileSync(join(d, LOCK_NAME), 'utf8')) as { pid: number; host: string };
  assert.deepEqual([owner.pid, owner.host], [process.pid, hostname()]);
  assert.throws(
    () => lockDir(d, 'train --resume'),
    new RegExp(`^Error: ${d}: in use by train \\(pid ${process.pid} on ${hostname()}, since .*\\); wait for it to end, or if it is gone, remove ${d}/${LOCK_NAME.replace('.', '\\.')}$`),
  );
  a.release();
  a.release(); // idempotent
  assert.ok(!existsSync(join(d, LOCK_NAME)));
  lockDir(d, 'pretrain').release();
});

test('a lock left by a process that no longer exists is taken over; one of another host is not', () => {
  const d = dir();
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const deadPid = Number(gone.stdout);
  writeFileSync(join(d, LOCK_NAME), JSON.stringify({ pid: deadPid, host: hostname(), started: '2026-01-01T00:00:00Z', command: 'train' }));
  const l = lockDir(d, 'train --resume');
  assert.equal((JSON.parse(readFileSync(join(d, LOCK_NAME), 'utf8')) as { pid: number }).pid, process.pid);
  l.release();
  writeFileSync(join(d, LOCK_NAME), JSON.stringify({ pid: deadPid, host: 'elsewhere', started: 'x', command: 'pretrain' }));
  assert.throws(() => lockDir(d, 'train'), /in use by pretrain \(pid \d+ on elsewhere, since x\)/);
});
