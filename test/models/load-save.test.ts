// Loading errors (one line, every problem listed), pickle refusal, save → load round trips of
// whole models, adapter folders (AdapterHub layout) and head folders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../../src/tensor/index.js';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { loadAdapter, loadHead, loadModel } from '../../src/models/load.js';
import { saveAdapter, saveHead, saveModel } from '../../src/models/save.js';
import { AdapterModel } from '../../src/models/model.js';
import { FIXTURES, TINY, batch, inputOf, readGolden } from './helpers.js';
import { arrayDiff } from '../support/close.js';
import { tmp as tempFolder } from '../support/tmp.js';

function tmp(): string {
  return tempFolder('adaptext-models-');
}

/** Copy a fixture folder, rewriting its model.safetensors through `edit`. */
function editedFixture(name: string, edit: (m: Map<string, { shape: number[]; data: Float32Array }>) => void): string {
  const dir = join(tmp(), name);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  const t = readSafetensors(join(dir, 'model.safetensors'));
  const m = new Map([...t].map(([k, v]) => [k, { shape: v.shape, data: v.data }]));
  edit(m);
  writeSafetensors(join(dir, 'model.safetensors'), m);
  return dir;
}

test('missing, unexpected and mis-shaped tensors: ONE error listing each with shapes', () => {
  const dir = editedFixture('bert_tiny', (m) => {
    m.delete('bert.encoder.layer.1.attention.self.key.weight');
    m.set('bert.encoder.layer.0.output.dense.bias', { shape: [31], data: new Float32Array(31) });
    m.set('qa_outputs.weight', { shape: [2, 32], data: new Float32Array(64) });
  });
  let msg = '';
  try {
    loadModel(dir);
  } catch (e) {
    msg = (e as Error).message;
  }
  assert.ok(!msg.includes('\n'), 'one line');
  assert.match(msg, /missing 1: bert\.encoder\.layer\.1\.attention\.self\.key\.weight \[32, 32\]/);
  assert.match(msg, /unexpected 1: qa_outputs\.weight \[2, 32\]/);
  assert.match(msg, /mis-shaped 1: bert\.encoder\.layer\.0\.output\.dense\.bias \(expected \[32\], found \[31\]\)/);
  assert.ok(msg.startsWith(dir), 'names the folder');
});

test('a legacy (non-zip) pytorch_model.bin is refused with the conversion command; no pickle is executed', () => {
  const dir = tmp();
  cpSync(join(FIXTURES, 'bert_tiny', 'config.json'), join(dir, 'config.json'));
  writeFileSync(join(dir, 'pytorch_model.bin'), Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]));
  assert.throws(() => loadModel(dir), (e: Error) => /pytorch_model\.bin is a PyTorch pickle/.test(e.message) && /safetensors/.test(e.message) && !e.message.includes('\n'));
  const empty = tmp();
  cpSync(join(FIXTURES, 'bert_tiny', 'config.json'), join(empty, 'config.json'));
  assert.throws(() => loadModel(empty), /no model\.safetensors, model\.safetensors\.index\.json, pytorch_model\.bin or pytorch_model\.bin\.index\.json \(found: config\.json\)/);
  assert.throws(() => loadModel(tmp()), /config\.json: not found/);
});

test('a RoBERTa checkpoint without pooler loads (pooler initialised, as HF does)', () => {
  const dir = editedFixture('roberta_tiny', (m) => {
    m.delete('roberta.pooler.dense.weight');
    m.delete('roberta.pooler.dense.bias');
  });
  const { info } = loadModel(dir);
  assert.deepEqual(info.initialized.sort(), ['roberta.pooler.dense.bias', 'roberta.pooler.dense.weight']);
});

