// Tokenizer behaviour beyond raw parity: truncation, word alignment, pre-tokenized input,
// special tokens, decode, save → load round trips, and HF-format output.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BertTokenizer } from '../../src/text/bert-tokenizer.js';
import { loadTokenizer } from '../../src/text/load.js';
import { RobertaTokenizer } from '../../src/text/roberta-tokenizer.js';
import type { Tokenizer } from '../../src/text/tokenizer.js';
import { fixtureFile, materialize, MODELS } from './fixtures.js';
import { tmp } from '../support/tmp.js';

const cache = new Map<string, Tokenizer>();
function tok(model: string): Tokenizer {
  let t = cache.get(model);
  if (!t) {
    t = loadTokenizer(materialize(model));
    cache.set(model, t);
  }
  return t;
}

const SAMPLES = [
  'Hello, world! The quick brown fox jumps over the lazy dog.',
  '今天天气很好，我们去公园散步吧。',
  'I love 北京 and 上海! 😀👍🏽',
  'Héllo WORLD — naïve café, costs $3.50 (2024).',
  'unbelievably tokenization-heavy text: pneumonoultramicroscopicsilicovolcanoconiosis',
  'a [MASK] b <mask> c\t\u00a0\u2028 d',
  '',
];

test('special ids and kinds', () => {
  const u = tok('bert-base-uncased');
  assert.equal(u.kind, 'wordpiece');
  assert.deepEqual(u.specialIds, { pad: 0, unk: 100, cls: 101, sep: 102, mask: 103 });
  assert.equal(u.vocabSize, 30522);
  assert.equal(u.modelMaxLength, 512);
  const c = tok('bert-base-chinese');
  assert.equal(c.vocabSize, 21128);
  assert.equal(c.modelMaxLength, undefined);
  const r = tok('roberta-base');
  assert.equal(r.kind, 'bpe');
  assert.deepEqual(r.specialIds, { pad: 1, unk: 3, cls: 0, sep: 2, mask: 50264, bos: 0, eos: 2 });
  assert.equal(r.vocabSize, 50265);
  assert.equal(r.tokenToId('Ġthe'), 5);
  assert.equal(r.idToToken(50264), '<mask>');
  assert.equal(u.tokenToId('[MASK]'), 103);
  assert.equal(u.tokenToId('no-such-token'), undefined);
  assert.equal(u.idToToken(1012), '.');
  // vocab.txt is split on \n only: U+2028 is a real token of the Chinese vocabulary
  assert.equal(c.idToToken(343), '\u2028');
  assert.equal(c.idToToken(13502), '##\u2028');
});

test('truncation keeps [CLS] … [SEP] within maxLength and cuts the tail', () => {
  for (const m of MODELS) {
    const t = tok(m);
    const text = SAMPLES[4]!;
    const full = t.encode(text);
    for (const max of [2, 3, 5, 10, full.ids.length, full.ids.length + 5]) {
      const e = t.encode(text, { maxLength: max });
      const n = Math.min(max, full.ids.length);
      assert.equal(e.ids.length, n, `${m} maxLength ${max}`);
      assert.equal(e.ids[0], t.specialIds.cls);
      assert.equal(e.ids[n - 1], t.specialIds.sep);
      assert.deepEqual(e.ids.slice(1, n - 1), full.ids.slice(1, n - 1));
      assert.deepEqual(e.wordIds.slice(1, n - 1), full.wordIds.slice(1, n - 1));
      assert.deepEqual(e.offsets.slice(1, n - 1), full.offsets.slice(1, n - 1));
      assert.equal(e.tokens.length, n);
    }
    const noSpecial = t.encode(text, { maxLength: 4, addSpecialTokens: false });
    assert.deepEqual(noSpecial.ids, full.ids.slice(1, 5));
    assert.throws(() => t.encode(text, { maxLength: 1 }), /maxLength must be an integer >= 2/);
    assert.throws(() => t.encode(text, { maxLength: 3.5 }), /maxLength/);
  }
});

