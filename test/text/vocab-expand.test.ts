// Vocabulary expansion: on a domain corpus the base vocabulary shreds, the added tokens must
// lower fragmentation (also on held-out text), actually be produced by the extended
// tokenizer, sit at ids base.vocabSize + i, decompose into the base pieces FVT averages, and
// survive save → load.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTokenizer } from '../../src/text/load.js';
import type { Tokenizer } from '../../src/text/tokenizer.js';
import { decomposeToken, expandVocabulary, extendTokenizer, fragmentation } from '../../src/text/vocab-expand.js';
import { materialize } from './fixtures.js';
import { tmp } from '../support/tmp.js';

// A clinical-notes-like target domain: terms bert-base-uncased splits into many pieces.
const TERMS = [
  'echocardiography',
  'tachycardia',
  'dyspnea',
  'hypoxemia',
  'cardiomyopathy',
  'thrombocytopenia',
  'nephrolithiasis',
  'pneumothorax',
  'hepatosplenomegaly',
  'bronchiectasis',
  'hyperlipidemia',
  'bradycardia',
  'hyponatremia',
  'leukocytosis',
  'cholecystitis',
  'pyelonephritis',
  'atelectasis',
];
const TEMPLATES = [
  (a: string, b: string) => `The patient presented with ${a} and was evaluated for ${b}.`,
  (a: string, b: string) => `Findings consistent with ${a}; no evidence of ${b} on imaging.`,
  (a: string, b: string) => `History of ${a}. Today ${b} was noted and treated.`,
  (a: string, b: string) => `Rule out ${a} versus ${b}, repeat labs tomorrow.`,
];

function corpus(seed: number, n: number): string[] {
  let s = seed >>> 0;
  const rnd = (k: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % k;
  };
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(TEMPLATES[rnd(TEMPLATES.length)]!(TERMS[rnd(TERMS.length)]!, TERMS[rnd(TERMS.length)]!));
  return out;
}

let baseTok: Tokenizer | undefined;
const base = (): Tokenizer => (baseTok ??= loadTokenizer(materialize('bert-base-uncased')));

test('expansion lowers fragmentation on target text (train and held-out) and new tokens are used', () => {
  const train = corpus(1, 400);
  const held = corpus(2, 100);
  const r = expandVocabulary(base(), train, { topK: 40, minFrequency: 3 });
  assert.ok(r.newTokens.length > 0 && r.newTokens.length <= 40);
  const before = fragmentation(base(), held);
  const after = fragmentation(r.tokenizer, held);
  console.log(
    `# fragmentation (sub-words/word) train ${r.fragmentationBefore.toFixed(3)} -> ${r.fragmentationAfter.toFixed(3)}; held-out ${before.toFixed(3)} -> ${after.toFixed(3)}; ${r.newTokens.length} tokens added`,
  );
  assert.ok(r.fragmentationAfter < r.fragmentationBefore * 0.85, 'train fragmentation drops by >15%');
  assert.ok(after < before * 0.85, 'held-out fragmentation drops by >15%');
  // fragmentation() and the expansion's own figure measure the same thing
  assert.ok(Math.abs(fragmentation(base(), train) - r.fragmentationBefore) < 1e-9);
  // the extended tokenizer really emits the new ids
  const used = new Set<number>();
  for (const s of held) for (const id of r.tokenizer.encode(s).ids) if (id >= base().vocabSize) used.add(id);
  assert.ok(used.size >= r.newTokens.length / 2, `only ${used.size} of ${r.newTokens.length} new tokens used`);
  // text without domain terms tokenizes exactly as before
  const plain = 'The quick brown fox jumps over the lazy dog.';
  assert.deepEqual(r.tokenizer.encode(plain), base().encode(plain));
});

