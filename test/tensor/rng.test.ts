// Rng: xoshiro128** known-answer vector, determinism, distributions, state save/restore, fork.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/tensor/index.js';

test('xoshiro128** matches the reference output for state [1, 2, 3, 4]', () => {
  const r = new Rng(0);
  r.setState([1, 2, 3, 4]);
  // First outputs of the reference C implementation (prng.di.unimi.it) from this state.
  assert.deepEqual([r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32()], [11520, 0, 5927040, 70819200]);
});

test('same seed gives the same stream; different seeds differ', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const sa = Array.from({ length: 8 }, () => a.uniform());
  assert.deepEqual(
    Array.from({ length: 8 }, () => b.uniform()),
    sa,
  );
  assert.notDeepEqual(
    Array.from({ length: 8 }, () => c.uniform()),
    sa,
  );
  assert.notDeepEqual(new Rng(2 ** 40).getState(), new Rng(0).getState(), 'high seed bits matter');
  assert.throws(() => new Rng(NaN), /Rng: seed must be a finite number, got NaN/);
});

test('uniform in [0,1), normal ~ N(0,1), int unbiased in [0,n)', () => {
  const r = new Rng(7);
  const n = 20000;
  let su = 0;
  let sn = 0;
  let sn2 = 0;
  const counts = new Array<number>(5).fill(0);
  for (let i = 0; i < n; i++) {
    const u = r.uniform();
    assert.ok(u >= 0 && u < 1);
    su += u;
    const z = r.normal();
    sn += z;
    sn2 += z * z;
    const k = r.int(5);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 5);
    counts[k]!++;
  }
  assert.ok(Math.abs(su / n - 0.5) < 0.01, `uniform mean ${su / n}`);
  assert.ok(Math.abs(sn / n) < 0.03, `normal mean ${sn / n}`);
  assert.ok(Math.abs(sn2 / n - 1) < 0.04, `normal variance ${sn2 / n}`);
  for (const c of counts) assert.ok(Math.abs(c / n - 0.2) < 0.015, `int(5) counts ${counts}`);
  assert.throws(() => r.int(0), /Rng.int: n must be an integer in \[1, 2\^32\], got 0/);
  assert.throws(() => r.int(2.5), /got 2.5/);
  assert.equal(r.int(1), 0);
});

test('shuffle is an in-place permutation, deterministic per seed', () => {
  const a = Array.from({ length: 50 }, (_, i) => i);
  const out = new Rng(1).shuffle(a);
  assert.equal(out, a);
  assert.deepEqual(
    [...a].sort((x, y) => x - y),
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.notDeepEqual(
    a,
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.deepEqual(new Rng(1).shuffle(Array.from({ length: 50 }, (_, i) => i)), a);
});

test('getState/setState resume the exact stream (checkpoint round trip through JSON)', () => {
  const r = new Rng(99);
  for (let i = 0; i < 10; i++) r.normal();
  const saved = JSON.parse(JSON.stringify(r.getState())) as number[];
  const expected = Array.from({ length: 10 }, () => r.uniform());
  const s = new Rng(1);
  s.setState(saved);
  assert.deepEqual(
    Array.from({ length: 10 }, () => s.uniform()),
    expected,
  );
  assert.throws(() => s.setState([1, 2, 3]), /Rng.setState: expected 4 unsigned 32-bit integers/);
  assert.throws(() => s.setState([1, 2, 3, -4]), /expected 4 unsigned 32-bit integers/);
});

test('fork gives a deterministic, independent stream and advances the parent', () => {
  const p1 = new Rng(5);
  const p2 = new Rng(5);
  const c1 = p1.fork();
  const c2 = p2.fork();
  const seq = (r: Rng) => Array.from({ length: 6 }, () => r.nextU32());
  const s1 = seq(c1);
  assert.deepEqual(seq(c2), s1);
  assert.notDeepEqual(seq(p1), s1);
  assert.notDeepEqual(seq(new Rng(5)), seq(new Rng(5).fork()));
});
