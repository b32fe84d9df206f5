// The CLI-output capture of the in-process CLI tests (test/support/cli.ts): it takes the writes
// made by the captured call and nothing else — under `node --test` the test runner's own result
// frames travel over the same stdout, and capturing them silently drops tests from the report.
// Fake streams only: swapping the real stdout here would be the very bug this guards against.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { captureWrites, type WriteTarget } from './cli.js';

function fakeStream(): WriteTarget & { got: string[] } {
  const got: string[] = [];
  return {
    got,
    write(chunk: string | Uint8Array): boolean {
      got.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    },
  };
}

test('writes from outside the captured call pass through while it awaits; its own are captured', async () => {
  const stdout = fakeStream();
  const stderr = fakeStream();
  const original = stdout.write;
  // scheduled outside the capture, fires while the captured call is suspended (as the runner's frames do)
  const outside = sleep(5).then(() => stdout.write('runner frame\n'));
  const r = await captureWrites({ stdout, stderr }, async () => {
    stdout.write('cli line 1\n');
    await sleep(30);
    stdout.write(new TextEncoder().encode('cli line 2\n'));
    stderr.write('cli note\n');
    return 7;
  });
  await outside;
  assert.deepEqual(stdout.got, ['runner frame\n']);
  assert.deepEqual(stderr.got, []);
  assert.deepEqual(r, { value: 7, stdout: 'cli line 1\ncli line 2\n', stderr: 'cli note\n' });
  assert.equal(stdout.write, original, 'write is restored');
  stdout.write('after\n');
  assert.deepEqual(stdout.got, ['runner frame\n', 'after\n']);
});

test('overlapping captures each get their own writes; the stream is restored when the last ends, also after a throw', async () => {
  const stdout = fakeStream();
  const stderr = fakeStream();
  const original = stdout.write;
  const call = (name: string, ms: number) =>
    captureWrites({ stdout, stderr }, async () => {
      stdout.write(`${name} a\n`);
      await sleep(ms);
      stdout.write(`${name} b\n`);
      return name;
    });
  const [a, b] = await Promise.all([call('A', 20), call('B', 5)]);
  assert.equal(a.stdout, 'A a\nA b\n');
  assert.equal(b.stdout, 'B a\nB b\n');
  assert.deepEqual(stdout.got, []);
  assert.equal(stdout.write, original);
  await assert.rejects(
    captureWrites({ stdout, stderr }, async () => {
      await sleep(1);
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(stdout.write, original, 'restored after a throw');
});
