// AdapterModel behaviour: stage-3 isolation, freezing, parameter groups, dropout modes,
// adapter/head management and the near-identity adapter init.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossEntropy, linear, noGrad, relu } from '../../src/tensor/index.js';
import { AdamW } from '../../src/optim/adamw.js';
import { AdapterModel, globToRegExp } from '../../src/models/model.js';
import { createPositionIdsFromInputIds } from '../../src/models/bert.js';
import { TINY, batch } from './helpers.js';
import { arrayDiff, assertClose } from '../support/close.js';

function snapshot(model: AdapterModel): Map<string, Float32Array> {
  return new Map(model.namedParameters().map(([k, p]) => [k, p.data.slice()]));
}

test('stage 3: only the target adapter and one head change; the other domain adapter and backbone do not', () => {
  const model = new AdapterModel(TINY, { seed: 3 });
  model.addAdapter('source', 'seq_bn');
  model.addAdapter('target', { base: 'seq_bn', reduction_factor: 4 });
  model.addHead('sentiment', { type: 'sequence_classification', numLabels: 2 });
  model.addHead('topic', { type: 'sequence_classification', numLabels: 3 });
  model.addHead('mlm', { type: 'masked_lm' });
  model.setActiveAdapter('target');
  model.trainOnly({ adapters: ['target'], heads: ['sentiment'] });
  const groups = model.paramGroups();
  assert.equal(groups.backbone.length, 0);
  assert.equal(groups.embeddings.length, 0);
  assert.ok(groups.adapters.length > 0 && groups.adapters.every((p) => p.name!.includes('.adapters.target.')));
  assert.ok(groups.heads.every((p) => p.name!.startsWith('heads.sentiment.')));
  const opt = new AdamW([
    { name: 'adapters', params: groups.adapters, lr: 1e-2 },
    { name: 'heads', params: groups.heads, lr: 1e-2 },
  ]);
  const before = snapshot(model);
  const input = batch();
  for (let step = 0; step < 3; step++) {
    const out = model.forward(input, { heads: ['sentiment', 'mlm'], labels: { sentiment: Int32Array.from([0, 1]) } });
    out.loss!.backward();
    opt.step();
    opt.zeroGrad();
  }
  const changed: string[] = [];
  for (const [k, p] of model.namedParameters()) {
    const b = before.get(k)!;
    if (p.data.some((v, i) => v !== b[i])) changed.push(k);
  }
  const expected = model
    .namedParameters()
    .map(([k]) => k)
    .filter((k) => k.includes('.adapters.target.') || k.startsWith('heads.sentiment.'));
  assert.deepEqual(changed.sort(), expected.sort());
  assert.ok(!changed.some((k) => k.includes('.adapters.source.')), 'other domain adapter untouched');
});

test('freezeLayers(n) freezes embeddings and layers < n only; freezing by glob and RegExp', () => {
  const model = new AdapterModel(TINY);
  model.addAdapter('d', { base: 'seq_bn', leave_out: [] });
  model.freezeLayers(2);
  for (const [k, p] of model.namedParameters()) {
    const layer = /encoder\.layer\.(\d+)\./.exec(k);
    const shouldFreeze = !k.includes('.adapters.') && (k.startsWith('bert.embeddings.') || (layer !== null && Number(layer[1]) < 2));
    assert.equal(p.requiresGrad, !shouldFreeze, k);
  }
  model.unfreezeAll();
  const hit = model.freeze('bert.encoder.layer.*.attention.self.**');
  assert.equal(hit.length, 4 * 6);
  assert.ok(model.namedParameters().every(([k, p]) => p.requiresGrad === !/attention\.self\./.test(k)));
  model.unfreeze(/attention\.self\.query/);
  assert.equal(model.paramGroups().backbone.filter((p) => /self\.query/.test(p.name!)).length, 8);
  assert.throws(() => model.freeze('nothing.*'), /matches no parameter/);
  assert.throws(() => model.freezeLayers(5), /freezeLayers: n must be an integer in \[0, 4\]/);
  assert.ok(globToRegExp('a.*.c').test('a.b.c') && !globToRegExp('a.*.c').test('a.b.x.c'));
});

