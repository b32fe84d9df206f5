// The TF-IDF character analyzers against scikit-learn (fixtures/sklearn_tfidf_analyzers.py),
// the 'auto' analyzer rule, the baseline rows' names, the config key and the demo table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TfidfVectorizer, analyze, chooseTfidfAnalyzer, countCjkLetters, tfidfBaselines, trainTfidfClassifier, type TfidfAnalyzer } from '../../src/baselines/index.js';
import { byCodePoint } from '../../src/baselines/tfidf-vectorizer.js';
import { baselineSettings, validateConfig } from '../../src/train/config.js';
import { rowsFromMetrics } from '../../src/demo/table.js';
import type { Metrics, RunMetrics } from '../../src/eval/types.js';
import { maxDiff } from '../eval/golden.js';

interface Rows {
  indices: number[];
  data: number[];
}
interface Case {
  analyzer: TfidfAnalyzer;
  ngram_range: [number, number];
  min_df: number;
  max_df: number;
  sublinear_tf: boolean;
  lowercase: boolean;
  fit_docs: 'all' | 'small';
  terms: string[][];
  vocabulary: string[];
  idf: number[];
  rows: Rows[];
  query_rows: Rows[];
  logreg?: { coef: number[][]; intercept: number[]; proba: number[][] };
}
const golden = JSON.parse(readFileSync(new URL('./fixtures/sklearn_tfidf_analyzers.json', import.meta.url), 'utf8')) as {
  sklearn: string;
  docs: string[];
  edge: string[];
  y: number[];
  queries: string[];
  cases: Case[];
};
const small = [...golden.docs.slice(0, 8), ...golden.edge];
const label = (c: Case) => `${c.analyzer} ${c.ngram_range.join('-')} min_df=${c.min_df} max_df=${c.max_df} sublinear=${c.sublinear_tf} lowercase=${c.lowercase}`;

for (const c of golden.cases) {
  test(`TfidfVectorizer(analyzer='${c.analyzer}') matches sklearn ${golden.sklearn}: ${label(c)}`, () => {
    // the analyzer, term by term in sklearn's order
    const analyzed = c.terms.length === golden.docs.length + golden.queries.length ? [...golden.docs, ...golden.queries] : [...golden.edge, ...golden.queries];
    assert.equal(analyzed.length, c.terms.length);
    analyzed.forEach((d, i) => assert.deepEqual(analyze(d, { analyzer: c.analyzer, lowercase: c.lowercase, ngramRange: c.ngram_range }), c.terms[i], `terms of ${JSON.stringify(d)}`));
    // vocabulary, idf and every row
    const docs = c.fit_docs === 'small' ? small : golden.docs;
    const v = TfidfVectorizer.fit(docs, { analyzer: c.analyzer, ngramRange: c.ngram_range, minDf: c.min_df, maxDf: c.max_df, sublinearTf: c.sublinear_tf, lowercase: c.lowercase });
    assert.deepEqual(v.vocabulary, c.vocabulary);
    assert.ok(maxDiff(v.idf, c.idf) < 1e-12, 'idf');
    let worst = 0;
    const check = (X: ReturnType<TfidfVectorizer['transform']>, rows: Rows[], what: string): void => {
      assert.equal(X.indptr.length - 1, rows.length);
      rows.forEach((r, i) => {
        const a = X.indptr[i]!;
        const b = X.indptr[i + 1]!;
        assert.deepEqual([...X.indices.subarray(a, b)], r.indices, `${what} row ${i} columns`);
        worst = Math.max(worst, maxDiff(X.values.subarray(a, b), r.data));
      });
    };
    check(v.transform(docs), c.rows, 'train');
    check(v.transform(golden.queries), c.query_rows, 'query');
    console.log(`# ${label(c)}: ${v.vocabulary.length} terms, max |Δ| ${worst.toExponential(2)} over ${c.rows.length + c.query_rows.length} rows`);
    assert.ok(worst < 1e-12, `values differ by ${worst}`);
  });
}

