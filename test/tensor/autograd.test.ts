// Tape behaviour: noGrad records nothing, backward frees the graph (and refuses to run through
// a freed graph), gradients accumulate across backward calls, frozen inputs get no grad,
// gradientReversal / dropout / attention-mask semantics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng, Tensor, add, record, attention, crossEntropy, dropout, gelu, gradientReversal, isGradEnabled, linear, mean, mul, noGrad, reshape, sum, tanh } from '../../src/tensor/index.js';
import { randTensor, testBothBackends } from './helpers.js';

function tinyNet(r: Rng) {
  const x = randTensor(r, [4, 3], { requiresGrad: false });
  const w1 = randTensor(r, [5, 3]);
  const b1 = randTensor(r, [5]);
  const w2 = randTensor(r, [2, 5]);
  const targets = Int32Array.from([0, 1, 1, 0]);
  const forward = () => {
    const h = gelu(linear(x, w1, b1));
    return { h, loss: crossEntropy(linear(h, w2), targets) };
  };
  return { x, params: [w1, b1, w2], forward };
}

testBothBackends('noGrad records nothing and restores grad mode (even after a throw)', () => {
  const { params, forward } = tinyNet(new Rng(1));
  const { h, loss } = noGrad(() => forward());
  assert.equal(loss.requiresGrad, false);
  assert.equal(loss.parents, null);
  assert.equal(loss.backwardFn, null);
  assert.equal(h.parents, null);
  assert.throws(() => loss.backward(), /does not require grad/);
  for (const p of params) assert.equal(p.grad, null);
  assert.equal(isGradEnabled(), true);
  assert.throws(
    () =>
      noGrad(() => {
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.equal(isGradEnabled(), true);
});

testBothBackends('backward frees the graph; leaves keep .grad; a second backward through it throws', () => {
  const { params, forward } = tinyNet(new Rng(2));
  const { h, loss } = forward();
  assert.ok(loss.parents !== null && h.backwardFn !== null);
  loss.backward();
  assert.equal(loss.parents, null);
  assert.equal(loss.backwardFn, null);
  assert.equal(h.parents, null);
  assert.equal(h.backwardFn, null);
  assert.equal(h.grad, null, 'intermediate grads are released');
  for (const p of params) assert.ok(p.grad !== null && p.grad.some((v) => v !== 0), `${p} got a gradient`);
  assert.throws(() => loss.backward(), /already freed/);
  // Another loss built on the freed intermediate h would silently miss every gradient before h.
  assert.throws(() => sum(h).backward(), /already freed/);
});

testBothBackends('gradients accumulate across two backward calls (2 x the single-pass gradient)', () => {
  const { params, forward } = tinyNet(new Rng(3));
  forward().loss.backward();
  const once = params.map((p) => p.grad!.slice());
  forward().loss.backward();
  params.forEach((p, i) => {
    for (let j = 0; j < p.size; j++) assert.ok(Math.abs(p.grad![j]! - 2 * once[i]![j]!) <= 1e-6 * (1 + Math.abs(once[i]![j]!)));
  });
  for (const p of params) p.zeroGrad();
  forward().loss.backward();
  params.forEach((p, i) => assert.deepEqual(p.grad, once[i]));
});

test('a tensor used twice gets the sum of both paths; frozen inputs get no grad', () => {
  const a = Tensor.from([1, 2, 3], [3], true);
  const frozen = Tensor.from([4, 5, 6], [3], false);
  sum(add(mul(a, a), mul(a, frozen))).backward(); // d/da = 2a + frozen
  assert.deepEqual([...a.grad!], [6, 9, 12]);
  assert.equal(frozen.grad, null);
});

/** y = 2x through an op whose backward records the buffer that carried its gradient and then fills it with NaN. */
function dirtyingDouble(seen: Float32Array[]) {
  return (x: Tensor): Tensor => {
    const out = new Tensor(
      x.data.map((v) => 2 * v),
      x.shape,
    );
    return record(out, [x], 'double', () => {
      const g = out.grad!;
      seen.push(g);
      const gx = x.gradBuffer();
      for (let i = 0; i < g.length; i++) gx[i]! += 2 * g[i]!;
      g.fill(Number.NaN); // a reused buffer must be zeroed (or fully overwritten) before anyone uses it
    });
  };
}

test('a reused, dirty gradient buffer given to a GEMM that overwrites it (beta 0) gives the exact gradient', () => {
  // loss = sum(L2(2 · L1(x))): L1's backward takes x's gradient from the buffer the doubling op
  // dirtied, as a fresh slot (written, not zeroed); dL/dx = 2 · (1 @ W2) @ W1.
  const seen: Float32Array[] = [];
  const r = new Rng(9);
  const x = randTensor(r, [2, 3]);
  const w1 = randTensor(r, [3, 3], { requiresGrad: false });
  const w2 = randTensor(r, [3, 3], { requiresGrad: false });
  sum(linear(dirtyingDouble(seen)(linear(x, w1)), w2)).backward();
  assert.ok(seen.includes(x.grad!), 'x.grad is the dirtied buffer');
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 3; j++) {
      let want = 0;
      for (let k = 0; k < 3; k++) {
        let colSum = 0; // (1 @ W2)[k] = Σ_m W2[m,k]
        for (let m = 0; m < 3; m++) colSum += w2.data[m * 3 + k]!;
        want += 2 * colSum * w1.data[k * 3 + j]!;
      }
      assert.ok(Math.abs(x.grad![i * 3 + j]! - want) < 1e-5, `dx[${i},${j}] = ${x.grad![i * 3 + j]}, want ${want}`);
    }
  }
});

test('backward hands the dead gradient buffer of a finished node to a later one, zeroed', () => {
  // y = 2 * 2 * x through a doubling op whose backward records which buffer carried its gradient
  // and dirties it afterwards: the leaf's gradient must reuse one of them, start from zero, be exact.
  const seen: Float32Array[] = [];
  const double = dirtyingDouble(seen);
  const x = Tensor.from([1, 2, 3, 4], [4], true);
  sum(double(double(x))).backward();
  assert.deepEqual([...x.grad!], [4, 4, 4, 4]);
  assert.ok(
    seen.some((g) => g === x.grad),
    'the leaf gradient reuses a finished node buffer',
  );
});

test('backward seeds: implicit seed needs a scalar; explicit seed length is checked', () => {
  const a = Tensor.from([1, 2], [2], true);
  assert.throws(() => tanh(a).backward(), /implicit seed needs a scalar, got shape \[2\]/);
  assert.throws(() => tanh(a).backward(new Float32Array(3)), /seed has 3 elements, tensor \[2\] has 2/);
  const s = mean(a);
  assert.deepEqual(s.shape, []);
  s.backward();
  assert.deepEqual([...a.grad!], [0.5, 0.5]);
});

test('gradientReversal: identity forward, exactly -lambda * grad backward', () => {
  const x = Tensor.from([1, -2, 3], [3], true);
  const w = Tensor.from([0.5, 2, -1], [3]);
  const y = gradientReversal(x, 0.7);
  assert.deepEqual([...y.data], [1, -2, 3]);
  sum(mul(y, w)).backward();
  assert.deepEqual([...x.grad!], [-0.7 * 0.5, -0.7 * 2, -0.7 * -1].map(Math.fround));
});

testBothBackends('add and reshape pass their gradient on without a copy, and sums stay exact when a buffer was taken', () => {
  const r = new Rng(3);
  const a = randTensor(r, [2, 3]);
  const b = randTensor(r, [2, 3]);
  const w = randTensor(r, [6], { requiresGrad: false });
  // a takes the add's gradient buffer; b gets its own; a then also receives the second path
  sum(mul(add(add(a, b), a), Tensor.from([...w.data], [2, 3]))).backward();
  for (let i = 0; i < 6; i++) {
    assert.equal(a.grad![i], Math.fround(2 * w.data[i]!), `a.grad[${i}]`);
    assert.equal(b.grad![i], w.data[i], `b.grad[${i}]`);
  }
  assert.notEqual(a.grad, b.grad, 'two leaves never share one buffer');
  // add(x, x): both operands are one tensor
  const x = randTensor(r, [4]);
  sum(mul(add(x, x), Tensor.from([1, 2, 3, 4], [4]))).backward();
  assert.deepEqual([...x.grad!], [2, 4, 6, 8]);
  // a reshape chain hands its gradient down; the leaf's gradient is exact and its own
  const y = randTensor(r, [2, 2]);
  const yy = reshape(reshape(y, [4]), [1, 4]);
  sum(mul(yy, Tensor.from([5, 6, 7, 8], [1, 4]))).backward();
  assert.deepEqual([...y.grad!], [5, 6, 7, 8]);
  // a second backward accumulates into the taken buffer
  sum(mul(reshape(y, [4]), Tensor.from([1, 1, 1, 1], [4]))).backward();
  assert.deepEqual([...y.grad!], [6, 7, 8, 9]);
});

test('dropout: identity (same tensor) in eval or p=0; inverted scaling and rate in training', () => {
  const x = Tensor.full([100, 100], 1, true);
  assert.equal(dropout(x, 0.5, false, new Rng(1)), x);
  assert.equal(dropout(x, 0, true, new Rng(1)), x);
  const y = dropout(x, 0.25, true, new Rng(1));
  let zeros = 0;
  for (const v of y.data) {
    if (v === 0) zeros++;
    else assert.equal(v, Math.fround(1 / 0.75));
  }
  assert.ok(Math.abs(zeros / y.size - 0.25) < 0.02, `dropped fraction ${zeros / y.size}`);
  // Same seed, same mask; training without an Rng is an error, never a silent no-op.
  assert.deepEqual(dropout(x, 0.25, true, new Rng(1)).data, y.data);
  assert.throws(() => dropout(x, 0.25, true, undefined as unknown as Rng), /needs an Rng/);
  assert.throws(() => dropout(x, 1.5, true, new Rng(1)), /dropout: p must be in \[0, 1\], got 1.5/);
  const q = Tensor.full([1, 2, 2], 1);
  assert.throws(() => attention(q, q, q, null, 1, { dropout: 0.1, training: true }), /attention: training with dropout > 0 needs opts.rng/);
});

testBothBackends('attention: masked keys get probability exactly 0 (their values cannot leak)', () => {
  const r = new Rng(5);
  const q = randTensor(r, [2, 4, 6]);
  const k = randTensor(r, [2, 4, 6]);
  const v = randTensor(r, [2, 4, 6]);
  const mask = Float32Array.from([1, 1, 0, 1, 1, 0, 0, 0]);
  const out1 = attention(q, k, v, mask, 3);
  const k2 = k.clone();
  const v2 = v.clone();
  for (const [b, t] of [
    [0, 2],
    [1, 1],
    [1, 2],
    [1, 3],
  ] as const) {
    for (let c = 0; c < 6; c++) {
      k2.data[(b * 4 + t) * 6 + c] = 1e4;
      v2.data[(b * 4 + t) * 6 + c] = -1e4;
    }
  }
  const out2 = attention(q, k2, v2, mask, 3);
  assert.deepEqual(out2.data, out1.data);
  // Batch row 1 has only key 0: every query's context is exactly v[1,0,:].
  for (let t = 0; t < 4; t++) {
    for (let c = 0; c < 6; c++) assert.ok(Math.abs(out1.data[(4 + t) * 6 + c]! - v.data[4 * 6 + c]!) <= 1e-6);
  }
});

testBothBackends('crossEntropy: every row ignored gives 0 and no gradient', () => {
  const x = randTensor(new Rng(6), [2, 3]);
  const loss = crossEntropy(x, Int32Array.from([-100, -100]));
  assert.equal(loss.item(), 0);
  loss.backward();
  assert.ok(x.grad === null || x.grad.every((v) => v === 0));
});

test('grad mode is per call: tensors made inside noGrad stay leaves outside it', () => {
  const a = Tensor.from([1, 2], [2], true);
  const b = noGrad(() => tanh(a));
  const c = tanh(b);
  assert.equal(c.requiresGrad, false);
  assert.equal(c.parents, null);
});
