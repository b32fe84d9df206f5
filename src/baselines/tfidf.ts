// TF-IDF + logistic-regression text classifier: the classical baseline the neural pipeline
// must beat (issue 5 item 5). Features: `TfidfVectorizer` (word 1–2-grams, sublinear tf,
// smooth idf, l2 rows, minDf 2 — see tfidf-vectorizer.ts), fitted on the training texts only.
// Classifier: L2 logistic regression, C = 1, intercept unpenalised, full-batch L-BFGS to
// max|∇| <= 1e-6 on the mean objective — the model of sklearn
// `LogisticRegression(C=1.0, solver='lbfgs')` (its default), binary for 2 classes, multinomial
// above, fitted to a tighter tolerance than sklearn's default tol=1e-4. No feature scaling:
// TF-IDF rows are already l2-normalised, as in the usual sklearn pipeline.
// Shapes: N texts, F TF-IDF features, K classes.
import { fitLinearLogistic, linearLogisticProba, argmaxRows, type LinearLogistic } from '../eval/logreg.js';
import { TfidfVectorizer, type TfidfOptions } from './tfidf-vectorizer.js';

export interface TfidfClassifierOptions extends TfidfOptions {
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
  /** [N][K] class probabilities. */
  predictProba(texts: readonly string[]): Float64Array[];
  /** [N] class ids (arg-max probability). */
  predict(texts: readonly string[]): Int32Array;
}

export function trainTfidfClassifier(texts: readonly string[], labels: ArrayLike<number>, opts: TfidfClassifierOptions = {}): TfidfClassifier {
  if (texts.length !== labels.length) {
    throw new Error(`trainTfidfClassifier: ${texts.length} texts but ${labels.length} labels`);
  }
  if (texts.length === 0) throw new Error('trainTfidfClassifier: no training texts');
  let maxY = 0;
  for (let i = 0; i < labels.length; i++) maxY = Math.max(maxY, labels[i]!);
  const K = opts.numClasses ?? Math.max(2, maxY + 1);
  const vectorizer = TfidfVectorizer.fit(texts, opts);
  const model = fitLinearLogistic(vectorizer.transform(texts), labels, K, { C: opts.C ?? 1, maxIter: opts.maxIter ?? 500, gtol: opts.gtol ?? 1e-6 });
  const predictProba = (q: readonly string[]): Float64Array[] => linearLogisticProba(model, vectorizer.transform(q));
  return { vectorizer, model, numClasses: K, predictProba, predict: (q) => argmaxRows(predictProba(q)) };
}
