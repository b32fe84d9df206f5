// The alphabet limit of a vocabulary learned from scratch. HF's BertWordPieceTokenizer.train keeps
// the 1,000 most frequent characters, which suits alphabetic text but wrecks Chinese: there a
// "word" is one character (BERT pads each CJK ideograph with spaces), the corpus holds thousands
// of them, and a 1,000-character alphabet sends the rest to [UNK] while the merges spend the
// vocabulary on the little Latin text there is. bert-base-chinese keeps every character
// instead, so for a mostly-CJK corpus (the rule of src/text/cjk.ts) the limit is lifted.
import { cjkShare, countCjkLetters, isMostlyCjk } from '../text/index.js';

export const DEFAULT_ALPHABET_LIMIT = 1000;

export interface AlphabetChoice {
  /** Passed to the WordPiece trainer; Infinity = no limit. */
  limit: number;
  /** For the log line. */
  why: string;
}

export function chooseAlphabetLimit(requested: number | null, texts: Iterable<string>): AlphabetChoice {
  if (requested !== null) return { limit: requested, why: `at most ${requested} characters (limit_alphabet)` };
  const share = cjkShare(countCjkLetters(texts));
  const pct = `${(100 * share).toFixed(0)}% of the letters are CJK`;
  return isMostlyCjk(share) ? { limit: Infinity, why: `every character (${pct})` } : { limit: DEFAULT_ALPHABET_LIMIT, why: `the ${DEFAULT_ALPHABET_LIMIT} most frequent characters (${pct})` };
}
