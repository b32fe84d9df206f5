import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Rng } from '../../src/tensor/rng.js';
import { encodeExamples } from '../../src/data/encode.js';
import { batches, collate, paddingCount, planBatches } from '../../src/data/batching.js';
import { readDataset } from '../../src/data/readers.js';
import type { Example } from '../../src/data/examples.js';
import { FakeTokenizer } from './fake-tokenizer.js';

const text = (t: string, label: number | null = null): Example => ({ kind: 'text', text: t, label, id: null, where: `mem:${t.slice(0, 8)}` });

test('encodeExamples: ids with specials, labels, and the truncation rule (keep the final [SEP])', () => {
  const tok = new FakeTokenizer();
  const { encoded, stats } = encodeExamples(
    [text('ok pan', 1), text('a b c d e f g h'), text('abcdefghij', 0)],
    tok,
    { maxLength: 5, domain: 1 },
  );
  const [a, b, c] = encoded;
  assert.deepEqual([...a!.ids], [0, tok.encode('ok').ids[1]!, tok.encode('pan').ids[1]!, 2]);
  assert.deepEqual([...a!.wordIds], [-1, 0, 1, -1]);
  assert.equal(a!.label, 1);
  assert.equal(a!.domain, 1);
  assert.equal(b!.ids.length, 5);
  assert.equal(b!.ids[0], 0);
  assert.equal(b!.ids[4], 2, 'a truncated sequence still ends with [SEP]');
  assert.deepEqual([...b!.wordIds], [-1, 0, 1, 2, -1]);
  assert.equal(b!.label, -100, 'unlabelled → ignore index');
  assert.deepEqual([...c!.wordIds], [-1, 0, 0, 0, -1]);
  assert.equal(stats.truncated, 2);
  assert.throws(() => encodeExamples([text('x')], tok, { maxLength: 1 }), /maxLength must be an integer >= 2/);
});

test('token-classification labels sit on the first sub-token of each word, -100 elsewhere', () => {
  const tok = new FakeTokenizer();
  const ex: Example = { kind: 'tagged', words: ['Fly', 'to', 'Washington', 'now'], tags: [0, 0, 1, 0], id: null, where: 'mem:1' };
  const { encoded, stats } = encodeExamples([ex], tok, { maxLength: 64 });
  // [CLS] Fly to Was ##hin ##gto ##n now [SEP]
  assert.deepEqual([...encoded[0]!.wordIds], [-1, 0, 1, 2, 2, 2, 2, 3, -1]);
  assert.deepEqual([...encoded[0]!.tokenLabels!], [-100, 0, 0, 1, -100, -100, -100, 0, -100]);
  assert.equal(stats.wordsDropped, 0);
  // Truncated to 6: [CLS] Fly to Was ##hin [SEP]: "now" loses its tag.
  const cut = encodeExamples([ex], tok, { maxLength: 6 });
  assert.deepEqual([...cut.encoded[0]!.tokenLabels!], [-100, 0, 0, 1, -100, -100]);
  assert.equal(cut.stats.wordsDropped, 1);
});

test('collate: dynamic padding with the tokenizer pad id, masks, labels, domains', () => {
  const tok = new FakeTokenizer();
  const { encoded } = encodeExamples([text('one two six ten', 1), text('hi', 0)], tok, { maxLength: 32, domain: 1 });
  const b = collate(encoded, tok.specialIds.pad);
  assert.equal(b.B, 2);
  assert.equal(b.T, 6);
  assert.deepEqual([...b.inputIds.subarray(6)], [0, encoded[1]!.ids[1]!, 2, 1, 1, 1]);
  assert.deepEqual([...b.attentionMask], [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
  assert.deepEqual([...b.wordIds.subarray(6)], [-1, 0, -1, -1, -1, -1]);
  assert.deepEqual([...b.tokenTypeIds], new Array(12).fill(0));
  assert.deepEqual([...b.labels], [1, 0]);
  assert.deepEqual([...b.tokenLabels], new Array(12).fill(-100));
  assert.deepEqual([...b.domain], [1, 1]);
  assert.deepEqual([...b.exampleIndex], [0, 1]);
  assert.equal(collate(encoded, 1, { padToMultipleOf: 8 }).T, 8);
  assert.throws(() => collate([], 1), /collate: empty batch/);
});

function randomLengths(n: number, seed: number): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => 3 + Math.floor(Math.exp(r.uniform() * 5.5))); // 4..247, skewed short
}

