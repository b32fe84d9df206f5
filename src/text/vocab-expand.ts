// Vocabulary expansion for domain transfer: learn WordPiece sub-words on the target corpus,
// keep the top-K that the base vocabulary lacks and that cut target fragmentation most,
// append them to the WordPiece vocabulary (ids base.vocabSize + i), and report for each new
// token its decomposition into base ids — the rows Fast Vocabulary Transfer averages to
// initialise the new embedding row (Gee et al. 2022). Growing the embedding matrix is the
// model's job; this file only decides tokens and their decompositions.
//
// Ranking: a candidate's score is freq × (basePieces − 1), where freq is how often the
// target-trained tokenizer uses the candidate on the target corpus and basePieces is how many
// base pieces its surface costs (a "##x" candidate is split as a continuation). A candidate
// the base tokenizer can only map to [UNK] counts one piece per character: adding it turns
// unknown text into a known token.

import { BertTokenizer } from './bert-tokenizer.js';
import type { Tokenizer } from './tokenizer.js';
import { countCodePoints } from './unicode.js';
import { WordPieceModel } from './wordpiece.js';
import { WordPieceTrainer } from './wordpiece-trainer.js';

export interface VocabExpansionOptions {
  /** At most this many tokens are added. */
  readonly topK: number;
  /** Size of the vocabulary learned on the target corpus (the candidate pool). Default max(10000, 3·topK). */
  readonly candidateVocabSize?: number;
  /** A candidate must be used at least this often on the target corpus. Default 5. */
  readonly minFrequency?: number;
  /** Minimum candidate length in characters, "##" excluded. Default 2. */
  readonly minLength?: number;
}

export interface NewToken {
  readonly token: string;
  /** Its id in the extended tokenizer: base.vocabSize + index. */
  readonly id: number;
  /** Base-tokenizer ids of the token's surface, in order (FVT: new row = mean of these rows). */
  readonly decomposition: number[];
  /** Times the target-trained tokenizer used it on the target corpus. */
  readonly frequency: number;
  /** frequency × (base pieces − 1). */
  readonly score: number;
}

export interface VocabExpansion {
  readonly newTokens: NewToken[];
  readonly tokenizer: BertTokenizer;
  /** Average sub-words per word on the target corpus, base and extended tokenizers. */
  readonly fragmentationBefore: number;
  readonly fragmentationAfter: number;
  readonly targetWords: number;
}

function asBert(t: Tokenizer, where: string): BertTokenizer {
  if (!(t instanceof BertTokenizer)) throw new Error(`${where}: vocabulary expansion needs a WordPiece (BERT) tokenizer, got kind '${t.kind}'`);
  return t;
}

/** Base ids of `token` ("##x" decomposed as a word continuation). */
export function decomposeToken(base: Tokenizer, token: string): number[] {
  const b = asBert(base, 'decomposeToken');
  const prefix = b.options.continuingSubwordPrefix;
  const cont = prefix.length > 0 && token.startsWith(prefix) && token.length > prefix.length;
  return [...b.model.tokenize(cont ? token.slice(prefix.length) : token, cont).ids];
}

/**
 * A copy of `base` whose WordPiece vocabulary also holds `newTokens` at ids
 * base.vocabSize + i. Tokens must be in normalized form (e.g. lowercase for an uncased model)
 * and new, else they could never be produced.
 */
export function extendTokenizer(base: Tokenizer, newTokens: readonly string[]): BertTokenizer {
  const b = asBert(base, 'extendTokenizer');
  const seen = new Set<string>();
  const prefix = b.options.continuingSubwordPrefix;
  for (const t of newTokens) {
    const surface = prefix.length > 0 && t.startsWith(prefix) ? t.slice(prefix.length) : t;
    if (surface.length === 0) throw new Error(`extendTokenizer: empty token ${JSON.stringify(t)}`);
    if (/[\s]/u.test(t)) throw new Error(`extendTokenizer: token ${JSON.stringify(t)} contains whitespace`);
    if (b.tokenToId(t) !== undefined) throw new Error(`extendTokenizer: token ${JSON.stringify(t)} is already in the vocabulary`);
    if (seen.has(t)) throw new Error(`extendTokenizer: token ${JSON.stringify(t)} is listed twice`);
    if (b.words(surface).length !== 1 || b.words(surface)[0] !== surface) {
      throw new Error(`extendTokenizer: token ${JSON.stringify(t)} is not one normalized word for this tokenizer, so it could never be produced`);
    }
    seen.add(t);
  }
  const vocab: (string | undefined)[] = [...b.model.idToToken];
  // ids held by added tokens outside the model vocab become vocab lines, keeping ids contiguous
  for (const t of b.options.addedTokens) if (vocab[t.id] === undefined) vocab[t.id] = t.content;
  for (let i = vocab.length; i < b.vocabSize; i++) if (vocab[i] === undefined) throw new Error(`extendTokenizer: id ${i} has no token`);
  for (const t of newTokens) vocab.push(t);
  return new BertTokenizer({ ...b.options, vocab, addedTokens: b.options.addedTokens });
}

