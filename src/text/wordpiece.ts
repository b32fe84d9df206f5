// WordPiece model: greedy longest-match-first split of one pre-tokenized word into vocabulary
// pieces, continuation pieces carrying the "##" prefix (HF tokenizers models/wordpiece).
// A word longer than `maxInputCharsPerWord` code points, or with any position where no piece
// matches, becomes a single [UNK] — exactly like BERT; there is no partial [UNK].

import { countCodePoints } from './unicode.js';
import { WordCache } from './tokenizer.js';

/** Pieces of one word: piece k covers word units [k ? ends[k-1] : 0, ends[k]). */
export interface WordPieces {
  readonly ids: readonly number[];
  readonly ends: readonly number[];
}

export interface WordPieceModelOptions {
  /** id → token; holes are allowed (ids owned by added tokens outside the model vocab). */
  readonly idToToken: readonly (string | undefined)[];
  readonly unkToken: string;
  readonly continuingSubwordPrefix: string;
  readonly maxInputCharsPerWord: number;
}

export class WordPieceModel {
  readonly unkToken: string;
  readonly unkId: number;
  readonly prefix: string;
  readonly maxInputCharsPerWord: number;
  readonly vocab: ReadonlyMap<string, number>;
  readonly idToToken: readonly (string | undefined)[];
  // Longest word-initial / continuation piece (UTF-16 units, prefix excluded): bounds the
  // greedy search so a long word costs O(len × maxPiece) lookups, not O(len²).
  private readonly maxStart: number;
  private readonly maxCont: number;
  private readonly cache = new WordCache<WordPieces>();
  private readonly contCache = new WordCache<WordPieces>();

  constructor(o: WordPieceModelOptions) {
    this.prefix = o.continuingSubwordPrefix;
    this.maxInputCharsPerWord = o.maxInputCharsPerWord;
    this.unkToken = o.unkToken;
    this.idToToken = o.idToToken;
    const vocab = new Map<string, number>();
    let maxStart = 1;
    let maxCont = 1;
    o.idToToken.forEach((t, id) => {
      if (t === undefined) return;
      vocab.set(t, id); // a duplicated line: the later id wins, as in transformers' load_vocab
      if (this.prefix.length > 0 && t.startsWith(this.prefix)) maxCont = Math.max(maxCont, t.length - this.prefix.length);
      else maxStart = Math.max(maxStart, t.length);
    });
    this.vocab = vocab;
    this.maxStart = maxStart;
    this.maxCont = maxCont;
    const unk = vocab.get(o.unkToken);
    if (unk === undefined) throw new Error(`WordPiece: unk token ${JSON.stringify(o.unkToken)} is not in the vocabulary`);
    this.unkId = unk;
  }

  get size(): number {
    return this.idToToken.length;
  }

  /**
   * Split a normalized word. `continuation` starts it as if it followed another piece (every
   * piece gets the prefix) — used to decompose a "##xyz" token into old pieces.
   */
  tokenize(word: string, continuation = false): WordPieces {
    const cache = continuation ? this.contCache : this.cache;
    let r = cache.get(word);
    if (r === undefined) {
      r = this.split(word, continuation);
      cache.set(word, r);
    }
    return r;
  }

  private split(word: string, continuation: boolean): WordPieces {
    const n = word.length;
    const unk: WordPieces = { ids: [this.unkId], ends: [n] };
    if (n === 0) return { ids: [], ends: [] };
    if (countCodePoints(word) > this.maxInputCharsPerWord) return unk;
    const ids: number[] = [];
    const ends: number[] = [];
    let start = 0;
    while (start < n) {
      const cont = continuation || start > 0;
      let end = Math.min(n, start + (cont ? this.maxCont : this.maxStart));
      // never cut a surrogate pair
      if (end < n && isLow(word.charCodeAt(end)) && end > start) end--;
      let found = -1;
      while (end > start) {
        const sub = cont ? this.prefix + word.slice(start, end) : word.slice(start, end);
        const id = this.vocab.get(sub);
        if (id !== undefined) {
          found = id;
          break;
        }
        end--;
        if (end > start && isLow(word.charCodeAt(end))) end--;
      }
      if (found < 0) return unk;
      ids.push(found);
      ends.push(end);
      start = end;
    }
    return { ids, ends };
  }
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
