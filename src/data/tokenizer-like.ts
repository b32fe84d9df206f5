// The slice of the tokenizer (src/text) that the data pipeline uses. Declared structurally
// here so src/data does not depend on a concrete tokenizer class.

export interface Encoding {
  /** Token ids, special tokens included ([CLS] ... [SEP] / <s> ... </s>). */
  ids: number[];
  tokens?: string[];
  /** Per token: index of the word it came from, null for special tokens. */
  wordIds: (number | null)[];
}

export interface SpecialIds {
  pad: number;
  unk: number;
  cls: number;
  sep: number;
  mask: number;
}

export interface TokenizerLike {
  encode(text: string, opts?: { maxLength?: number }): Encoding;
  /** Encodes pre-split words; wordIds index `words`. */
  encodeWords(words: string[], opts?: { maxLength?: number }): Encoding;
  readonly specialIds: SpecialIds;
  readonly vocabSize: number;
}
