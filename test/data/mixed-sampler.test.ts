import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/tensor/rng.js';
import { MixedDomainSampler, collateMixed, mixedBatchSplit } from '../../src/data/mixed-sampler.js';
import { encodeExamples } from '../../src/data/encode.js';
import type { Example } from '../../src/data/examples.js';
import { FakeTokenizer } from './fake-tokenizer.js';

test('rounding rule: batch 16 at 70% → 11 source + 5 target; both domains always present', () => {
  assert.deepEqual(mixedBatchSplit(16, 0.7), { source: 11, target: 5 });
  assert.deepEqual(mixedBatchSplit(8, 0.7), { source: 6, target: 2 });
  assert.deepEqual(mixedBatchSplit(32, 0.7), { source: 22, target: 10 });
  assert.deepEqual(mixedBatchSplit(8, 0.5), { source: 4, target: 4 });
  assert.deepEqual(mixedBatchSplit(4, 0.99), { source: 3, target: 1 });
  assert.deepEqual(mixedBatchSplit(4, 0.01), { source: 1, target: 3 });
  assert.deepEqual(mixedBatchSplit(2, 0.7), { source: 1, target: 1 });
  assert.throws(() => mixedBatchSplit(1, 0.7), /batchSize must be an integer >= 2/);
  assert.throws(() => mixedBatchSplit(16, 1), /sourceRatio must be in \(0, 1\)/);
});

test('every batch mixes both domains 11/5; an epoch is one pass over source; overall ratio ≈ 70/30', () => {
  const nS = 1000;
  const nT = 333;
  const s = new MixedDomainSampler(nS, nT, { batchSize: 16, rng: new Rng(1) });
  const plan = s.epoch();
  assert.equal(plan.length, Math.ceil(1000 / 11));
  for (const b of plan.slice(0, -1)) {
    assert.equal(b.source.length, 11);
    assert.equal(b.target.length, 5);
  }
  const last = plan[plan.length - 1]!;
  assert.equal(last.source.length, 1000 % 11); // 10
  assert.equal(last.target.length, Math.round((10 * 5) / 11)); // 5
  for (const b of plan) assert.ok(b.source.length > 0 && b.target.length > 0);
  assert.deepEqual(plan.flatMap((b) => b.source).sort((a, b) => a - b), Array.from({ length: nS }, (_, i) => i));
  const src = plan.reduce((a, b) => a + b.source.length, 0);
  const tgt = plan.reduce((a, b) => a + b.target.length, 0);
  const ratio = src / (src + tgt);
  console.log(`# mixed sampler, batch 16: ${src} source + ${tgt} target per epoch → ${(ratio * 100).toFixed(2)}% source`);
  assert.ok(Math.abs(ratio - 11 / 16) < 0.002, `overall source share ${ratio}`);
  assert.ok(Math.abs(ratio - 0.7) < 0.5 / 16, 'within the stated rounding of 70%');
});

test('target examples are cycled: all seen before any repeats, across epochs', () => {
  const nT = 37;
  const s = new MixedDomainSampler(100, nT, { batchSize: 10, sourceRatio: 0.7, rng: new Rng(2) });
  const drawn = [s.epoch(), s.epoch(), s.epoch()].flat().flatMap((b) => b.target);
  assert.ok(drawn.length > 3 * nT);
  for (let c = 0; c + nT <= drawn.length; c += nT) {
    assert.deepEqual(drawn.slice(c, c + nT).sort((a, b) => a - b), Array.from({ length: nT }, (_, i) => i), `cycle ${c / nT}`);
  }
  // A target set smaller than one batch's share still works (repeats within the batch).
  const tiny = new MixedDomainSampler(20, 2, { batchSize: 8, rng: new Rng(3) });
  for (const b of tiny.epoch()) assert.ok(b.target.length >= 1 && b.target.every((i) => i === 0 || i === 1));
});

test('deterministic from the Rng, and resumable from getState()', () => {
  const mk = (seed: number) => new MixedDomainSampler(200, 50, { batchSize: 16, rng: new Rng(seed) });
  assert.deepEqual(mk(4).epoch(), mk(4).epoch());
  assert.notDeepEqual(mk(4).epoch(), mk(5).epoch());
  const a = mk(6);
  a.epoch();
  const state = JSON.parse(JSON.stringify(a.getState()));
  const next = a.epoch();
  const b = mk(99);
  b.setState(state);
  assert.deepEqual(b.epoch(), next);
  assert.equal(b.epochs, 2);
  assert.throws(() => new MixedDomainSampler(200, 51, { batchSize: 16, rng: new Rng(1) }).setState(state), /state is for 50 target examples/);
});

test('length bucketing in the mixed sampler: rows of a batch have similar lengths, mix kept', () => {
  const r = new Rng(9);
  const sl = Array.from({ length: 880 }, () => 5 + r.int(250));
  const tl = Array.from({ length: 400 }, () => 5 + r.int(250));
  const spread = (plan: { source: number[]; target: number[] }[]) => {
    let sum = 0;
    for (const b of plan) {
      const ls = [...b.source.map((i) => sl[i]!), ...b.target.map((i) => tl[i]!)];
      sum += Math.max(...ls) - Math.min(...ls);
    }
    return sum / plan.length;
  };
  const plain = new MixedDomainSampler(880, 400, { batchSize: 16, rng: new Rng(1) }).epoch();
  const bucketed = new MixedDomainSampler(880, 400, { batchSize: 16, rng: new Rng(1), sourceLengths: sl, targetLengths: tl }).epoch();
  console.log(`# mean length spread within a batch: ${spread(plain).toFixed(1)} plain vs ${spread(bucketed).toFixed(1)} bucketed`);
  assert.ok(spread(bucketed) * 3 < spread(plain));
  for (const b of bucketed) assert.deepEqual([b.source.length, b.target.length], [11, 5]);
  assert.deepEqual(bucketed.flatMap((b) => b.source).sort((a, b) => a - b), Array.from({ length: 880 }, (_, i) => i));
});

test('collateMixed: source rows first with domain 0, then target rows with domain 1', () => {
  const tok = new FakeTokenizer();
  const ex = (t: string, label: number | null): Example => ({ kind: 'text', text: t, label, id: null, where: 'mem' });
  const src = encodeExamples([ex('good pan', 1), ex('bad pot', 0), ex('ok', 1)], tok, { maxLength: 16, domain: 0 }).encoded;
  const tgt = encodeExamples([ex('a hotel room', null), ex('the bed', null)], tok, { maxLength: 16, domain: 1 }).encoded;
  const b = collateMixed(src, tgt, { source: [2, 0], target: [1] }, tok.specialIds.pad);
  assert.deepEqual([...b.domain], [0, 0, 1]);
  assert.deepEqual([...b.labels], [1, 1, -100]);
  assert.deepEqual([...b.exampleIndex], [2, 0, 1]);
  const sameDomain = encodeExamples([ex('x', null)], tok, { maxLength: 16, domain: 0 }).encoded;
  assert.throws(() => collateMixed(src, sameDomain, { source: [0], target: [0] }, 1), /has domain id 0, same as the source rows/);
});
