// The exported ONNX graph computes what AdapterModel.forward computes: onnxruntime-node runs it on
// padded batches and its logits equal adaptext's to 1e-4 (fp32), for BERT and RoBERTa, both
// adapter configs (and the BnConfig variants), every pooling, token heads and no adapter; the int8
// graph stays close; the graph has dynamic batch/sequence axes and opset 17.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import type { onnx } from 'onnx-proto';
import { AdapterModel, type AdapterConfigSpec, type HeadSpec } from '../../src/models/index.js';
import { buildOnnxGraph, decodeModel, encodeOnnx, OPSET, type WeightFormat } from '../../src/deploy/index.js';
import { arrayDiff } from '../support/close.js';

interface Case {
  family: 'bert' | 'roberta';
  adapter: AdapterConfigSpec | null;
  head: HeadSpec;
  hiddenAct?: string;
}

function tinyModel(c: Case, size: { vocab: number; hidden: number } = { vocab: 60, hidden: 16 }): AdapterModel {
  const bert = c.family === 'bert';
  const m = new AdapterModel(
    {
      model_type: c.family,
      vocab_size: size.vocab,
      hidden_size: size.hidden,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 2 * size.hidden,
      max_position_embeddings: 40,
      type_vocab_size: bert ? 2 : 1,
      pad_token_id: bert ? 0 : 1,
      hidden_act: c.hiddenAct ?? 'gelu',
    },
    { seed: 7 },
  );
  if (c.adapter !== null) m.addAdapter('kitchen', c.adapter, { setActive: true });
  m.addHead('task', c.head, { setActive: true });
  // Adapters start near the identity (small up-projection): give them weight so a wrong adapter path shows.
  for (const p of m.parameters()) {
    if (p.name?.includes('adapter_up') || p.name?.includes('adapter_norm')) for (let i = 0; i < p.data.length; i++) p.data[i] += 0.2 * Math.sin(1.7 * i + 0.3);
  }
  return m.eval();
}

/** A padded batch: rows of different lengths, pads at the end, segment ids in the second half. */
function batch(m: AdapterModel, B: number, T: number) {
  const pad = m.cfg.padTokenId;
  const ids = new Int32Array(B * T);
  const mask = new Int32Array(B * T);
  const types = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const len = Math.max(2, T - 3 * b);
    for (let t = 0; t < T; t++) {
      const real = t < len;
      ids[b * T + t] = real ? 3 + ((b * 11 + t * 7) % 55) : pad;
      mask[b * T + t] = real ? 1 : 0;
      types[b * T + t] = real && m.cfg.typeVocabSize > 1 && t >= len / 2 ? 1 : 0;
    }
  }
  return { ids, mask, types };
}

async function runOnnx(m: AdapterModel, adapter: string | null, weights: WeightFormat, B: number, T: number): Promise<{ adaptext: Float32Array; onnx: Float32Array; dims: readonly number[] }> {
  const sel = { adapter, head: 'task' };
  const session = await ort.InferenceSession.create(encodeOnnx(buildOnnxGraph(m, sel, weights), sel));
  const { ids, mask, types } = batch(m, B, T);
  const i64 = (a: Int32Array) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from(a, (v) => BigInt(v)),
      [B, T],
    );
  const feeds: Record<string, ort.Tensor> = { input_ids: i64(ids), attention_mask: i64(mask) };
  if (session.inputNames.includes('token_type_ids')) feeds['token_type_ids'] = i64(types);
  const r = await session.run(feeds);
  m.setActiveAdapter(adapter);
  const out = m.forward({ inputIds: ids, shape: [B, T], attentionMask: mask, tokenTypeIds: m.cfg.family === 'bert' ? types : null }, { heads: ['task'] });
  return { adaptext: out.heads['task']!.logits.data, onnx: r['logits']!.data as Float32Array, dims: r['logits']!.dims };
}

const seqHead = (pooling: 'pooler' | 'cls' | 'mean', style?: 'bert' | 'roberta'): HeadSpec => ({ type: 'sequence_classification', numLabels: 3, pooling, ...(style ? { style } : {}) });

const cases: [string, Case][] = [];
for (const family of ['bert', 'roberta'] as const) {
  for (const adapter of ['seq_bn', 'double_seq_bn'] as const) {
    for (const pooling of ['pooler', 'cls', 'mean'] as const) {
      if (family === 'roberta' && pooling === 'pooler') continue; // the roberta head reads a token vector
      cases.push([`${family} ${adapter} ${pooling}`, { family, adapter: { base: adapter, leave_out: [] }, head: seqHead(pooling) }]);
    }
  }
  cases.push([`${family} token classification`, { family, adapter: 'seq_bn', head: { type: 'token_classification', numLabels: 4 } }]);
  cases.push([`${family} no adapter`, { family, adapter: null, head: seqHead('cls') }]);
}
cases.push(['bert with the roberta-style head', { family: 'bert', adapter: 'seq_bn', head: seqHead('mean', 'roberta') }]);
cases.push(['gelu_new encoder', { family: 'bert', adapter: 'double_seq_bn', head: seqHead('cls'), hiddenAct: 'gelu_new' }]);
cases.push([
  'adapter with its own LayerNorm before, scaling, residual after LN',
  { family: 'bert', adapter: { base: 'seq_bn', ln_before: true, residual_before_ln: false, scaling: 0.5, non_linearity: 'gelu_new', leave_out: [] }, head: seqHead('cls') },
]);
cases.push([
  "residual_before_ln 'post_add', adapter residual before its LN, swish",
  { family: 'roberta', adapter: { base: 'seq_bn', residual_before_ln: 'post_add', adapter_residual_before_ln: true, ln_after: true, non_linearity: 'swish' }, head: seqHead('mean') },
]);

