// Domain centres (AdapterModel.setDomainCentre): heads that read a pooled vector of the centre's
// pooling get `pooled − centre(domain)` for rows of that domain; the domain defaults to the active
// adapter; the centre is saved in adaptext.json; a head can absorb a new input shift exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { linear, noGrad, sub, Tensor } from '../../src/tensor/index.js';
import { loadModel } from '../../src/models/load.js';
import { saveModel } from '../../src/models/save.js';
import { AdapterModel } from '../../src/models/model.js';
import { SequenceClassificationHead } from '../../src/models/heads.js';
import { TINY, batch } from './helpers.js';
import { tmp as tempFolder } from '../support/tmp.js';

const H = TINY.hidden_size;
const vec = (seed: number) => Float32Array.from({ length: H }, (_, j) => Math.sin(seed * 7.3 + j) * 0.5);

function model(): AdapterModel {
  const m = new AdapterModel(TINY, { seed: 11 });
  m.addAdapter('books');
  m.addAdapter('kitchen');
  m.addHead('mean', { type: 'sequence_classification', numLabels: 2, pooling: 'mean' });
  m.addHead('cls', { type: 'sequence_classification', numLabels: 2, pooling: 'cls' });
  m.addHead('rob', { type: 'sequence_classification', numLabels: 3, pooling: 'mean', style: 'roberta' });
  m.eval();
  return m;
}

const logits = (m: AdapterModel, head: string, domain?: string | null) => [...noGrad(() => m.forward(batch(), { heads: [head], ...(domain !== undefined ? { domain } : {}) })).heads[head]!.logits.data];

test('a head of the centre\'s pooling reads pooled − centre for rows of that domain; other poolings and domains are untouched', () => {
  const m = model();
  m.setActiveAdapter('kitchen');
  const raw = { mean: logits(m, 'mean'), cls: logits(m, 'cls') };
  const c = vec(1);
  m.setDomainCentre('kitchen', 'mean', c);
  // by hand: mean-pooled vector minus the centre, through the head's Linear
  const h = m.getHead('mean') as SequenceClassificationHead;
  const want = noGrad(() => linear(sub(m.encode(batch(), 'mean'), new Tensor(c, [H])), h.out.weight, h.out.bias));
  const got = logits(m, 'mean');
  got.forEach((x, i) => assert.ok(Math.abs(x - want.data[i]!) < 1e-5, `logit ${i}: ${x} vs ${want.data[i]}`));
  assert.notDeepEqual(got, raw.mean);
  assert.deepEqual(logits(m, 'cls'), raw.cls, 'a cls head ignores a mean centre');
  assert.deepEqual(logits(m, 'mean', 'books'), raw.mean, 'rows of a domain without a centre are not shifted');
  assert.deepEqual(logits(m, 'mean', null), raw.mean, 'domain null: no centre');
  assert.deepEqual(logits(m, 'mean', 'kitchen'), got, 'the domain defaults to the active adapter');
  m.setActiveAdapter('books');
  const viaBooks = logits(m, 'mean');
  assert.notDeepEqual(logits(m, 'mean', 'kitchen'), viaBooks, 'an explicit domain wins over the adapter');
  // encode: the centre only when a domain is named
  const e0 = noGrad(() => m.encode(batch(), 'mean')).data;
  const e1 = noGrad(() => m.encode(batch(), 'mean', 'kitchen')).data;
  for (let i = 0; i < e0.length; i++) assert.ok(Math.abs(e0[i]! - c[i % H]! - e1[i]!) < 1e-6);
});

test('setDomainCentre refuses a wrong length, a non-finite value, an unknown pooling and a bad name', () => {
  const m = model();
  assert.throws(() => m.setDomainCentre('kitchen', 'mean', new Float32Array(H - 1)), /setDomainCentre\('kitchen'\): mean has 31 values, the hidden size is 32|mean has \d+ values, the hidden size is \d+/);
  const bad = vec(2);
  bad[5] = NaN;
  assert.throws(() => m.setDomainCentre('kitchen', 'mean', bad), /mean\[5\] is NaN/);
  assert.throws(() => m.setDomainCentre('kitchen', 'max' as never, vec(2)), /pooling must be one of pooler, cls, mean/);
  assert.throws(() => m.setDomainCentre('a.b', 'mean', vec(2)));
});

test('absorbInputShift: after absorbing δ, the head gives on x − δ exactly what it gave on x (bert and roberta styles)', () => {
  for (const head of ['mean', 'rob']) {
    const m = model();
    m.setActiveAdapter('books');
    const before = logits(m, head);
    const d = vec(3);
    (m.getHead(head) as SequenceClassificationHead).absorbInputShift(d);
    assert.notDeepEqual(logits(m, head), before, `${head}: the bias moved`);
    m.setDomainCentre('books', 'mean', d);
    const after = logits(m, head);
    after.forEach((x, i) => assert.ok(Math.abs(x - before[i]!) < 1e-5, `${head} logit ${i}: ${x} vs ${before[i]}`));
    assert.throws(() => (m.getHead(head) as SequenceClassificationHead).absorbInputShift(new Float32Array(3)), /input shift of length 3, expected/);
  }
});

test('centres are saved in adaptext.json and reload to the same logits; a damaged entry names the field', () => {
  const m = model();
  m.setDomainCentre('kitchen', 'mean', vec(4));
  m.setDomainCentre('books', 'cls', vec(5));
  m.setActiveAdapter('kitchen');
  const dir = join(tempFolder('adaptext-centres-'), 'saved');
  saveModel(m, dir);
  const side = JSON.parse(readFileSync(join(dir, 'adaptext.json'), 'utf8'));
  assert.deepEqual(Object.keys(side.domain_centres).sort(), ['books', 'kitchen']);
  assert.equal(side.domain_centres.kitchen.pooling, 'mean');
  const { model: back } = loadModel(dir);
  back.eval();
  assert.deepEqual(back.domainCentre('kitchen')!.mean, m.domainCentre('kitchen')!.mean);
  assert.deepEqual(logits(back, 'mean'), logits(m, 'mean'));
  side.domain_centres.kitchen.mean[3] = 'x';
  writeFileSync(join(dir, 'adaptext.json'), JSON.stringify(side));
  assert.throws(() => loadModel(dir), /adaptext\.json: domain_centres\.kitchen\.mean must be an array of finite numbers/);
  side.domain_centres.kitchen = { pooling: 'mean', mean: [1, 2] };
  writeFileSync(join(dir, 'adaptext.json'), JSON.stringify(side));
  assert.throws(() => loadModel(dir), /domain_centres\.kitchen: setDomainCentre\('kitchen'\): mean has 2 values/);
});

test('a model without centres writes no domain_centres field', () => {
  const m = model();
  const dir = join(tempFolder('adaptext-centres-'), 'plain');
  saveModel(m, dir);
  assert.equal(JSON.parse(readFileSync(join(dir, 'adaptext.json'), 'utf8')).domain_centres, undefined);
});
