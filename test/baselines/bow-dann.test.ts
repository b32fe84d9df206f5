// Shallow bag-of-words DANN (src/baselines/bow-dann.ts): on a synthetic two-domain problem with
// a known answer, the adversarial branch must remove domain information from the hidden layer
// and help on the target; with λ = 0 it must be exactly the plain network.
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import assert from 'node:assert/strict';
import { Rng } from '../../src/tensor/rng.js';
import { bowDannBaseline, trainBowDann, type BowDannOptions } from '../../src/baselines/index.js';
import { domainConfusion } from '../../src/eval/domain-confusion.js';
import { shortcutDomainTexts as domainTexts } from '../support/shortcut-domains.js';

const rng = new Rng(7);
const source = domainTexts(400, 'source', rng);
const targetUnlabelled = domainTexts(400, 'target', rng).texts;
const targetTest = domainTexts(400, 'target', rng);
const sourceHeldOut = domainTexts(200, 'source', rng).texts;
const OPTS: BowDannOptions = { hiddenSize: 16, epochs: 30, lambda: { schedule: 'constant', gamma: 10, max: 0.5 } };

function run(adversarial: boolean, extra: BowDannOptions = {}) {
  return trainBowDann({ ...OPTS, ...extra, sourceTexts: source.texts, sourceLabels: source.labels, targetTexts: targetUnlabelled, adversarial, seed: 3 });
}
function accuracy(pred: Int32Array, y: number[]): number {
  let c = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) c++;
  return c / y.length;
}

test('DANN: hidden features less domain-separable than NN (fresh logistic regression) and higher target accuracy', () => {
  const nn = run(false);
  const dann = run(true);
  const sep = (clf: ReturnType<typeof run>): number => domainConfusion(clf.hidden(sourceHeldOut), clf.hidden(targetTest.texts.slice(0, 200)), 11).accuracy;
  const nnSep = sep(nn);
  const dannSep = sep(dann);
  const nnAcc = accuracy(nn.predict(targetTest.texts), targetTest.labels);
  const dannAcc = accuracy(dann.predict(targetTest.texts), targetTest.labels);
  const msg = `domain clf NN ${nnSep.toFixed(3)} DANN ${dannSep.toFixed(3)}; target acc NN ${nnAcc.toFixed(3)} DANN ${dannAcc.toFixed(3)}`;
  assert.ok(nnSep > 0.8, `NN hidden features should separate the domains (filler words): ${msg}`);
  assert.ok(dannSep < nnSep - 0.15, `DANN should remove domain information from the hidden layer: ${msg}`);
  assert.ok(dannAcc > nnAcc + 0.03, `DANN should transfer better than NN: ${msg}`);
  // The discriminator was really in the game: its loss on its own rows stays near chance (ln 2).
  const last = dann.history[dann.history.length - 1]!;
  assert.ok(Math.abs(last.domainLoss - Math.LN2) < 0.1, `discriminator loss ${last.domainLoss} should hover near ln 2`);
  assert.ok(Number.isNaN(nn.history[0]!.domainLoss), 'NN has no discriminator');
});

