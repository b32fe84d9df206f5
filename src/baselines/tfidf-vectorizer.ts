// TF-IDF features with scikit-learn `TfidfVectorizer` semantics, so the baseline is the one a
// Python user would write. Defaults differ from sklearn's only where a text-classification
// baseline is better served (marked *):
//   lowercase          true                       (sklearn: True)
//   token pattern      runs of ≥ 2 word characters (sklearn: r"(?u)\b\w\w+\b"; \w here is
//                      [\p{L}\p{N}_], Python's Unicode \w up to rare mark/numeric corner cases)
//   ngramRange         [1, 2]                   * (sklearn: (1, 1)); bigrams join adjacent
//                      kept tokens with one space, exactly as sklearn
//   minDf              2                        * (sklearn: 1) count of documents; drops hapaxes
//   maxDf              1.0 (fraction of documents; sklearn: 1.0)
//   maxFeatures        none (sklearn: None); when set, keeps the terms with the highest
//                      total count in the corpus, ties broken alphabetically (sklearn's
//                      unstable argsort may break ties at the cut-off differently)
//   sublinearTf        true                     * (sklearn: False): tf → 1 + ln(tf)
//   idf                smooth: ln((1 + N) / (1 + df)) + 1 (sklearn smooth_idf=True)
//   norm               'l2' per row (sklearn: 'l2'); an all-zero row stays zero
// The vocabulary is sorted alphabetically (UTF-16 code-unit order; sklearn sorts by code
// point — identical for text without astral-plane characters) and column j is vocabulary[j].
// Shapes: N documents, F features (vocabulary size); output rows are CSR [N x F].
import { CsrMatrix } from '../eval/design-matrix.js';
import { NgramTable } from './ngram-table.js';

export interface TfidfOptions {
  lowercase?: boolean;
  ngramRange?: [number, number];
  minDf?: number;
  maxDf?: number;
  maxFeatures?: number | null;
  sublinearTf?: boolean;
}

const TOKEN = /[\p{L}\p{N}_]+/gu;

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

/** The analyzer as strings (for inspection and tests): tokens, then n-grams in sklearn's order. */
export function analyze(text: string, opts: Required<Pick<TfidfOptions, 'lowercase' | 'ngramRange'>>): string[] {
  const tokens = tokenize(text, opts.lowercase);
  const [lo, hi] = opts.ngramRange;
  if (lo === 1 && hi === 1) return tokens;
  const out: string[] = lo === 1 ? [...tokens] : [];
  for (let n = Math.max(lo, 2); n <= Math.min(hi, tokens.length); n++) {
    for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(' '));
  }
  return out;
}

export class TfidfVectorizer {
  private constructor(
    readonly options: Required<TfidfOptions>,
    /** Column j's term (n-gram words joined by one space), alphabetical. */
    readonly vocabulary: string[],
    /** [F] idf weights. */
    readonly idf: Float64Array,
    /** Documents the vectorizer was fitted on. */
    readonly nDocs: number,
    /** Unigram string → token id (every unigram of the fit corpus, kept or not). */
    private readonly unigrams: Map<string, number>,
    /** n-gram of token ids → column; columns were inserted in vocabulary order. */
    private readonly columns: NgramTable,
  ) {}

  static fit(texts: readonly string[], options: TfidfOptions = {}): TfidfVectorizer {
    const o: Required<TfidfOptions> = {
      lowercase: options.lowercase ?? true,
      ngramRange: options.ngramRange ?? [1, 2],
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
    const table = new NgramTable();
    let cap = 1 << 16;
    let df = new Int32Array(cap);
    let total = new Float64Array(cap);
    let last = new Int32Array(cap);
    let firstIds: Int32Array[] = [];
    let firstPos = new Int32Array(cap);
    let firstLen = new Int8Array(cap);
    for (let d = 0; d < n; d++) {
      const text = texts[d];
      if (typeof text !== 'string') throw new Error(`TfidfVectorizer.fit: document ${d} is ${typeof text}, expected a string`);
      const toks = tokenize(text, o.lowercase);
      const ids = new Int32Array(toks.length);
      for (let i = 0; i < toks.length; i++) {
        let u = unigrams.get(toks[i]!);
        if (u === undefined) {
          u = unigramText.length;
          unigrams.set(toks[i]!, u);
          unigramText.push(toks[i]!);
        }
        ids[i] = u;
      }
      for (let len = lo; len <= hi; len++) {
        for (let i = 0; i + len <= ids.length; i++) {
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
        }
      }
    }

    // Filter by document frequency, then (optionally) keep the most frequent maxFeatures.
    const maxDocs = o.maxDf * n; // sklearn: a float max_df is compared as df <= max_df * n_docs
    const termOf = (sl: number): string => {
      const ids = firstIds[sl]!;
      let t = unigramText[ids[firstPos[sl]!]!]!;
      for (let k = 1; k < firstLen[sl]!; k++) t += ' ' + unigramText[ids[firstPos[sl]! + k]!]!;
      return t;
    };
    let kept: Array<{ term: string; slot: number }> = [];
    for (let sl = 0; sl < table.size; sl++) {
      if (df[sl]! >= o.minDf && df[sl]! <= maxDocs) kept.push({ term: termOf(sl), slot: sl });
    }
    kept.sort((x, y) => byCodeUnit(x.term, y.term));
    if (o.maxFeatures !== null && kept.length > o.maxFeatures) {
      // stable sort on the alphabetical order: highest corpus count first, ties alphabetical.
      kept = kept
        .map((e, i) => ({ e, i }))
        .sort((x, y) => total[y.e.slot]! - total[x.e.slot]! || x.i - y.i)
        .slice(0, o.maxFeatures)
        .map((x) => x.e)
        .sort((x, y) => byCodeUnit(x.term, y.term));
    }
    if (kept.length === 0) {
      throw new Error(`TfidfVectorizer.fit: empty vocabulary after minDf=${o.minDf} / maxDf=${o.maxDf} (${n} documents)`);
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
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i];
      if (typeof text !== 'string') throw new Error(`TfidfVectorizer.transform: document ${i} is ${typeof text}, expected a string`);
      const toks = tokenize(text, this.options.lowercase);
      // Unknown unigrams get id −2: never a key, so no n-gram spans them (no fake bigram
      // across an unknown word).
      const ids = new Int32Array(toks.length);
      for (let k = 0; k < toks.length; k++) ids[k] = this.unigrams.get(toks[k]!) ?? -2;
      touched.length = 0;
      for (let len = lo; len <= hi; len++) {
        for (let k = 0; k + len <= ids.length; k++) {
          const j = this.columns.get(ids, k, len, false);
          if (j >= 0 && count[j]++ === 0) touched.push(j);
        }
      }
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

function grow<T extends Int32Array | Int8Array | Float64Array>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
