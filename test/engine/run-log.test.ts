// The one run-log writer (src/engine/run-log.ts) of `train` and `pretrain`: every line gets a
// `time` in Unix seconds, the line count survives reopening, a resume cuts back to a checkpoint's
// count, and a damaged line is refused naming the file and line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunLog } from '../../src/engine/run-log.js';
import { tmp } from '../support/tmp.js';

function withLog(fn: (path: string) => void): void {
  const dir = tmp('adaptext-runlog-');
  try {
    fn(join(dir, 'log.jsonl'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('every record is stamped with the Unix time in seconds when it is written (a caller cannot set it)', () => {
  withLog((path) => {
    const log = new RunLog(path);
    const before = Date.now() / 1000;
    log.append({ type: 'step', step: 1, loss: 0.5, time: 12345 });
    const after = Date.now() / 1000;
    const [r] = log.read();
    assert.equal(r!.type, 'step');
    assert.equal(r!['loss'], 0.5);
    assert.ok(r!.time >= before && r!.time <= after, `time ${r!.time} not in [${before}, ${after}] (seconds, not milliseconds)`);
  });
});

test('the line count survives reopening; truncate cuts back to a checkpoint and appending continues from there', () => {
  withLog((path) => {
    const a = new RunLog(path);
    for (let i = 1; i <= 5; i++) a.append({ type: 'step', step: i });
    const b = new RunLog(path);
    assert.equal(b.lines, 5);
    b.truncate(3);
    assert.equal(b.lines, 3);
    b.append({ type: 'resume' });
    assert.deepEqual(
      new RunLog(path).read().map((r) => r['step'] ?? r.type),
      [1, 2, 3, 'resume'],
    );
    assert.throws(() => b.truncate(9), /has fewer than the 9 lines the checkpoint expects/);
  });
});

test('a missing log is empty; a checkpoint that expects lines of a missing log is refused', () => {
  withLog((path) => {
    const log = new RunLog(path);
    assert.equal(log.lines, 0);
    assert.deepEqual(log.read(), []);
    log.truncate(0);
    assert.throws(() => log.truncate(2), /missing, but the checkpoint expects 2 log lines/);
  });
});

test('a damaged line is refused naming the file and line', () => {
  withLog((path) => {
    writeFileSync(path, '{"type":"step","time":1}\n');
    appendFileSync(path, '{"type":"st\n');
    assert.throws(
      () => new RunLog(path).read(),
      (e: Error) => e.message.startsWith(`${path}:2: invalid JSON`),
    );
    writeFileSync(path, '{"type":"step","time":1}\n[1,2]\n');
    assert.throws(() => new RunLog(path).read(), new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: not a run-log record`));
    assert.equal(readFileSync(path, 'utf8').split('\n').length, 3, 'reading never rewrites');
  });
});
