// TF-IDF + logistic-regression text classifier: the classical baseline the neural pipeline
// must beat (issue 5 item 5). Features: `TfidfVectorizer` (sublinear tf, smooth idf, l2 rows,
// minDf 2 — see tfidf-vectorizer.ts), fitted on the training texts only, with the analyzer
// chosen by the language of those texts (issue 16): `analyzer: 'auto'` (the default) is
//   character 1–3-grams ('char') when more than half of the letters (\p{L}) in the training
//   texts are CJK — Han ideographs, Hiragana, Katakana or Hangul (\p{Script=…}) — since
//   Chinese and Japanese have no spaces and the word pattern turns whole clauses into one
//   "word"; word 1–2-grams ('word') otherwise (no letters at all: 'word').
// 'word', 'char' and 'char_wb' force one analyzer. Classifier: L2 logistic regression, C = 1,
// intercept unpenalised, full-batch L-BFGS to max|∇| <= 1e-6 on the mean objective — the model of sklearn
// `LogisticRegression(C=1.0, solver='lbfgs')` (its default), binary for 2 classes, multinomial
// above, fitted to a tighter tolerance than sklearn's default tol=1e-4. No feature scaling:
// TF-IDF rows are already l2-normalised, as in the usual sklearn pipeline.
// Shapes: N texts, F TF-IDF features, K classes.
import { fitLinearLogistic, linearLogisticProba, argmaxRows, type LinearLogistic } from '../eval/logreg.js';
import { DEFAULT_NGRAM_RANGE, TFIDF_ANALYZERS, TfidfVectorizer, type TfidfAnalyzer, type TfidfOptions } from './tfidf-vectorizer.js';
import { cjkShare, countCjkLetters, isMostlyCjk } from '../text/cjk.js';

export interface TfidfClassifierOptions extends Omit<TfidfOptions, 'analyzer'> {
  /** 'auto' (default): 'char' for mostly-CJK training text, else 'word' (see `chooseTfidfAnalyzer`). */
  analyzer?: TfidfAnalyzer | 'auto';
  /** Logistic-regression inverse regularisation (sklearn C). Default 1. */
  C?: number;
  /** Number of classes; default max(label) + 1 (at least 2). */
  numClasses?: number;
  /** L-BFGS iteration cap. Default 500. */
  maxIter?: number;
  /** L-BFGS max-abs-gradient tolerance on the mean objective. Default 1e-6. */
  gtol?: number;
}

export interface TfidfClassifier {
  vectorizer: TfidfVectorizer;
  model: LinearLogistic;
  numClasses: number;
  /** How the analyzer was chosen. */
  analyzerChoice: AnalyzerChoice;
  /** [N][K] class probabilities. */
  predictProba(texts: readonly string[]): Float64Array[];
  /** [N] class ids (arg-max probability). */
  predict(texts: readonly string[]): Int32Array;
}

export interface AnalyzerChoice {
  analyzer: TfidfAnalyzer;
  ngramRange: [number, number];
  /** What was asked for ('auto' or an analyzer). */
  requested: TfidfAnalyzer | 'auto';
  /** Fraction of the training texts' letters that are CJK (computed for 'auto' only). */
  cjkShare?: number;
}

/**
 * The rule of `analyzer: 'auto'`: 'char' (1–3-grams) when more than half of the letters of the
 * training texts are CJK ideographs, kana or Hangul, 'word' (1–2-grams) otherwise. An explicit
 * analyzer is kept; an explicit `ngramRange` wins over the analyzer's default.
 */
export function chooseTfidfAnalyzer(texts: readonly string[], requested: TfidfAnalyzer | 'auto' = 'auto', ngramRange?: [number, number]): AnalyzerChoice {
  if (requested !== 'auto' && !TFIDF_ANALYZERS.includes(requested)) {
    throw new Error(`TF-IDF baseline: analyzer must be 'auto', ${TFIDF_ANALYZERS.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(requested)}`);
  }
  let analyzer: TfidfAnalyzer;
  let share: number | undefined;
  if (requested === 'auto') {
    share = cjkShare(countCjkLetters(texts));
    analyzer = isMostlyCjk(share) ? 'char' : 'word';
  } else {
    analyzer = requested;
  }
  return { analyzer, ngramRange: ngramRange ?? [...DEFAULT_NGRAM_RANGE[analyzer]], requested, ...(share !== undefined ? { cjkShare: share } : {}) };
}

/** "word 1-2", "char 1-3", "char_wb 2-4": the analyzer as row names show it. */
export function analyzerLabel(c: { analyzer: TfidfAnalyzer; ngramRange: readonly [number, number] }): string {
  return `${c.analyzer} ${c.ngramRange[0]}-${c.ngramRange[1]}`;
}

export function trainTfidfClassifier(texts: readonly string[], labels: ArrayLike<number>, opts: TfidfClassifierOptions = {}): TfidfClassifier {
  if (texts.length !== labels.length) {
    throw new Error(`trainTfidfClassifier: ${texts.length} texts but ${labels.length} labels`);
  }
  if (texts.length === 0) throw new Error('trainTfidfClassifier: no training texts');
  let maxY = 0;
  for (let i = 0; i < labels.length; i++) maxY = Math.max(maxY, labels[i]!);
  const K = opts.numClasses ?? Math.max(2, maxY + 1);
  const choice = chooseTfidfAnalyzer(texts, opts.analyzer ?? 'auto', opts.ngramRange);
  const vectorizer = TfidfVectorizer.fit(texts, { ...opts, analyzer: choice.analyzer, ngramRange: choice.ngramRange });
  const model = fitLinearLogistic(vectorizer.transform(texts), labels, K, { C: opts.C ?? 1, maxIter: opts.maxIter ?? 500, gtol: opts.gtol ?? 1e-6 });
  const predictProba = (q: readonly string[]): Float64Array[] => linearLogisticProba(model, vectorizer.transform(q));
  return { vectorizer, model, numClasses: K, analyzerChoice: choice, predictProba, predict: (q) => argmaxRows(predictProba(q)) };
}
