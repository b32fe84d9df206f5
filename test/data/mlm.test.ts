import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/tensor/rng.js';
import { MlmMasker } from '../../src/data/mlm.js';
import { collate, type Batch } from '../../src/data/batching.js';
import { encodeExamples } from '../../src/data/encode.js';
import type { EncodedExample } from '../../src/data/encode.js';
import { FakeTokenizer } from './fake-tokenizer.js';

// Specials as in FakeTokenizer: cls 0, pad 1, sep 2, unk 3, mask 4.
const V = 1000;
const SPECIALS = [0, 1, 2, 3, 4];

/** Rows of random words (1–3 sub-tokens each) with [CLS]/[SEP], some [UNK]s, ragged lengths. */
function randomBatch(seed: number, B: number, maxT: number): Batch {
  const r = new Rng(seed);
  const rows: EncodedExample[] = [];
  for (let b = 0; b < B; b++) {
    const len = 8 + r.int(maxT - 8);
    const ids = [0];
    const wids = [-1];
    let w = 0;
    while (ids.length < len - 1) {
      const pieces = 1 + r.int(3);
      for (let k = 0; k < pieces && ids.length < len - 1; k++) {
        ids.push(r.uniform() < 0.02 ? 3 : 5 + r.int(V - 5));
        wids.push(w);
      }
      w += 1;
    }
    ids.push(2);
    wids.push(-1);
    rows.push({ ids: Int32Array.from(ids), wordIds: Int32Array.from(wids), label: -100, tokenLabels: null, domain: 1, index: b, where: 'mem' });
  }
  return collate(rows, 1);
}

interface Tally { candidates: number; selected: number; masked: number; random: number; kept: number }

function tally(batch: Batch, out: Batch): Tally {
  const t: Tally = { candidates: 0, selected: 0, masked: 0, random: 0, kept: 0 };
  for (let p = 0; p < batch.inputIds.length; p++) {
    const id = batch.inputIds[p]!;
    const lab = out.mlmLabels![p]!;
    const isCand = batch.attentionMask[p] === 1 && !SPECIALS.includes(id);
    if (isCand) t.candidates += 1;
    if (lab === -100) {
      assert.equal(out.inputIds[p], id, 'an unselected token must stay as it was');
      continue;
    }
    assert.ok(isCand, `selected a special or padding position (id ${id})`);
    assert.equal(lab, id, 'label = original id');
    t.selected += 1;
    const now = out.inputIds[p]!;
    if (now === 4) t.masked += 1;
    else if (now === id) t.kept += 1; // (a random draw equal to the original counts as kept: p = 1/995)
    else {
      assert.ok(!SPECIALS.includes(now), `random replacement ${now} is special`);
      t.random += 1;
    }
  }
  return t;
}

function sum(ts: Tally[]): Tally {
  return ts.reduce((a, b) => ({
    candidates: a.candidates + b.candidates, selected: a.selected + b.selected,
    masked: a.masked + b.masked, random: a.random + b.random, kept: a.kept + b.kept,
  }));
}

test('token masking statistics: 15% of non-special tokens; of those 80% [MASK] / 10% random / 10% kept', () => {
  const masker = new MlmMasker({ vocabSize: V, maskId: 4, specialIds: SPECIALS });
  const rng = new Rng(11);
  const ts: Tally[] = [];
  for (let i = 0; i < 40; i++) {
    const batch = randomBatch(i, 32, 128);
    const before = batch.inputIds.slice();
    const out = masker.mask(batch, rng);
    assert.deepEqual(batch.inputIds, before, 'the input batch is not modified');
    ts.push(tally(batch, out));
  }
  const t = sum(ts);
  const rate = t.selected / t.candidates;
  const [m, r, k] = [t.masked / t.selected, t.random / t.selected, t.kept / t.selected];
  console.log(`# MLM over ${t.candidates} candidate tokens: selected ${(rate * 100).toFixed(2)}%; [MASK] ${(m * 100).toFixed(2)}%, random ${(r * 100).toFixed(2)}%, kept ${(k * 100).toFixed(2)}%`);
  // n ≈ 88k candidates, 13k selected: 4-5 standard deviations of slack.
  assert.ok(Math.abs(rate - 0.15) < 0.005, `selection rate ${rate}`);
  assert.ok(Math.abs(m - 0.8) < 0.015, `mask share ${m}`);
  assert.ok(Math.abs(r - 0.1) < 0.012, `random share ${r}`);
  assert.ok(Math.abs(k - 0.1) < 0.012, `kept share ${k}`);
});

