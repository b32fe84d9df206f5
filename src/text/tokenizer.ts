// The tokenizer contract every other area codes against: text → token ids (+ the word
// alignment whole-word masking and label alignment need), ids → text, and saving to files
// that Hugging Face `transformers` / `tokenizers` load unchanged.
//
// Why our own implementation: the npm `tokenizers` / `@huggingface/tokenizers` packages are
// little used, pull native or WASM binaries we cannot build offline, and give no control over
// caching or vocabulary growth. BERT WordPiece and RoBERTa byte-level BPE are small, so
// src/text/ implements them directly from the Rust sources and is tested id-for-id against
// encodings produced by the real library (test/fixtures/tokenizers/expected_encodings.json).

export type TokenizerKind = 'wordpiece' | 'bpe';

export interface Encoding {
  /** Token ids, special tokens included when `addSpecialTokens` (default true). */
  readonly ids: number[];
  readonly tokens: string[];
  /**
   * Index of the word each token came from; null for the special tokens `addSpecialTokens`
   * wraps the sequence in. For `encode`, words are the pre-tokenizer's pieces (BERT:
   * whitespace/punctuation split, each CJK char a word; RoBERTa: GPT-2 regex pieces), and a
   * special token written in the text itself ("a [MASK] b") counts as a word, as in HF.
   * For `encodeWords`, the index into the given word list.
   */
  readonly wordIds: (number | null)[];
  /**
   * [start, end) of each token in the input, in UTF-16 code units (so `text.slice(s, e)`
   * gives the token's source text; HF Python reports code points instead — they differ only
   * for characters outside the BMP such as emoji). [0, 0] for special tokens.
   * For `encodeWords`, offsets are relative to the token's own word.
   */
  readonly offsets: [number, number][];
}

export interface EncodeOptions {
  /** Total length cap including special tokens; content is cut at the end (HF `truncation=True`). */
  readonly maxLength?: number;
  /** Add [CLS] … [SEP] (BERT) or <s> … </s> (RoBERTa). Default true. */
  readonly addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens ([CLS], [SEP], [PAD], [UNK], [MASK], <s> …). Default true, like `tokenizers`. */
  readonly skipSpecialTokens?: boolean;
}

export interface SpecialIds {
  readonly pad: number;
  readonly unk: number;
  readonly cls: number;
  readonly sep: number;
  readonly mask: number;
  readonly bos?: number;
  readonly eos?: number;
}

export interface Tokenizer {
  readonly kind: TokenizerKind;
  /** Number of ids (max id + 1), i.e. the embedding rows the model needs. */
  readonly vocabSize: number;
  readonly specialIds: SpecialIds;
  /** `model_max_length` from tokenizer_config.json when the folder had one. */
  readonly modelMaxLength: number | undefined;
  encode(text: string, opts?: EncodeOptions): Encoding;
  /** Pre-tokenised input (sequence labelling): wordIds index into `words`. */
  encodeWords(words: readonly string[], opts?: EncodeOptions): Encoding;
  decode(ids: readonly number[], opts?: DecodeOptions): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** Write HF-loadable files into `dir` (created if missing). */
  save(dir: string): void;
}

/** Content pieces of one sequence before special tokens and truncation. */
export interface Pieces {
  ids: number[];
  tokens: string[];
  wordIds: (number | null)[];
  offsets: [number, number][];
}

/**
 * Characters kept per allowed token when a text is clipped before tokenising: far above what one
 * token covers in practice (a WordPiece word longer than 100 characters is one [UNK]), so the
 * tokens that survive truncation are the same; only pathological whitespace runs could differ.
 */
export const CLIP_CHARS_PER_TOKEN = 128;

/**
 * The part of `text` that can reach the first `maxTokens` tokens: a 50 MB line is not tokenised
 * whole (gigabytes of token arrays) to keep 512 tokens of it. Never splits a surrogate pair.
 */
export function clipForTokens(text: string, maxTokens: number | undefined): string {
  if (maxTokens === undefined) return text;
  let n = maxTokens * CLIP_CHARS_PER_TOKEN;
  if (text.length <= n) return text;
  const c = text.charCodeAt(n - 1);
  if (c >= 0xd800 && c <= 0xdbff) n -= 1;
  return text.slice(0, n);
}

export function emptyPieces(): Pieces {
  return { ids: [], tokens: [], wordIds: [], offsets: [] };
}

/**
 * Truncate content so that specials + content ≤ maxLength, then wrap it in
 * `first … last` (HF TemplateProcessing / RobertaProcessing for a single sequence).
 */
export function finishEncoding(where: string, p: Pieces, opts: EncodeOptions | undefined, first: { id: number; token: string }, last: { id: number; token: string }): Encoding {
  const add = opts?.addSpecialTokens ?? true;
  const nSpecial = add ? 2 : 0;
  let n = p.ids.length;
  if (opts?.maxLength !== undefined) {
    const m = opts.maxLength;
    if (!Number.isInteger(m) || m < nSpecial) {
      throw new Error(`${where}: maxLength must be an integer >= ${nSpecial} (room for the special tokens), got ${m}`);
    }
    n = Math.min(n, m - nSpecial);
  }
  const cut = <T>(a: T[]): T[] => (n === a.length ? a : a.slice(0, n));
  if (!add) return { ids: cut(p.ids), tokens: cut(p.tokens), wordIds: cut(p.wordIds), offsets: cut(p.offsets) };
  return {
    ids: [first.id, ...cut(p.ids), last.id],
    tokens: [first.token, ...cut(p.tokens), last.token],
    wordIds: [null, ...cut(p.wordIds), null],
    offsets: [[0, 0], ...cut(p.offsets), [0, 0]],
  };
}

/** Bounded memo for word → pieces; cleared when full so memory stays flat on huge corpora. */
export class WordCache<V> {
  private map = new Map<string, V>();
  constructor(private readonly capacity = 200_000) {}
  get(k: string): V | undefined {
    return this.map.get(k);
  }
  set(k: string, v: V): void {
    if (this.map.size >= this.capacity) this.map.clear();
    this.map.set(k, v);
  }
}
