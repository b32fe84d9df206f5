// The baseline rows of metrics.json (`baselines: [{name, description, target}]`): TF-IDF +
// logistic regression trained on the source set alone, and on source + the target few-shot
// labels (the same few-shot examples stage 3 sees), both scored on the target test set.
import { classificationMetrics } from '../eval/metrics.js';
import type { Metrics } from '../eval/types.js';
import { trainTfidfClassifier, type TfidfClassifierOptions } from './tfidf.js';

export { trainTfidfClassifier, type TfidfClassifier, type TfidfClassifierOptions } from './tfidf.js';
export { TfidfVectorizer, analyze, type TfidfOptions } from './tfidf-vectorizer.js';

export interface LabelledTexts {
  texts: readonly string[];
  /** Class ids into the shared label list. */
  labels: ArrayLike<number>;
}

export interface BaselineRow {
  name: string;
  description: string;
  target: Metrics;
}

export function tfidfBaselines(args: {
  labels: string[];
  source: LabelledTexts;
  targetTest: LabelledTexts;
  /** Omit (or pass an empty set) to produce only the source-only row. */
  targetFewShot?: LabelledTexts;
  options?: TfidfClassifierOptions;
}): BaselineRow[] {
  const K = args.labels.length;
  const opts = { ...args.options, numClasses: K };
  const score = (texts: readonly string[], labels: ArrayLike<number>): Metrics => {
    const clf = trainTfidfClassifier(texts, labels, opts);
    return classificationMetrics(args.targetTest.labels, clf.predict(args.targetTest.texts), args.labels);
  };
  const c = opts.C ?? 1;
  const rows: BaselineRow[] = [
    {
      name: 'TF-IDF + LR (source only)',
      description: `word 1-2-gram TF-IDF + logistic regression (C=${c}) on ${args.source.texts.length} labelled source texts`,
      target: score(args.source.texts, args.source.labels),
    },
  ];
  const few = args.targetFewShot;
  if (few && few.texts.length > 0) {
    rows.push({
      name: 'TF-IDF + LR (source + target few-shot)',
      description: `same, trained on ${args.source.texts.length} source + ${few.texts.length} labelled target texts`,
      target: score([...args.source.texts, ...few.texts], [...Array.from(args.source.labels), ...Array.from(few.labels)]),
    });
  }
  return rows;
}