test('DANN with λ = 0 is the NN bit for bit; with λ > 0 it is not', () => {
  const bytes = (w: Record<string, Float32Array>): Record<string, string> =>
    Object.fromEntries(Object.entries(w).map(([k, v]) => [k, Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')]));
  const nn = run(false, { epochs: 5 });
  const zero = run(true, { epochs: 5, lambda: { schedule: 'constant', gamma: 10, max: 0 } });
  assert.deepEqual(bytes(zero.weights()), bytes(nn.weights()));
  const ganinZero = run(true, { epochs: 5, lambda: { schedule: 'ganin', gamma: 10, max: 0 } });
  assert.deepEqual(bytes(ganinZero.weights()), bytes(nn.weights()));
  const adv = run(true, { epochs: 5 });
  assert.notDeepEqual(bytes(adv.weights()), bytes(nn.weights()));
  assert.ok(zero.history.every((h) => h.lambda === 0) && adv.history.every((h) => h.lambda === 0.5));
});

test('same seed → identical model; features are the most frequent 1–2-grams of source + target texts', () => {
  const a = run(true, { epochs: 2 });
  const b = run(true, { epochs: 2 });
  assert.deepEqual(a.weights(), b.weights());
  assert.ok(a.vocabulary.includes('sourcecue') && a.vocabulary.includes('tgtfill0'));
  const small = run(false, { epochs: 1, maxFeatures: 10 });
  assert.equal(small.vocabulary.length, 10);
  assert.equal(small.weights()['hidden.weight']!.length, 16 * 10);
  const p = a.predictProba(['good1 good2', 'bad1']);
  assert.equal(p.length, 2);
  for (const row of p) assert.ok(Math.abs(row[0]! + row[1]! - 1) < 1e-6);
});

test('bowDannBaseline: a BaselineRow scored on the target test set', () => {
  const row = bowDannBaseline({
    labels: ['negative', 'positive'],
    source: source,
    targetUnlabelled,
    targetTest,
    seed: 3,
    options: { ...OPTS, epochs: 3 },
  });
  assert.equal(row.name, 'bag-of-words + DANN');
  assert.match(row.description, /16 sigmoid units/);
  assert.ok(row.target.accuracy > 0.5 && row.target.accuracy <= 1);
  const nnRow = bowDannBaseline({ labels: ['negative', 'positive'], source, targetUnlabelled, targetTest, seed: 3, adversarial: false, options: { epochs: 3 } });
  assert.equal(nnRow.name, 'bag-of-words NN (source only)');
});

test('Chinese text: character 1-3-gram features (word "n-grams" would be whole clauses); the network learns', () => {
  const rows = gunzipSync(readFileSync(join(import.meta.dirname, '../../data/zh-shopping/hotel.labeled.jsonl.gz')))
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { text: string; label: string });
  const pick = (from: number, n: number) => {
    const xs = rows.slice(from, from + n);
    return { texts: xs.map((r) => r.text), labels: Int32Array.from(xs, (r) => (r.label === 'positive' ? 1 : 0)) };
  };
  const train = pick(0, 600);
  const test = pick(1800, 200);
  const clf = trainBowDann({ sourceTexts: train.texts, sourceLabels: train.labels, targetTexts: [], adversarial: false, seed: 1, epochs: 5 });
  assert.equal(clf.options.analyzer, 'char');
  assert.deepEqual(clf.options.ngramRange, [1, 3]);
  const p = clf.predict(test.texts);
  const acc = p.filter((y, i) => y === test.labels[i]).length / p.length;
  assert.ok(acc > 0.75, `accuracy ${acc} on 200 held-out hotel reviews`);
  const row = bowDannBaseline({ labels: ['negative', 'positive'], source: train, targetUnlabelled: test.texts, targetTest: test, seed: 1, options: { epochs: 2 } });
  assert.match(row.description, /5000 binary char 1-3-grams/);
  assert.equal(trainBowDann({ sourceTexts: ['good', 'bad'], sourceLabels: [1, 0], targetTexts: [], adversarial: false, seed: 1, epochs: 1 }).options.analyzer, 'word');
});

test('trainBowDann: errors name what is wrong', () => {
  const base = { sourceTexts: ['good1 good2', 'bad1 bad2'], sourceLabels: [1, 0], targetTexts: ['tgtfill1 good1'], adversarial: true, seed: 1 };
  assert.throws(() => trainBowDann({ ...base, sourceLabels: [1] }), /2 source texts but 1 source labels/);
  assert.throws(() => trainBowDann({ ...base, targetTexts: [] }), /adversarial training needs unlabelled targetTexts/);
  assert.throws(() => trainBowDann({ ...base, hiddenSize: 0 }), /hiddenSize must be a positive integer, got 0/);
  assert.throws(() => trainBowDann({ ...base, lr: -1 }), /lr must be a finite number > 0/);
  assert.throws(() => trainBowDann({ ...base, epoch: 3 } as never), /unknown option 'epoch'/);
  assert.throws(() => trainBowDann({ ...base, sourceLabels: [1, -1] }), /sourceLabels\[1\] = -1 is not a class id/);
  assert.throws(() => trainBowDann({ ...base, lambda: { schedule: 'linear', gamma: 10, max: 1 } as never }), /lambda must be/);
  assert.throws(() => trainBowDann({ ...base, optimizer: 'adam' as never }), /optimizer must be 'sgd' or 'adamw'/);
  assert.throws(() => trainBowDann({ ...base, sourceTexts: ['a b', 3 as never] }), /sourceTexts\[1\] is number/);
});
