// Byte-pair-encoding model (HF tokenizers models/bpe, GPT-2 `bpe()`): repeatedly merge the
// adjacent pair with the lowest merge rank until none applies. Words here are already
// byte-level strings (one char per byte), so piece lengths are byte counts.

import { WordCache } from './tokenizer.js';

export interface BpePieces {
  readonly ids: readonly number[];
  /** Piece k covers word units [k ? ends[k-1] : 0, ends[k]). */
  readonly ends: readonly number[];
}

export class BpeModel {
  readonly vocab: ReadonlyMap<string, number>;
  readonly idToToken: readonly (string | undefined)[];
  readonly merges: readonly (readonly [string, string])[];
  readonly unkId: number | undefined;
  private readonly ranks = new Map<string, number>();
  private readonly cache = new WordCache<BpePieces>();

  constructor(vocab: ReadonlyMap<string, number>, merges: readonly (readonly [string, string])[], unkToken: string | null) {
    this.vocab = vocab;
    const inv: (string | undefined)[] = [];
    for (const [t, id] of vocab) inv[id] = t;
    this.idToToken = inv;
    this.merges = merges;
    // "a b" cannot collide: byte-level symbols never contain a plain space.
    merges.forEach(([a, b], r) => {
      const k = a + ' ' + b;
      if (!this.ranks.has(k)) this.ranks.set(k, r);
    });
    this.unkId = unkToken === null ? undefined : vocab.get(unkToken);
  }

  get size(): number {
    return this.idToToken.length;
  }

  tokenize(word: string): BpePieces {
    let r = this.cache.get(word);
    if (r === undefined) {
      r = this.split(word);
      this.cache.set(word, r);
    }
    return r;
  }

  private split(word: string): BpePieces {
    let syms: string[] = Array.from(word);
    while (syms.length > 1) {
      let best = Infinity;
      let bi = -1;
      for (let i = 0; i < syms.length - 1; i++) {
        const r = this.ranks.get(syms[i]! + ' ' + syms[i + 1]!);
        if (r !== undefined && r < best) {
          best = r;
          bi = i;
        }
      }
      if (bi < 0) break;
      const a = syms[bi]!;
      const b = syms[bi + 1]!;
      const next: string[] = [];
      for (let i = 0; i < syms.length;) {
        if (i < syms.length - 1 && syms[i] === a && syms[i + 1] === b) {
          next.push(a + b);
          i += 2;
        } else {
          next.push(syms[i]!);
          i++;
        }
      }
      syms = next;
    }
    const ids: number[] = [];
    const ends: number[] = [];
    let pos = 0;
    for (const s of syms) {
      pos += s.length;
      const id = this.vocab.get(s);
      if (id !== undefined) {
        ids.push(id);
        ends.push(pos);
      } else if (this.unkId !== undefined) {
        ids.push(this.unkId);
        ends.push(pos);
      } else {
        throw new Error(`BPE: symbol ${JSON.stringify(s)} is not in the vocabulary and the model has no unk token`);
      }
    }
    return { ids, ends };
  }
}
