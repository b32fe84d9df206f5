// BertNormalizer (HF tokenizers normalizers/bert.rs) with alignment tracking.
//
// Steps, in the Rust order: clean text (drop NUL, U+FFFD and control chars; any whitespace
// becomes ' '), pad CJK ideographs with spaces, strip accents (NFD, drop Mn), lowercase
// (per character, so no final-sigma context rule — same as Rust's NormalizedString).
// Every UTF-16 unit of the output remembers the original UTF-16 range it came from, so
// token offsets point into the caller's string (`text.slice(start, end)` works).
//
// Speed: printable-ASCII stretches map 1:1 and are copied as whole slices; only the other
// characters go through the per-code-point path (results cached per code point).

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

const ASCII_SIMPLE = /^[\t\n\r\x20-\x7e]*$/;
const NOT_SIMPLE = /[^\t\n\r\x20-\x7e]/g;
const TNR = /[\t\n\r]/g;

export class BertNormalizer {
  readonly options: BertNormalizerOptions;
  // Non-ASCII code point → its replacement after the per-char steps ('' = dropped).
  private readonly cpCache = new Map<number, string>();

  constructor(options: BertNormalizerOptions) {
    this.options = Object.freeze({ ...options });
  }

  private simple(s: string): string {
    let t = this.options.cleanText ? s.replace(TNR, ' ') : s;
    if (this.options.lowercase) t = t.toLowerCase();
    return t;
  }

  /** Normalized text only (no alignment): what word counting needs. */
  normalizeText(input: string): string {
    if (ASCII_SIMPLE.test(input)) return this.simple(input);
    const parts: string[] = [];
    let last = 0;
    NOT_SIMPLE.lastIndex = 0;
    for (let m = NOT_SIMPLE.exec(input); m !== null; m = NOT_SIMPLE.exec(input)) {
      const i = m.index;
      if (i > last) parts.push(this.simple(input.slice(last, i)));
      const cp = input.codePointAt(i)!;
      parts.push(this.mapChar(cp));
      last = i + (cp > 0xffff ? 2 : 1);
      NOT_SIMPLE.lastIndex = last;
    }
    if (last < input.length) parts.push(this.simple(input.slice(last)));
    return parts.join('');
  }

  normalize(input: string): Normalized {
    if (ASCII_SIMPLE.test(input)) return { text: this.simple(input), start: null, end: null };
    // pieces: text, original start, original end, identity (1:1 per unit) or all-units-to-[a, b)
    const texts: string[] = [];
    const runs: number[] = []; // a, b, identity flag per piece
    let total = 0;
    let last = 0;
    NOT_SIMPLE.lastIndex = 0;
    for (let m = NOT_SIMPLE.exec(input); m !== null; m = NOT_SIMPLE.exec(input)) {
      const i = m.index;
      if (i > last) {
        const t = this.simple(input.slice(last, i));
        texts.push(t);
        runs.push(last, i, 1);
        total += t.length;
      }
      const cp = input.codePointAt(i)!;
      const w = cp > 0xffff ? 2 : 1;
      const t = this.mapChar(cp);
      if (t.length > 0) {
        texts.push(t);
        runs.push(i, i + w, 0);
        total += t.length;
      }
      last = i + w;
      NOT_SIMPLE.lastIndex = last;
    }
    if (last < input.length) {
      const t = this.simple(input.slice(last));
      texts.push(t);
      runs.push(last, input.length, 1);
      total += t.length;
    }
    const start = new Int32Array(total);
    const end = new Int32Array(total);
    let u = 0;
    for (let p = 0; p < texts.length; p++) {
      const n = texts[p]!.length;
      const a = runs[3 * p]!;
      const b = runs[3 * p + 1]!;
      if (runs[3 * p + 2] === 1) {
        for (let k = 0; k < n; k++) {
          start[u + k] = a + k;
          end[u + k] = a + k + 1;
        }
      } else {
        start.fill(a, u, u + n);
        end.fill(b, u, u + n);
      }
      u += n;
    }
    return { text: texts.join(''), start, end };
  }

  /** All steps for one code point outside printable ASCII (may give 0, 1 or more chars). */
  private mapChar(cp: number): string {
    let r = this.cpCache.get(cp);
    if (r !== undefined) return r;
    const o = this.options;
    const f = charFlags(cp);
    if (o.cleanText && (cp === 0 || cp === 0xfffd || f & CF_CONTROL)) r = '';
    else if (o.cleanText && f & CF_WHITESPACE) r = ' ';
    else {
      let s = String.fromCodePoint(cp);
      if (o.stripAccents) {
        let kept = '';
        for (const c of s.normalize('NFD')) if (!(charFlags(c.codePointAt(0)!) & CF_NONSPACING_MARK)) kept += c;
        s = kept;
      }
      if (o.lowercase) {
        let low = '';
        for (const c of s) low += c.toLowerCase();
        s = low;
      }
      r = o.handleChineseChars && f & CF_CHINESE ? ' ' + s + ' ' : s;
    }
    this.cpCache.set(cp, r);
    return r;
  }
}

/** Original range of normalized units [ns, ne) (ne > ns). */
export function originalRange(n: Normalized, ns: number, ne: number): [number, number] {
  if (n.start === null || n.end === null) return [ns, ne];
  return [n.start[ns]!, n.end[ne - 1]!];
}
