// Whole words for whole-word masking (HF DataCollatorForWholeWordMask + run_chinese_ref.py, as
// hfl/chinese-roberta-wwm-ext was trained): token i "continues" (mark 1) when it belongs to the
// same word as token i-1. A WordPiece `##` piece continues its head (same tokenizer word id); a
// CJK character continues the previous one when both fall inside one word of
// Intl.Segmenter('zh', word) — ICU's dictionary, so no dependency (这个|酒店|的|服务). The
// tokenizer alone cannot say this: BERT's Chinese handling gives every Han character its own word.
// Used by `pretrain` (marks: one bit per token survives concatenation and packing, and a packed
// sequence rebuilds its word ids from the bits: wordIdsFromMarks) and by stage 2's MLM (word ids
// of each encoded example: wholeWordIds).
import type { Tokenizer } from './tokenizer.js';

const segmenter = new Intl.Segmenter('zh', { granularity: 'word' });
const HAN = /\p{Script=Han}/u;

/** The slice of an encoding the marks read (src/text's Encoding satisfies it). */
export interface EncodingWithOffsets {
  readonly ids: readonly number[];
  /** Per token: its pre-tokenised word, null for special tokens. */
  readonly wordIds: readonly (number | null)[];
  /** Per token: [start, end) in the encoded text; specials [0, 0]. */
  readonly offsets: readonly (readonly [number, number])[];
}

/** The [start, end) character span of every segmenter word that holds a Han character. */
function hanWordSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const s of segmenter.segment(text)) if (HAN.test(s.segment)) spans.push([s.index, s.index + s.segment.length]);
  return spans;
}

/** Continuation marks [n] of an encoding of `text`; special tokens (word id null) never continue and are never continued. */
export function continuationMarks(enc: EncodingWithOffsets, text: string): Uint8Array {
  const n = enc.ids.length;
  const cont = new Uint8Array(n);
  // Which segmenter word each character belongs to (-1: outside any Han word).
  const wordOf = new Int32Array(text.length).fill(-1);
  hanWordSpans(text).forEach(([a, b], k) => wordOf.fill(k, a, b));
  for (let i = 1; i < n; i++) {
    const w = enc.wordIds[i];
    const pw = enc.wordIds[i - 1];
    if (w === null || w === undefined || pw === null || pw === undefined) continue;
    if (w === pw) {
      cont[i] = 1; // a ## piece of the same pre-tokenised word
      continue;
    }
    const [a] = enc.offsets[i]!;
    const [pa, pb] = enc.offsets[i - 1]!;
    // Both tokens inside one segmenter word (offsets index the original text).
    if (pb > pa && a < text.length && pa < text.length && wordOf[a]! >= 0 && wordOf[a] === wordOf[pa]) cont[i] = 1;
  }
  return cont;
}

/** Content ids (no specials) and their continuation marks. */
export function tokeniseWithMarks(tok: Tokenizer, text: string): { ids: number[]; cont: Uint8Array } {
  const enc = tok.encode(text, { addSpecialTokens: false });
  return { ids: enc.ids, cont: continuationMarks(enc, text) };
}

/** Word ids of one sequence [T] from its marks: a new id at every non-continuation token. */
export function wordIdsFromMarks(cont: ArrayLike<number>, out: Int32Array, o: number, T: number): void {
  let w = -1;
  for (let t = 0; t < T; t++) {
    if (t === 0 || cont[t] === 0) w += 1;
    out[o + t] = w;
  }
}

/** The encoding's word ids regrouped into whole words (null for specials): Han words by the segmenter, other words as the tokenizer split them. */
export function wholeWordIds(enc: EncodingWithOffsets, text: string): (number | null)[] {
  const cont = continuationMarks(enc, text);
  let w = -1;
  return enc.wordIds.map((id, i) => {
    if (id === null) return null;
    if (cont[i] === 0) w += 1;
    return w;
  });
}
