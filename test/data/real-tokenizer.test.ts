// The data pipeline on real vocabularies (bert-base-chinese, bert-base-uncased fixtures),
// through the project's own tokenizer: word ids from real WordPiece drive tag alignment and
// whole-word masking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadTokenizer } from '../../src/text/load.js';
import { Rng } from '../../src/tensor/rng.js';
import { encodeExamples } from '../../src/data/encode.js';
import { collate } from '../../src/data/batching.js';
import { MlmMasker } from '../../src/data/mlm.js';
import type { TokenizerLike } from '../../src/data/tokenizer-like.js';
import { tmp } from '../support/tmp.js';

const FIX = new URL('../fixtures/tokenizers/', import.meta.url).pathname;

/** The fixture folder with its .gz files expanded, as a user's downloaded checkpoint looks. */
function tokenizerFolder(model: string): string {
  const dst = tmp(`adaptext-data-tok-`);
  for (const f of readdirSync(join(FIX, model))) {
    const bytes = readFileSync(join(FIX, model, f));
    writeFileSync(join(dst, f.replace(/\.gz$/, '')), f.endsWith('.gz') ? gunzipSync(bytes) : bytes);
  }
  return dst;
}

// The fixtures are tracked in git: a missing one is a failure, not a skip.
function requireFixtures(): void {
  for (const m of ['bert-base-chinese', 'bert-base-uncased']) assert.ok(existsSync(join(FIX, m, 'vocab.txt.gz')), `${join(FIX, m)} is tracked in git and must be present`);
}

test('bert-base-chinese: whole-word masking masks CJK characters one by one and English words whole', () => {
  requireFixtures();
  const tok: TokenizerLike = loadTokenizer(tokenizerFolder('bert-base-chinese'));
  const { encoded } = encodeExamples(
    [{ kind: 'text', text: '我们喜欢unbelievably好的烤鸭!', label: null, id: null, where: 'mem' }],
    tok,
    { maxLength: 64 },
  );
  const e = encoded[0]!;
  // [CLS] 我 们 喜 欢 u ##n ##bel ##ie ##va ##b ##ly 好 的 烤 鸭 ! [SEP]
  assert.deepEqual([...e.wordIds], [-1, 0, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 5, 6, 7, 8, 9, -1]);
  const masker = MlmMasker.fromTokenizer(tok, { wholeWordMask: true, probability: 0.5 });
  const rng = new Rng(3);
  const batch = collate(encoded, tok.specialIds.pad);
  let englishMasked = 0;
  let cjkMaskedAlone = 0;
  for (let i = 0; i < 300; i++) {
    const lab = masker.mask(batch, rng).mlmLabels!;
    const sel = (t: number) => lab[t] !== -100;
    const english = [5, 6, 7, 8, 9, 10, 11].map(sel);
    assert.ok(english.every((x) => x === english[0]), `English word split by the mask: ${english}`);
    if (english[0]) englishMasked += 1;
    if (sel(1) !== sel(2)) cjkMaskedAlone += 1;
    assert.ok(!sel(0) && !sel(17), 'never [CLS]/[SEP]');
  }
  assert.ok(englishMasked > 0 && cjkMaskedAlone > 0);
});

test('bert-base-uncased: NER tags land on the first WordPiece of each word', () => {
  requireFixtures();
  const tok: TokenizerLike = loadTokenizer(tokenizerFolder('bert-base-uncased'));
  const { encoded } = encodeExamples(
    [{ kind: 'tagged', words: ['Fly', 'to', 'Washington', 'unbelievably'], tags: [0, 0, 1, 2], id: null, where: 'mem' }],
    tok,
    { maxLength: 32 },
  );
  // [CLS] fly to washington un ##bel ##ie ##va ##bly [SEP]
  assert.deepEqual([...encoded[0]!.tokenLabels!], [-100, 0, 0, 1, 2, -100, -100, -100, -100, -100]);
  const b = collate(encoded, tok.specialIds.pad);
  assert.equal(b.inputIds[0], tok.specialIds.cls);
  assert.equal(b.inputIds[b.T - 1], tok.specialIds.sep);
});
