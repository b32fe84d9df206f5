// TF-IDF features with scikit-learn `TfidfVectorizer` semantics, so the baseline is the one a
// Python user would write. Defaults differ from sklearn's only where a text-classification
// baseline is better served (marked *):
//   analyzer           'word' (sklearn: 'word'); 'char' and 'char_wb' as in sklearn:
//     word             (optionally lower-cased) runs of ≥ 2 word characters (sklearn's token
//                      pattern r"(?u)\b\w\w+\b"; \w here is [\p{L}\p{N}_], Python's Unicode \w
//                      up to rare mark/numeric corner cases), then word n-grams
//     char             lower-case, replace every run of ≥ 2 whitespace characters by one space
//                      (sklearn `_white_spaces.sub(" ", doc)`, r"\s\s+": a lone tab or newline
//                      stays as it is), then every character n-gram of the whole text — spaces
//                      and punctuation included (sklearn `_char_ngrams`)
//     char_wb          the same whitespace step, then split at whitespace (Python str.split());
//                      each word is padded with one space on each side and gives its character
//                      n-grams; a padded word no longer than n gives itself, once, and stops
//                      the larger n for that word (sklearn `_char_wb_ngrams`)
//                      "Character" = Unicode code point (Python's str), not UTF-16 unit;
//                      whitespace = Python's str.isspace() set (also re's \s): JS \s plus
//                      U+001C–U+001F and U+0085, minus U+FEFF.
//   lowercase          true                       (sklearn: True)
//   ngramRange         word [1, 2], char and char_wb [1, 3]  * (sklearn: (1, 1) for every
//                      analyzer); word bigrams join adjacent kept tokens with one space, as sklearn.
//                      [1, 3] for characters is what a Python user writes for Chinese
//                      (`TfidfVectorizer(analyzer='char', ngram_range=(1, 3))`, issue 16)
//   minDf              2                        * (sklearn: 1) count of documents; drops hapaxes
//   maxDf              1.0 (fraction of documents; sklearn: 1.0)
//   maxFeatures        none (sklearn: None); when set, keeps the terms with the highest
//                      total count in the corpus, ties broken alphabetically (sklearn's
//                      unstable argsort may break ties at the cut-off differently)
//   sublinearTf        true                     * (sklearn: False): tf → 1 + ln(tf)
//   idf                smooth: ln((1 + N) / (1 + df)) + 1 (sklearn smooth_idf=True)
//   norm               'l2' per row (sklearn: 'l2'); an all-zero row stays zero
// The vocabulary is sorted by code point, as Python sorts str (emoji and other astral-plane
// characters after U+E000–U+FFFF), and column j is vocabulary[j].
// Shapes: N documents, F features (vocabulary size); output rows are CSR [N x F].
import { CsrMatrix } from '../eval/design-matrix.js';
import { NgramTable } from './ngram-table.js';

export type TfidfAnalyzer = 'word' | 'char' | 'char_wb';
export const TFIDF_ANALYZERS: readonly TfidfAnalyzer[] = ['word', 'char', 'char_wb'];

/** The n-gram range each analyzer uses when none is given. */
export const DEFAULT_NGRAM_RANGE: Readonly<Record<TfidfAnalyzer, readonly [number, number]>> = { word: [1, 2], char: [1, 3], char_wb: [1, 3] };

export interface TfidfOptions {
  analyzer?: TfidfAnalyzer;
  lowercase?: boolean;
  /** Default DEFAULT_NGRAM_RANGE[analyzer]. */
  ngramRange?: [number, number];
  minDf?: number;
  maxDf?: number;
  maxFeatures?: number | null;
  sublinearTf?: boolean;
}

const TOKEN = /[\p{L}\p{N}_]+/gu;
// Python's str.isspace() (the same set as re's \s on str patterns), every one in the BMP.
const WS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WS_RUN = new RegExp(`[${WS}]{2,}`, 'g');
const WS_SPLIT = new RegExp(`[${WS}]+`);
const SPACE = 0x20;

/** sklearn's tokenizer: (optionally lower-cased) runs of ≥ 2 word characters. */
export function tokenize(text: string, lowercase: boolean): string[] {
  const s = lowercase ? text.toLowerCase() : text;
  const tokens: string[] = [];
  for (const m of s.matchAll(TOKEN)) {
    const t = m[0];
    // length in code points: a single astral character is 2 UTF-16 units but 1 character.
    if (t.length > 2 || (t.length === 2 && [...t].length === 2)) tokens.push(t);
  }
  return tokens;
}