test('wordIds follow the pre-tokenizer words; null only for added specials; offsets slice the source', () => {
  const u = tok('bert-base-uncased');
  const text = 'Unbelievably, pneumonia-like symptoms!';
  const e = u.encode(text);
  // (un ##bel ##ie ##va ##bly is what HF gives for "unbelievably", see expected_encodings S5)
  assert.deepEqual(e.tokens, ['[CLS]', 'un', '##bel', '##ie', '##va', '##bly', ',', 'pneumonia', '-', 'like', 'symptoms', '!', '[SEP]']);
  assert.deepEqual(e.wordIds, [null, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, null]);
  const e2 = u.encode('tokenization heavy');
  assert.deepEqual(e2.tokens, ['[CLS]', 'token', '##ization', 'heavy', '[SEP]']);
  assert.deepEqual(e2.wordIds, [null, 0, 0, 1, null]);
  assert.deepEqual(e2.offsets, [
    [0, 0],
    [0, 5],
    [5, 12],
    [13, 18],
    [0, 0],
  ]);
  // emoji outside the BMP: offsets are UTF-16 so slicing recovers the source text
  const s = 'ok 😀 北京';
  const e3 = u.encode(s);
  assert.deepEqual(
    e3.offsets.slice(1, -1).map(([a, b]) => s.slice(a, b)),
    ['ok', '😀', '北', '京'],
  );
  assert.deepEqual(e3.wordIds, [null, 0, 1, 2, 3, null]);
  // every CJK character is its own word (whole-word masking of Chinese needs a segmenter on top)
  const r = tok('roberta-base');
  const e4 = r.encode('Hello world, hello!');
  assert.deepEqual(e4.tokens, ['<s>', 'Hello', 'Ġworld', ',', 'Ġhello', '!', '</s>']);
  assert.deepEqual(e4.wordIds, [null, 0, 1, 2, 3, 4, null]);
  assert.deepEqual(
    e4.offsets.slice(1, -1).map(([a, b]) => 'Hello world, hello!'.slice(a, b)),
    ['Hello', 'world', ',', 'hello', '!'],
  );
});

test('encodeWords: one word id per given word, first-sub-token alignment works', () => {
  const words = ['EU', 'rejects', 'German', 'tachycardia', '.'];
  for (const m of MODELS) {
    const t = tok(m);
    const e = t.encodeWords(words);
    assert.equal(e.wordIds[0], null);
    assert.equal(e.wordIds[e.wordIds.length - 1], null);
    const inner = e.wordIds.slice(1, -1) as number[];
    // non-decreasing, covers every word, each word has at least one token
    for (let i = 1; i < inner.length; i++) assert.ok(inner[i]! >= inner[i - 1]!);
    assert.deepEqual([...new Set(inner)], [0, 1, 2, 3, 4], m);
    // offsets are within each word
    e.offsets.slice(1, -1).forEach(([a, b], k) => {
      const w = words[inner[k]!]!;
      assert.ok(a >= 0 && b <= w.length && a <= b, `${m} offset ${a},${b} in ${w}`);
    });
  }
  const u = tok('bert-base-uncased').encodeWords(words);
  assert.deepEqual(u.tokens, ['[CLS]', 'eu', 'rejects', 'german', 'ta', '##chy', '##card', '##ia', '.', '[SEP]']);
  assert.deepEqual(u.wordIds, [null, 0, 1, 2, 3, 3, 3, 3, 4, null]);
  // truncation applies to pre-tokenized input too
  assert.equal(tok('bert-base-uncased').encodeWords(words, { maxLength: 4 }).ids.length, 4);
  // RoBERTa: every word gets the leading-space form, as with HF add_prefix_space=True
  const r = tok('roberta-base').encodeWords(['Hello', 'world']);
  assert.deepEqual(r.tokens, ['<s>', 'ĠHello', 'Ġworld', '</s>']);
  assert.deepEqual(r.offsets, [
    [0, 0],
    [0, 5],
    [0, 5],
    [0, 0],
  ]);
});

test('special tokens written in the text stay whole; lowercase [mask] does not', () => {
  const u = tok('bert-base-uncased');
  const e = u.encode('the [MASK] sat [mask]');
  assert.deepEqual(e.tokens, ['[CLS]', 'the', '[MASK]', 'sat', '[', 'mask', ']', '[SEP]']);
  const r = tok('roberta-base');
  const e2 = r.encode('The <mask> sat.');
  // <mask> has lstrip: it swallows the space before it (HF shows the token text as " <mask>")
  assert.deepEqual(e2.tokens, ['<s>', 'The', ' <mask>', 'Ġsat', '.', '</s>']);
  assert.equal(e2.ids[2], 50264);
  assert.equal(e2.ids[3], r.tokenToId('Ġsat'));
  assert.deepEqual(e2.offsets[2], [4, 10]);
});

test('decode: skip specials by default, keep them on request', () => {
  const u = tok('bert-base-uncased');
  const ids = u.encode('Hello, world! tokenization').ids;
  assert.equal(u.decode(ids), 'hello, world! tokenization');
  assert.equal(u.decode(ids, { skipSpecialTokens: false }), '[CLS] hello, world! tokenization [SEP]');
  const r = tok('roberta-base');
  const s = 'Héllo 北京 😀 — ok';
  assert.equal(r.decode(r.encode(s).ids), s); // byte-level BPE is lossless
  assert.equal(r.decode(r.encode(s).ids, { skipSpecialTokens: false }), `<s>${s}</s>`);
  assert.throws(() => u.decode([30522]), /id 30522 is outside the vocabulary \[0, 30522\)/);
});

