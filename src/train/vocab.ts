// Vocabulary expansion applied to a model (pipeline option before stage 2, and
// `adaptext vocab extend`): src/text learns target sub-words and picks the top-K that cut
// fragmentation most; here the model grows its embedding matrix (and the tied MLM decoder's
// bias) with each new row = the mean of the embeddings of the token's old sub-tokens (FVT).
import type { Example } from '../data/index.js';
import type { AdapterModel } from '../models/index.js';
import { expandVocabulary, type Tokenizer } from '../text/index.js';

export interface VocabInfo {
  added: number;
  fragmentationBefore: number;
  fragmentationAfter: number;
  /** The first new tokens, best first. */
  examples: string[];
  /** Old vocabulary size (= id of the first new token). */
  baseVocabSize: number;
  /** Every new token with its FVT decomposition into old ids. */
  tokens: Array<{ token: string; id: number; decomposition: number[]; frequency: number }>;
}

export function exampleText(e: Example): string {
  return e.kind === 'text' ? e.text : e.words.join(' ');
}

/** Check up front (before a run starts) that expansion can work with this model + tokenizer. */
export function checkVocabExpansion(tokenizer: Tokenizer, modelVocab: number, where: string): void {
  if (tokenizer.kind !== 'wordpiece')
    throw new Error(`${where}: vocabulary expansion needs a WordPiece (BERT) tokenizer; this model's tokenizer is ${tokenizer.kind} (byte-level BPE has no [UNK] fragmentation to fix)`);
  if (tokenizer.vocabSize !== modelVocab) {
    throw new Error(`${where}: the tokenizer has ${tokenizer.vocabSize} ids but the model's vocab_size is ${modelVocab}; new tokens would collide with existing rows`);
  }
}

export function extendModelVocabulary(
  model: AdapterModel,
  tokenizer: Tokenizer,
  corpus: Iterable<string>,
  opts: { topK: number; minFrequency?: number; candidateVocabSize?: number },
): { tokenizer: Tokenizer; info: VocabInfo } {
  checkVocabExpansion(tokenizer, model.cfg.vocabSize, 'vocabulary expansion');
  const exp = expandVocabulary(tokenizer, corpus, { topK: opts.topK, minFrequency: opts.minFrequency, candidateVocabSize: opts.candidateVocabSize });
  const init = new Map(exp.newTokens.map((t) => [t.id, t.decomposition]));
  if (exp.newTokens.length > 0) model.resizeTokenEmbeddings(exp.tokenizer.vocabSize, { init });
  return {
    tokenizer: exp.newTokens.length > 0 ? exp.tokenizer : tokenizer,
    info: {
      added: exp.newTokens.length,
      fragmentationBefore: exp.fragmentationBefore,
      fragmentationAfter: exp.fragmentationAfter,
      examples: exp.newTokens.slice(0, 20).map((t) => t.token),
      baseVocabSize: tokenizer.vocabSize,
      tokens: exp.newTokens.map((t) => ({ token: t.token, id: t.id, decomposition: t.decomposition, frequency: t.frequency })),
    },
  };
}
