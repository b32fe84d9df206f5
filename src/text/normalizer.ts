// BertNormalizer (HF tokenizers normalizers/bert.rs) with alignment tracking.
//
// Steps, in the Rust order: clean text (drop NUL, U+FFFD and control chars; any whitespace
// becomes ' '), pad CJK ideographs with spaces, strip accents (NFD, drop Mn), lowercase
// (per character, so no final-sigma context rule — same as Rust's NormalizedString).
// Every UTF-16 unit of the output remembers the original UTF-16 range it came from, so
// token offsets point into the caller's string (`text.slice(start, end)` works).

import { CF_CHINESE, CF_CONTROL, CF_NONSPACING_MARK, CF_WHITESPACE, charFlags } from './unicode.js';

export interface BertNormalizerOptions {
  readonly cleanText: boolean;
  readonly handleChineseChars: boolean;
  readonly stripAccents: boolean;
  readonly lowercase: boolean;
}

/**
 * Normalized text with its alignment: unit i of `text` came from original range
 * [start[i], end[i]). `start`/`end` are null when the mapping is the identity.
 */
export interface Normalized {
  readonly text: string;
  readonly start: Int32Array | null;
  readonly end: Int32Array | null;
}

// Printable ASCII plus \t \n \r: normalization is 1:1 there, which covers most English text.
const ASCII_SIMPLE = /^[\t\n\r\x20-\x7e]*$/;
const TNR = /[\t\n\r]/g;

export class BertNormalizer {
  readonly options: BertNormalizerOptions;
  // Non-ASCII code point → its accent-stripped / lowercased replacement (options are fixed).
  private readonly cpCache = new Map<number, string>();

  constructor(options: BertNormalizerOptions) {
    this.options = Object.freeze({ ...options });
  }

  normalize(input: string): Normalized {
    const o = this.options;
    if (ASCII_SIMPLE.test(input)) {
      let t = o.cleanText ? input.replace(TNR, ' ') : input;
      if (o.lowercase) t = t.toLowerCase();
      return { text: t, start: null, end: null };
    }
    const parts: string[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    const emit = (s: string, a: number, b: number): void => {
      parts.push(s);
      for (let k = 0; k < s.length; k++) {
        starts.push(a);
        ends.push(b);
      }
    };
    for (let i = 0; i < input.length; ) {
      const cp = input.codePointAt(i)!;
      const w = cp > 0xffff ? 2 : 1;
      const a = i;
      const b = i + w;
      i = b;
      const f = charFlags(cp);
      if (o.cleanText) {
        if (cp === 0 || cp === 0xfffd || f & CF_CONTROL) continue;
        if (f & CF_WHITESPACE) {
          emit(' ', a, b);
          continue;
        }
      }
      const mapped = this.mapChar(cp);
      if (o.handleChineseChars && f & CF_CHINESE) {
        emit(' ', a, b);
        emit(mapped, a, b);
        emit(' ', a, b);
      } else if (mapped.length > 0) {
        emit(mapped, a, b);
      }
    }
    return { text: parts.join(''), start: Int32Array.from(starts), end: Int32Array.from(ends) };
  }

  /** Accent stripping then lowercasing of one code point (may give 0, 1 or more chars). */
  private mapChar(cp: number): string {
    const o = this.options;
    if (cp < 0x80) {
      if (o.lowercase && cp >= 65 && cp <= 90) return String.fromCharCode(cp + 32);
      return String.fromCharCode(cp);
    }
    if (!o.stripAccents && !o.lowercase) return String.fromCodePoint(cp);
    let r = this.cpCache.get(cp);
    if (r !== undefined) return r;
    let s = String.fromCodePoint(cp);
    if (o.stripAccents) {
      let kept = '';
      for (const c of s.normalize('NFD')) {
        if (!(charFlags(c.codePointAt(0)!) & CF_NONSPACING_MARK)) kept += c;
      }
      s = kept;
    }
    if (o.lowercase) {
      let low = '';
      for (const c of s) low += c.toLowerCase();
      s = low;
    }
    r = s;
    this.cpCache.set(cp, r);
    return r;
  }
}

/** Original range of normalized units [ns, ne) (ne > ns). */
export function originalRange(n: Normalized, ns: number, ne: number): [number, number] {
  if (n.start === null || n.end === null) return [ns, ne];
  return [n.start[ns]!, n.end[ne - 1]!];
}