test('parameter groups partition every parameter; counts add up', () => {
  const model = new AdapterModel(TINY);
  model.addAdapter('x', 'double_seq_bn');
  model.addHead('dom', { type: 'domain_discriminator', numDomains: 2 });
  const g = model.paramGroups({ includeFrozen: true });
  const all = model.parameters();
  assert.equal(g.backbone.length + g.embeddings.length + g.adapters.length + g.heads.length, all.length);
  assert.ok(g.embeddings.every((p) => p.name!.startsWith('bert.embeddings.')));
  assert.ok(g.backbone.some((p) => p.name === 'bert.pooler.dense.weight'));
  const c = model.countParameters();
  assert.equal(c.total.total, all.reduce((n, p) => n + p.size, 0));
  assert.equal(c.backbone.total + c.embeddings.total + c.adapters.total + c.heads.total, c.total.total);
});

test('adapter names and placement follow AdapterHub; default leave_out skips the lower half', () => {
  const model = new AdapterModel(TINY);
  const cfg = model.addAdapter('med', 'double_seq_bn');
  assert.deepEqual(cfg.leave_out, [0, 1]);
  assert.equal(cfg.non_linearity, 'swish');
  const names = model.adapterParameters('med').map(([k]) => k);
  assert.ok(names.includes('bert.encoder.layer.2.output.adapters.med.adapter_down.0.weight'));
  assert.ok(names.includes('bert.encoder.layer.3.attention.output.adapters.med.adapter_up.bias'));
  assert.ok(!names.some((k) => k.includes('layer.0.') || k.includes('layer.1.')));
  const down = model.stateDict().get('bert.encoder.layer.2.output.adapters.med.adapter_down.0.weight')!;
  assert.deepEqual([...down.shape], [1, 16]); // 16 // 16 = 1
  const pf = model.addAdapter('rev', { base: 'seq_bn', reduction_factor: { '3': 2, default: 8 } });
  assert.equal(pf.non_linearity, 'relu');
  assert.deepEqual([...model.stateDict().get('bert.encoder.layer.3.output.adapters.rev.adapter_down.0.weight')!.shape], [8, 16]);
  assert.deepEqual([...model.stateDict().get('bert.encoder.layer.2.output.adapters.rev.adapter_down.0.weight')!.shape], [2, 16]);
  assert.equal(model.stateDict().get('bert.encoder.layer.2.attention.output.adapters.rev.adapter_up.weight'), undefined);
  assert.throws(() => model.addAdapter('med'), /already exists/);
  assert.throws(() => model.setActiveAdapter('nope'), /no adapter 'nope'/);
  assert.throws(() => model.addAdapter('z', { base: 'seq_bn', is_parallel: true }), /not supported/);
  assert.throws(() => model.addAdapter('z', { base: 'seq_bn', leave_out: [9] }), /leave_out/);
  assert.throws(() => model.addAdapter('z', { base: 'seq_bn', non_linearity: 'mish' }), /unsupported activation 'mish'/);
  assert.throws(() => model.addAdapter('z', { colour: 1 } as never), /unknown adapter config key 'colour'/);
  model.deleteAdapter('rev');
  assert.deepEqual(model.adapterNames(), ['med']);
});

test('a fresh adapter is near identity; inactive adapters do not change the output', () => {
  const model = new AdapterModel(TINY, { seed: 5 }).eval();
  const input = batch();
  const plain = noGrad(() => model.forward(input).lastHiddenState.data.slice());
  model.addAdapter('a', { base: 'seq_bn', reduction_factor: 2 });
  const inactive = noGrad(() => model.forward(input).lastHiddenState.data);
  assert.deepEqual(inactive, plain);
  model.setActiveAdapter('a');
  const active = noGrad(() => model.forward(input).lastHiddenState.data);
  const maxd = arrayDiff(active, plain).maxAbs;
  assert.ok(maxd > 0 && maxd < 0.1, `adapter init near identity (max change ${maxd})`);
});

test('dropout is active in train() and off in eval(); train mode is reproducible from the seed', () => {
  const input = batch();
  const run = (m: AdapterModel): Float32Array => noGrad(() => m.forward(input).lastHiddenState.data);
  const m1 = new AdapterModel(TINY, { seed: 9 });
  const m2 = new AdapterModel(TINY, { seed: 9 });
  const t1 = run(m1.train());
  const t2 = run(m2.train());
  assert.deepEqual(t1, t2, 'same seed, same dropout masks');
  m1.eval();
  const e1 = run(m1);
  const e2 = run(m1);
  assert.deepEqual(e1, e2);
  assert.notDeepEqual(t1, e1);
  assert.equal(m1.base.encoder.layer.at(0).output.dropout.training, false);
  m1.addHead('h', { type: 'token_classification', numLabels: 3 });
  assert.equal(m1.getHead('h').training, false, 'new heads follow the model mode');
});

