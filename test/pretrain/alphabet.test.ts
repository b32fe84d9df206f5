// The vocabulary's alphabet from scratch: 1,000 characters for alphabetic text (HF's
// BertWordPieceTokenizer.train), every character for a mostly-CJK corpus — a 1,000-character
// alphabet sends most Chinese characters to [UNK].
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { chooseAlphabetLimit, pretrain, type PretrainOptions } from '../../src/pretrain/index.js';
import { loadTokenizer } from '../../src/text/index.js';
import { tmp as tempFolder } from '../support/tmp.js';
import { tinyPretrainOptions } from '../support/tiny-pretrain.js';

const ZH = join(import.meta.dirname, '../../data/zh-shopping/hotel.unlabeled.jsonl.gz');
const zhTexts = gunzipSync(readFileSync(ZH))
  .toString('utf8')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => (JSON.parse(l) as { text: string }).text);
const hanChars = new Set(zhTexts.join('').match(/\p{Script=Han}/gu));

const tmp = tempFolder('adaptext-alphabet-');
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('chooseAlphabetLimit: 1000 for English, no limit for mostly-CJK text, an explicit limit wins', () => {
  assert.equal(chooseAlphabetLimit(null, ['a fine kettle, 5 stars', '质量 ok']).limit, 1000);
  const zh = chooseAlphabetLimit(null, ['质量很好 ok', '房间干净']);
  assert.equal(zh.limit, Infinity);
  assert.match(zh.why, /every character \(80% of the letters are CJK\)/);
  assert.equal(chooseAlphabetLimit(300, ['房间干净']).limit, 300);
});

function tiny(out: string, over: Partial<PretrainOptions>): PretrainOptions {
  return tinyPretrainOptions(out, { inputs: [ZH], vocabSize: 4000, ...over });
}

test('pretrain from scratch on Chinese reviews keeps every character; limit_alphabet caps it', async () => {
  assert.ok(hanChars.size > 1500, `the fixture has ${hanChars.size} distinct Han characters`);
  const lines: string[] = [];
  await pretrain(tiny(join(tmp, 'auto'), {}), { print: (l: string) => lines.push(l) });
  assert.ok(
    lines.some((l) => /alphabet: every character \(\d+% of the letters are CJK\)/.test(l)),
    lines.join('\n'),
  );
  const vocab = new Set(Array.from({ length: loadTokenizer(join(tmp, 'auto')).vocabSize }, (_, i) => loadTokenizer(join(tmp, 'auto')).idToToken(i)));
  const missing = [...hanChars].filter((c) => !vocab.has(c));
  assert.equal(missing.length, 0, `characters sent to [UNK]: ${missing.slice(0, 10).join('')}`);

  await pretrain(tiny(join(tmp, 'capped'), { limitAlphabet: 500 }), { print: () => {} });
  const capped = loadTokenizer(join(tmp, 'capped'));
  const kept = Array.from({ length: capped.vocabSize }, (_, i) => capped.idToToken(i)).filter((t) => t !== undefined && /^\p{Script=Han}$/u.test(t));
  assert.ok(kept.length <= 500, `${kept.length} single characters with limit_alphabet 500`);
});
