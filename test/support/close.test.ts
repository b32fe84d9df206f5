// The shared comparison helpers (test/support/close.ts) themselves: a NaN is never hidden by
// the elements around it, NaN matches NaN, infinities must match, tolerances are as documented.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { arrayDiff, assertClose, assertNear, assertScaledClose, scaledDiff } from './close.js';

test('a NaN where a finite value is expected fails wherever it sits (before or after finite differences)', () => {
  for (const got of [
    [1, NaN, 3, 4],
    [NaN, 2, 3, 4.5],
    [1, 2, 3.5, NaN],
  ]) {
    const d = arrayDiff(got, [1, 2, 3, 4]);
    assert.equal(d.maxAbs, Infinity, JSON.stringify(got));
    assert.equal(d.badAt, got.findIndex(Number.isNaN));
    assert.throws(() => assertClose(got, [1, 2, 3, 4], 'x', { rtol: 1, atol: 1 }), /got NaN, expected/);
    assert.throws(() => assertScaledClose(got, [1, 2, 3, 4], 'x', 10, 1), /got NaN, expected/);
    assert.equal(scaledDiff(got, [1, 2, 3, 4]).rel, Infinity);
  }
  assert.throws(() => assertClose([1, 2], [1, NaN], 'x'), /x\[1\]: got 2, expected NaN/);
  assert.throws(() => assertNear(NaN, 0, 'loss', { atol: 1e9 }), /loss\[0\]: got NaN/);
});

test('NaN matches NaN; infinities must be equal', () => {
  assert.equal(arrayDiff([NaN, Infinity, -Infinity], [NaN, Infinity, -Infinity]).maxAbs, 0);
  assert.throws(() => assertClose([Infinity], [-Infinity], 'x'), /got Infinity, expected -Infinity/);
  assert.throws(() => assertClose([1e30], [Infinity], 'x', { rtol: 1 }), /got 1e\+30, expected Infinity/);
});

test('tolerances: elementwise atol + rtol*|e|; scaled max|diff| / max(floor, max|e|); lengths must agree', () => {
  assertClose([1.1, 100.5], [1, 100], 'x', { rtol: 0.01, atol: 0.1 });
  assert.throws(() => assertClose([1.2], [1], 'x', { rtol: 0.01, atol: 0.1 }), /x\[0\]: got 1\.2, expected 1/);
  const d = assertScaledClose([0.1, 10.05], [0, 10], 'y', 1e-2);
  assert.ok(Math.abs(d.rel - 0.1 / 10) < 1e-12 && d.at === 0);
  assert.throws(() => assertScaledClose([0.5], [0.1], 'y', 1e-2, 1), /relative to max\(1/);
  assert.throws(() => arrayDiff([1, 2], [1]), /2 elements, expected 1/);
});