test('heads: several trained jointly, GRL flips the discriminator gradient, token labels ignore padding', () => {
  const model = new AdapterModel(TINY, { seed: 2 }).eval();
  model.addHead('tags', { type: 'token_classification', numLabels: 3 });
  model.addHead('dom', { type: 'domain_discriminator', numDomains: 2, lambda: 1 });
  const input = batch();
  const tags = new Int32Array(12).fill(1);
  tags[0] = -100;
  const dom = Int32Array.from([0, 1]);
  const grad = (lambda: number): Float32Array => {
    model.zeroGrad();
    const out = model.forward(input, { heads: ['dom'], labels: { dom }, grlLambda: lambda });
    out.loss!.backward();
    return model.stateDict().get('bert.pooler.dense.weight')!.grad!.slice();
  };
  const g1 = grad(1);
  const g2 = grad(0.5);
  // The unreversed gradient, built without any gradient-reversal op: the discriminator's layers
  // ('1' Linear → relu → '4' Linear; dropout is off in eval) applied to the pooled output by hand.
  model.zeroGrad();
  const out = model.forward(input, { heads: [] });
  const hp = new Map(model.getHead('dom').namedParameters());
  const w = (k: string) => hp.get(k)!;
  const logitsPlain = linear(relu(linear(out.pooledOutput, w('1.weight'), w('1.bias'))), w('4.weight'), w('4.bias'));
  const viaHead = noGrad(() => model.forward(input, { heads: ['dom'] }).heads['dom']!.logits.data);
  assert.deepEqual(logitsPlain.data, viaHead, 'the hand-built discriminator is the head');
  crossEntropy(logitsPlain, dom).backward();
  const gPlain = model.stateDict().get('bert.pooler.dense.weight')!.grad!.slice();
  assert.ok(gPlain.some((v) => v !== 0));
  // GRL: the encoder receives exactly -λ × the unreversed gradient (λ = 1 and λ = 0.5)
  assertClose(g1, gPlain.map((v) => -v), 'GRL λ=1: -1 × the unreversed gradient', { rtol: 1e-6, atol: 1e-9 });
  assertClose(g2, gPlain.map((v) => -0.5 * v), 'GRL λ=0.5: -0.5 × the unreversed gradient', { rtol: 1e-6, atol: 1e-9 });
  // padding positions carry label 1 but are ignored: changing them does not change the loss
  const l1 = noGrad(() => model.forward(input, { heads: ['tags'], labels: { tags } }).loss!.item());
  const tags2 = tags.slice();
  tags2[10] = 2;
  tags2[11] = 0;
  const l2 = noGrad(() => model.forward(input, { heads: ['tags'], labels: { tags: tags2 } }).loss!.item());
  assert.equal(l1, l2);
  const both = model.forward(input, { heads: ['tags', 'dom'], labels: { tags, dom }, lossWeights: { dom: 0.1 } });
  const sep = both.heads['tags']!.loss!.item() + 0.1 * both.heads['dom']!.loss!.item();
  assert.ok(Math.abs(both.loss!.item() - sep) < 1e-6);
  assert.throws(() => model.forward(input, { heads: ['tags'], labels: { dom } }), /labels given for 'dom'/);
  assert.throws(() => model.forward(input, { heads: ['tags'], labels: { tags: new Int32Array(12).fill(7) } }), /label\[0\] = 7 outside \[0, 3\)/);
});

test('masked LM: sparse (labelled rows only) and full logits give the same loss; decoder tied to embeddings', () => {
  const model = new AdapterModel(TINY, { seed: 4 }).eval();
  model.addHead('mlm', { type: 'masked_lm' });
  model.addHead('mlm_full', { type: 'masked_lm', sparseLogits: false });
  const src = model.getHead('mlm').namedParameters();
  const dst = new Map(model.getHead('mlm_full').namedParameters());
  for (const [k, p] of src) dst.get(k)!.data.set(p.data);
  const input = batch();
  const labels = new Int32Array(12).fill(-100);
  labels[2] = 7;
  labels[8] = 11;
  const a = model.forward(input, { heads: ['mlm'], labels: { mlm: labels } });
  const b = model.forward(input, { heads: ['mlm_full'], labels: { mlm_full: labels } });
  assert.deepEqual([...a.heads['mlm']!.logits.shape], [2, 50]);
  assert.deepEqual([...b.heads['mlm_full']!.logits.shape], [2, 6, 50]);
  assert.ok(Math.abs(a.loss!.item() - b.loss!.item()) < 1e-6);
  assert.ok(!model.getHead('mlm').namedParameters().some(([k]) => k.endsWith('3.weight')), 'no own decoder weight when tied');
  a.loss!.backward();
  assert.ok(model.stateDict().get('bert.embeddings.word_embeddings.weight')!.grad!.some((v) => v !== 0), 'tied decoder sends grad to the embeddings');
});