test('new ids, decompositions (FVT rows) and scores are consistent', () => {
  const r = expandVocabulary(base(), corpus(3, 300), { topK: 25 });
  const V = base().vocabSize;
  assert.equal(r.newTokens.length, 17, 'this corpus yields 17 candidates (fewer than topK): the checks below see every one');
  r.newTokens.forEach((t, i) => {
    assert.equal(t.id, V + i);
    assert.equal(r.tokenizer.tokenToId(t.token), V + i);
    assert.equal(r.tokenizer.idToToken(V + i), t.token);
    assert.equal(base().tokenToId(t.token), undefined, `${t.token} was already in the base vocab`);
    assert.ok(t.decomposition.length >= 2, `${t.token} must have cost several base pieces`);
    assert.ok(t.decomposition.every((id) => id < V));
    assert.deepEqual(t.decomposition, decomposeToken(base(), t.token));
    // the decomposition spells the token: pieces joined without "##" give the surface
    const spelled = t.decomposition.map((id) => base().idToToken(id)!.replace(/^##/, '')).join('');
    assert.equal(spelled, t.token.replace(/^##/, ''));
    assert.ok(t.score > 0 && t.score === t.frequency * (t.decomposition.length - 1));
  });
  for (let i = 1; i < r.newTokens.length; i++) assert.ok(r.newTokens[i - 1]!.score >= r.newTokens[i]!.score, 'sorted by score');
  assert.equal(r.tokenizer.vocabSize, V + r.newTokens.length);
  // a word continuation piece decomposes as a continuation
  assert.deepEqual(
    decomposeToken(base(), '##cardia').map((id) => base().idToToken(id)),
    ['##card', '##ia'],
  );
  assert.deepEqual(
    decomposeToken(base(), 'tachycardia').map((id) => base().idToToken(id)),
    ['ta', '##chy', '##card', '##ia'],
  );
});

test('extended tokenizer saves with the new tokens appended to vocab.txt and reloads identically', () => {
  const r = expandVocabulary(base(), corpus(4, 200), { topK: 10 });
  const dir = tmp('adaptext-extended-');
  r.tokenizer.save(dir);
  const lines = readFileSync(join(dir, 'vocab.txt'), 'utf8').split('\n');
  assert.equal(lines.length, base().vocabSize + r.newTokens.length + 1); // trailing newline
  assert.deepEqual(
    lines.slice(base().vocabSize, -1),
    r.newTokens.map((t) => t.token),
  );
  assert.equal(r.newTokens.length, 10);
  const back = loadTokenizer(dir);
  const texts = corpus(5, 20);
  assert.equal(texts.length, 20);
  let newIds = 0;
  for (const s of texts) {
    const e = r.tokenizer.encode(s);
    assert.deepEqual(back.encode(s), e);
    newIds += e.ids.filter((id) => id >= base().vocabSize).length;
  }
  assert.ok(newIds > 0, 'the compared texts use the new tokens');
});

test('extendTokenizer: explicit tokens, and the mistakes it refuses', () => {
  const ext = extendTokenizer(base(), ['tachycardia', '##oxemia']);
  assert.deepEqual(ext.encode('Tachycardia hypoxemia').tokens, ['[CLS]', 'tachycardia', 'h', '##yp', '##oxemia', '[SEP]']);
  assert.deepEqual(ext.encode('Tachycardia').ids, [101, 30522, 102]);
  assert.throws(() => extendTokenizer(base(), ['the']), /extendTokenizer: token "the" is already in the vocabulary/);
  assert.throws(() => extendTokenizer(base(), ['xqz', 'xqz']), /listed twice/);
  assert.throws(() => extendTokenizer(base(), ['Tachycardia']), /not one normalized word/); // uncased model: never produced
  assert.throws(() => extendTokenizer(base(), ['two words']), /whitespace/);
  assert.throws(() => extendTokenizer(base(), ['a-b']), /not one normalized word/); // punctuation splits words
  const roberta = loadTokenizer(materialize('roberta-base'));
  assert.throws(() => expandVocabulary(roberta, ['x'], { topK: 1 }), /needs a WordPiece \(BERT\) tokenizer, got kind 'bpe'/);
  assert.throws(() => expandVocabulary(base(), ['x'], { topK: -1 }), /topK must be a non-negative integer/);
});