test('TF-IDF (char 1-3) + logistic regression matches sklearn LogisticRegression(C=1) on the same rows', () => {
  const c = golden.cases.find((x) => x.logreg !== undefined)!;
  const texts = golden.docs.slice(0, golden.y.length);
  const clf = trainTfidfClassifier(texts, golden.y, { analyzer: 'char', gtol: 1e-9 });
  assert.deepEqual(clf.vectorizer.options.ngramRange, [1, 3]);
  const dCoef = maxDiff(clf.model.weights, c.logreg!.coef.flat());
  const dP = maxDiff(
    clf.predictProba(golden.queries).flatMap((p) => [...p]),
    c.logreg!.proba.flat(),
  );
  console.log(`# char TF-IDF LR vs sklearn: max |Δcoef| ${dCoef.toExponential(2)}, max |Δproba| ${dP.toExponential(2)}`);
  assert.ok(dCoef < 5e-6 && dP < 1e-6, `coef ${dCoef} proba ${dP}`);
  // 'auto' counts letters: 20 short CJK reviews (259 letters) + 4 English excerpts (472) → word
  assert.equal(trainTfidfClassifier(texts, golden.y).analyzerChoice.analyzer, 'word');
  const cjk = texts.slice(0, 20);
  const auto = trainTfidfClassifier(cjk, golden.y.slice(0, 20));
  assert.deepEqual([auto.analyzerChoice.analyzer, auto.vectorizer.options.ngramRange], ['char', [1, 3]]);
  assert.deepEqual(auto.vectorizer.vocabulary, TfidfVectorizer.fit(cjk, { analyzer: 'char' }).vocabulary);
});

test('character analyzers: whitespace, code points and short words exactly as sklearn', () => {
  const o = { lowercase: true, ngramRange: [1, 2] as [number, number] };
  // runs of >= 2 whitespace characters become one space; a lone tab stays a tab
  assert.deepEqual(analyze('a\t b\tc', { ...o, analyzer: 'char' }), ['a', ' ', 'b', '\t', 'c', 'a ', ' b', 'b\t', '\tc']);
  // an astral character is one character
  assert.deepEqual(analyze('好😊', { ...o, analyzer: 'char' }), ['好', '😊', '好😊']);
  // char_wb: words padded with spaces; a padded word no longer than n counts once and stops
  assert.deepEqual(analyze('I am', { lowercase: true, ngramRange: [2, 4], analyzer: 'char_wb' }), [' i', 'i ', ' i ', ' a', 'am', 'm ', ' am', 'am ', ' am ']);
  assert.deepEqual(analyze('x', { lowercase: false, ngramRange: [5, 6], analyzer: 'char_wb' }), [' x ']);
  assert.deepEqual(analyze(' \u3000 ', { ...o, analyzer: 'char_wb' }), []);
  // defaults: word [1, 2], char [1, 3]
  assert.deepEqual(TfidfVectorizer.fit(['ab ab', 'ab'], { analyzer: 'char', minDf: 1 }).options.ngramRange, [1, 3]);
  assert.deepEqual(TfidfVectorizer.fit(['ab ab', 'ab'], { minDf: 1 }).options.ngramRange, [1, 2]);
  // an unseen character between two known ones makes no n-gram across it
  const v = TfidfVectorizer.fit(['好的', '好的'], { analyzer: 'char' });
  assert.deepEqual(
    [...v.transform(['好x的']).indices].map((j) => v.vocabulary[j]),
    ['好', '的'],
  );
  assert.throws(() => TfidfVectorizer.fit(['aa'], { analyzer: 'chars' as TfidfAnalyzer }), /analyzer must be one of 'word', 'char', 'char_wb', got "chars"/);
});

test('vocabulary order is code-point order (Python str order), not UTF-16 order', () => {
  const words = ['😊', '\uffee', 'a', '好', '\ue000', '😊a', 'ｅ'];
  const sorted = words.slice().sort(byCodePoint);
  assert.deepEqual(
    sorted,
    words.slice().sort((a, b) => {
      const x = [...a].map((ch) => ch.codePointAt(0)!);
      const y = [...b].map((ch) => ch.codePointAt(0)!);
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return x.length - y.length;
    }),
  );
  assert.deepEqual(sorted.slice(-2), ['😊', '😊a']);
});