test('RoBERTa position ids: pads keep padding_idx, tokens count from padding_idx+1', () => {
  const ids = Int32Array.from([0, 5, 6, 2, 1, 1]);
  assert.deepEqual([...createPositionIdsFromInputIds(ids, 1, 6, 1)], [2, 3, 4, 5, 1, 1]);
});

test('bad inputs give one-line errors', () => {
  const model = new AdapterModel(TINY);
  assert.throws(() => model.forward({ inputIds: new Int32Array(5), shape: [2, 3] }), /inputIds has 5 elements, shape \[2, 3\] needs 6/);
  assert.throws(() => model.forward({ inputIds: new Int32Array(60), shape: [2, 30] }), /sequence length 30 exceeds max_position_embeddings 24/);
  assert.throws(() => model.forward({ ...batch(), tokenTypeIds: new Int32Array(12).fill(2) }), /tokenTypeIds\[0\] = 2 outside/);
  assert.throws(() => model.forward(batch(), { heads: ['nope'] }), /no head 'nope'/);
  assert.throws(() => new AdapterModel({ ...TINY, model_type: 'gpt2' }), /model_type 'gpt2' is not supported/);
  assert.throws(() => new AdapterModel({ ...TINY, hidden_size: 15 }), /hidden_size 15 is not a multiple of num_attention_heads 2/);
  assert.throws(() => model.addHead('bad name', { type: 'masked_lm' }), /name 'bad name' must be 1 to 64 letters, digits/);
  assert.throws(() => model.addAdapter('a'.repeat(65), {} as never), /must be 1 to 64 letters/);
  // absurd sizes are refused before anything is allocated, naming the field (issue 13 item 8)
  assert.throws(() => new AdapterModel({ ...TINY, num_hidden_layers: 1_000_000, hidden_size: 768, num_attention_heads: 12, intermediate_size: 3072 }), /config: num_hidden_layers 1000000 \(hidden_size 768\) needs [\d.]+ GiB for the float32 weights alone; this machine has [\d.]+ GiB/);
  assert.throws(() => new AdapterModel({ ...TINY, hidden_size: 1e9 }), /config: vocab_size \d+ with hidden_size 1000000000 makes a weight matrix of \d+ elements/);
});

test('resizeTokenEmbeddings: old rows kept, new rows = mean of their old sub-tokens (FVT), MLM follows, save config updated', () => {
  const model = new AdapterModel(TINY, { seed: 6 });
  model.addHead('mlm', { type: 'masked_lm' });
  model.addHead('mlm_u', { type: 'masked_lm', untied: true });
  const before = model.base.embeddings.word_embeddings.weight.data.slice();
  model.resizeTokenEmbeddings(53, { init: new Map([[50, [3, 5]], [52, [7]]]) });
  const w = model.stateDict().get('bert.embeddings.word_embeddings.weight')!;
  assert.deepEqual([...w.shape], [53, 16]);
  assert.deepEqual(w.data.subarray(0, 50 * 16), before);
  for (let j = 0; j < 16; j++) {
    assert.ok(Math.abs(w.data[50 * 16 + j]! - (before[3 * 16 + j]! + before[5 * 16 + j]!) / 2) < 1e-7);
    assert.equal(w.data[52 * 16 + j], before[7 * 16 + j]);
  }
  assert.ok(w.data.subarray(51 * 16, 52 * 16).some((v) => v !== 0), 'row without init drawn from N(0, std)');
  assert.deepEqual([...model.stateDict().get('heads.mlm.3.bias')!.shape], [53]);
  assert.deepEqual([...model.stateDict().get('heads.mlm_u.3.weight')!.shape], [53, 16]);
  assert.equal(model.config.vocab_size, 53);
  const input = { ...batch(), inputIds: Int32Array.from({ length: 12 }, (_, i) => (i === 3 ? 52 : 4)) };
  const labels = new Int32Array(12).fill(-100);
  labels[1] = 51;
  const out = model.forward(input, { heads: ['mlm'], labels: { mlm: labels } });
  assert.deepEqual([...out.heads['mlm']!.logits.shape], [1, 53]);
  assert.throws(() => model.resizeTokenEmbeddings(60, { init: new Map([[55, [99]]]) }), /uses id 99, outside the old vocabulary \[0, 53\)/);
  const s = model.summary();
  assert.equal(s.vocab, 53);
  assert.deepEqual(s.predictionHeads.map((h) => h.name), ['mlm', 'mlm_u']);
});
