// Bad input gets a clear one-line error naming the op and the shapes — never a crash or a
// silent wrong answer. NaN is the exception by design: it propagates (documented in
// src/tensor/index.ts) and nothing throws.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Rng,
  Tensor,
  add,
  attention,
  concat,
  crossEntropy,
  div,
  embedding,
  gatherRows,
  gelu,
  layerNorm,
  linear,
  matmul,
  meanPool,
  reshape,
  slice,
  softmax,
  sum,
  transpose,
} from '../../src/tensor/index.js';
import { randTensor, testBothBackends } from './helpers.js';

const z = (...shape: number[]) => Tensor.zeros(shape);

test('mismatched shapes name the op and both shapes', () => {
  assert.throws(() => matmul(z(2, 3), z(4, 5)), { message: 'matmul: inner dims differ: a [2, 3] @ b [4, 5]' });
  assert.throws(() => matmul(z(2, 3), z(5, 4), { transB: true }), /matmul: inner dims differ: a \[2, 3\] @ b \[5, 4\]\^T/);
  assert.throws(() => matmul(z(2, 2, 3), z(3, 3, 4)), /matmul: batch sizes differ: a \[2, 2, 3\] @ b \[3, 3, 4\]/);
  assert.throws(() => matmul(z(2, 2, 3), z(3, 4)), /matmul: expects two 2-D or two 3-D tensors/);
  assert.throws(() => add(z(2, 3, 4), z(3)), /add: b \[3\] does not broadcast to a \[2, 3, 4\]/);
  assert.throws(() => div(z(4), z(2, 4)), /div: b \[2, 4\] does not broadcast to a \[4\]/);
  assert.throws(() => linear(z(2, 5), z(3, 4)), /linear: x \[2, 5\] last dim must equal weight in-features \(weight \[3, 4\]\)/);
  assert.throws(() => linear(z(2, 4), z(3, 4), z(4)), /linear: bias must be \[3\] for weight \[3, 4\], got \[4\]/);
  assert.throws(() => layerNorm(z(2, 4), z(3), z(4), 1e-5), /layerNorm: gamma \[3\] and beta \[4\] must both be \[4\] for x \[2, 4\]/);
  assert.throws(() => attention(z(1, 2, 6), z(1, 2, 6), z(1, 3, 6), null, 2), /attention: q, k, v must all be \[B, T, H\], got q \[1, 2, 6\], k \[1, 2, 6\], v \[1, 3, 6\]/);
  assert.throws(() => attention(z(1, 2, 6), z(1, 2, 6), z(1, 2, 6), null, 4), /attention: hidden size 6 .* not divisible by numHeads 4/);
  assert.throws(() => attention(z(1, 2, 6), z(1, 2, 6), z(1, 2, 6), new Float32Array(3), 2), /attention: keyMask has 3 elements, expected \[1, 2\] = 2/);
  assert.throws(() => concat([z(2, 3), z(3, 3)], 1), /concat: xs\[1\] \[3, 3\] does not match xs\[0\] \[2, 3\] outside dim 1/);
  assert.throws(() => reshape(z(2, 3), [4, 2]), /reshape: x \[2, 3\] has 6 elements, target \[4, 2\] has 8/);
  assert.throws(() => reshape(z(2, 3), [4, -1]), /reshape: cannot infer -1 in \[4, -1\] for x \[2, 3\]/);
  assert.throws(() => transpose(z(2, 3), 0, 2), /transpose: dim 2 is out of range for a 2-D tensor/);
  assert.throws(() => slice(z(2, 3), 1, 2, 1), /slice: range 2..1 is invalid for dim 1 of size 3/);
  assert.throws(() => gatherRows(z(3, 2), Int32Array.from([0, 3])), /gatherRows: rows\[1\] = 3 is outside \[0, 3\) for x \[3, 2\]/);
  assert.throws(() => meanPool(z(2, 3, 4), new Float32Array(5)), /meanPool: mask has 5 elements, expected \[2, 3\] = 6/);
  assert.throws(() => embedding(z(5, 2), Int32Array.from([1, 2]), [3]), /embedding: ids \(shape \[3\]\) has 2 elements, expected 3/);
  assert.throws(() => crossEntropy(z(3, 4), Int32Array.from([0, 1])), /crossEntropy: targets \(for logits \[3, 4\]\) has 2 elements, expected 3/);
  assert.throws(() => crossEntropy(z(2, 3, 4), Int32Array.from([0, 1])), /crossEntropy: logits must be 2-D \[R, C\], got \[2, 3, 4\]/);
});

