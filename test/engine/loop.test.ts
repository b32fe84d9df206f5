// The one step loop (src/engine/loop.ts) that the stages and pretraining run on: the order of
// plan → stop check → step → count → cadence → signal check → epoch end, resuming mid-epoch from
// a saved position, and a signal ending the loop at a step boundary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLoop, type LoopHooks, type LoopPosition } from '../../src/engine/loop.js';
import { StopRequest } from '../../src/engine/signals.js';

/** Epochs of 3 batches, 2 epochs, a trace of every hook call. */
function epochs(trace: string[], maxSteps = Infinity): LoopHooks {
  return {
    planEpoch: (e) => (trace.push(`plan ${e}`), 3),
    stopBeforeStep: (p) => (p.step >= maxSteps ? 'max steps' : null),
    step: (b, p) => void trace.push(`step ${p.epoch}.${b} (done ${p.step})`),
    afterStep: (p) => (trace.push(`after ${p.step}`), null),
    endEpoch: (p, cut) => {
      trace.push(`end ${p.epoch}${cut ? ' (cut short)' : ''}`);
      p.epoch += 1;
      p.batchInEpoch = 0;
      return p.epoch >= 2 || cut ? 'done' : null;
    },
  };
}

test('epochs of planned batches: each step is counted before the cadence hook sees it; epoch ends in order', async () => {
  const trace: string[] = [];
  const pos: LoopPosition = { step: 0, epoch: 0, batchInEpoch: 0 };
  assert.deepEqual(await runLoop('t', pos, epochs(trace), null), { kind: 'stopped', reason: 'done' });
  assert.deepEqual(pos, { step: 6, epoch: 2, batchInEpoch: 0 });
  assert.deepEqual(trace.slice(0, 4), ['plan 0', 'step 0.0 (done 0)', 'after 1', 'step 0.1 (done 1)']);
  assert.ok(trace.includes('end 0') && trace.indexOf('end 0') < trace.indexOf('plan 1'));
});

test('resuming from a saved mid-epoch position continues with exactly the remaining batches', async () => {
  const full: string[] = [];
  await runLoop('t', { step: 0, epoch: 0, batchInEpoch: 0 }, epochs(full), null);
  const resumed: string[] = [];
  await runLoop('t', { step: 4, epoch: 1, batchInEpoch: 1 }, epochs(resumed), null);
  const steps = (t: string[]) => t.filter((l) => l.startsWith('step'));
  assert.deepEqual(steps(resumed), steps(full).slice(4));
  await assert.rejects(runLoop('stage1', { step: 9, epoch: 0, batchInEpoch: 7 }, epochs([]), null), /^Error: stage1: the checkpoint is at batch 7 of epoch 1, which has 3 batches/);
});

test('a stop condition cuts the epoch short and still ends it; without endEpoch the loop just ends', async () => {
  const trace: string[] = [];
  const pos = { step: 0, epoch: 0, batchInEpoch: 0 };
  assert.deepEqual(await runLoop('t', pos, epochs(trace, 2), null), { kind: 'stopped', reason: 'done' });
  assert.equal(pos.step, 2);
  assert.ok(trace.includes('end 0 (cut short)'));
  const stream: LoopHooks = { planEpoch: () => Infinity, stopBeforeStep: (p) => (p.step >= 5 ? 'max steps 5' : null), step: () => {} };
  assert.deepEqual(await runLoop('t', { step: 0, epoch: 0, batchInEpoch: 0 }, stream, null), { kind: 'stopped', reason: 'max steps 5' });
});

test('a signal during a step ends the loop right after that step, before the next', async () => {
  const stop = new StopRequest(() => {});
  let steps = 0;
  const hooks: LoopHooks = {
    planEpoch: () => Infinity,
    stopBeforeStep: () => null,
    step: () => {
      steps += 1;
      if (steps === 3) stop.request('SIGTERM');
    },
  };
  const pos = { step: 0, epoch: 0, batchInEpoch: 0 };
  assert.deepEqual(await runLoop('t', pos, hooks, stop), { kind: 'signal', signal: 'SIGTERM' });
  assert.equal(pos.step, 3);
});