/** The character analyzers' text: lower-cased (optionally), runs of ≥ 2 whitespace characters → one space. */
function charText(text: string, lowercase: boolean): string {
  return (lowercase ? text.toLowerCase() : text).replace(WS_RUN, ' ');
}

/** Python's str.split(): the non-empty pieces between whitespace runs. */
function splitWords(s: string): string[] {
  return s.split(WS_SPLIT).filter((w) => w.length > 0);
}

/**
 * The analyzer as strings (for inspection and tests): the terms of one document in sklearn's
 * order (`TfidfVectorizer(...).build_analyzer()(text)`). `analyzer` defaults to 'word'.
 */
export function analyze(text: string, opts: { analyzer?: TfidfAnalyzer; lowercase: boolean; ngramRange: [number, number] }): string[] {
  const [lo, hi] = opts.ngramRange;
  const analyzer = opts.analyzer ?? 'word';
  if (analyzer === 'char') {
    const cs = Array.from(charText(text, opts.lowercase));
    const out: string[] = lo === 1 ? [...cs] : [];
    for (let n = Math.max(lo, 2); n <= Math.min(hi, cs.length); n++) {
      for (let i = 0; i + n <= cs.length; i++) out.push(cs.slice(i, i + n).join(''));
    }
    return out;
  }
  if (analyzer === 'char_wb') {
    const out: string[] = [];
    for (const word of splitWords(charText(text, opts.lowercase))) {
      const w = [' ', ...word, ' '];
      for (let n = lo; n <= hi; n++) {
        let offset = 0;
        out.push(w.slice(offset, offset + n).join(''));
        while (offset + n < w.length) {
          offset++;
          out.push(w.slice(offset, offset + n).join(''));
        }
        if (offset === 0) break; // a short word (length <= n) counts once
      }
    }
    return out;
  }
  const tokens = tokenize(text, opts.lowercase);
  if (lo === 1 && hi === 1) return tokens;
  const out: string[] = lo === 1 ? [...tokens] : [];
  for (let n = Math.max(lo, 2); n <= Math.min(hi, tokens.length); n++) {
    for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(' '));
  }
  return out;
}

/**
 * One document as ids (word ids, or code points for the character analyzers) and the segments
 * its n-grams stay inside: the whole document, or (char_wb) each space-padded word.
 */
interface DocIds {
  ids: Int32Array;
  /** Segment k is ids[bounds[k] .. bounds[k+1]). */
  bounds: number[];
}

function docIds(text: string, o: Required<TfidfOptions>, wordId: (token: string) => number): DocIds {
  if (o.analyzer === 'word') {
    const toks = tokenize(text, o.lowercase);
    const ids = new Int32Array(toks.length);
    for (let i = 0; i < toks.length; i++) ids[i] = wordId(toks[i]!);
    return { ids, bounds: [0, ids.length] };
  }
  const s = charText(text, o.lowercase);
  if (o.analyzer === 'char') {
    const ids = new Int32Array(s.length); // code points <= UTF-16 units
    let k = 0;
    for (const ch of s) ids[k++] = ch.codePointAt(0)!;
    return { ids: ids.subarray(0, k), bounds: [0, k] };
  }
  const words = splitWords(s);
  const ids = new Int32Array(s.length + 2 * words.length);
  const bounds = [0];
  let k = 0;
  for (const w of words) {
    ids[k++] = SPACE;
    for (const ch of w) ids[k++] = ch.codePointAt(0)!;
    ids[k++] = SPACE;
    bounds.push(k);
  }
  return { ids: ids.subarray(0, k), bounds };
}

/** Calls f(start, length) for every n-gram occurrence of the document (sklearn's multiset). */
function eachNgram(analyzer: TfidfAnalyzer, doc: DocIds, lo: number, hi: number, f: (start: number, len: number) => void): void {
  const { bounds } = doc;
  for (let k = 0; k + 1 < bounds.length; k++) {
    const s = bounds[k]!;
    const L = bounds[k + 1]! - s;
    for (let n = lo; n <= hi; n++) {
      if (analyzer === 'char_wb' && n >= L) {
        f(s, L); // the padded word itself, once; no larger n for this word
        break;
      }
      if (n > L) break;
      for (let i = 0; i + n <= L; i++) f(s + i, n);
    }
  }
}

