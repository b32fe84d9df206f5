// Vocabulary expansion: in the model (FVT rows, MLM decoder grown consistently, new tokens
// used by the tokenizer), in the pipeline before stage 2, and through `adaptext vocab extend`.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, MaskedLMHead } from '../../src/models/index.js';
import { loadTokenizer } from '../../src/text/index.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { lockDir } from '../../src/io/lock.js';
import { gelu, noGrad } from '../../src/tensor/index.js';
import { assertClose } from '../support/close.js';
import { extendModelVocabulary, type VocabInfo } from '../../src/train/vocab.js';
import type { RunMetrics } from '../../src/eval/types.js';
import { FIXTURES, fixtureConfig, runCli, tinyModel, tmp } from './helpers.js';

let model: string;
let kitchenTexts: string[];

before(() => {
  model = tinyModel({ vocab: 400 });
  kitchenTexts = readFileSync(join(FIXTURES, 'kitchen.unlabelled.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { text: string }).text);
});

function usesNewIds(tok: ReturnType<typeof loadTokenizer>, base: number): number {
  let n = 0;
  for (const t of kitchenTexts) for (const id of tok.encode(t).ids) if (id >= base) n++;
  return n;
}

describe('vocabulary expansion', () => {
  it('grows the embeddings with FVT means, grows the tied MLM decoder, and the tokenizer uses the new tokens', () => {
    const { model: m } = loadModel(model, { seed: 1 });
    m.addHead('mlm', { type: 'masked_lm' });
    const tok = loadTokenizer(model);
    const V = tok.vocabSize;
    const H = m.cfg.hiddenSize;
    const old = m.base.embeddings.word_embeddings.weight.data.slice();
    const r = extendModelVocabulary(m, tok, kitchenTexts, { topK: 25, minFrequency: 3 });
    assert.equal(r.info.added, 25);
    assert.equal(r.tokenizer.vocabSize, V + 25);
    assert.equal(m.cfg.vocabSize, V + 25);
    assert.ok(r.info.fragmentationAfter < r.info.fragmentationBefore, `${r.info.fragmentationBefore} -> ${r.info.fragmentationAfter}`);
    const E = m.base.embeddings.word_embeddings.weight;
    assert.deepEqual(E.shape, [V + 25, H]);
    assert.deepEqual(E.data.subarray(0, V * H), old, 'old rows untouched');
    assert.equal(r.info.tokens.length, 25);
    for (const t of r.info.tokens) {
      assert.ok(t.decomposition.length >= 2, `${t.token} is made of several old pieces`);
      for (let j = 0; j < H; j++) {
        let mean = 0;
        for (const id of t.decomposition) mean += old[id * H + j]! / t.decomposition.length;
        assert.ok(Math.abs(E.data[t.id * H + j]! - mean) <= 1e-7, `${t.token}[${j}]: ${E.data[t.id * H + j]} vs FVT mean ${mean}`);
      }
    }
    const head = m.getHead('mlm') as MaskedLMHead;
    assert.equal(head.decoder.bias.data.length, V + 25);
    assert.ok(
      head.decoder.bias.data.subarray(V).every((x) => x === 0),
      'new decoder biases start at 0',
    );
    // Tied decoder: the logit of a new token is h · E[new] + 0 — it uses the new embedding row.
    const enc = r.tokenizer.encode(kitchenTexts[0]!, { maxLength: 20 });
    const input = { inputIds: Int32Array.from(enc.ids), shape: [1, enc.ids.length] as [number, number] };
    m.eval();
    for (const [i, t] of r.info.tokens.entries()) head.decoder.bias.data[t.id] = 0.01 * (i + 1); // the bias must show up too
    const logits = noGrad(() => m.forward(input, { heads: ['mlm'] }).heads['mlm']!.logits); // [1,T,V+25]
    const T = enc.ids.length;
    assert.deepEqual(logits.shape, [1, T, V + 25]);
    // h = the MLM transform of the encoder output (dense → gelu → LayerNorm), computed by hand
    const seq = noGrad(() => m.forward(input, { heads: [] }).lastHiddenState); // [1,T,H]
    const h = noGrad(() => head.layerNorm.forward(gelu(head.dense.forward(seq)))).data;
    for (const tkn of r.info.tokens) {
      const got: number[] = [];
      const want: number[] = [];
      for (let p = 0; p < T; p++) {
        let dot = head.decoder.bias.data[tkn.id]!;
        for (let j = 0; j < H; j++) dot += h[p * H + j]! * E.data[tkn.id * H + j]!;
        got.push(logits.data[p * (V + 25) + tkn.id]!);
        want.push(dot);
      }
      assertClose(got, want, `logit of new token ${tkn.token} (id ${tkn.id}) = h · E[${tkn.id}] + b`, { rtol: 1e-5, atol: 1e-6 });
    }
    assert.ok(usesNewIds(r.tokenizer, V) > 0, 'the extended tokenizer produces the new ids on target text');
    assert.equal(usesNewIds(tok, V), 0);
  });

  it('runs before stage 2 in the pipeline: new rows = FVT means of the stage-1 rows, tokenizer saved with the model', async () => {
    const out = join(tmp(), 'run');
    const cfgFile = join(tmp(), 'vocab.json');
    writeFileSync(
      cfgFile,
      JSON.stringify(fixtureConfig(model, out, { stage3: { enabled: false }, baselines: false, freeze_layers: 1, vocab: { enabled: true, top_k: 20, min_frequency: 3, train_embeddings: false } })),
    );
    const r = await runCli(['train', '--config', cfgFile, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /vocabulary: \+20 tokens, sub-words per target word \d\.\d+ -> \d\.\d+/);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as RunMetrics;
    assert.equal(m.vocab!.added, 20);
    assert.ok(m.vocab!.fragmentationAfter < m.vocab!.fragmentationBefore);
    const info = JSON.parse(readFileSync(join(out, 'stage2', 'vocab.json'), 'utf8')) as VocabInfo;
    const s1 = readSafetensors(join(out, 'stage1', 'model.safetensors')).get('bert.embeddings.word_embeddings.weight')!;
    const s2 = readSafetensors(join(out, 'stage2', 'model.safetensors')).get('bert.embeddings.word_embeddings.weight')!;
    const V = info.baseVocabSize;
    const H = s1.shape[1]!;
    assert.deepEqual(s2.shape, [V + 20, H]);
    // Embeddings stay frozen here (freeze_layers 1, train_embeddings false): the stage-2 rows are
    // exactly what FVT wrote.
    assert.equal(info.tokens.length, 20, 'vocab.json lists every added token');
    for (const t of info.tokens) {
      for (let j = 0; j < H; j++) {
        let mean = 0;
        for (const id of t.decomposition) mean += s1.data[id * H + j]! / t.decomposition.length;
        assert.ok(Math.abs(s2.data[t.id * H + j]! - mean) <= 1e-7, `${t.token}[${j}]`);
      }
    }
    const tok2 = loadTokenizer(join(out, 'stage2'));
    assert.equal(tok2.vocabSize, V + 20);
    assert.ok(usesNewIds(tok2, V) > 0);
    const { model: m2 } = loadModel(join(out, 'stage2'));
    assert.equal((m2.getHead('mlm') as MaskedLMHead).decoder.bias.data.length, V + 20, 'MLM decoder grown with the vocabulary');
  });

  it('`adaptext vocab extend` saves a bigger model + tokenizer and reports fragmentation', async () => {
    const dir = tmp();
    const corpus = join(dir, 'kitchen.txt');
    writeFileSync(corpus, kitchenTexts.join('\n') + '\n');
    const out = join(dir, 'extended');
    const r = await runCli(['vocab', 'extend', '--model', model, '--corpus', corpus, join(FIXTURES, 'kitchen.jsonl'), '--top-k', '15', '--min-frequency', '3', '--output', out]);
    assert.equal(r.code, 0, r.stderr);
    const base = loadTokenizer(model).vocabSize;
    assert.match(r.stdout, new RegExp(`^added 15 tokens \\(vocabulary ${base} -> ${base + 15}\\)$`, 'm'));
    const m = /sub-words per word on the corpus: (\d\.\d+) -> (\d\.\d+)/.exec(r.stdout)!;
    assert.ok(Number(m[2]) < Number(m[1]));
    const { model: grown } = loadModel(out);
    assert.equal(grown.cfg.vocabSize, base + 15);
    const vocab = readFileSync(join(out, 'vocab.txt'), 'utf8').trim().split('\n');
    assert.equal(vocab.length, base + 15);
    assert.ok(usesNewIds(loadTokenizer(out), base) > 0);
    // An existing, non-empty output is refused and left alone.
    const marker = join(dir, 'taken');
    mkdirSync(marker);
    writeFileSync(join(marker, 'keep.txt'), 'x');
    const again = await runCli(['vocab', 'extend', '--model', model, '--corpus', corpus, '--top-k', '5', '--output', marker]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `adaptext vocab: ${marker}: output folder is not empty (keep.txt); pass --overwrite to replace it\n`);
    assert.equal(readFileSync(join(marker, 'keep.txt'), 'utf8'), 'x');
    assert.ok(!existsSync(join(marker, 'config.json')));
    // one writer per output folder: a second vocab extend to the same new folder is refused while the first holds it
    const busy = join(dir, 'busy-out');
    const held = lockDir(dir, 'vocab extend', '.busy-out.adaptext.lock');
    try {
      const r = await runCli(['vocab', 'extend', '--model', model, '--corpus', corpus, '--top-k', '5', '--output', busy]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /in use by vocab extend \(pid \d+ on /);
      assert.ok(!existsSync(busy));
    } finally {
      held.release();
    }
  });
});