test('save → load round trip is identical (backbone, adapters, heads, active state) and HF names are used', () => {
  const { model } = loadModel(join(FIXTURES, 'bert_tiny'));
  loadAdapter(model, join(FIXTURES, 'bert_tiny', 'adapters', 'target'), { setActive: true });
  model.addAdapter('other', 'double_seq_bn');
  model.addHead('sentiment', { type: 'sequence_classification', numLabels: 2, labels: ['neg', 'pos'] }, { main: true });
  model.addHead('dom', { type: 'domain_discriminator', numDomains: 2, hiddenSizes: [8] });
  const dir = join(tmp(), 'saved');
  const tok = { save: (d: string) => writeFileSync(join(d, 'vocab.txt'), '[PAD]\n') };
  saveModel(model, dir, { tokenizer: tok });
  const keys = [...readSafetensors(join(dir, 'model.safetensors')).keys()];
  assert.ok(keys.includes('classifier.weight') && keys.includes('classifier.bias'), 'main head under HF names');
  assert.ok(keys.includes('cls.predictions.transform.dense.weight') === false, 'mlm is not main: stays under heads.');
  assert.ok(keys.includes('heads.mlm.0.weight') && keys.includes('heads.dom.1.weight'));
  assert.ok(keys.includes('bert.encoder.layer.2.output.adapters.target.adapter_down.0.weight'));
  assert.ok(!keys.some((k) => k.endsWith('decoder.weight')), 'tied decoder not stored');
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.deepEqual(cfg.architectures, ['BertForSequenceClassification']);
  assert.deepEqual(cfg.id2label, { 0: 'neg', 1: 'pos' });
  assert.ok(existsSync(join(dir, 'vocab.txt')), 'tokenizer saved');

  const { model: back } = loadModel(dir);
  assert.deepEqual(back.adapterNames().sort(), ['other', 'target']);
  assert.equal(back.activeAdapter, 'target');
  assert.deepEqual([...back.headNames()].sort(), ['dom', 'mlm', 'sentiment']);
  assert.equal(back.mainHead, 'sentiment');
  const a = model.stateDict();
  const b = back.stateDict();
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  for (const [k, p] of a) assert.deepEqual(b.get(k)!.data, p.data, k);
  model.eval();
  back.eval();
  const { meta } = readGolden('bert_tiny');
  const input = inputOf(meta);
  const o1 = noGrad(() => model.forward(input, { heads: ['sentiment', 'dom', 'mlm'] }));
  const o2 = noGrad(() => back.forward(input, { heads: ['sentiment', 'dom', 'mlm'] }));
  assert.deepEqual(o2.heads['sentiment']!.logits.data, o1.heads['sentiment']!.logits.data);
  assert.deepEqual(o2.heads['mlm']!.logits.data, o1.heads['mlm']!.logits.data);
});

test('MLM as main head is saved as cls.predictions.* / lm_head.* (BertForMaskedLM layout)', () => {
  for (const kind of ['bert', 'roberta'] as const) {
    const { model } = loadModel(join(FIXTURES, `${kind}_tiny`));
    const dir = join(tmp(), kind);
    saveModel(model, dir, { mainHead: 'mlm' });
    const keys = new Set(readSafetensors(join(dir, 'model.safetensors')).keys());
    const orig = new Set(readSafetensors(join(FIXTURES, `${kind}_tiny`, 'model.safetensors')).keys());
    const dropped = [...orig].filter((k) => !keys.has(k)).sort();
    // Only what HF itself drops: tied decoder copies, buffers, the NSP head
    const expected =
      kind === 'bert'
        ? ['bert.embeddings.position_ids', 'cls.predictions.decoder.bias', 'cls.predictions.decoder.weight', 'cls.seq_relationship.bias', 'cls.seq_relationship.weight']
        : ['lm_head.decoder.weight', 'roberta.embeddings.position_ids'];
    assert.deepEqual(dropped, expected);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).architectures, [kind === 'bert' ? 'BertForMaskedLM' : 'RobertaForMaskedLM']);
  }
});

test('adapter folder: AdapterHub files and names, only that adapter, loads back (also under another name)', () => {
  const model = new AdapterModel(TINY, { seed: 8 });
  model.addAdapter('med', 'double_seq_bn');
  model.addAdapter('law', 'seq_bn');
  const dir = join(tmp(), 'med');
  saveAdapter(model, 'med', dir);
  const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
  assert.deepEqual(Object.keys(cfg), ['config', 'hidden_size', 'model_class', 'model_name', 'model_type', 'name', 'version']);
  assert.equal(cfg.model_class, 'BertAdapterModel');
  assert.equal(cfg.config.non_linearity, 'swish');
  assert.equal(cfg.config.mh_adapter, true);
  const keys = [...readSafetensors(join(dir, 'adapter.safetensors')).keys()];
  assert.ok(keys.every((k) => k.startsWith('bert.encoder.layer.') && k.includes('.adapters.med.')));
  assert.equal(keys.length, model.adapterParameters('med').length);
  const other = new AdapterModel(TINY, { seed: 99 });
  loadAdapter(other, dir, { loadAs: 'medical', setActive: true });
  assert.equal(other.activeAdapter, 'medical');
  const src = model.adapterParameters('med');
  const dst = new Map(other.adapterParameters('medical'));
  for (const [k, p] of src) assert.deepEqual(dst.get(k.replace('.med.', '.medical.'))!.data, p.data);
  assert.throws(() => loadAdapter(other, dir, { loadAs: 'medical' }), /already exists/);
  const bad = new AdapterModel({ ...TINY, hidden_size: 8 });
  assert.throws(() => loadAdapter(bad, dir), /trained for hidden_size 16, this model has 8/);
});