test("analyzer 'auto': char 1-3 when more than half of the letters are CJK, word 1-2 otherwise", () => {
  assert.deepEqual(countCjkLetters(['质量很好!! 123 ok']), { letters: 6, cjk: 4 });
  assert.deepEqual(countCjkLetters(['すぐにカメラ 배송 々〇']), { letters: 9, cjk: 9 - 0 }); // 〇 is a number (Nl), not a letter
  const pick = (texts: string[]) => chooseTfidfAnalyzer(texts);
  assert.deepEqual(pick(['质量很好，物流也快']), { analyzer: 'char', ngramRange: [1, 3], requested: 'auto', cjkShare: 1 });
  assert.equal(pick(['品質がとても良い']).analyzer, 'char');
  assert.equal(pick(['배송이 빠르고 좋아요']).analyzer, 'char');
  assert.deepEqual(pick(['Great pan, fast delivery']), { analyzer: 'word', ngramRange: [1, 2], requested: 'auto', cjkShare: 0 });
  // exactly half is not "more than half"
  assert.equal(pick(['abcd', '好好好好']).analyzer, 'word');
  assert.equal(pick(['abc', '好好好好']).analyzer, 'char');
  // counted over all the texts together, not per text
  assert.equal(pick(['a much longer English review about a pan', '好', '好']).analyzer, 'word');
  assert.deepEqual(pick(['!!! 123', '']), { analyzer: 'word', ngramRange: [1, 2], requested: 'auto', cjkShare: 0 });
  // an explicit analyzer or range wins
  assert.deepEqual(chooseTfidfAnalyzer(['质量很好'], 'word'), { analyzer: 'word', ngramRange: [1, 2], requested: 'word' });
  assert.deepEqual(chooseTfidfAnalyzer(['质量很好'], 'auto', [2, 4]), { analyzer: 'char', ngramRange: [2, 4], requested: 'auto', cjkShare: 1 });
  assert.deepEqual(chooseTfidfAnalyzer(['x'], 'char_wb').ngramRange, [1, 3]);
  assert.throws(() => chooseTfidfAnalyzer(['x'], 'bytes' as TfidfAnalyzer), /analyzer must be 'auto', 'word', 'char', 'char_wb', got "bytes"/);
});

const zh = golden.docs.slice(0, 16);
const zhY = golden.y.slice(0, 16);
test('baseline rows name the analyzer they used (auto, or as configured)', () => {
  const labels = ['negative', 'positive'];
  const rows = tfidfBaselines({
    labels,
    source: { texts: zh.slice(0, 12), labels: zhY.slice(0, 12) },
    targetFewShot: { texts: zh.slice(12, 14), labels: zhY.slice(12, 14) },
    targetTest: { texts: zh.slice(14), labels: zhY.slice(14) },
  });
  assert.deepEqual(
    rows.map((r) => r.name),
    ['TF-IDF (char 1-3) + LR (source only)', 'TF-IDF (char 1-3) + LR (source + target few-shot)'],
  );
  assert.match(
    rows[0]!.description,
    /^character 1-3-gram TF-IDF \+ logistic regression \(C=1\) on 12 labelled source texts; analyzer 'auto' chose 'char': 100% of the training texts' letters are CJK/,
  );
  const en = golden.docs.slice(20, 24);
  const w = tfidfBaselines({ labels, source: { texts: en, labels: golden.y.slice(20, 24) }, targetTest: { texts: en, labels: golden.y.slice(20, 24) } });
  assert.deepEqual(
    w.map((r) => r.name),
    ['TF-IDF (word 1-2) + LR (source only)'],
  );
  const forced = tfidfBaselines({ labels, source: { texts: zh, labels: zhY }, targetTest: { texts: zh, labels: zhY }, options: { analyzer: 'char_wb', ngramRange: [2, 4] } });
  assert.equal(forced[0]!.name, 'TF-IDF (char_wb 2-4) + LR (source only)');
  assert.match(forced[0]!.description, /analyzer 'char_wb' as configured/);
});

