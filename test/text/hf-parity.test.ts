// Parity with the Hugging Face `tokenizers` library (Rust core, via its npm binding): every
// reference encoding committed under test/fixtures/tokenizers must be reproduced exactly —
// ids, tokens, offsets, word ids and decoded text — for every tokenizer folder there, loaded
// both from tokenizer.json and from the plain vocabulary files.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTokenizer } from '../../src/text/load.js';
import type { Encoding, Tokenizer } from '../../src/text/tokenizer.js';
import { cpToUtf16, expectedEncodings, FIXTURES, fixtureFile, materialize, MODELS } from './fixtures.js';

interface RefEnc {
  ids: number[];
  tokens: string[];
  offsets: [number, number][];
  word_ids?: (number | null)[];
}
interface Extra {
  texts: string[];
  word_lists: string[][];
  models: Record<string, { encodings: (RefEnc & { decoded: string; decoded_with_special: string })[]; truncated: RefEnc[]; words: RefEnc[] }>;
}
const extra = JSON.parse(readFileSync(join(FIXTURES, 'extra_encodings.json'), 'utf8')) as Extra;
const basic = expectedEncodings();

/** Both ways a user may hand us each model: with tokenizer.json, and with the plain vocab files only. */
function variants(model: string): [string, Tokenizer][] {
  const out: [string, Tokenizer][] = [['tokenizer.json', loadTokenizer(materialize(model))]];
  const extraFiles: Record<string, Buffer> = {};
  // hfl ships the byte-identical bert-base-chinese vocab.txt (same sha256); the fixture keeps one copy
  if (model === 'hfl__chinese-roberta-wwm-ext') extraFiles['vocab.txt'] = fixtureFile('bert-base-chinese', 'vocab.txt');
  out.push(['vocab files', loadTokenizer(materialize(model, ['tokenizer.json'], extraFiles))]);
  return out;
}

/** HF offsets are in code points; ours in UTF-16 units (identical unless the text has astral chars). */
function refOffsets(text: string, off: [number, number][]): [number, number][] {
  return off.map(([a, b]) => [cpToUtf16(text, a), cpToUtf16(text, b)]);
}

function diff(label: string, got: Encoding, want: RefEnc, text: string | null): string | null {
  const bad: string[] = [];
  if (JSON.stringify(got.ids) !== JSON.stringify(want.ids)) bad.push(`ids ${JSON.stringify(got.ids)} vs ${JSON.stringify(want.ids)}`);
  if (JSON.stringify(got.tokens) !== JSON.stringify(want.tokens)) bad.push(`tokens ${JSON.stringify(got.tokens)} vs ${JSON.stringify(want.tokens)}`);
  const wo = text === null ? want.offsets : refOffsets(text, want.offsets);
  if (JSON.stringify(got.offsets) !== JSON.stringify(wo)) bad.push(`offsets ${JSON.stringify(got.offsets)} vs ${JSON.stringify(wo)}`);
  if (want.word_ids && JSON.stringify(got.wordIds) !== JSON.stringify(want.word_ids)) bad.push(`wordIds ${JSON.stringify(got.wordIds)} vs ${JSON.stringify(want.word_ids)}`);
  return bad.length ? `${label}: ${bad.join('; ')}` : null;
}

const tally = { cases: 0, failures: 0 };

for (const model of MODELS) {
  test(`HF parity: ${model}`, () => {
    const failures: string[] = [];
    let n = 0;
    for (const [how, tok] of variants(model)) {
      const ex = basic.models[model]!.encodings;
      for (const e of ex) {
        n++;
        const got = tok.encode(e.text);
        const d = diff(`[${how}] ${JSON.stringify(e.text)}`, got, e, e.text);
        if (d) failures.push(d);
        const noSpecial = tok.encode(e.text, { addSpecialTokens: false }).ids;
        if (JSON.stringify(noSpecial) !== JSON.stringify(e.ids_without_special_tokens)) failures.push(`[${how}] no-special ids of ${JSON.stringify(e.text)}`);
        const dec = tok.decode(got.ids);
        if (dec !== e.decoded_skip_special) failures.push(`[${how}] decode ${JSON.stringify(dec)} vs ${JSON.stringify(e.decoded_skip_special)}`);
      }
      const m = extra.models[model]!;
      extra.texts.forEach((text, i) => {
        n++;
        const want = m.encodings[i]!;
        const got = tok.encode(text);
        const d = diff(`[${how}] ${JSON.stringify(text)}`, got, want, text);
        if (d) failures.push(d);
        const dec = tok.decode(got.ids);
        if (dec !== want.decoded) failures.push(`[${how}] decode(${JSON.stringify(text)}) ${JSON.stringify(dec)} vs ${JSON.stringify(want.decoded)}`);
        const decAll = tok.decode(got.ids, { skipSpecialTokens: false });
        if (decAll !== want.decoded_with_special) failures.push(`[${how}] decode+specials(${JSON.stringify(text)}) ${JSON.stringify(decAll)} vs ${JSON.stringify(want.decoded_with_special)}`);
      });
      extra.texts.slice(2, 8).forEach((text, i) => {
        n++;
        const d = diff(`[${how}] maxLength 8 ${JSON.stringify(text)}`, tok.encode(text, { maxLength: 8 }), m.truncated[i]!, text);
        if (d) failures.push(d);
      });
      extra.word_lists.forEach((words, i) => {
        n++;
        // offsets of pre-tokenized input are relative to each word: no code-point conversion
        // needed except for astral characters, which these word lists keep at word starts
        const want = m.words[i]!;
        const wo = want.offsets.map(([a, b], k): [number, number] => {
          const w = want.word_ids![k];
          return w === null || w === undefined ? [a, b] : [cpToUtf16(words[w]!, a), cpToUtf16(words[w]!, b)];
        });
        const d = diff(`[${how}] words ${JSON.stringify(words)}`, tok.encodeWords(words), { ...want, offsets: wo }, null);
        if (d) failures.push(d);
      });
    }
    tally.cases += n;
    tally.failures += failures.length;
    console.log(`# ${model}: ${n - failures.length}/${n} reference encodings reproduced exactly`);
    assert.deepEqual(failures, []);
  });
}

test('HF parity summary', () => {
  console.log(`# all models: ${tally.cases - tally.failures}/${tally.cases} reference cases match`);
  assert.ok(tally.cases > 0);
});