/** Average number of sub-word tokens per word (pre-tokenizer word) over `texts`. */
export function fragmentation(tokenizer: Tokenizer, texts: Iterable<string>): number {
  let tokens = 0;
  let words = 0;
  for (const t of texts) {
    const e = tokenizer.encode(t, { addSpecialTokens: false });
    tokens += e.ids.length;
    let last = -1;
    for (const w of e.wordIds) {
      if (w !== null && w !== last) {
        words++;
        last = w;
      }
    }
  }
  return words === 0 ? 0 : tokens / words;
}

export function expandVocabulary(base: Tokenizer, corpus: Iterable<string>, opts: VocabExpansionOptions): VocabExpansion {
  const b = asBert(base, 'expandVocabulary');
  const topK = opts.topK;
  if (!Number.isInteger(topK) || topK < 0) throw new Error(`expandVocabulary: topK must be a non-negative integer, got ${topK}`);
  const minFreq = opts.minFrequency ?? 5;
  const minLen = opts.minLength ?? 2;
  const prefix = b.options.continuingSubwordPrefix;
  const unk = b.options.unkToken;

  // 1. target words, normalized and pre-tokenized exactly as the base tokenizer does
  const trainer = new WordPieceTrainer({
    vocabSize: opts.candidateVocabSize ?? Math.max(10000, 3 * topK),
    minFrequency: 2,
    specialTokens: [unk],
    continuingSubwordPrefix: prefix,
  });
  for (const t of corpus) trainer.feedWords(b.words(t));
  const counts = trainer.wordCounts;

  // 2. candidates = the vocabulary learned on the target
  const learned = trainer.train().vocab;
  const cand = new WordPieceModel({ idToToken: learned, unkToken: unk, continuingSubwordPrefix: prefix, maxInputCharsPerWord: b.options.maxInputCharsPerWord });

  // 3. how often the target tokenizer uses each candidate, and the base fragmentation of words
  const freq = new Float64Array(learned.length);
  let basePieces = 0;
  let nWords = 0;
  for (const [w, c] of counts) {
    for (const id of cand.tokenize(w).ids) freq[id]! += c;
    basePieces += b.model.tokenize(w).ids.length * c;
    nWords += c;
  }

  // 4. score the candidates the base vocabulary lacks
  const scored: { token: string; frequency: number; score: number; decomposition: number[] }[] = [];
  learned.forEach((t, id) => {
    const f = freq[id]!;
    if (t === unk || f < minFreq || b.tokenToId(t) !== undefined) return;
    const cont = prefix.length > 0 && t.startsWith(prefix) && t.length > prefix.length;
    const surface = cont ? t.slice(prefix.length) : t;
    if (countCodePoints(surface) < minLen) return;
    const decomposition = [...b.model.tokenize(surface, cont).ids];
    const pieces = decomposition.length === 1 && decomposition[0] === b.model.unkId ? countCodePoints(surface) : decomposition.length;
    const score = f * (pieces - 1);
    if (score > 0) scored.push({ token: t, frequency: f, score, decomposition });
  });
  scored.sort((x, y) => y.score - x.score || (x.token < y.token ? -1 : x.token > y.token ? 1 : 0));
  const chosen = scored.slice(0, topK);

  const tokenizer = extendTokenizer(
    b,
    chosen.map((c) => c.token),
  );
  let afterPieces = 0;
  for (const [w, c] of counts) afterPieces += tokenizer.model.tokenize(w).ids.length * c;
  return {
    newTokens: chosen.map((c, i) => ({ ...c, id: b.vocabSize + i })),
    tokenizer,
    fragmentationBefore: nWords === 0 ? 0 : basePieces / nWords,
    fragmentationAfter: nWords === 0 ? 0 : afterPieces / nWords,
    targetWords: nWords,
  };
}