test('config: baselines is true/false or {enabled, tfidf: {analyzer, ngram_range}}', () => {
  const minimal = {
    model: './models/tiny',
    output: 'runs/x',
    tasks: { sentiment: { type: 'sequence_classification', labels: ['negative', 'positive'] } },
    source: { name: 'books', task: 'sentiment', labelled: 'books.jsonl' },
    target: { name: 'kitchen', task: 'sentiment', labelled: 'kitchen.jsonl', unlabelled: 'kitchen.txt' },
  };
  const cfg = (extra: object, sets: Array<{ path: string; value: unknown }> = []) =>
    validateConfig(
      { ...minimal, ...extra },
      'run.yaml',
      '/tmp',
      sets.map((s) => ({ ...s, origin: `--set ${s.path}` })),
    );
  const defaults = { enabled: true, tfidf: { analyzer: 'auto', ngram_range: null } };
  assert.equal(cfg({}).baselines, true);
  assert.deepEqual(baselineSettings(cfg({}).baselines), defaults);
  assert.deepEqual(baselineSettings(cfg({ baselines: false }).baselines), { ...defaults, enabled: false });
  assert.deepEqual(baselineSettings(cfg({ baselines: { tfidf: { analyzer: 'char', ngram_range: [1, 2] } } }).baselines), { enabled: true, tfidf: { analyzer: 'char', ngram_range: [1, 2] } });
  assert.deepEqual(baselineSettings(cfg({}, [{ path: 'baselines.tfidf.analyzer', value: 'char_wb' }]).baselines), { enabled: true, tfidf: { analyzer: 'char_wb', ngram_range: null } });
  assert.throws(() => cfg({ baselines: { tfidf: { analyzer: 'chars' } } }), /baselines\.tfidf\.analyzer.*"auto", "word", "char", "char_wb"/);
  assert.throws(() => cfg({ baselines: { tfidf: { ngram_range: [3, 1] } } }), /baselines\.tfidf\.ngram_range.*lo <= hi/);
  assert.throws(() => cfg({ baselines: { tfdif: {} } }), /baselines\.tfdif: unknown key.*tfidf/);
});

test('demo table: the TF-IDF rows show their analyzer; runs without one in the name read as word 1-2', () => {
  const t = (accuracy: number): Metrics => ({ accuracy, macroF1: accuracy, n: 10 }) as unknown as Metrics;
  const ablation = ['source only (stage 1)', 'stages 1+2', 'stages 1+2+3', 'few-shot only'].map((name) => ({ name, description: '', target: t(0.5) }));
  const m = (names: string[]): RunMetrics => ({
    labels: ['negative', 'positive'],
    stages: {},
    ablation,
    baselines: [...names, 'bag-of-words + DANN'].map((name, i) => ({ name, description: '', target: t(0.6 + i / 10) })),
  });
  const now = rowsFromMetrics(m(['TF-IDF (char 1-3) + LR (source only)', 'TF-IDF (char 1-3) + LR (source + target few-shot)']));
  assert.deepEqual(
    now.slice(4).map((r) => [r.id, r.name, r.accuracy]),
    [
      ['tfidf_source', 'TF-IDF (char 1-3) + LR, source only', 0.6],
      ['tfidf_source_few_shot', 'TF-IDF (char 1-3) + LR, source + few-shot', 0.7],
      ['bow_dann', 'bag-of-words + DANN (no target labels)', 0.8],
    ],
  );
  const old = rowsFromMetrics(m(['TF-IDF + LR (source only)', 'TF-IDF + LR (source + target few-shot)']));
  assert.deepEqual(
    old.slice(4, 6).map((r) => r.name),
    ['TF-IDF (word 1-2) + LR, source only', 'TF-IDF (word 1-2) + LR, source + few-shot'],
  );
  assert.throws(() => rowsFromMetrics(m(['TF-IDF (char 1-3) + LR (source only)'])), /no baselines row named matching .*source \\\+ target few-shot/);
});
