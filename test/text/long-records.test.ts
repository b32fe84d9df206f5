// A very long record is clipped by characters before tokenising (issue 13 item 9: one 50 MB line
// took 2.7 GB in `predict`): the tokens that survive truncation are the same as without the clip,
// for BERT (WordPiece) and RoBERTa (byte-level BPE), and the memory stays small.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTokenizer } from '../../src/text/load.js';
import { clipForTokens, CLIP_CHARS_PER_TOKEN } from '../../src/text/tokenizer.js';
import { encodeExamples } from '../../src/data/encode.js';
import { materialize } from './fixtures.js';

test('clipping keeps every token that truncation keeps (BERT and RoBERTa), and never splits a surrogate pair', () => {
  const words = Array.from({ length: 60_000 }, (_, i) => ['the', 'unbelievably', 'électricité', '😀ok', 'x'.repeat(150), 'naïve'][i % 6]).join(' ');
  for (const model of ['bert-base-uncased', 'roberta-base']) {
    const tok = loadTokenizer(materialize(model));
    for (const maxLength of [8, 128, 512]) {
      const whole = tok.encode(words);
      const want = whole.ids.slice(1, maxLength - 1);
      const got = tok.encode(words, { maxLength }).ids;
      assert.deepEqual(got.slice(1, -1), want, `${model} maxLength ${maxLength}`);
    }
  }
  const s = 'a'.repeat(CLIP_CHARS_PER_TOKEN - 1) + '😀' + 'b';
  assert.equal(clipForTokens(s, 1), 'a'.repeat(CLIP_CHARS_PER_TOKEN - 1), 'the pair is dropped whole');
  assert.equal(clipForTokens('short', 1), 'short');
  assert.equal(clipForTokens(s, undefined), s);
});

test('a 50 MB record is encoded without tokenising all of it', () => {
  const tok = loadTokenizer(materialize('bert-base-uncased'));
  const text = 'great product works well '.repeat(2_000_000); // 50 MB
  global.gc?.();
  const before = process.memoryUsage().rss;
  const { encoded, stats } = encodeExamples([{ kind: 'text', text, label: null, id: null, where: 'big.jsonl:1' }], tok, { maxLength: 64 });
  const grew = process.memoryUsage().rss - before;
  assert.equal(encoded[0]!.ids.length, 64);
  assert.equal(stats.truncated, 1);
  assert.ok(grew < 300 * 2 ** 20, `encoding one 50 MB record grew RSS by ${(grew / 2 ** 20).toFixed(0)} MiB`);
});