test('repeated encodes (word cache) give identical results', () => {
  for (const m of MODELS) {
    const t = tok(m);
    for (const s of SAMPLES) assert.deepEqual(t.encode(s), t.encode(s), m);
  }
});

test('save → load round trip gives identical encodings and HF file layout', () => {
  const probe = [...SAMPLES, 'Ça va? Très bien.', '[CLS] x [SEP]', "don't stop", 'x'.repeat(150)];
  for (const m of MODELS) {
    const t = tok(m);
    const dir = tmp(`adaptext-save-${m}-`);
    t.save(dir);
    const files =
      t.kind === 'wordpiece'
        ? ['vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.json']
        : ['vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.json'];
    for (const f of files) assert.ok(existsSync(join(dir, f)), `${m}: ${f} written`);
    const back = loadTokenizer(dir);
    // and from the plain vocab files alone, as a Python slow tokenizer would read them
    const extra: Record<string, Buffer> = m === 'hfl__chinese-roberta-wwm-ext' ? { 'vocab.txt': fixtureFile('bert-base-chinese', 'vocab.txt') } : {};
    const plain = loadTokenizer(materialize(m, ['tokenizer.json'], extra));
    for (const s of probe) {
      assert.deepEqual(back.encode(s), t.encode(s), `${m} ${JSON.stringify(s)}`);
      assert.deepEqual(plain.encode(s).ids, t.encode(s).ids, `${m} plain ${JSON.stringify(s)}`);
      assert.equal(back.decode(back.encode(s).ids), t.decode(t.encode(s).ids));
    }
    assert.equal(back.vocabSize, t.vocabSize);
    assert.equal(back.modelMaxLength, t.modelMaxLength);
    const cfg = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
    assert.equal(cfg.tokenizer_class, t.kind === 'wordpiece' ? 'BertTokenizer' : 'RobertaTokenizer');
  }
});

test('saved vocabulary files are byte-identical to the Hub originals', () => {
  for (const [m, f] of [
    ['bert-base-uncased', 'vocab.txt'],
    ['bert-base-chinese', 'vocab.txt'],
    ['roberta-base', 'merges.txt'],
  ] as const) {
    const dir = tmp('adaptext-bytes-');
    tok(m).save(dir);
    assert.ok(readFileSync(join(dir, f)).equals(fixtureFile(m, f)), `${m}/${f}`);
  }
  const dir = tmp('adaptext-bytes-');
  tok('roberta-base').save(dir);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')), JSON.parse(fixtureFile('roberta-base', 'vocab.json').toString('utf8')));
  // integer-like tokens ("0", "1", …) keep their id order in the written JSON
  const text = readFileSync(join(dir, 'vocab.json'), 'utf8');
  assert.ok(text.startsWith('{"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3'));
});

test('tokenizer_config.json overrides tokenizer.json normalizer flags like transformers does', () => {
  const cased = loadTokenizer(materialize('bert-base-uncased', [], { 'tokenizer_config.json': '{"do_lower_case": false}' }));
  assert.deepEqual(cased.encode('Hello').tokens, ['[CLS]', '[UNK]', '[SEP]']); // "Hello" is not in the uncased vocab
  const noStrip = loadTokenizer(materialize('bert-base-uncased', ['tokenizer.json'], { 'tokenizer_config.json': '{"do_lower_case": true, "strip_accents": false}' }));
  // accents kept: "café" no longer becomes "cafe" (and "##é" is not in the uncased vocabulary)
  assert.deepEqual(tok('bert-base-uncased').encode('café').tokens, ['[CLS]', 'cafe', '[SEP]']);
  assert.deepEqual(noStrip.encode('café').tokens, ['[CLS]', '[UNK]', '[SEP]']);
  assert.equal(noStrip.tokenToId('##é'), undefined);
});

test('direct construction: BertTokenizer and RobertaTokenizer from in-memory vocabularies', () => {
  const b = new BertTokenizer({ vocab: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'un', '##believ', '##able', 'a'] });
  assert.deepEqual(b.encode('Unbelievable a b').tokens, ['[CLS]', 'un', '##believ', '##able', 'a', '[UNK]', '[SEP]']);
  assert.throws(() => new BertTokenizer({ vocab: ['[PAD]', '[CLS]'] }), /unk token "\[UNK\]" is not in the vocabulary/);
  const vocab = new Map([
    ['<s>', 0],
    ['<pad>', 1],
    ['</s>', 2],
    ['<unk>', 3],
    ['a', 4],
    ['b', 5],
    ['ab', 6],
    ['Ġ', 7],
    ['Ġab', 8],
    ['<mask>', 9],
  ]);
  const r = new RobertaTokenizer({
    vocab,
    merges: [
      ['a', 'b'],
      ['Ġ', 'ab'],
    ],
  });
  assert.deepEqual(r.encode('ab ab').tokens, ['<s>', 'ab', 'Ġab', '</s>']);
});