export class TfidfVectorizer {
  private constructor(
    readonly options: Required<TfidfOptions>,
    /** Column j's term (word n-grams joined by one space; character n-grams as they are), code-point order. */
    readonly vocabulary: string[],
    /** [F] idf weights. */
    readonly idf: Float64Array,
    /** Documents the vectorizer was fitted on. */
    readonly nDocs: number,
    /** Word analyzer: unigram string → token id (every unigram of the fit corpus, kept or not). Character analyzers: unused (ids are code points). */
    private readonly unigrams: Map<string, number>,
    /** n-gram of ids → column; columns were inserted in vocabulary order. */
    private readonly columns: NgramTable,
  ) {}

  static fit(texts: readonly string[], options: TfidfOptions = {}): TfidfVectorizer {
    const analyzer = options.analyzer ?? 'word';
    if (!TFIDF_ANALYZERS.includes(analyzer)) {
      throw new Error(`TfidfVectorizer: analyzer must be one of ${TFIDF_ANALYZERS.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(analyzer)}`);
    }
    const o: Required<TfidfOptions> = {
      analyzer,
      lowercase: options.lowercase ?? true,
      ngramRange: options.ngramRange ?? [...DEFAULT_NGRAM_RANGE[analyzer]],
      minDf: options.minDf ?? 2,
      maxDf: options.maxDf ?? 1.0,
      maxFeatures: options.maxFeatures ?? null,
      sublinearTf: options.sublinearTf ?? true,
    };
    const [lo, hi] = o.ngramRange;
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi < lo) {
      throw new Error(`TfidfVectorizer: ngramRange must be [lo, hi] integers with 1 <= lo <= hi, got [${lo}, ${hi}]`);
    }
    if (!Number.isInteger(o.minDf) || o.minDf < 1) throw new Error(`TfidfVectorizer: minDf must be an integer >= 1 (a document count), got ${o.minDf}`);
    if (!(o.maxDf > 0 && o.maxDf <= 1)) throw new Error(`TfidfVectorizer: maxDf must be a fraction in (0, 1], got ${o.maxDf}`);
    if (o.maxFeatures !== null && (!Number.isInteger(o.maxFeatures) || o.maxFeatures < 1)) {
      throw new Error(`TfidfVectorizer: maxFeatures must be a positive integer or null, got ${o.maxFeatures}`);
    }
    const n = texts.length;
    if (n === 0) throw new Error('TfidfVectorizer.fit: no documents');

    // Pass 1: count every candidate n-gram. Per slot: document frequency, total count, last
    // document seen (to count each document once), and its first occurrence (doc, position) so
    // the term string can be rebuilt for the few that survive the filters.
    const unigrams = new Map<string, number>();
    const unigramText: string[] = [];
    const wordId = (t: string): number => {
      let u = unigrams.get(t);
      if (u === undefined) {
        u = unigramText.length;
        unigrams.set(t, u);
        unigramText.push(t);
      }
      return u;
    };
    const table = new NgramTable();
    let cap = 1 << 16;
    let df = new Int32Array(cap);
    let total = new Float64Array(cap);
    let last = new Int32Array(cap);
    let firstIds: Int32Array[] = [];
    let firstPos = new Int32Array(cap);
    let firstLen = new Int32Array(cap);
    for (let d = 0; d < n; d++) {
      const text = texts[d];
      if (typeof text !== 'string') throw new Error(`TfidfVectorizer.fit: document ${d} is ${typeof text}, expected a string`);
      const doc = docIds(text, o, wordId);
      const ids = doc.ids;
      eachNgram(o.analyzer, doc, lo, hi, (i, len) => {
        const before = table.size;
        const sl = table.get(ids, i, len, true);
        if (sl === before) {
          if (sl === cap) {
            cap *= 2;
            df = grow(df, cap);
            total = grow(total, cap);
            last = grow(last, cap);
            firstPos = grow(firstPos, cap);
            firstLen = grow(firstLen, cap);
          }
          firstIds[sl] = ids;
          firstPos[sl] = i;
          firstLen[sl] = len;
          last[sl] = -1;
        }
        total[sl]++;
        if (last[sl] !== d) {
          df[sl]++;
          last[sl] = d;
        }
      });
    }