test('head folder: head_config.json + model_head.safetensors round trip', () => {
  const model = new AdapterModel(TINY, { seed: 8 });
  model.addHead('topic', { type: 'sequence_classification', numLabels: 3, style: 'roberta', labels: ['a', 'b', 'c'] });
  model.addHead('dom', { type: 'domain_discriminator', numDomains: 2, hiddenSizes: [8, 4], features: 'mean', lambda: 0.3 });
  model.addHead('mlm', { type: 'masked_lm' });
  for (const h of ['topic', 'dom', 'mlm']) {
    const dir = join(tmp(), h);
    saveHead(model, h, dir);
    const other = new AdapterModel(TINY, { seed: 1 });
    loadHead(other, dir);
    assert.deepEqual(other.getHead(h).headConfig(), model.getHead(h).headConfig());
    const a = new Map(model.getHead(h).namedParameters());
    for (const [k, p] of other.getHead(h).namedParameters()) assert.deepEqual(p.data, a.get(k)!.data);
  }
  const dir = join(tmp(), 'broken');
  saveHead(model, 'topic', dir);
  rmSync(join(dir, 'model_head.safetensors'));
  assert.throws(() => loadHead(model, dir, { loadAs: 't2' }), /no model_head\.safetensors/);
});

test('freezing and dropout survive nothing implicit: a loaded model starts trainable in train mode', () => {
  const { model } = loadModel(join(FIXTURES, 'bert_unprefixed'));
  assert.equal(model.training, true);
  assert.ok(model.parameters().every((p) => p.requiresGrad));
  const out = model.forward(batch(2, 6));
  assert.deepEqual([...out.lastHiddenState.shape], [2, 6, 32]);
});

test('sharded checkpoints (model.safetensors.index.json) load like a single file', () => {
  const dir = join(tmp(), 'sharded');
  cpSync(join(FIXTURES, 'bert_unprefixed'), dir, { recursive: true });
  const all = [...readSafetensors(join(dir, 'model.safetensors'))];
  rmSync(join(dir, 'model.safetensors'));
  const half = Math.floor(all.length / 2);
  const shards = [all.slice(0, half), all.slice(half)];
  const weightMap: Record<string, string> = {};
  shards.forEach((s, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    writeSafetensors(join(dir, file), new Map(s.map(([k, v]) => [k, { shape: v.shape, data: v.data }])));
    for (const [k] of s) weightMap[k] = file;
  });
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  const { meta, tensors } = readGolden('bert_unprefixed');
  const { model } = loadModel(dir);
  model.eval();
  const out = noGrad(() => model.forward(inputOf(meta)));
  const want = tensors.get('out.last_hidden_state')!.data;
  const maxd = arrayDiff(out.lastHiddenState.data, want).maxAbs;
  assert.ok(maxd < 1e-5, `sharded load output differs by ${maxd}`);
  assert.throws(() => model.forward({ ...batch(2, 6), attentionMask: new Float32Array(12).fill(0.5) }), /attentionMask\[0\] = 0\.5; use 1 for tokens and 0 for padding/);
});

test('ln_before adapters are saved under both AdapterHub names and load back', () => {
  const dir = join(FIXTURES, 'bert_adapter_variant');
  const { model } = loadModel(dir);
  loadAdapter(model, join(dir, 'adapters', 'variant'));
  const out = join(tmp(), 'variant');
  saveAdapter(model, 'variant', out);
  const saved = readSafetensors(join(out, 'adapter.safetensors'));
  const orig = readSafetensors(join(dir, 'adapters', 'variant', 'adapter.safetensors'));
  assert.deepEqual([...saved.keys()].sort(), [...orig.keys()].map((k) => `bert.${k}`).sort());
  for (const [k, t] of orig) assert.deepEqual(saved.get(`bert.${k}`)!.data, t.data, k);
  const again = loadModel(dir).model;
  loadAdapter(again, out);
  assert.equal(again.adapterParameters('variant').length, model.adapterParameters('variant').length);
});
