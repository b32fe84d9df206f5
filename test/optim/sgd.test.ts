import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SGD, constantWithWarmupSchedule } from '../../src/optim/index.js';
import { Parameter } from '../../src/nn/parameter.js';

test('SGD: p ← p − lr·(grad + wd·p), per group, scheduled, skipping params without grad', () => {
  const a = new Parameter(new Float32Array([1, -2]), [2], 'a');
  const b = new Parameter(new Float32Array([3]), [1], 'b');
  const c = new Parameter(new Float32Array([5]), [1], 'c');
  const opt = new SGD([
    { name: 'x', params: [a, c], lr: 0.5 },
    { name: 'y', params: [b], lr: 0.1, weightDecay: 0.2 },
  ]);
  a.grad = new Float32Array([0.25, 1]);
  b.grad = new Float32Array([2]);
  opt.step();
  assert.deepEqual([...a.data], [1 - 0.5 * 0.25, -2 - 0.5]);
  assert.ok(Math.abs(b.data[0]! - (3 - 0.1 * (2 + 0.2 * 3))) < 1e-6);
  assert.deepEqual([...c.data], [5], 'no grad, no update');
  opt.zeroGrad();
  assert.equal(a.grad, null);
  assert.equal(opt.stepCount, 1);
  const w = new Parameter(new Float32Array([1]), [1], 'w');
  const warm = new SGD([{ name: 'g', params: [w], lr: 1 }], { schedule: constantWithWarmupSchedule(2) });
  w.grad = new Float32Array([1]);
  warm.step(); // multiplier 0
  assert.deepEqual([...w.data], [1]);
  warm.step(); // multiplier 0.5
  assert.deepEqual([...w.data], [0.5]);
});

test('SGD: bad groups are rejected with the group named', () => {
  const p = new Parameter(new Float32Array(1), [1], 'p');
  assert.throws(() => new SGD([]), /no parameter groups/);
  assert.throws(() => new SGD([{ name: 'g', params: [p], lr: -1 }]), /group 'g': lr must be a finite number >= 0, got -1/);
  assert.throws(() => new SGD([{ name: 'g', params: [p], lr: 1, weightDecay: NaN }]), /weightDecay/);
  assert.throws(
    () =>
      new SGD([
        { name: 'g', params: [p], lr: 1 },
        { name: 'h', params: [p], lr: 1 },
      ]),
    /already in group 'g'/,
  );
  assert.throws(
    () =>
      new SGD([
        { name: 'g', params: [], lr: 1 },
        { name: 'g', params: [], lr: 1 },
      ]),
    /duplicate parameter group name 'g'/,
  );
});
