import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/tensor/tensor.js';
import { clipGradNorm } from '../../src/optim/clip.js';
import { constantSchedule, constantWithWarmupSchedule, linearWarmupDecaySchedule, warmupStepsFromRatio } from '../../src/optim/schedule.js';
import { AdamW } from '../../src/optim/adamw.js';

test('linear warm-up + linear decay has the transformers values', () => {
  const s = linearWarmupDecaySchedule(10, 110);
  const at = (k: number) => s.multiplier(k);
  assert.equal(at(0), 0);
  assert.equal(at(5), 0.5);
  assert.equal(at(10), 1);
  assert.equal(at(60), 0.5);
  assert.equal(at(109), 0.01);
  assert.equal(at(110), 0);
  assert.equal(at(500), 0);
  const noWarm = linearWarmupDecaySchedule(0, 4);
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((k) => noWarm.multiplier(k)),
    [1, 0.75, 0.5, 0.25, 0],
  );
  assert.throws(() => linearWarmupDecaySchedule(20, 10), /warmupSteps \(20\) exceeds totalSteps \(10\)/);
  assert.throws(() => linearWarmupDecaySchedule(1.5, 10), /warmupSteps must be a non-negative integer/);
});

test('constant schedules and warm-up ratio', () => {
  assert.equal(constantSchedule().multiplier(12345), 1);
  const w = constantWithWarmupSchedule(4);
  assert.deepEqual(
    [0, 2, 4, 100].map((k) => w.multiplier(k)),
    [0, 0.5, 1, 1],
  );
  assert.equal(warmupStepsFromRatio(0.1, 95), 10);
  assert.throws(() => warmupStepsFromRatio(1.5, 10), /ratio must be in \[0, 1\]/);
});

test('the optimizer applies the schedule to every group base lr, step by step', () => {
  const a = new Tensor(new Float32Array(1), [1], true, 'a');
  const b = new Tensor(new Float32Array(1), [1], true, 'b');
  const opt = new AdamW(
    [
      { name: 'adapters', params: [a], lr: 5e-4 },
      { name: 'heads', params: [b], lr: 2e-5 },
    ],
    { schedule: linearWarmupDecaySchedule(2, 6) },
  );
  const seen: number[][] = [];
  for (let s = 0; s < 7; s++) {
    seen.push([opt.currentLr('adapters'), opt.currentLr('heads')]);
    opt.step(); // no grads: skips the update but advances the schedule
  }
  const mult = [0, 0.5, 1, 0.75, 0.5, 0.25, 0];
  seen.forEach(([x, y], s) => {
    assert.ok(Math.abs(x! - 5e-4 * mult[s]!) < 1e-15, `adapters step ${s}`);
    assert.ok(Math.abs(y! - 2e-5 * mult[s]!) < 1e-15, `heads step ${s}`);
  });
  // Step 0 of a warm-up has lr 0: the parameter must not move even with a gradient.
  const c = new Tensor(Float32Array.from([1]), [1], true, 'c');
  const opt2 = new AdamW([{ name: 'g', params: [c], lr: 1 }], { schedule: linearWarmupDecaySchedule(2, 6) });
  c.grad = Float32Array.from([3]);
  opt2.step();
  assert.equal(c.data[0], 1);
  opt2.step();
  assert.notEqual(c.data[0], 1);
});

function norm(ts: Tensor[]): number {
  let s = 0;
  for (const t of ts) for (const g of t.grad ?? []) s += g * g;
  return Math.sqrt(s);
}

test('clipGradNorm scales all gradients to maxNorm when the global norm exceeds it', () => {
  const a = new Tensor(new Float32Array(2), [2], true, 'a');
  const b = new Tensor(new Float32Array(1), [1], true, 'b');
  const c = new Tensor(new Float32Array(1), [1], true, 'c'); // no grad: ignored
  a.grad = Float32Array.from([3, 0]);
  b.grad = Float32Array.from([4]);
  const before = clipGradNorm([a, b, c], 1.0);
  assert.equal(before, 5);
  assert.ok(Math.abs(norm([a, b]) - 1) < 1e-6, `norm after ${norm([a, b])}`);
  // Direction kept: each gradient scaled by the same factor maxNorm/(norm+1e-6).
  const k = 1 / (5 + 1e-6);
  assert.ok(Math.abs(a.grad[0]! - 3 * k) < 1e-7 && Math.abs(b.grad[0]! - 4 * k) < 1e-7);
  assert.equal(c.grad, null);

  a.grad = Float32Array.from([30, 0]);
  b.grad = Float32Array.from([40]);
  assert.equal(clipGradNorm([a, b], 2.5), 50);
  assert.ok(Math.abs(norm([a, b]) - 2.5) < 1e-6);
});

test('clipGradNorm leaves gradients bit-identical under the threshold', () => {
  const a = new Tensor(new Float32Array(3), [3], true, 'a');
  a.grad = Float32Array.from([0.1, -0.2, 0.3]);
  const copy = a.grad.slice();
  const n = clipGradNorm([a], 1.0);
  assert.ok(Math.abs(n - Math.sqrt(0.14)) < 1e-7);
  assert.deepEqual(a.grad, copy);
  assert.equal(clipGradNorm([], 1.0), 0);
  assert.throws(() => clipGradNorm([a], 0), /maxNorm must be a positive finite number/);
  a.grad = Float32Array.from([NaN, 1, 1]);
  assert.ok(Number.isNaN(clipGradNorm([a], 1.0)));
  assert.throws(() => clipGradNorm([a], 1.0, { errorIfNonfinite: true }), /total gradient norm is NaN/);
});