test('planBatches: every example once, deterministic given the Rng state, different with another seed', () => {
  const lengths = randomLengths(1003, 1);
  const p1 = planBatches(lengths, { batchSize: 16, shuffle: true, rng: new Rng(7) });
  const p2 = planBatches(lengths, { batchSize: 16, shuffle: true, rng: new Rng(7) });
  const p3 = planBatches(lengths, { batchSize: 16, shuffle: true, rng: new Rng(8) });
  assert.deepEqual(p1, p2);
  assert.notDeepEqual(p1, p3);
  assert.equal(p1.length, Math.ceil(1003 / 16));
  assert.deepEqual(p1.flat().sort((a, b) => a - b), Array.from({ length: 1003 }, (_, i) => i));
  assert.equal(p1.filter((b) => b.length !== 16).length, 1);
  const dropped = planBatches(lengths, { batchSize: 16, shuffle: true, rng: new Rng(7), dropLast: true });
  assert.equal(dropped.length, Math.floor(1003 / 16));
  assert.throws(() => planBatches(lengths, { batchSize: 16, shuffle: true }), /shuffle needs an rng/);
});

test('length bucketing cuts padding several-fold against random batches; eval order is by length', () => {
  const lengths = randomLengths(2000, 2);
  const bucketed = paddingCount(planBatches(lengths, { batchSize: 16, shuffle: true, rng: new Rng(3) }), lengths);
  const random = paddingCount(planBatches(lengths, { batchSize: 16, shuffle: true, rng: new Rng(3), bucketBatches: 1 }), lengths);
  const real = lengths.reduce((a, b) => a + b, 0);
  console.log(`# padding: random batches ${(random / (real + random) * 100).toFixed(1)}% of positions, bucketed ${(bucketed / (real + bucketed) * 100).toFixed(1)}%`);
  assert.ok(bucketed * 4 < random, `bucketed padding ${bucketed} vs random ${random}`);
  const evalPlan = planBatches(lengths, { batchSize: 16, shuffle: false });
  const flat = evalPlan.flat().map((i) => lengths[i]!);
  assert.deepEqual(flat, [...flat].sort((a, b) => a - b));
});

test('batches() yields collated batches covering the set, rows traceable through exampleIndex', () => {
  const tok = new FakeTokenizer();
  const words = 'the quick brown fox jumps over the lazy dog again and again'.split(' ');
  const exs = Array.from({ length: 37 }, (_, i) => text(words.slice(0, 1 + (i % words.length)).join(' '), i % 2));
  const { encoded } = encodeExamples(exs, tok, { maxLength: 10 });
  const seen: number[] = [];
  for (const b of batches(encoded, tok.specialIds.pad, { batchSize: 8, shuffle: true, rng: new Rng(5), bucketBatches: 2 })) {
    for (let r = 0; r < b.B; r++) {
      const e = encoded[b.exampleIndex[r]!]!;
      assert.deepEqual([...b.inputIds.subarray(r * b.T, r * b.T + e.ids.length)], [...e.ids]);
      assert.equal(b.labels[r], e.label);
      seen.push(b.exampleIndex[r]!);
    }
  }
  assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: 37 }, (_, i) => i));
});

const kitchen = new URL('../../data/amazon/kitchen.labeled.jsonl.gz', import.meta.url);
test('real reviews: bucketed batches of the bundled kitchen set pad far less than random ones', () => {
  assert.ok(existsSync(kitchen), `${kitchen.pathname} is tracked in git and must be present`);
  const d = readDataset(kitchen.pathname, { task: 'classification', labels: ['negative', 'positive'] });
  const { encoded, stats } = encodeExamples(d.examples, new FakeTokenizer(50000), { maxLength: 256 });
  const lengths = encoded.map((e) => e.ids.length);
  const real = lengths.reduce((a, b) => a + b, 0);
  const pad = (bb: number) => paddingCount(planBatches(lengths, { batchSize: 16, shuffle: true, rng: new Rng(1), bucketBatches: bb }), lengths);
  const [rnd, bkt] = [pad(1), pad(50)];
  console.log(`# kitchen (${encoded.length} reviews, ${stats.truncated} truncated to 256): padding ${(rnd / (rnd + real) * 100).toFixed(1)}% random vs ${(bkt / (bkt + real) * 100).toFixed(1)}% bucketed`);
  assert.ok(bkt * 3 < rnd);
});
