// Whole-word masking (hfl/chinese-roberta-wwm-ext): continuation marks from the segmenter and
// WordPiece, word ids that survive packing, masks that never split a word, the budget, the seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MlmMasker } from '../../src/data/index.js';
import { Rng } from '../../src/tensor/index.js';
import { loadTokenizer } from '../../src/text/index.js';
import { buildMarks, buildStream, makeBatch, packStream, pretrain, PRETRAIN_DEFAULTS, loadPretrainConfig, tokeniseWithMarks } from '../../src/pretrain/index.js';
import { runCli } from '../support/cli.js';
import { materialize } from '../text/fixtures.js';
import { tmp as tempFolder } from '../support/tmp.js';
import { tinyPretrainOptions } from '../support/tiny-pretrain.js';

// the repo's fixture of hfl/chinese-roberta-wwm-ext's tokenizer (the model whole-word masking comes from)
const tokDir = materialize('hfl__chinese-roberta-wwm-ext');
const tok = loadTokenizer(tokDir);
const tmp = tempFolder('adaptext-wwm-');
test.after(() => {
  rmSync(tmp, { recursive: true, force: true });
  rmSync(tokDir, { recursive: true, force: true });
});

/** Tokens grouped into words by the marks, as strings ("这个 酒店 ..."). */
function words(text: string): string[] {
  const { ids, cont } = tokeniseWithMarks(tok, text);
  const out: string[] = [];
  ids.forEach((id, i) => {
    const t = tok.idToToken(id)!.replace(/^##/, '');
    if (cont[i] === 1) out[out.length - 1] += t;
    else out.push(t);
  });
  return out;
}

test('marks: Chinese words from Intl.Segmenter, an English word with its ## pieces', () => {
  assert.deepEqual(words('这个酒店的服务态度非常好'), ['这个', '酒店', '的', '服务', '态度', '非常', '好']);
  assert.deepEqual(words('unbelievable 酒店'), ['unbelievable', '酒店']);
  const { ids } = tokeniseWithMarks(tok, 'unbelievable');
  assert.ok(ids.length > 1, 'the English word is split into ## pieces');
});

const SENTENCES = [
  '这个酒店的服务态度非常好',
  '房间很干净，早餐也不错',
  '价格有点贵但是位置方便',
  '快递速度很快，包装完好',
  '手机电池不耐用，屏幕还可以',
  '下次还会选择这家酒店',
  '质量一般，不推荐购买',
  '书的内容很有意思',
];
const corpusText = Array.from({ length: 300 }, (_, i) => SENTENCES[i % SENTENCES.length]! + (i % 3 === 0 ? ' unbelievable' : ''));

function packed(T: number) {
  const recs = corpusText.map((t) => tokeniseWithMarks(tok, t));
  const { stream, records } = buildStream(
    recs.map((r) => r.ids),
    tok.specialIds.sep,
  );
  return packStream(stream, T, records, buildMarks(recs.map((r) => r.cont)));
}

const masker = MlmMasker.fromTokenizer(tok, { probability: 0.15, wholeWordMask: true });

test('masking never splits a word; the budget is close to 15%; the seed decides the masks', () => {
  const p = packed(64);
  const idx = Array.from({ length: p.numSequences }, (_, i) => i);
  const batch = makeBatch(p, idx, tok);
  const m = masker.mask(batch, new Rng(7));
  let selected = 0;
  let candidates = 0;
  let multi = 0;
  for (let b = 0; b < batch.B; b++) {
    const byWord = new Map<number, boolean[]>();
    for (let t = 0; t < batch.T; t++) {
      const q = b * batch.T + t;
      const id = batch.inputIds[q]!;
      if (id === tok.specialIds.cls || id === tok.specialIds.sep) {
        assert.equal(m.mlmLabels![q], -100, 'specials are never masked');
        continue;
      }
      candidates += 1;
      const sel = m.mlmLabels![q] !== -100;
      if (sel) selected += 1;
      const w = batch.wordIds[q]!;
      byWord.set(w, [...(byWord.get(w) ?? []), sel]);
    }
    for (const s of byWord.values()) {
      assert.ok(
        s.every((x) => x === s[0]),
        `a word was split: ${JSON.stringify(s)}`,
      );
      if (s.length > 1 && s[0]) multi += 1;
    }
  }
  assert.ok(multi > 50, `multi-token words are masked whole (${multi})`);
  const rate = selected / candidates;
  // per row max(1, round(0.15 × candidates)), words taken only while they fit: close to 15%
  assert.ok(Math.abs(rate - 0.15) < 0.01, `masked share ${rate}`);
  const again = masker.mask(batch, new Rng(7));
  assert.deepEqual(again.mlmLabels, m.mlmLabels);
  assert.deepEqual(again.inputIds, m.inputIds);
  assert.notDeepEqual(masker.mask(batch, new Rng(8)).mlmLabels, m.mlmLabels);
});

test('without marks a packed batch has no word ids (default off: the old batches)', () => {
  const p = packed(64);
  const plain = packStream(p.stream, 64, p.records);
  assert.ok(makeBatch(plain, [0, 1], tok).wordIds.every((w) => w === -1));
  assert.throws(() => packStream(p.stream, 64, p.records, new Uint8Array(3)), /3 continuation marks/);
});

test('whole_word_mask: a boolean, false by default, --whole-word-mask', () => {
  assert.equal(PRETRAIN_DEFAULTS.wholeWordMask, false);
  assert.equal(loadPretrainConfig(null, { inputs: ['x'], out: 'y', whole_word_mask: true }).wholeWordMask, true);
  assert.throws(() => loadPretrainConfig(null, { inputs: ['x'], out: 'y', whole_word_mask: 'yes' }), /whole_word_mask/);
});

test('pretrain with whole-word masking: one tiny step, recorded in run.json and the log', async () => {
  const file = join(tmp, 'zh.txt');
  writeFileSync(file, corpusText.slice(0, 40).join('\n') + '\n');
  const out = join(tmp, 'run');
  const lines: string[] = [];
  await pretrain(tinyPretrainOptions(out, { inputs: [file], wholeWordMask: true, vocabSize: 300 }), { print: (l: string) => lines.push(l) });
  assert.equal((JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { wholeWordMask: boolean }).wholeWordMask, true);
  assert.ok(
    lines.some((l) => /whole-word masking/.test(l)),
    lines.join('\n'),
  );
});

test('adaptext pretrain --whole-word-mask turns it on (a false-by-default boolean flag)', async () => {
  const file = join(tmp, 'zh-cli.txt');
  writeFileSync(file, corpusText.slice(0, 40).join('\n') + '\n');
  const out = join(tmp, 'cli-run');
  const flags = ['--layers', '1', '--hidden', '16', '--heads', '2', '--intermediate', '32', '--vocab-size', '300', '--max-length', '32', '--batch-size', '2'];
  const r = await runCli(['pretrain', file, '--out', out, '--whole-word-mask', ...flags, '--max-steps', '1', '--eval-every', '0', '--checkpoint-minutes', '0', '--progress', 'none']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { wholeWordMask: boolean }).wholeWordMask, true);
});
