// Stage 2's domain centres (src/train/domain-centres.ts): each domain's mean pooled vector becomes
// its centre, the source head's predictions on source rows do not change, the centred features of
// each domain average to ~0, and a head of another pooling is left alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { loadModel } from '../../src/models/index.js';
import { loadTokenizer } from '../../src/text/index.js';
import { encodeExamples, readDataset } from '../../src/data/index.js';
import { poolFeatures, predict } from '../../src/train/evaluate.js';
import { centreDomains, DOMAIN_CENTRE_ROWS } from '../../src/train/domain-centres.js';
import { FIXTURES, tinyModel } from './helpers.js';

const TASK = { type: 'sequence_classification', labels: ['negative', 'positive'], pooling: 'auto', classifier_dropout: null } as const;

function rows(file: string, domain: number) {
  const dir = tinyModel({ layers: 2 });
  const tok = loadTokenizer(dir);
  return encodeExamples(readDataset(join(FIXTURES, file), { task: 'classification', labels: ['negative', 'positive'] }).examples, tok, { maxLength: 32, domain }).encoded;
}

test('centreDomains: source predictions unchanged, each domain centred at 0, other poolings untouched', () => {
  const dir = tinyModel({ layers: 2 });
  const pad = loadTokenizer(dir).specialIds.pad;
  const { model } = loadModel(dir, { seed: 5 });
  model.addAdapter('books');
  model.addAdapter('kitchen');
  model.addHead('sentiment', { type: 'sequence_classification', numLabels: 2, pooling: 'mean' });
  model.addHead('clsHead', { type: 'sequence_classification', numLabels: 2, pooling: 'cls' });
  const books = rows('books.jsonl', 0);
  const kitchen = rows('kitchen.jsonl', 1);
  const opts = { head: 'sentiment', task: TASK, batchSize: 16, padId: pad };
  const before = predict(model, books, { ...opts, adapter: 'books' }).probs;
  const beforeKitchen = predict(model, kitchen, { ...opts, adapter: 'kitchen' }).probs;
  const beforeCls = predict(model, books, { ...opts, head: 'clsHead', adapter: 'books' }).probs;
  const r = centreDomains(model, {
    pooling: 'mean',
    domains: [
      { name: 'books', adapter: 'books', rows: books },
      { name: 'kitchen', adapter: 'kitchen', rows: kitchen },
    ],
    trainedOn: { domain: 'books', heads: ['sentiment', 'clsHead'] },
    batchSize: 16,
    padId: pad,
  });
  assert.ok(r.distance > 0, 'the fixture domains have different means');
  assert.ok(books.length < DOMAIN_CENTRE_ROWS, 'all rows were used, so the centred mean is 0 up to rounding');
  const after = predict(model, books, { ...opts, adapter: 'books' }).probs;
  let worst = 0;
  after.forEach((p, i) => (worst = Math.max(worst, Math.abs(p[1]! - before[i]![1]!))));
  assert.ok(worst < 1e-5, `source probabilities moved by up to ${worst}`);
  assert.deepEqual(predict(model, books, { ...opts, head: 'clsHead', adapter: 'books' }).probs, beforeCls, 'a cls head neither absorbs nor subtracts a mean centre');
  const afterKitchen = predict(model, kitchen, { ...opts, adapter: 'kitchen' }).probs;
  assert.notDeepEqual(afterKitchen, beforeKitchen, 'target rows move');
  for (const [name, rs] of [
    ['books', books],
    ['kitchen', kitchen],
  ] as const) {
    const X = poolFeatures(model, rs, { adapter: name, features: 'mean', batchSize: 16, padId: pad });
    const m = new Float64Array(X[0]!.length);
    for (const x of X) x.forEach((v, j) => (m[j] += v / X.length));
    const raw = poolFeatures(model, rs, { adapter: name, features: 'mean', batchSize: 16, padId: pad, domain: null });
    assert.ok(Math.max(...m.map(Math.abs)) < 1e-5, `${name}: centred mean up to ${Math.max(...m.map(Math.abs))}`);
    assert.ok(Math.max(...raw[0]!.map((v, j) => Math.abs(v - X[0]![j]!))) > 1e-3, `${name}: domain null gives the raw vectors`);
  }
  // a second call re-centres: the head absorbs only the difference to the old centre
  const again = centreDomains(model, {
    pooling: 'mean',
    domains: [
      { name: 'books', adapter: 'books', rows: books.slice(0, 20) },
      { name: 'kitchen', adapter: 'kitchen', rows: kitchen },
    ],
    trainedOn: { domain: 'books', heads: ['sentiment'] },
    batchSize: 16,
    padId: pad,
  });
  assert.ok(again.distance > 0);
  const third = predict(model, books, { ...opts, adapter: 'books' }).probs;
  worst = 0;
  third.forEach((p, i) => (worst = Math.max(worst, Math.abs(p[1]! - before[i]![1]!))));
  assert.ok(worst < 1e-5, `after re-centring, source probabilities moved by up to ${worst}`);
  assert.throws(
    () => centreDomains(model, { pooling: 'mean', domains: [{ name: 'books', adapter: 'books', rows: [] }], trainedOn: { domain: 'books', heads: [] }, batchSize: 4, padId: pad }),
    /domain centre of 'books': no rows/,
  );
  assert.throws(
    () => centreDomains(model, { pooling: 'mean', domains: [{ name: 'books', adapter: 'books', rows: books }], trainedOn: { domain: 'dvd', heads: [] }, batchSize: 4, padId: pad }),
    /'dvd' is not among the domains \(books\)/,
  );
});
