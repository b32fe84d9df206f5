// Bad tokenizer folders and files give one-line errors naming the folder/file and what is wrong.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTokenizer } from '../../src/text/load.js';
import { materialize } from './fixtures.js';
import { tmp } from '../support/tmp.js';

function oneLineError(f: () => unknown, ...mustContain: (string | RegExp)[]): string {
  let msg = '';
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof Error);
    msg = e.message;
    return true;
  });
  assert.ok(!msg.includes('\n'), `error is not one line: ${msg}`);
  for (const m of mustContain) {
    if (typeof m === 'string') assert.ok(msg.includes(m), `"${msg}" should mention "${m}"`);
    else assert.match(msg, m);
  }
  return msg;
}

function folder(files: Record<string, string>): string {
  const d = tmp('adaptext-bad-');
  for (const [n, c] of Object.entries(files)) writeFileSync(join(d, n), c);
  return d;
}

test('missing folder, a file instead of a folder, an empty folder', () => {
  const missing = join(tmpdir(), 'adaptext-definitely-missing-folder');
  oneLineError(() => loadTokenizer(missing), missing, 'does not exist');
  const d = folder({ 'x.txt': 'x' });
  oneLineError(() => loadTokenizer(join(d, 'x.txt')), 'is not a folder');
  oneLineError(() => loadTokenizer(folder({})), 'has no tokenizer files', 'tokenizer.json', 'vocab.txt', 'vocab.json + merges.txt');
});

test('byte-level BPE folder missing merges.txt or vocab.json names the missing file', () => {
  const noMerges = materialize('roberta-base', ['tokenizer.json', 'merges.txt']);
  oneLineError(() => loadTokenizer(noMerges), noMerges, 'missing merges.txt');
  const noVocab = materialize('roberta-base', ['tokenizer.json', 'vocab.json']);
  oneLineError(() => loadTokenizer(noVocab), noVocab, 'missing vocab.json'); // config.json says model_type roberta
});

test('malformed tokenizer.json: the file and the line', () => {
  const d = folder({ 'tokenizer.json': '{\n  "version": "1.0",\n  "model": {\n    "vocab": {"a": 0,,}\n  }\n}\n' });
  oneLineError(() => loadTokenizer(d), join(d, 'tokenizer.json'), 'malformed JSON', /line 4/);
  const notObj = folder({ 'tokenizer.json': '[1, 2]' });
  oneLineError(() => loadTokenizer(notObj), 'tokenizer.json', 'JSON object');
  const noModel = folder({ 'tokenizer.json': '{"version": "1.0"}' });
  oneLineError(() => loadTokenizer(noModel), 'missing "model"');
});

test('unsupported or inconsistent tokenizer.json contents', () => {
  const uni = folder({ 'tokenizer.json': JSON.stringify({ model: { type: 'Unigram', vocab: [['a', 0]] } }) });
  oneLineError(() => loadTokenizer(uni), 'unsupported tokenizer model type "Unigram"');
  const wpBadPre = folder({
    'tokenizer.json': JSON.stringify({ normalizer: null, pre_tokenizer: { type: 'Metaspace' }, model: { type: 'WordPiece', unk_token: '[UNK]', vocab: { '[UNK]': 0 } } }),
  });
  oneLineError(() => loadTokenizer(wpBadPre), 'unsupported pre_tokenizer "Metaspace"');
  const badId = folder({
    'tokenizer.json': JSON.stringify({ normalizer: null, pre_tokenizer: { type: 'BertPreTokenizer' }, model: { type: 'WordPiece', unk_token: '[UNK]', vocab: { '[UNK]': 'zero' } } }),
  });
  oneLineError(() => loadTokenizer(badId), 'model.vocab entry "[UNK]" must map to a non-negative integer id');
  const noUnk = folder({
    'tokenizer.json': JSON.stringify({ normalizer: null, pre_tokenizer: { type: 'BertPreTokenizer' }, model: { type: 'WordPiece', unk_token: '[UNK]', vocab: { a: 0 } } }),
  });
  oneLineError(() => loadTokenizer(noUnk), 'tokenizer.json', 'unk token "[UNK]" is not in the vocabulary');
  const badMerge = folder({
    'tokenizer.json': JSON.stringify({ pre_tokenizer: { type: 'ByteLevel' }, model: { type: 'BPE', vocab: { a: 0 }, merges: ['a b c'] } }),
  });
  oneLineError(() => loadTokenizer(badMerge), 'model.merges[0] must be "a b" or ["a", "b"]');
});

test('vocab.txt without the BERT specials, bad tokenizer_config values, bad merges line', () => {
  const d = folder({ 'vocab.txt': 'hello\nworld\n' });
  oneLineError(() => loadTokenizer(d), join(d, 'vocab.txt'), 'special token [UNK] is not in the vocabulary');
  const cfg = materialize('bert-base-uncased', ['tokenizer.json'], { 'tokenizer_config.json': '{"do_lower_case": "yes"}' });
  oneLineError(() => loadTokenizer(cfg), 'tokenizer_config.json', 'do_lower_case must be true or false', '"yes"');
  const badCfg = materialize('bert-base-uncased', [], { 'tokenizer_config.json': '{"do_lower_case": true,}' });
  oneLineError(() => loadTokenizer(badCfg), 'tokenizer_config.json: malformed JSON', /line 1/);
  const m = materialize('roberta-base', ['tokenizer.json'], { 'merges.txt': '#version: 0.2\nĠ t\nbroken\n' });
  oneLineError(() => loadTokenizer(m), join(m, 'merges.txt') + ':3', 'two tokens separated by one space');
});
