// Classification-head pooling (pooler | cls | mean) as a saved, reloadable head option, the
// pooler_trained flag of adaptext.json, and the pipeline's default pooling from the checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad, Tensor } from '../../src/tensor/index.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { loadModel } from '../../src/models/load.js';
import { saveModel } from '../../src/models/save.js';
import { AdapterModel } from '../../src/models/model.js';
import { DomainDiscriminatorHead, SequenceClassificationHead, specFromHeadConfig } from '../../src/models/heads.js';
import { featureKind, taskPooling } from '../../src/train/setup.js';
import { validateConfig } from '../../src/train/config.js';
import { FIXTURES, TINY, batch } from './helpers.js';
import { tmp as tempFolder } from '../support/tmp.js';

const tmp = (): string => tempFolder('adaptext-pooling-');

test('each pooling reads its own vector: logits differ between pooler, cls and mean on the same weights', () => {
  const model = new AdapterModel(TINY, { seed: 3 });
  for (const p of ['pooler', 'cls', 'mean'] as const) model.addHead(p, { type: 'sequence_classification', numLabels: 2, pooling: p });
  const w = model.getHead('pooler').stateDict();
  for (const p of ['cls', 'mean']) for (const [k, t] of model.getHead(p).stateDict()) t.data.set(w.get(k)!.data);
  model.eval();
  const o = noGrad(() => model.forward(batch(), { heads: ['pooler', 'cls', 'mean'] }));
  const l = (h: string) => [...o.heads[h]!.logits.data];
  assert.notDeepEqual(l('pooler'), l('cls'));
  assert.notDeepEqual(l('cls'), l('mean'));
  assert.notDeepEqual(l('pooler'), l('mean'));
  assert.throws(() => model.addHead('bad', { type: 'sequence_classification', numLabels: 2, style: 'roberta', pooling: 'pooler' }), /pooling 'pooler' needs style 'bert'/);
  assert.throws(() => model.addHead('bad2', { type: 'sequence_classification', numLabels: 2, pooling: 'max' as never }), /pooling must be one of pooler, cls, mean, got 'max'/);
});

test('a mean-pooling main head is saved under heads.<name>.* (no HF class pools that way) and reloads with its pooling and logits', () => {
  const model = new AdapterModel(TINY, { seed: 4 });
  model.addHead('sentiment', { type: 'sequence_classification', numLabels: 2, labels: ['neg', 'pos'], pooling: 'mean' }, { main: true });
  const dir = join(tmp(), 'saved');
  saveModel(model, dir);
  const keys = [...readSafetensors(join(dir, 'model.safetensors')).keys()];
  assert.ok(keys.includes('heads.sentiment.1.weight') && !keys.includes('classifier.weight'), keys.join(','));
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).architectures, ['BertModel']);
  const side = JSON.parse(readFileSync(join(dir, 'adaptext.json'), 'utf8'));
  assert.equal(side.heads.sentiment.pooling, 'mean');
  assert.equal(side.heads.sentiment.use_pooler, false);
  assert.equal(side.main_head, 'sentiment');
  assert.equal(side.pooler_trained, false, 'a model built here has a random pooler');
  const { model: back } = loadModel(dir);
  const h = back.getHead('sentiment');
  assert.ok(h instanceof SequenceClassificationHead && h.pooling === 'mean');
  assert.equal(back.mainHead, 'sentiment');
  assert.equal(back.poolerTrained, false);
  model.eval();
  back.eval();
  const a = noGrad(() => model.forward(batch(), { heads: ['sentiment'] }));
  const b = noGrad(() => back.forward(batch(), { heads: ['sentiment'] }));
  assert.deepEqual(b.heads['sentiment']!.logits.data, a.heads['sentiment']!.logits.data);
});

test('head_config: AdapterHub layers=1 use_pooler=false is a [CLS] head; pooling and use_pooler must agree', () => {
  const base = { head_type: 'classification', num_labels: 2, layers: 1, activation_function: 'tanh' };
  assert.equal((specFromHeadConfig({ ...base, use_pooler: false }, 'f') as { pooling: string }).pooling, 'cls');
  assert.equal((specFromHeadConfig({ ...base, use_pooler: true }, 'f') as { pooling: string }).pooling, 'pooler');
  assert.equal((specFromHeadConfig({ ...base, use_pooler: false, pooling: 'mean' }, 'f') as { pooling: string }).pooling, 'mean');
  assert.throws(() => specFromHeadConfig({ ...base, use_pooler: true, pooling: 'mean' }, 'f.json'), /^Error: f\.json: classification head with pooling="mean" and use_pooler=true/);
});