test('wrong array types are rejected with the op, the argument and the type found', () => {
  assert.throws(() => new Tensor(new Float64Array(4) as unknown as Float32Array, [4]), { name: 'TypeError', message: /data must be a Float32Array, got Float64Array/ });
  assert.throws(() => new Tensor(new Float32Array(3), [2, 2]), /data has 3 elements but shape \[2, 2\] needs 4/);
  const t = z(2, 2);
  t.data = new Float64Array(4) as unknown as Float32Array; // a public field swapped behind the constructor's back
  assert.throws(() => gelu(t), { name: 'TypeError', message: 'gelu: x.data must be a Float32Array, got Float64Array' });
  assert.throws(() => add(z(2), [1, 2] as unknown as Tensor), /add: b must be a Tensor, got Array/);
  assert.throws(() => softmax(new Float32Array(4) as unknown as Tensor), /softmax: x must be a Tensor, got Float32Array/);
  assert.throws(() => embedding(z(5, 2), Float64Array.from([1, 2]) as unknown as Int32Array, [2]), /embedding: ids .* must be an Int32Array, got Float64Array/);
  assert.throws(() => embedding(z(5, 2), [1, 2] as unknown as Int32Array, [2]), /embedding: ids .* must be an Int32Array, got Array/);
  assert.throws(() => crossEntropy(z(2, 3), Float32Array.from([0, 1]) as unknown as Int32Array), /crossEntropy: targets .* must be an Int32Array, got Float32Array/);
  assert.throws(() => attention(z(1, 2, 2), z(1, 2, 2), z(1, 2, 2), Float64Array.from([1, 1]) as unknown as Float32Array, 1), /attention: keyMask must be a Float32Array \[1, 2\] .* got Float64Array/);
  assert.throws(() => gatherRows(z(3, 2), [0] as unknown as Int32Array), /gatherRows: rows must be an Int32Array, got Array/);
});

testBothBackends('out-of-range ids and targets throw, naming the index/row and the value', () => {
  const w = z(5, 2);
  assert.throws(
    () => embedding(w, Int32Array.from([1, 4, 7]), [3]),
    (e: Error) => /7/.test(e.message) && /\b2\b/.test(e.message) && /5/.test(e.message),
  );
  assert.throws(() => embedding(w, Int32Array.from([-1]), [1]), /-1/);
  assert.throws(
    () => crossEntropy(z(3, 4), Int32Array.from([0, 1, 9])),
    (e: Error) => /9/.test(e.message) && /\b2\b/.test(e.message),
  );
  assert.throws(() => crossEntropy(z(3, 4), Int32Array.from([0, -1, 1])), /-1/); // -1 is not the ignoreIndex -100
});

testBothBackends('NaN propagates through the ops and gradients without throwing (documented)', () => {
  const r = new Rng(11);
  const x = randTensor(r, [2, 3, 4]);
  x.data[5] = NaN; // row 1 of the [6, 4] view
  const w = randTensor(r, [4, 4]);
  const g = randTensor(r, [4]);
  const b = randTensor(r, [4]);
  const h = layerNorm(gelu(linear(x, w)), g, b, 1e-5);
  // linear mixes only within a row: rows other than the NaN row stay finite.
  for (let i = 0; i < 24; i++) assert.equal(Number.isNaN(h.data[i]!), i >= 4 && i < 8, `h[${i}] = ${h.data[i]}`);
  const sm = softmax(h);
  assert.ok(Number.isNaN(sm.data[4]!));
  assert.ok(Number.isFinite(sm.data[0]!));
  const s = sum(matmul(reshape(sm, [6, 4]), w));
  assert.ok(Number.isNaN(s.item()));
  s.backward();
  assert.ok(
    w.grad!.some((v) => Number.isNaN(v)),
    'NaN reaches the weight gradient',
  );
  const loss = crossEntropy(reshape(h, [6, 4]).detach(), Int32Array.from([0, 1, 2, 3, 0, 1]));
  assert.ok(Number.isNaN(loss.item()));
});