test('whole-word masking: selected words are masked completely, ≈15% of tokens, specials never', () => {
  const masker = new MlmMasker({ vocabSize: V, maskId: 4, specialIds: SPECIALS, wholeWordMask: true });
  const rng = new Rng(12);
  const ts: Tally[] = [];
  let partialWords = 0;
  let wordsSelected = 0;
  for (let i = 0; i < 30; i++) {
    const batch = randomBatch(100 + i, 32, 128);
    const out = masker.mask(batch, rng);
    ts.push(tally(batch, out));
    for (let b = 0; b < batch.B; b++) {
      const byWord = new Map<number, { n: number; sel: number }>();
      for (let t = 0; t < batch.T; t++) {
        const p = b * batch.T + t;
        const w = batch.wordIds[p]!;
        if (w < 0 || batch.inputIds[p] === 3) continue; // [UNK] is never a candidate
        const e = byWord.get(w) ?? { n: 0, sel: 0 };
        e.n += 1;
        if (out.mlmLabels![p] !== -100) e.sel += 1;
        byWord.set(w, e);
      }
      for (const e of byWord.values()) {
        if (e.sel > 0) wordsSelected += 1;
        if (e.sel > 0 && e.sel < e.n) partialWords += 1;
      }
    }
  }
  const t = sum(ts);
  const rate = t.selected / t.candidates;
  console.log(`# whole-word masking: ${wordsSelected} words, ${(rate * 100).toFixed(2)}% of tokens selected, ${partialWords} partially masked words`);
  assert.equal(partialWords, 0);
  assert.ok(rate > 0.14 && rate <= 0.151, `token rate ${rate}`);
  assert.ok(Math.abs(t.masked / t.selected - 0.8) < 0.02);
});

test('Chinese whole-word masking follows word ids: characters alone, or segmented words together', () => {
  const tok = new FakeTokenizer();
  // Character-level words (what BERT's Chinese handling gives): each CJK character its own word.
  const charLevel = encodeExamples([{ kind: 'text', text: '我们喜欢北京的烤鸭和长城', label: null, id: null, where: 'mem' }], tok, { maxLength: 64 }).encoded;
  // Pre-segmented words (e.g. hfl/chinese-*-wwm style): 我们 | 喜欢 | 北京 | 的 | 烤鸭 | 和 | 长城.
  const seg = encodeExamples([{ kind: 'tagged', words: ['我们', '喜欢', '北京', '的', '烤鸭', '和', '长城'], tags: null, id: null, where: 'mem' }], tok, { maxLength: 64 }).encoded;
  assert.deepEqual([...charLevel[0]!.wordIds], [-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -1]);
  assert.deepEqual([...seg[0]!.wordIds], [-1, 0, 0, 1, 1, 2, 2, 3, 4, 4, 5, 6, 6, -1]);
  const masker = MlmMasker.fromTokenizer(tok, { wholeWordMask: true, probability: 0.3 });
  const rng = new Rng(1);
  let pairsKept = 0;
  let singles = 0;
  for (let i = 0; i < 200; i++) {
    const s = masker.mask(collate(seg, 1), rng).mlmLabels!;
    const sel = (t: number) => s[t] !== -100;
    for (const [a, b] of [[1, 2], [3, 4], [5, 6], [8, 9], [11, 12]]) {
      assert.equal(sel(a!), sel(b!), `segmented word at ${a},${b} split by the mask`);
      if (sel(a!)) pairsKept += 1;
    }
    const c = masker.mask(collate(charLevel, 1), rng).mlmLabels!;
    // 12 characters × 0.3 → 4 single characters each time.
    assert.equal([...c].filter((x) => x !== -100).length, 4);
    for (const [a, b] of [[1, 2], [3, 4], [5, 6]]) if (c[a!] !== -100 && c[b!] === -100) singles += 1;
  }
  assert.ok(pairsKept > 0 && singles > 0, 'both granularities exercised');
});

test('masking is deterministic given the Rng state; rowFilter masks only chosen rows', () => {
  const masker = new MlmMasker({ vocabSize: V, maskId: 4, specialIds: SPECIALS });
  const batch = randomBatch(5, 8, 40);
  const a = masker.mask(batch, new Rng(77));
  const b = masker.mask(batch, new Rng(77));
  const c = masker.mask(batch, new Rng(78));
  assert.deepEqual(a.inputIds, b.inputIds);
  assert.deepEqual(a.mlmLabels, b.mlmLabels);
  assert.notDeepEqual(a.mlmLabels, c.mlmLabels);
  const onlyOdd = new MlmMasker({ vocabSize: V, maskId: 4, specialIds: SPECIALS, rowFilter: (r) => r % 2 === 1, probability: 0.5 });
  const o = onlyOdd.mask(batch, new Rng(1));
  for (let r = 0; r < batch.B; r++) {
    const row = o.mlmLabels!.subarray(r * batch.T, (r + 1) * batch.T);
    const n = [...row].filter((x) => x !== -100).length;
    if (r % 2 === 0) {
      assert.equal(n, 0);
      assert.deepEqual(o.inputIds.subarray(r * batch.T, (r + 1) * batch.T), batch.inputIds.subarray(r * batch.T, (r + 1) * batch.T));
    } else assert.ok(n > 0);
  }
});

test('bad masker settings are refused with the reason', () => {
  assert.throws(() => new MlmMasker({ vocabSize: 10, maskId: 10, specialIds: [] }), /maskId 10 outside the vocabulary \[0, 10\)/);
  assert.throws(() => new MlmMasker({ vocabSize: 10, maskId: 4, specialIds: [], probability: 1.5 }), /probability must be in \[0, 1\]/);
  assert.throws(() => new MlmMasker({ vocabSize: 10, maskId: 4, specialIds: [], maskReplace: 0.9, randomReplace: 0.2 }), /maskReplace \+ randomReplace must be <= 1/);
});