for (const [name, c] of cases) {
  test(`onnxruntime = adaptext (fp32, 1e-4): ${name}`, async () => {
    const m = tinyModel(c);
    const adapter = c.adapter === null ? null : 'kitchen';
    const B = 3;
    const T = 9;
    const r = await runOnnx(m, adapter, 'fp32', B, T);
    const L = c.head.type === 'token_classification' ? 4 : 3;
    assert.deepEqual(r.dims, c.head.type === 'token_classification' ? [B, T, L] : [B, L]);
    const d = arrayDiff(r.onnx, r.adaptext, 'logits');
    assert.ok(d.maxAbs <= 1e-4, `max |onnx - adaptext| = ${d.maxAbs} at ${d.at}`);
  });
}

test('the adapter in the graph is the selected one: exporting without it changes the logits', async () => {
  const m = tinyModel({ family: 'bert', adapter: 'seq_bn', head: seqHead('cls') });
  const withA = await runOnnx(m, 'kitchen', 'fp32', 2, 6);
  const without = await runOnnx(m, null, 'fp32', 2, 6);
  assert.ok(arrayDiff(withA.onnx, without.onnx).maxAbs > 1e-3, 'the adapter must change the logits in this fixture');
  assert.ok(arrayDiff(without.onnx, without.adaptext).maxAbs <= 1e-4);
});

test("the domain's centre is subtracted in the graph as in forward (bert mean, roberta-style head), and only when the pooling matches", async () => {
  for (const [style, pooling] of [
    ['bert', 'mean'],
    ['roberta', 'cls'],
  ] as const) {
    const m = tinyModel({ family: 'bert', adapter: 'seq_bn', head: seqHead(pooling, style) });
    const plain = await runOnnx(m, 'kitchen', 'fp32', 3, 7);
    m.setDomainCentre(
      'kitchen',
      pooling,
      Float32Array.from({ length: 16 }, (_, j) => 5 * Math.cos(j)),
    );
    const centred = await runOnnx(m, 'kitchen', 'fp32', 3, 7);
    assert.ok(arrayDiff(centred.onnx, centred.adaptext).maxAbs <= 1e-4, `${style}: onnx = adaptext with the centre`);
    assert.ok(arrayDiff(centred.onnx, plain.onnx).maxAbs > 1e-3, `${style}: the centre changes the logits`);
    m.setDomainCentre('kitchen', pooling === 'mean' ? 'cls' : 'mean', new Float32Array(16).fill(1));
    const other = await runOnnx(m, 'kitchen', 'fp32', 3, 7);
    assert.ok(arrayDiff(other.onnx, plain.onnx).maxAbs <= 1e-4, `${style}: a centre of another pooling is not applied`);
  }
});

test('int8 graph: logits close to fp32 (quantization error, not a different model)', async () => {
  const m = tinyModel({ family: 'bert', adapter: 'double_seq_bn', head: seqHead('mean') });
  const fp = await runOnnx(m, 'kitchen', 'fp32', 3, 12);
  const q = await runOnnx(m, 'kitchen', 'int8', 3, 12);
  const spread = Math.max(...fp.onnx) - Math.min(...fp.onnx);
  const d = arrayDiff(q.onnx, fp.onnx, 'int8 vs fp32');
  assert.ok(d.maxAbs > 0, 'the int8 graph must actually quantize');
  assert.ok(d.maxAbs < 0.1 * spread, `int8 error ${d.maxAbs} vs logit spread ${spread}`);
});

test('int8 graph stores int8 weights: under half the size once the weights dominate the file', () => {
  const m = tinyModel({ family: 'bert', adapter: 'seq_bn', head: seqHead('cls') }, { vocab: 1000, hidden: 64 });
  const sel = { adapter: 'kitchen', head: 'task' };
  const fp = encodeOnnx(buildOnnxGraph(m, sel, 'fp32'), sel).byteLength;
  const q = encodeOnnx(buildOnnxGraph(m, sel, 'int8'), sel).byteLength;
  assert.ok(q < 0.5 * fp, `int8 ${q} bytes vs fp32 ${fp}`);
});

