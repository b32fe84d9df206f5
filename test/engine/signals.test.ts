// The one signal policy (src/engine/signals.ts): the first signal only asks for a stop, handlers
// go away on dispose, and the exit codes are the shell's (128 + signal number).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StopRequest, StoppedBySignal, signalExitCode, yieldToEventLoop } from '../../src/engine/signals.js';

test('exit codes are what a shell reports for the signal', () => {
  assert.equal(signalExitCode('SIGINT'), 130);
  assert.equal(signalExitCode('SIGTERM'), 143);
  assert.equal(new StoppedBySignal('SIGTERM', 'x').exitCode, 143);
});

test('the first SIGTERM sets the request (the process lives on); dispose removes the handlers', async () => {
  const before = process.listenerCount('SIGTERM');
  const printed: string[] = [];
  const stop = new StopRequest((l) => printed.push(l)).install('unit');
  assert.equal(process.listenerCount('SIGTERM'), before + 1);
  assert.equal(stop.requested, false);
  process.kill(process.pid, 'SIGTERM');
  for (let i = 0; i < 100 && !stop.requested; i++) await yieldToEventLoop();
  assert.equal(stop.signal, 'SIGTERM');
  assert.match(printed[0]!, /^unit: SIGTERM received, stopping at the end of this step/);
  stop.request('SIGINT');
  assert.equal(stop.signal, 'SIGTERM', 'the first signal is the one reported');
  stop.dispose();
  assert.equal(process.listenerCount('SIGTERM'), before);
  assert.equal(process.listenerCount('SIGINT'), 0);
});