    // Filter by document frequency, then (optionally) keep the most frequent maxFeatures.
    const maxDocs = o.maxDf * n; // sklearn: a float max_df is compared as df <= max_df * n_docs
    const termOf = (sl: number): string => {
      const ids = firstIds[sl]!;
      const p = firstPos[sl]!;
      const len = firstLen[sl]!;
      if (o.analyzer !== 'word') return String.fromCodePoint(...ids.subarray(p, p + len));
      let t = unigramText[ids[p]!]!;
      for (let k = 1; k < len; k++) t += ' ' + unigramText[ids[p + k]!]!;
      return t;
    };
    let kept: Array<{ term: string; slot: number }> = [];
    for (let sl = 0; sl < table.size; sl++) {
      if (df[sl]! >= o.minDf && df[sl]! <= maxDocs) kept.push({ term: termOf(sl), slot: sl });
    }
    kept.sort((x, y) => byCodePoint(x.term, y.term));
    if (o.maxFeatures !== null && kept.length > o.maxFeatures) {
      // stable sort on the alphabetical order: highest corpus count first, ties alphabetical.
      kept = kept
        .map((e, i) => ({ e, i }))
        .sort((x, y) => total[y.e.slot]! - total[x.e.slot]! || x.i - y.i)
        .slice(0, o.maxFeatures)
        .map((x) => x.e)
        .sort((x, y) => byCodePoint(x.term, y.term));
    }
    if (kept.length === 0) {
      throw new Error(`TfidfVectorizer.fit: empty vocabulary after minDf=${o.minDf} / maxDf=${o.maxDf} (${n} documents, analyzer '${o.analyzer}')`);
    }
    const columns = new NgramTable(2 * kept.length);
    const idf = new Float64Array(kept.length);
    kept.forEach((e, j) => {
      const col = columns.get(firstIds[e.slot]!, firstPos[e.slot]!, firstLen[e.slot]!, true);
      if (col !== j) throw new Error(`TfidfVectorizer.fit: internal error, column ${col} for term ${j}`);
      idf[j] = Math.log((1 + n) / (1 + df[e.slot]!)) + 1;
    });
    firstIds = [];
    return new TfidfVectorizer(
      o,
      kept.map((e) => e.term),
      idf,
      n,
      unigrams,
      columns,
    );
  }

  /** TF-IDF rows of `texts` (terms not in the vocabulary are ignored). */
  transform(texts: readonly string[]): CsrMatrix {
    const F = this.vocabulary.length;
    const [lo, hi] = this.options.ngramRange;
    const indptr = new Int32Array(texts.length + 1);
    let cols = new Int32Array(1024);
    let vals = new Float64Array(1024);
    let nnz = 0;
    const count = new Int32Array(F); // [F] term counts of the current document, reset after use
    const touched: number[] = [];
    // Unknown unigrams get id −2: never a key, so no n-gram spans them (no fake bigram
    // across an unknown word). Character ids are code points: an unseen n-gram is simply absent.
    const wordId = (t: string): number => this.unigrams.get(t) ?? -2;
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i];
      if (typeof text !== 'string') throw new Error(`TfidfVectorizer.transform: document ${i} is ${typeof text}, expected a string`);
      const doc = docIds(text, this.options, wordId);
      touched.length = 0;
      eachNgram(this.options.analyzer, doc, lo, hi, (k, len) => {
        const j = this.columns.get(doc.ids, k, len, false);
        if (j >= 0 && count[j]++ === 0) touched.push(j);
      });
      touched.sort((a, b) => a - b);
      if (nnz + touched.length > cols.length) {
        const c = Math.max(2 * cols.length, nnz + touched.length);
        cols = grow(cols, c);
        vals = grow(vals, c);
      }
      const start = nnz;
      let sq = 0;
      for (const j of touched) {
        const tf = count[j]!;
        count[j] = 0;
        const v = (this.options.sublinearTf ? 1 + Math.log(tf) : tf) * this.idf[j]!;
        cols[nnz] = j;
        vals[nnz++] = v;
        sq += v * v;
      }
      if (sq > 0) {
        const inv = 1 / Math.sqrt(sq);
        for (let p = start; p < nnz; p++) vals[p] *= inv;
      }
      indptr[i + 1] = nnz;
    }
    return new CsrMatrix(indptr, cols.slice(0, nnz), vals.slice(0, nnz), F);
  }
}

function grow<T extends Int32Array | Float64Array>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

/**
 * Python's str order (by code point). UTF-16 code-unit order differs only where one string has
 * a surrogate (an astral character) and the other a BMP character U+E000–U+FFFF at the first
 * difference: code points put the astral character last.
 */
export function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy && (sx ? y : x) >= 0xe000) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