test('graph: opset 17, dynamic batch and sequence axes, inputs by family, metadata names the selection', () => {
  for (const family of ['bert', 'roberta'] as const) {
    const m = tinyModel({ family, adapter: 'seq_bn', head: seqHead('cls') });
    const sel = { adapter: 'kitchen', head: 'task' };
    const model = decodeModel(encodeOnnx(buildOnnxGraph(m, sel), sel));
    const graph = model.graph as onnx.GraphProto; // decoded messages have every repeated field
    assert.equal(Number(model.opsetImport[0]!.version), OPSET);
    assert.equal(OPSET, 17);
    const inputs = graph.input.map((i) => i.name);
    assert.deepEqual(inputs, family === 'bert' ? ['input_ids', 'attention_mask', 'token_type_ids'] : ['input_ids', 'attention_mask']);
    const dims = (v: onnx.IValueInfoProto) => v.type?.tensorType?.shape?.dim?.map((d) => d.dimParam || Number(d.dimValue));
    for (const i of graph.input) assert.deepEqual(dims(i), ['batch_size', 'sequence_length']);
    assert.deepEqual(
      graph.output.map((o) => [o.name, dims(o)]),
      [['logits', ['batch_size', 3]]],
    );
    const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    assert.equal(meta['adapter'], 'kitchen');
    assert.equal(meta['head'], 'task');
  }
});

test('export refuses heads that are not classifiers and adapters that do not exist', () => {
  const m = tinyModel({ family: 'bert', adapter: 'seq_bn', head: seqHead('cls') });
  m.addHead('domain', { type: 'domain_discriminator', numDomains: 2 });
  assert.throws(() => buildOnnxGraph(m, { adapter: 'kitchen', head: 'domain' }), /head 'domain' is a domain_discriminator head; only sequence_classification and token_classification heads export/);
  assert.throws(() => buildOnnxGraph(m, { adapter: 'books', head: 'task' }), /no adapter 'books' \(adapters: kitchen\)/);
});

test('in-graph truncation: untruncated ids give the logits of the ids adaptext truncates (first maxLength-1 tokens + end token)', async () => {
  for (const family of ['bert', 'roberta'] as const) {
    const m = tinyModel({ family, adapter: 'seq_bn', head: seqHead('mean') });
    const maxLength = 8;
    const END = 2; // the end token id this fixture uses ([SEP] / </s> stand-in)
    const sel = { adapter: 'kitchen', head: 'task', truncate: { maxLength, endTokenId: END } };
    const session = await ort.InferenceSession.create(encodeOnnx(buildOnnxGraph(m, sel), sel));
    const pad = m.cfg.padTokenId;
    // rows of 12, 8 and 5 real tokens (each ending with END), padded to 12
    const lens = [12, 8, 5];
    const T = 12;
    const full = lens.map((n, b) => Array.from({ length: T }, (_, t) => (t >= n ? pad : t === n - 1 ? END : 5 + ((b * 13 + t * 7) % 50))));
    const feedIds = BigInt64Array.from(full.flat(), (v) => BigInt(v));
    const feedMask = BigInt64Array.from(lens.flatMap((n) => Array.from({ length: T }, (_, t) => (t < n ? 1n : 0n))));
    const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', feedIds, [3, T]), attention_mask: new ort.Tensor('int64', feedMask, [3, T]) };
    if (session.inputNames.includes('token_type_ids')) feeds['token_type_ids'] = new ort.Tensor('int64', new BigInt64Array(3 * T), [3, T]);
    const onnx = (await session.run(feeds))['logits']!.data as Float32Array;
    // what the tokenizer gives with max_length 8: [first 7 tokens, END], then padding
    const cut = full.map((row, b) => {
      const n = lens[b]!;
      if (n <= maxLength) return row.slice(0, maxLength);
      return [...row.slice(0, maxLength - 1), END];
    });
    const ids = Int32Array.from(cut.flat());
    const mask = Int32Array.from(lens.flatMap((n) => Array.from({ length: maxLength }, (_, t) => (t < Math.min(n, maxLength) ? 1 : 0))));
    m.setActiveAdapter('kitchen');
    const expected = m.forward({ inputIds: ids, shape: [3, maxLength], attentionMask: mask }, { heads: ['task'] }).heads['task']!.logits.data;
    const d = arrayDiff(onnx, expected, 'logits');
    assert.ok(d.maxAbs <= 1e-4, `${family}: max diff ${d.maxAbs} at ${d.at}`);
    // and ids already within maxLength pass through unchanged
    const short = m.forward({ inputIds: ids, shape: [3, maxLength], attentionMask: mask }, { heads: ['task'] }).heads['task']!.logits.data;
    const feeds2: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from(ids, (v) => BigInt(v)),
        [3, maxLength],
      ),
      attention_mask: new ort.Tensor(
        'int64',
        BigInt64Array.from(mask, (v) => BigInt(v)),
        [3, maxLength],
      ),
    };
    if (session.inputNames.includes('token_type_ids')) feeds2['token_type_ids'] = new ort.Tensor('int64', new BigInt64Array(3 * maxLength), [3, maxLength]);
    assert.ok(arrayDiff((await session.run(feeds2))['logits']!.data as Float32Array, short).maxAbs <= 1e-4);
  }
});
