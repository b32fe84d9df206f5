// How much of a text is CJK: the one rule the language-dependent defaults share (the TF-IDF
// baseline's analyzer, the pretraining vocabulary's alphabet). Counted over letters (\p{L}) so
// digits, punctuation and spaces do not dilute it.

/** Letters (\p{L}) of the CJK scripts counted: Han ideographs, Hiragana, Katakana, Hangul. */
const CJK_LETTER = /(?=\p{L})[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu;
const LETTER = /\p{L}/gu;

/** Letters (\p{L}, in code points) in the texts and how many of them are CJK (Han, Hiragana, Katakana, Hangul). */
export function countCjkLetters(texts: Iterable<string>): { letters: number; cjk: number } {
  let letters = 0;
  let cjk = 0;
  for (const t of texts) {
    letters += t.match(LETTER)?.length ?? 0;
    cjk += t.match(CJK_LETTER)?.length ?? 0;
  }
  return { letters, cjk };
}

/** CJK letters as a share of all letters (0 when there are none). */
export function cjkShare(c: { letters: number; cjk: number }): number {
  return c.letters === 0 ? 0 : c.cjk / c.letters;
}

/** The threshold of the "mostly CJK" rule: more than half of the letters. */
export function isMostlyCjk(share: number): boolean {
  return share > 0.5;
}
