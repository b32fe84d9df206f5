// Examples → token ids, with the truncation rule stated once: a sequence longer than maxLength
// keeps its first maxLength-1 tokens and its final token when that is a special token
// ([SEP] / </s>), so the model always sees a closed sequence; otherwise it is cut at maxLength.
// Token-classification tags go to the first sub-token of each word; every other position gets
// IGNORE_INDEX (-100), as in the transformers token-classification examples.
//
// Shape legend: L = length of one encoded example (≤ maxLength).
import { IGNORE_INDEX, type Example } from './examples.js';
import type { Encoding, TokenizerLike } from './tokenizer-like.js';
import { clipForTokens } from '../text/tokenizer.js';
import { wholeWordIds } from '../text/whole-words.js';

export interface EncodedExample {
  /** [L] token ids. */
  ids: Int32Array;
  /** [L] word index of each token, -1 for special tokens. */
  wordIds: Int32Array;
  /** Sequence label, IGNORE_INDEX when the example has none (or is a tagged example). */
  label: number;
  /** [L] token-classification labels (first sub-token of each word), or null for text examples. */
  tokenLabels: Int32Array | null;
  /** Domain id (e.g. 0 = source, 1 = target). */
  domain: number;
  /** Position of the example in the list given to encodeExamples. */
  index: number;
  /** "file:line" of the source record. */
  where: string;
  /** [L] segment ids (BERT token_type_ids) of a pre-tokenised pair; absent = all 0. */
  tokenTypeIds?: Int32Array | null;
}

export interface EncodeOptions {
  /** Longest sequence, special tokens included. */
  maxLength: number;
  /** Domain id stored on every example (default 0). */
  domain?: number;
  /**
   * Word ids of text examples = whole words for whole-word masking (src/text/whole-words.ts):
   * Han text split by Intl.Segmenter (the tokenizer gives every Han character a word of its own),
   * other words as the tokenizer split them. Default false: the tokenizer's word ids.
   */
  wholeWords?: boolean;
}

export interface EncodeStats {
  examples: number;
  /** Examples cut to maxLength. */
  truncated: number;
  /** Labelled words that lost their tag (truncated away, or no sub-token at all). */
  wordsDropped: number;
}

export function encodeExamples(
  examples: readonly Example[],
  tokenizer: TokenizerLike,
  opts: EncodeOptions,
): { encoded: EncodedExample[]; stats: EncodeStats } {
  const { maxLength } = opts;
  if (!Number.isInteger(maxLength) || maxLength < 2) {
    throw new Error(`encodeExamples: maxLength must be an integer >= 2, got ${maxLength}`);
  }
  const domain = opts.domain ?? 0;
  if (!Number.isInteger(domain) || domain < 0) throw new Error(`encodeExamples: domain must be a non-negative integer, got ${domain}`);
  const V = tokenizer.vocabSize;
  const stats: EncodeStats = { examples: examples.length, truncated: 0, wordsDropped: 0 };
  const encoded = examples.map((ex, index): EncodedExample => {
    let enc: Encoding;
    let text: string | null = null;
    if (ex.kind === 'text') {
      text = clipForTokens(ex.text, maxLength);
      enc = tokenizer.encode(text);
    } else enc = tokenizer.encodeWords(ex.words);
    if (enc.ids.length !== enc.wordIds.length) {
      throw new Error(`encodeExamples: ${ex.where}: tokenizer returned ${enc.ids.length} ids but ${enc.wordIds.length} wordIds`);
    }
    if (text !== null && opts.wholeWords === true) {
      const offsets = enc.offsets;
      if (offsets === undefined) throw new Error(`encodeExamples: wholeWords needs token offsets, and this tokenizer's encodings have none`);
      enc = { ...enc, wordIds: wholeWordIds({ ids: enc.ids, wordIds: enc.wordIds, offsets }, text) };
    }
    const { ids, wordIds, cut } = truncate(enc, maxLength);
    if (cut) stats.truncated += 1;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && id < V)) throw new Error(`encodeExamples: ${ex.where}: token id ${id} outside the vocabulary [0, ${V})`);
    }
    let tokenLabels: Int32Array | null = null;
    if (ex.kind === 'tagged') {
      tokenLabels = new Int32Array(ids.length).fill(IGNORE_INDEX);
      if (ex.tags !== null) {
        let labelled = 0;
        for (let i = 0; i < ids.length; i++) {
          const w = wordIds[i]!;
          if (w < 0 || (i > 0 && wordIds[i - 1] === w)) continue;
          const tag = ex.tags[w];
          if (tag === undefined) {
            throw new Error(`encodeExamples: ${ex.where}: tokenizer word id ${w} but the example has ${ex.words.length} words`);
          }
          tokenLabels[i] = tag;
          labelled += 1;
        }
        stats.wordsDropped += ex.words.length - labelled;
      }
    }
    return {
      ids,
      wordIds,
      label: ex.kind === 'text' && ex.label !== null ? ex.label : IGNORE_INDEX,
      tokenLabels,
      domain,
      index,
      where: ex.where,
    };
  });
  return { encoded, stats };
}

function truncate(enc: Encoding, maxLength: number): { ids: Int32Array; wordIds: Int32Array; cut: boolean } {
  const n = enc.ids.length;
  const L = Math.min(n, maxLength);
  const ids = new Int32Array(L);
  const wordIds = new Int32Array(L);
  const cut = n > maxLength;
  const keepLast = cut && enc.wordIds[n - 1] === null;
  const head = keepLast ? L - 1 : L;
  for (let i = 0; i < head; i++) {
    ids[i] = enc.ids[i]!;
    wordIds[i] = enc.wordIds[i] ?? -1;
  }
  if (keepLast) {
    ids[L - 1] = enc.ids[n - 1]!;
    wordIds[L - 1] = -1;
  }
  return { ids, wordIds, cut };
}
