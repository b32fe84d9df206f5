// The slice of the tokenizer (src/text) that the data pipeline uses. Declared structurally
// here so src/data does not depend on a concrete tokenizer class; src/text's Tokenizer satisfies it.

export interface Encoding {
  /** Token ids, special tokens included ([CLS] ... [SEP] / <s> ... </s>). */
  readonly ids: readonly number[];
  readonly tokens?: readonly string[];
  /** Per token: index of the word it came from, null for special tokens. */
  readonly wordIds: readonly (number | null)[];
  /** Per token: [start, end) characters in the encoded text (specials [0, 0]); needed for whole words. */
  readonly offsets?: readonly (readonly [number, number])[];
}

export interface SpecialIds {
  readonly pad: number;
  readonly unk: number;
  readonly cls: number;
  readonly sep: number;
  readonly mask: number;
}

export interface TokenizerLike {
  encode(text: string, opts?: { maxLength?: number }): Encoding;
  /** Encodes pre-split words; wordIds index `words`. */
  encodeWords(words: readonly string[], opts?: { maxLength?: number }): Encoding;
  readonly specialIds: SpecialIds;
  readonly vocabSize: number;
}
