// Added tokens ([CLS], [MASK], <mask>, …) are matched in the raw text before normalization
// and pre-tokenization, as HF AddedVocabulary does, so "a [MASK] b" keeps [MASK] whole.
// Matching is leftmost-longest; `lstrip`/`rstrip` absorb neighbouring whitespace (RoBERTa's
// <mask> has lstrip), `single_word` requires word boundaries on both sides.

import { CF_WHITESPACE, charFlags } from './unicode.js';

export interface AddedToken {
  readonly id: number;
  readonly content: string;
  readonly special: boolean;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
  readonly singleWord: boolean;
  readonly normalized: boolean;
}

/** A stretch of the input: plain text to tokenize, or one added token. */
export interface Segment {
  readonly start: number; // UTF-16 offsets in the input
  readonly end: number;
  readonly added?: AddedToken;
  /** For an added token: the matched text including whitespace absorbed by lstrip/rstrip
   * (HF reports this as the token string, e.g. " <mask>"; offsets stay on the content). */
  readonly surface?: string;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const WORD_CHAR = /[\p{L}\p{N}_]/u;

function isWs(s: string, i: number): boolean {
  const cp = s.codePointAt(i);
  return cp !== undefined && (charFlags(cp) & CF_WHITESPACE) !== 0;
}

export class AddedTokenSplitter {
  readonly tokens: readonly AddedToken[];
  private readonly re: RegExp | null;
  private readonly byContent = new Map<string, AddedToken>();
  private readonly ci: boolean;

  /** `caseInsensitive`: normalized added tokens under a lowercasing normalizer match any case. */
  constructor(tokens: readonly AddedToken[], caseInsensitive = false) {
    this.tokens = tokens;
    const sorted = [...tokens].filter((t) => t.content.length > 0).sort((a, b) => b.content.length - a.content.length);
    for (const t of sorted) this.byContent.set(caseInsensitive && t.normalized ? t.content.toLowerCase() : t.content, t);
    this.re = sorted.length === 0 ? null : new RegExp(sorted.map((t) => escapeRe(t.content)).join('|'), caseInsensitive ? 'giu' : 'gu');
    this.ci = caseInsensitive;
  }

  split(text: string): Segment[] {
    if (this.re === null) return [{ start: 0, end: text.length }];
    const out: Segment[] = [];
    const re = this.re;
    re.lastIndex = 0;
    let pos = 0; // end of what is already emitted
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const key = this.ci ? m[0].toLowerCase() : m[0];
      const tok = this.byContent.get(key) ?? this.byContent.get(m[0]);
      const s = m.index;
      const e = s + m[0].length;
      if (tok === undefined || (tok.normalized === false && this.ci && m[0] !== tok.content)) {
        re.lastIndex = m.index + 1;
        continue;
      }
      if (tok.singleWord) {
        const before = s > 0 && WORD_CHAR.test(text[s - 1]!);
        const after = e < text.length && WORD_CHAR.test(text[e]!);
        if (before || after) {
          re.lastIndex = m.index + 1;
          continue;
        }
      }
      let ls = s;
      if (tok.lstrip) while (ls > pos && isWs(text, ls - 1)) ls--;
      let re2 = e;
      if (tok.rstrip) while (re2 < text.length && isWs(text, re2)) re2++;
      if (ls > pos) out.push({ start: pos, end: ls });
      out.push({ start: s, end: e, added: tok, surface: text.slice(ls, re2) });
      pos = re2;
      re.lastIndex = re2;
    }
    if (pos < text.length) out.push({ start: pos, end: text.length });
    return out;
  }
}
