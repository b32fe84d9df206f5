// Linear-probe head initialisation (LP-FT): the new head's softmax equals the fitted logistic
// regression's probabilities on the rows it was fitted on (the standardisation folded into the
// head's weights), for each pooling; non-Linear heads are left alone; the pipeline logs it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { noGrad } from '../../src/tensor/index.js';
import { loadModel } from '../../src/models/index.js';
import { loadTokenizer } from '../../src/text/index.js';
import { collate, encodeExamples, readDataset } from '../../src/data/index.js';
import { fitLogisticRegression } from '../../src/eval/logreg.js';
import { linearProbeInit } from '../../src/train/head-init.js';
import { batchInput, poolFeatures } from '../../src/train/evaluate.js';
import { FIXTURES, tinyModel } from './helpers.js';

test('linear-probe init: head probabilities = the fitted logistic regression, for pooler, cls and mean', () => {
  const dir = tinyModel({ layers: 2 });
  const tok = loadTokenizer(dir);
  const rows = encodeExamples(readDataset(join(FIXTURES, 'books.jsonl'), { task: 'classification', labels: ['negative', 'positive'] }).examples, tok, { maxLength: 32, domain: 0 }).encoded.slice(
    0,
    60,
  );
  assert.equal(rows.length, 60);
  for (const pooling of ['pooler', 'cls', 'mean'] as const) {
    const { model } = loadModel(dir, { seed: 5 });
    model.addHead('s', { type: 'sequence_classification', numLabels: 2, pooling });
    const r = linearProbeInit(model, { head: 's', adapter: null, train: rows, batchSize: 16, padId: tok.specialIds.pad, Cs: [1] });
    assert.ok(r !== null && r.rows === 60 && r.trainAccuracy > 0.5, JSON.stringify(r));
    const X = poolFeatures(model, rows, { adapter: null, features: pooling === 'pooler' ? 'pooled' : pooling, batchSize: 16, padId: tok.specialIds.pad });
    const want = fitLogisticRegression(
      X,
      Int32Array.from(rows, (e) => e.label),
      { numClasses: 2, C: 1 },
    ).predictProba(X);
    model.eval();
    const b = collate(rows, tok.specialIds.pad);
    const logits = noGrad(() => model.forward(batchInput(b), { heads: ['s'] })).heads['s']!.logits.data; // [N,2]
    let worst = 0;
    for (let i = 0; i < rows.length; i++) {
      const p1 = 1 / (1 + Math.exp(logits[2 * i]! - logits[2 * i + 1]!));
      worst = Math.max(worst, Math.abs(p1 - want[i]![1]!));
    }
    assert.ok(worst < 1e-4, `${pooling}: |p_head − p_logreg| up to ${worst}`);
  }
});

test('linear-probe init leaves a roberta-style head (dense → tanh → out) alone', () => {
  const { model } = loadModel(tinyModel({ layers: 2 }), { seed: 5 });
  model.addHead('r', { type: 'sequence_classification', numLabels: 2, style: 'roberta' });
  const before = model
    .getHead('r')
    .parameters()
    .map((p) => p.data.slice());
  assert.equal(linearProbeInit(model, { head: 'r', adapter: null, train: [], batchSize: 4, padId: 0 }), null);
  model
    .getHead('r')
    .parameters()
    .forEach((p, i) => assert.deepEqual(p.data, before[i]));
});

test('linear-probe init with source rows: the weight is chosen on validation, and the head is the weighted regression', () => {
  // the bundled backbone (a random tiny model's features carry no sentiment to transfer)
  const dir = join('models', 'adaptext-mini-en');
  const tok = loadTokenizer(dir);
  const read = (domain: string, n: number) =>
    encodeExamples(readDataset(join('data', 'amazon', `${domain}.labeled.jsonl.gz`), { task: 'classification', labels: ['negative', 'positive'] }).examples.slice(0, n), tok, {
      maxLength: 64,
      domain: 0,
    }).encoded;
  const kitchen = read('kitchen', 220); // the files alternate positive and negative reviews
  const train = kitchen.slice(0, 10);
  const validation = kitchen.slice(20);
  const books = read('books', 400);
  const flipped = books.map((e) => ({ ...e, label: 1 - e.label }));
  const pad = tok.specialIds.pad;
  const probe = (rows: typeof books, weights: number[]) => {
    const { model } = loadModel(dir, { seed: 5 });
    model.addHead('s', { type: 'sequence_classification', numLabels: 2, pooling: 'mean' });
    const r = linearProbeInit(model, { head: 's', adapter: null, train, validation, source: { rows, adapter: null, domain: 'books', weights }, batchSize: 32, padId: pad, Cs: [1] })!;
    return { model, r };
  };
  // 400 labelled book reviews help 10 kitchen ones; the same reviews with their labels swapped are refused
  const good = probe(books, [0, 1]);
  const alone = probe(books, [0]).r;
  assert.equal(good.r.sourceWeight, 1, `${JSON.stringify(good.r)} vs ${JSON.stringify(alone)}`);
  assert.equal(good.r.rows, train.length + books.length);
  assert.equal(alone.rows, train.length);
  const bad = probe(flipped, [0, 1]).r;
  assert.equal(bad.sourceWeight, 0, JSON.stringify(bad));
  // the head reproduces sklearn-style weighted LR: the 400 source rows together weigh as much as the 10 few-shot rows
  const feats = (rows: typeof books) => poolFeatures(good.model, rows, { adapter: null, features: 'mean', batchSize: 32, padId: pad });
  const X = [...feats(train), ...feats(books)];
  const y = Int32Array.from([...train, ...books], (e) => e.label);
  const sampleWeight = X.map((_, i) => (i < train.length ? 1 : train.length / books.length));
  const want = fitLogisticRegression(X, y, { numClasses: 2, C: 1, sampleWeight }).predictProba(feats(validation));
  good.model.eval();
  const logits = noGrad(() => good.model.forward(batchInput(collate(validation, pad)), { heads: ['s'] })).heads['s']!.logits.data;
  let worst = 0;
  for (let i = 0; i < validation.length; i++) worst = Math.max(worst, Math.abs(1 / (1 + Math.exp(logits[2 * i]! - logits[2 * i + 1]!)) - want[i]![1]!));
  assert.ok(worst < 1e-4, `|p_head − p_logreg| up to ${worst}`);
});