test('pooler_trained: HF BERT with a pooler → true; pooler missing, RoBERTa or adaptext.json false → false; the pipeline default follows', () => {
  const bert = loadModel(join(FIXTURES, 'bert_tiny')).model;
  assert.equal(bert.poolerTrained, true);
  assert.equal(loadModel(join(FIXTURES, 'roberta_tiny')).model.poolerTrained, false);
  const dir = join(tmp(), 'bert');
  cpSync(join(FIXTURES, 'bert_tiny'), dir, { recursive: true });
  writeFileSync(join(dir, 'adaptext.json'), JSON.stringify({ format: 'adaptext.model', version: 1, adapters: {}, active_adapter: null, heads: {}, active_heads: [], main_head: null, pooler_trained: false }));
  const mlmOnly = loadModel(dir).model;
  assert.equal(mlmOnly.poolerTrained, false);
  writeFileSync(join(dir, 'adaptext.json'), JSON.stringify({ format: 'adaptext.model', version: 1, adapters: {}, active_adapter: null, heads: {}, active_heads: [], main_head: null, pooler_trained: 'no' }));
  assert.throws(() => loadModel(dir), /adaptext\.json: field 'pooler_trained' must be true or false/);

  const raw = (pooling?: string, features?: string) => ({
    model: '.', output: 'out', ...(features ? { features } : {}),
    tasks: { s: { type: 'sequence_classification', labels: ['a', 'b'], ...(pooling ? { pooling } : {}) } },
    source: { name: 'x', task: 's', train: 'a.jsonl' },
    target: { name: 'y', task: 's', test: 'b.jsonl', unlabelled: 'c.jsonl', few_shot: 'd.jsonl' },
  });
  const cfg = validateConfig(raw(), 't', '/');
  assert.equal(taskPooling(bert, cfg.tasks['s']!), 'pooler');
  assert.equal(taskPooling(mlmOnly, cfg.tasks['s']!), 'mean');
  assert.equal(featureKind(cfg, bert), 'pooled');
  assert.equal(featureKind(cfg, mlmOnly), 'mean');
  const cls = validateConfig(raw('cls'), 't', '/');
  assert.equal(taskPooling(bert, cls.tasks['s']!), 'cls');
  assert.equal(featureKind(cls, bert), 'cls');
  assert.equal(featureKind(validateConfig(raw('cls', 'pooled'), 't', '/'), mlmOnly), 'pooled', 'an explicit features setting wins');
});

test('the bundled backbone records an untrained pooler, so its task heads default to mean pooling', () => {
  const side = JSON.parse(readFileSync(join(process.cwd(), 'models', 'adaptext-mini-en', 'adaptext.json'), 'utf8'));
  assert.equal(side.pooler_trained, false);
});

test('discriminator standardize: fixed input statistics are applied, saved, reloaded and never trained', () => {
  const model = new AdapterModel(TINY, { seed: 6 });
  model.addHead('d', { type: 'domain_discriminator', numDomains: 2, hiddenSizes: [8], features: 'mean', standardize: true, adversary: 'confusion' });
  model.addHead('plain', { type: 'domain_discriminator', numDomains: 2, hiddenSizes: [8], features: 'mean' });
  const d = model.getHead('d') as DomainDiscriminatorHead;
  for (const [k, t] of model.getHead('plain').stateDict()) d.stateDict().get(k)!.data.set(t.data);
  const H = TINY.hidden_size;
  const mean = Float32Array.from({ length: H }, (_, j) => 0.1 * j - 0.5);
  const inv = Float32Array.from({ length: H }, (_, j) => 1 + j / H);
  d.setInputStatistics(mean, inv);
  assert.throws(() => d.setInputStatistics(mean.slice(1), inv), /statistics of length 15\/16, expected 16/);
  model.eval();
  const input = batch();
  const labels = { d: Int32Array.from([0, 1]) };
  const o = model.forward(input, { heads: ['d', 'plain'], labels, grlLambda: 0.5 });
  // the same MLP on standardised features, computed by hand from the plain head's view
  const feats = noGrad(() => model.encode(input, 'mean')).data; // [2,H]
  const std = new Float32Array(feats.length);
  for (let i = 0; i < feats.length; i++) std[i] = (feats[i]! - mean[i % H]!) * inv[i % H]!;
  const plainOnStd = noGrad(() => (model.getHead('plain') as DomainDiscriminatorHead).forward(
    { sequenceOutput: new Tensor(std, [2, 1, H]), pooledOutput: new Tensor(std, [2, H]), attentionMask: null, shape: [2, 1], wordEmbeddings: model.base.embeddings.word_embeddings.weight },
  ));
  const got = o.heads['d']!.logits.data;
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i]! - plainOnStd.logits.data[i]!) < 1e-5, `logit ${i}: ${got[i]} vs ${plainOnStd.logits.data[i]}`);
  o.loss!.backward();
  const stats = d.namedParameters().filter(([k]) => k.startsWith('input_'));
  assert.equal(stats.length, 2);
  for (const [k, p] of stats) assert.equal(p.grad, null, `${k} got a gradient`);
  const dir = join(tmp(), 'disc');
  saveModel(model, dir);
  assert.equal(JSON.parse(readFileSync(join(dir, 'adaptext.json'), 'utf8')).heads.d.standardize, true);
  const back = loadModel(dir).model.getHead('d') as DomainDiscriminatorHead;
  assert.equal(back.spec.standardize, true);
  assert.deepEqual(back.stateDict().get('input_mean')!.data, mean);
});
