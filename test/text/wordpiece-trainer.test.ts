// WordPiece trainer: the HF algorithm reproduced on cases worked out by hand and on the Rust
// trainer's own unit test, plus the properties `adaptext pretrain` relies on.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadTokenizer } from '../../src/text/load.js';
import { trainWordPiece, WordPieceTrainer } from '../../src/text/wordpiece-trainer.js';
import { tmp } from '../support/tmp.js';

test('reproduces the Rust BpeTrainer unit test (tokenizers models/bpe/trainer.rs test_train)', () => {
  const t = new WordPieceTrainer({ specialTokens: [], continuingSubwordPrefix: '', minFrequency: 2, lowercase: false, stripAccents: false });
  t.feedWords(['roses', 'red', 'voilets', 'blue', 'BERT', 'big', 'and', 'so', 'GPT-2']);
  t.feedWords(['are', 'is'], 2);
  const { vocab, merges } = t.train();
  assert.deepEqual(vocab, ['-', '2', 'B', 'E', 'G', 'P', 'R', 'T', 'a', 'b', 'd', 'e', 'g', 'i', 'l', 'n', 'o', 'r', 's', 't', 'u', 'v', 're', 'are', 'is']);
  assert.equal(merges, 3);
});

// The Hugging Face course's WordPiece example corpus, merged by hand:
// pair counts ##u+##g 20 > ##u+##n 16 > h+##ug 15 > p+##un 12 > (p+##ug 5 = hug+##s 5, smaller
// ids first: p=4,##ug=11 before hug=13,##s=10) > b+##un 4.
const HUG = { hug: 10, pug: 5, pun: 12, bun: 4, hugs: 5 };

test('WordPiece merges on the hug/pug/pun corpus, worked out by hand', () => {
  const t = new WordPieceTrainer({ specialTokens: [], minFrequency: 1, vocabSize: 100 });
  for (const [w, c] of Object.entries(HUG)) t.feedWords([w], c);
  const { vocab } = t.train();
  assert.deepEqual(vocab, ['b', 'g', 'h', 'n', 'p', 's', 'u', '##u', '##n', '##g', '##s', '##ug', '##un', 'hug', 'pun', 'pug', 'hugs', 'bun']);
  // min_frequency stops before the first pair rarer than it; vocab_size caps the size
  const t5 = new WordPieceTrainer({ specialTokens: [], minFrequency: 5, vocabSize: 100 });
  for (const [w, c] of Object.entries(HUG)) t5.feedWords([w], c);
  assert.deepEqual(t5.train().vocab.slice(-3), ['pun', 'pug', 'hugs']);
  const t14 = new WordPieceTrainer({ specialTokens: [], minFrequency: 1, vocabSize: 14 });
  for (const [w, c] of Object.entries(HUG)) t14.feedWords([w], c);
  assert.deepEqual(t14.train().vocab.slice(-3), ['##ug', '##un', 'hug']);
});

const CORPUS = [
  'The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs.',
  'Tokenization splits words into word pieces, and word pieces into characters.',
  'Café owners in Zürich serve naïve tourists crème brûlée and strong coffee.',
  'Transfer learning adapts pretrained transformers to new domains with adapters.',
  'Unlabelled target text helps: masked language modelling on the target domain.',
  '今天天气很好，我们去公园散步吧。我们喜欢公园。',
  'Reviews of kitchen appliances: the blender broke, the toaster toasted, the kettle boiled.',
  'Reviews of books: the plot was thin, the characters were vivid, the ending surprised me.',
];

test('trained vocabulary: specials first, sorted alphabet, ## pieces, deterministic', () => {
  const opts = { vocabSize: 200, minFrequency: 1 };
  const a = new WordPieceTrainer(opts).feed(CORPUS).train();
  assert.deepEqual(a.vocab.slice(0, 5), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  assert.equal(a.vocab.length, 200);
  // with room to spare, merging goes on until every word is a single token, then stops
  const big = new WordPieceTrainer({ vocabSize: 5000, minFrequency: 1 }).feed(CORPUS);
  const bigVocab = new Set(big.train().vocab);
  assert.ok(bigVocab.size < 5000);
  for (const w of big.wordCounts.keys()) assert.ok(bigVocab.has(w), w);
  assert.equal(new Set(a.vocab).size, a.vocab.length, 'no duplicate tokens');
  // alphabet right after the specials, by code point; lowercased and accent-stripped
  const alphabetEnd = a.vocab.findIndex((t, i) => i >= 5 && t.startsWith('##'));
  const alphabet = a.vocab.slice(5, alphabetEnd);
  assert.deepEqual(
    alphabet,
    [...alphabet].sort((x, y) => x.codePointAt(0)! - y.codePointAt(0)!),
  );
  for (const ch of ['a', 'z', '.', ',', '今', '，']) assert.ok(alphabet.includes(ch), ch);
  for (const ch of ['T', 'é', 'ü']) assert.ok(!alphabet.includes(ch), `${ch} should be normalized away`);
  assert.ok(
    a.vocab.some((t) => t.startsWith('##') && t.length > 3),
    'learned continuation pieces',
  );
  assert.ok(a.vocab.includes('the') && a.vocab.includes('word'));
  // the same corpus in another order gives the same vocabulary
  const b = new WordPieceTrainer(opts).feed([...CORPUS].reverse()).train();
  assert.deepEqual(b.vocab, a.vocab);
  assert.equal(a.totalWords, b.totalWords);
});

test('limitAlphabet keeps the most frequent characters; initialAlphabet forces some in', () => {
  const r = new WordPieceTrainer({ vocabSize: 100, minFrequency: 1, limitAlphabet: 10, initialAlphabet: ['∑'] }).feed(CORPUS).train();
  const singles = r.vocab.slice(5).filter((t) => [...t].length === 1);
  assert.equal(singles.length, 10);
  assert.ok(singles.includes('∑'));
  assert.ok(singles.includes('e') && singles.includes(' ') === false);
  assert.ok(!singles.includes('今'), 'rare characters are dropped');
});

test('trained tokenizer encodes the corpus without [UNK], shorter than characters, and saves/loads', () => {
  const tok = trainWordPiece(CORPUS, { vocabSize: 250, minFrequency: 1, modelMaxLength: 128 });
  assert.equal(tok.vocabSize, 250);
  assert.deepEqual(tok.specialIds, { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 });
  let pieces = 0;
  let chars = 0;
  for (const s of CORPUS) {
    const e = tok.encode(s, { addSpecialTokens: false });
    assert.ok(!e.ids.includes(tok.specialIds.unk), s);
    pieces += e.ids.length;
    chars += tok.words(s).join('').length;
  }
  assert.ok(pieces < chars * 0.5, `pieces ${pieces} vs chars ${chars}`);
  assert.deepEqual(tok.encode('the fox').tokens, ['[CLS]', 'the', 'fox', '[SEP]']);
  const dir = tmp('adaptext-trained-');
  tok.save(dir);
  const back = loadTokenizer(dir);
  assert.equal(back.modelMaxLength, 128);
  for (const s of [...CORPUS, 'unseen Words ÀÉ 北京']) assert.deepEqual(back.encode(s), tok.encode(s));
});

test('bad trainer options are named', () => {
  assert.throws(() => new WordPieceTrainer({ vocabSize: 0 }), /WordPieceTrainer: vocabSize must be an integer/);
  assert.throws(() => new WordPieceTrainer({ specialTokens: ['[UNK]'] }).feed(['a b']).trainTokenizer(), /special token \[PAD\] missing/);
});
