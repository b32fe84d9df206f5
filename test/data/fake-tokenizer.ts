// A tiny deterministic tokenizer for data tests (the real ones live in src/text).
// RoBERTa-like special ids (<s>=0, <pad>=1, </s>=2, <unk>=3, <mask>=4) so a pad id of 0 would
// be caught. Words: whitespace-separated, every CJK character its own word (as BERT's basic
// tokenizer does); sub-words: chunks of 3 characters ("Washington" → Was ##hin ##gto ##n);
// in a pre-split word, every CJK character is a sub-token of that word.
import type { Encoding, TokenizerLike } from '../../src/data/tokenizer-like.js';

const CJK = /[\u4e00-\u9fff]/;

export class FakeTokenizer implements TokenizerLike {
  readonly specialIds = { cls: 0, pad: 1, sep: 2, unk: 3, mask: 4 };
  readonly vocabSize: number;
  private readonly vocab = new Map<string, number>();

  constructor(vocabSize = 5000) {
    this.vocabSize = vocabSize;
  }

  private id(piece: string): number {
    let id = this.vocab.get(piece);
    if (id === undefined) {
      id = 5 + this.vocab.size;
      if (id >= this.vocabSize) return this.specialIds.unk;
      this.vocab.set(piece, id);
    }
    return id;
  }

  private pieces(word: string): string[] {
    const chars = [...word];
    if (chars.some((c) => CJK.test(c))) return chars.map((c, i) => (i === 0 ? c : `##${c}`));
    const out: string[] = [];
    for (let i = 0; i < chars.length; i += 3) out.push((i === 0 ? '' : '##') + chars.slice(i, i + 3).join(''));
    return out;
  }

  encodeWords(words: readonly string[]): Encoding {
    const ids = [this.specialIds.cls];
    const wordIds: (number | null)[] = [null];
    words.forEach((w, wi) => {
      for (const p of this.pieces(w)) {
        ids.push(this.id(p));
        wordIds.push(wi);
      }
    });
    ids.push(this.specialIds.sep);
    wordIds.push(null);
    return { ids, wordIds };
  }

  encode(text: string): Encoding {
    const words: string[] = [];
    for (const w of text.split(/\s+/).filter((x) => x !== '')) {
      let run = '';
      for (const c of w) {
        if (CJK.test(c)) {
          if (run) words.push(run);
          run = '';
          words.push(c);
        } else run += c;
      }
      if (run) words.push(run);
    }
    return this.encodeWords(words);
  }
}
