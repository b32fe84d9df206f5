// Continuation marks for whole-word masking (HF DataCollatorForWholeWordMask + run_chinese_ref.py,
// as hfl/chinese-roberta-wwm-ext was trained): token i is a continuation (1) when it belongs to
// the same word as token i-1. A WordPiece `##` piece continues its head (same tokenizer word id);
// a CJK character continues the previous one when both fall inside one word of
// Intl.Segmenter('zh', word) — ICU's dictionary, so no dependency (这个|酒店|的|服务).
// One bit per token, not a word id, because a bit survives concatenation and packing unchanged:
// a packed sequence rebuilds its word ids from the bits alone (wordIdsFromMarks).
import type { Tokenizer } from '../text/index.js';

const segmenter = new Intl.Segmenter('zh', { granularity: 'word' });
const HAN = /\p{Script=Han}/u;

/** The [start, end) character span of every segmenter word that holds a Han character. */
function hanWordSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const s of segmenter.segment(text)) if (HAN.test(s.segment)) spans.push([s.index, s.index + s.segment.length]);
  return spans;
}

/** Content ids (no specials) and their continuation marks. */
export function tokeniseWithMarks(tok: Tokenizer, text: string): { ids: number[]; cont: Uint8Array } {
  const enc = tok.encode(text, { addSpecialTokens: false });
  const n = enc.ids.length;
  const cont = new Uint8Array(n);
  // Which segmenter word each character belongs to (-1: outside any Han word).
  const wordOf = new Int32Array(text.length).fill(-1);
  hanWordSpans(text).forEach(([a, b], k) => wordOf.fill(k, a, b));
  for (let i = 1; i < n; i++) {
    const w = enc.wordIds[i];
    if (w !== null && w !== undefined && w === enc.wordIds[i - 1]) {
      cont[i] = 1; // a ## piece of the same pre-tokenised word
      continue;
    }
    const [a] = enc.offsets[i]!;
    const [pa, pb] = enc.offsets[i - 1]!;
    // Both tokens inside one segmenter word (offsets index the original text).
    if (pb > pa && a < text.length && pa < text.length && wordOf[a]! >= 0 && wordOf[a] === wordOf[pa]) cont[i] = 1;
  }
  return { ids: enc.ids, cont };
}

/** Word ids of one sequence [T] from its marks: a new id at every non-continuation token. */
export function wordIdsFromMarks(cont: ArrayLike<number>, out: Int32Array, o: number, T: number): void {
  let w = -1;
  for (let t = 0; t < T; t++) {
    if (t === 0 || cont[t] === 0) w += 1;
    out[o + t] = w;
  }
}
