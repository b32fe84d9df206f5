// `adaptext export` end to end on model folders: the folder transformers.js loads, with its own
// tokenizer files, gives the labels and scores `adaptext predict` gives (BERT and RoBERTa, fp32 to
// 1e-4); the int8 file loads too; an existing folder is never replaced unasked, a failed export
// leaves nothing, and the CLI reports what it wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
import { AdapterModel, saveModel } from '../../src/models/index.js';
import { loadTokenizer } from '../../src/text/index.js';
import { exportModel } from '../../src/deploy/index.js';
import { openForInference, predictFile } from '../../src/train/inference.js';
import { materialize } from '../text/fixtures.js';
import { runCli, tmp } from '../support/cli.js';

const TEXTS = [
  'This blender is great, I use it every day!',
  'Broke after two weeks. Terrible customer service; do NOT buy.',
  'Meh.',
  'The knife set arrived on time — sharp, well balanced, and the block looks nice in our kitchen.',
  // longer than the model's max length: both sides must truncate at the same token
  Array.from({ length: 80 }, (_, i) => (i % 3 === 0 ? 'awful' : i % 3 === 1 ? 'lovely' : 'pan')).join(' '),
];

/** A model folder: random tiny encoder over a real tokenizer, a 'kitchen' adapter, a 2-label head. */
function modelFolder(family: 'bert' | 'roberta', pooling: 'pooler' | 'cls' | 'mean'): string {
  const tokDir = materialize(family === 'bert' ? 'bert-base-uncased' : 'roberta-base');
  const tokenizer = loadTokenizer(tokDir);
  const bert = family === 'bert';
  const model = new AdapterModel(
    {
      model_type: family,
      vocab_size: tokenizer.vocabSize,
      hidden_size: 16,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 32,
      max_position_embeddings: 40,
      type_vocab_size: bert ? 2 : 1,
      pad_token_id: tokenizer.specialIds.pad,
    },
    { seed: 11 },
  );
  model.addAdapter('kitchen', 'double_seq_bn', { setActive: true });
  model.addHead('sentiment', { type: 'sequence_classification', numLabels: 2, labels: ['negative', 'positive'], pooling }, { setActive: true });
  // A random head (and pooler) barely separates the classes; scale them so the scores spread and a wrong token shows.
  for (const p of [...model.getHead('sentiment').parameters(), ...model.base.pooler.parameters()]) for (let i = 0; i < p.data.length; i++) p.data[i] *= 40;
  const dir = join(tmp(`adaptext-export-${family}-`), 'model');
  saveModel(model, dir, { tokenizer, mainHead: 'sentiment' });
  return dir;
}

function predictTexts(model: string, domain: string): { label: string; probabilities: Record<string, number> }[] {
  const input = join(tmp('adaptext-export-in-'), 'texts.txt');
  writeFileSync(input, TEXTS.join('\n') + '\n');
  const lines: string[] = [];
  predictFile(openForInference(model, { domain }), input, { write: (l) => lines.push(l) });
  return lines.map((l) => JSON.parse(l) as { label: string; probabilities: Record<string, number> });
}

async function transformersJs(folder: string, dtype: 'fp32' | 'q8'): Promise<{ label: string; score: number }[][]> {
  env.allowRemoteModels = false;
  env.localModelPath = dirname(folder) + '/';
  const classify = await pipeline('text-classification', basename(folder), { dtype });
  const out: { label: string; score: number }[][] = [];
  for (const t of TEXTS) out.push((await classify(t, { top_k: null })) as { label: string; score: number }[]);
  await classify.dispose();
  return out;
}

for (const [family, pooling] of [
  ['bert', 'pooler'],
  ['bert', 'mean'],
  ['roberta', 'cls'],
] as const) {
  test(`transformers.js on the exported folder = adaptext predict (${family}, ${pooling} pooling)`, async () => {
    const model = modelFolder(family, pooling);
    const out = join(tmp('adaptext-export-out-'), 'kitchen-model');
    const r = exportModel({ model, domain: 'kitchen', output: out, quantize: true });
    assert.equal(r.adapter, 'kitchen');
    assert.deepEqual(r.labels, ['negative', 'positive']);
    assert.deepEqual(readdirSync(join(out, 'onnx')).sort(), ['model.onnx', 'model_quantized.onnx']);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(cfg['id2label'], { 0: 'negative', 1: 'positive' });
    assert.deepEqual(cfg['architectures'], [family === 'bert' ? 'BertForSequenceClassification' : 'RobertaForSequenceClassification']);
    assert.equal((JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8')) as { model_max_length?: number }).model_max_length, undefined, 'the graph truncates');

    const expected = predictTexts(model, 'kitchen');
    const got = await transformersJs(out, 'fp32');
    let spread = 0;
    expected.forEach((e, i) => {
      const top = got[i]![0]!;
      assert.equal(top.label, e.label, `text ${i}: label`);
      for (const s of got[i]!) assert.ok(Math.abs(s.score - e.probabilities[s.label]!) <= 1e-4, `text ${i} ${s.label}: ${s.score} vs ${e.probabilities[s.label]}`);
      spread = Math.max(spread, Math.abs(e.probabilities['positive']! - 0.5));
    });
    assert.ok(spread > 0.05, 'the fixture head must spread the scores, or equal scores would prove little');

    const q8 = await transformersJs(out, 'q8');
    for (const row of q8) assert.ok(Math.abs(row.reduce((s, x) => s + x.score, 0) - 1) < 1e-5);

    const info = JSON.parse(readFileSync(join(out, 'adaptext_export.json'), 'utf8')) as { files: { path: string; bytes: number }[]; adapter: string };
    assert.equal(info.adapter, 'kitchen');
    assert.deepEqual(info.files.map((f) => f.path).sort(), ['config.json', 'onnx/model.onnx', 'onnx/model_quantized.onnx', 'tokenizer.json', 'tokenizer_config.json'].sort());
  });
}

test('an existing folder is replaced only with overwrite; a failed export leaves nothing behind', () => {
  const model = modelFolder('bert', 'cls');
  const root = tmp('adaptext-export-guard-');
  const out = join(root, 'exported');
  exportModel({ model, domain: 'kitchen', output: out });
  const before = readFileSync(join(out, 'onnx', 'model.onnx'));
  assert.throws(() => exportModel({ model, domain: 'kitchen', output: out }), /exported.*pass --overwrite to replace it/);
  assert.deepEqual(readFileSync(join(out, 'onnx', 'model.onnx')), before);
  exportModel({ model, domain: 'kitchen', output: out, overwrite: true });

  assert.throws(() => exportModel({ model, domain: 'books', output: join(root, 'failed') }), /--domain books: .* has no such adapter \(adapters: kitchen\)/);
  assert.equal(existsSync(join(root, 'failed')), false);
  assert.deepEqual(readdirSync(root).sort(), ['exported'], 'no temp folders or locks left');
});

test('CLI: export prints what it wrote; a bad --format is a usage error', async () => {
  const model = modelFolder('bert', 'cls');
  const out = join(tmp('adaptext-export-cli-'), 'm');
  const ok = await runCli(['export', '--model', model, '--domain', 'kitchen', '--output', out, '--quantize', 'int8']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /exported adapter kitchen, head sentiment \(negative, positive\) in [\d.]+ s -> /);
  assert.match(ok.stdout, /onnx\/model\.onnx [\d.]+ MB\n {2}onnx\/model_quantized\.onnx [\d.]+ MB/);
  const bad = await runCli(['export', '--model', model, '--output', join(out, 'x'), '--format', 'tflite']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--format <format>' argument 'tflite' is invalid/);
});
