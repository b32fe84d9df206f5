// Whole-word masking in stage 2's MLM (stage2.whole_word_mask): the encoded examples' word ids are
// whole words (Chinese by Intl.Segmenter, not one word per character as the tokenizer says), the
// masker takes them whole, and a pipeline run with the option masks multi-character Chinese words
// together on real bundled reviews (data/zh-shopping) — without it, never.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { collate, encodeExamples, MlmMasker, type Batch, type Example } from '../../src/data/index.js';
import { Rng } from '../../src/tensor/index.js';
import { loadTokenizer } from '../../src/text/index.js';
import { validateConfig } from '../../src/train/config.js';
import { EncodingCache } from '../../src/train/data.js';
import { trainPipeline } from '../../src/train/pipeline.js';
import { tinyBertFolder } from '../support/tiny-model.js';
import { materialize } from '../text/fixtures.js';
import { tmp } from './helpers.js';

const tokDir = materialize('hfl__chinese-roberta-wwm-ext');
const tok = loadTokenizer(tokDir);
const dir = tmp('adaptext-wwm-stage2-');
after(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(tokDir, { recursive: true, force: true });
});

const text = (t: string): Example => ({ kind: 'text', text: t, label: null, id: null, where: 'test:1' });

/** Tokens grouped by word id (specials dropped), as strings. */
function grouped(ids: Int32Array, wordIds: Int32Array): string[] {
  const out: string[] = [];
  let last = -2;
  ids.forEach((id, i) => {
    const w = wordIds[i]!;
    if (w < 0) return;
    const t = tok.idToToken(id)!.replace(/^##/, '');
    if (w === last) out[out.length - 1] += t;
    else out.push(t);
    last = w;
  });
  return out;
}

describe('stage 2 whole words', () => {
  it('encodeExamples wholeWords: Chinese words by the segmenter, WordPiece words whole, specials -1', () => {
    const ex = [text('这个酒店的服务态度非常好 unbelievable')];
    const plain = encodeExamples(ex, tok, { maxLength: 64 }).encoded[0]!;
    const whole = encodeExamples(ex, tok, { maxLength: 64, wholeWords: true }).encoded[0]!;
    assert.deepEqual(whole.ids, plain.ids, 'the ids do not change');
    assert.deepEqual(grouped(whole.ids, whole.wordIds), ['这个', '酒店', '的', '服务', '态度', '非常', '好', 'unbelievable']);
    // the tokenizer alone: one word per Han character
    assert.deepEqual(grouped(plain.ids, plain.wordIds).slice(0, 4), ['这', '个', '酒', '店']);
    assert.equal(whole.wordIds[0], -1);
    assert.equal(whole.wordIds[whole.wordIds.length - 1], -1);
  });

  it('a truncated example keeps its whole words and its closing [SEP]', () => {
    const e = encodeExamples([text('这个酒店的服务态度非常好')], tok, { maxLength: 6, wholeWords: true });
    const w = e.encoded[0]!;
    assert.equal(e.stats.truncated, 1);
    assert.equal(w.ids.length, 6);
    assert.deepEqual(grouped(w.ids, w.wordIds), ['这个', '酒店']);
    assert.equal(w.ids[5], tok.specialIds.sep);
  });

  it('EncodingCache passes wholeWords on; the masker never splits a word', () => {
    const texts = ['房间很干净，早餐也不错', '价格有点贵但是位置方便', '快递速度很快，包装完好', '下次还会选择这家酒店'];
    const exs = Array.from({ length: 64 }, (_, i) => text(texts[i % texts.length]!));
    const enc = new EncodingCache({ wholeWords: true }).get(tok, exs, 32, 1);
    const batch = collate(enc, tok.specialIds.pad);
    const m = new MlmMasker({ vocabSize: tok.vocabSize, maskId: tok.specialIds.mask, specialIds: [tok.specialIds.pad, tok.specialIds.cls, tok.specialIds.sep], wholeWordMask: true, probability: 0.3 });
    const masked = m.mask(batch, new Rng(5));
    assert.ok(splitWords(batch, masked.mlmLabels!, tok.specialIds.unk) === 0, 'no word is split');
    assert.ok(wholeMultiCharWords(batch, masked.mlmLabels!, tok.specialIds.unk) > 20, 'multi-character words are masked whole');
    const plainEnc = new EncodingCache().get(tok, exs, 32, 1);
    assert.ok(
      plainEnc.every((e) => grouped(e.ids, e.wordIds).every((w) => w.length === 1)),
      'default: one word per character',
    );
  });
});

/** Words with some but not all of their tokens selected; [UNK] pieces (never masked, they do not split a word: src/data/mlm.ts) aside. */
function splitWords(batch: Batch, labels: Int32Array, unk: number): number {
  let split = 0;
  for (let b = 0; b < batch.B; b++) {
    const sel = new Map<number, Set<boolean>>();
    for (let t = 0; t < batch.T; t++) {
      const p = b * batch.T + t;
      const w = batch.wordIds[p]!;
      if (w < 0 || batch.attentionMask[p] === 0 || batch.inputIds[p] === unk) continue;
      sel.set(w, (sel.get(w) ?? new Set()).add(labels[p] !== -100));
    }
    for (const s of sel.values()) if (s.size > 1) split += 1;
  }
  return split;
}

/** Words of more than one token whose tokens are all selected ([UNK] pieces aside). */
function wholeMultiCharWords(batch: Batch, labels: Int32Array, unk: number): number {
  let n = 0;
  for (let b = 0; b < batch.B; b++) {
    const byWord = new Map<number, boolean[]>();
    for (let t = 0; t < batch.T; t++) {
      const p = b * batch.T + t;
      const w = batch.wordIds[p]!;
      if (w < 0 || batch.attentionMask[p] === 0 || batch.inputIds[p] === unk) continue;
      byWord.set(w, [...(byWord.get(w) ?? []), labels[p] !== -100]);
    }
    for (const s of byWord.values()) if (s.length > 1 && s.every(Boolean)) n += 1;
  }
  return n;
}

// ---- a pipeline run on bundled Chinese reviews ------------------------------------------------

function zhLines(file: string, n: number): string[] {
  const lines = gunzipSync(readFileSync(join('data', 'zh-shopping', file)))
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  return lines.slice(0, n);
}

describe('stage2.whole_word_mask in a pipeline run (books → hotel, 120 reviews each)', () => {
  mkdirSync(dir, { recursive: true });
  const files = { books: join(dir, 'books.jsonl'), hotel: join(dir, 'hotel.jsonl'), hotelU: join(dir, 'hotel.unlabelled.jsonl') };
  // both labels in the first lines: take alternately from each end of the file
  const labelled = (f: string) => {
    const l = zhLines(f, 2000);
    return Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? l[i >> 1]! : l[l.length - 1 - (i >> 1)]!));
  };
  writeFileSync(files.books, labelled('books.labeled.jsonl.gz').join('\n') + '\n');
  writeFileSync(files.hotel, labelled('hotel.labeled.jsonl.gz').join('\n') + '\n');
  writeFileSync(files.hotelU, zhLines('hotel.unlabeled.jsonl.gz', 120).join('\n') + '\n');
  const texts = () =>
    [files.books, files.hotel, files.hotelU].flatMap((f) =>
      readFileSync(f, 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { text: string }).text),
    );
  const model = tinyBertFolder({ corpus: 'zh-shopping-wwm', texts, vocab: 1500 });
  const unk = loadTokenizer(model).specialIds.unk;

  /** Every MLM batch stage 2 masks during one run: [split words, whole multi-character words]. */
  async function run(wholeWordMask: boolean): Promise<{ split: number; whole: number; batches: number }> {
    const seen = { split: 0, whole: 0, batches: 0 };
    const original = MlmMasker.prototype.mask;
    MlmMasker.prototype.mask = function (this: MlmMasker, batch: Batch, rng: Rng): Batch {
      const out = original.call(this, batch, rng);
      seen.batches += 1;
      seen.split += splitWords(batch, out.mlmLabels!, unk);
      seen.whole += wholeMultiCharWords(batch, out.mlmLabels!, unk);
      return out;
    };
    try {
      const raw = {
        model,
        output: join(dir, `run-${wholeWordMask}`),
        seed: 7,
        max_length: 48,
        baselines: false,
        tasks: { sentiment: { type: 'sequence_classification', labels: ['negative', 'positive'] } },
        source: { name: 'books', task: 'sentiment', labelled: files.books, split: { validation: 20, test: 20 } },
        target: { name: 'hotel', task: 'sentiment', labelled: files.hotel, split: { validation: 20, test: 20 }, unlabelled: files.hotelU },
        stage1: { epochs: 1, batch_size: 16 },
        stage2: { epochs: 1, batch_size: 16, whole_word_mask: wholeWordMask },
        stage3: { epochs: 1, batch_size: 8, shots: 16 },
      };
      await trainPipeline(validateConfig(raw, 'test', '/'));
    } finally {
      MlmMasker.prototype.mask = original;
    }
    return seen;
  }

  it('with the option: multi-character words masked whole, none split; without it: no multi-character word', async () => {
    const on = await run(true);
    console.log(`whole_word_mask: ${on.batches} MLM batches, ${on.whole} multi-character words masked whole, ${on.split} split`);
    assert.ok(on.batches > 0);
    assert.equal(on.split, 0);
    assert.ok(on.whole > on.batches, `only ${on.whole} whole multi-character words in ${on.batches} batches`);
    const off = await run(false);
    assert.equal(off.whole, 0, 'the tokenizer gives every Han character its own word');
  });
});
