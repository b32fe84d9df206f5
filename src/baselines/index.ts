// The baseline rows of metrics.json (`baselines: [{name, description, target}]`): TF-IDF +
// logistic regression trained on the source set alone, and on source + the target few-shot
// labels (the same few-shot examples stage 3 sees), both scored on the target test set. Both
// rows use one analyzer, chosen once from all the texts they train on (source + few-shot; see
// `chooseTfidfAnalyzer`), and their names say which: "TF-IDF (char 1-3) + LR (source only)".
import { classificationMetrics } from '../eval/metrics.js';
import type { Metrics } from '../eval/types.js';
import { analyzerLabel, chooseTfidfAnalyzer, trainTfidfClassifier, type TfidfClassifierOptions } from './tfidf.js';
import { trainBowDann, type BowDannOptions } from './bow-dann.js';

export { countCjkLetters } from '../text/cjk.js';
export { trainTfidfClassifier, chooseTfidfAnalyzer, analyzerLabel, type AnalyzerChoice, type TfidfClassifier, type TfidfClassifierOptions } from './tfidf.js';
export { TfidfVectorizer, analyze, DEFAULT_NGRAM_RANGE, TFIDF_ANALYZERS, type TfidfAnalyzer, type TfidfOptions } from './tfidf-vectorizer.js';
export { trainBowDann, BOW_DANN_DEFAULTS, type ResolvedBowDannOptions, type BowDannArgs, type BowDannClassifier, type BowDannEpochLog, type BowDannOptions } from './bow-dann.js';

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
  const few = args.targetFewShot && args.targetFewShot.texts.length > 0 ? args.targetFewShot : undefined;
  const choice = chooseTfidfAnalyzer([...args.source.texts, ...(few?.texts ?? [])], args.options?.analyzer ?? 'auto', args.options?.ngramRange);
  const opts: TfidfClassifierOptions = { ...args.options, analyzer: choice.analyzer, ngramRange: choice.ngramRange, numClasses: K };
  const score = (texts: readonly string[], labels: ArrayLike<number>): Metrics => {
    const clf = trainTfidfClassifier(texts, labels, opts);
    return classificationMetrics(args.targetTest.labels, clf.predict(args.targetTest.texts), args.labels);
  };
  const c = opts.C ?? 1;
  const label = analyzerLabel(choice);
  const unit = choice.analyzer === 'word' ? 'word' : choice.analyzer === 'char' ? 'character' : 'character (inside words)';
  const why =
    choice.cjkShare === undefined
      ? `analyzer '${choice.analyzer}' as configured`
      : `analyzer 'auto' chose '${choice.analyzer}': ${(100 * choice.cjkShare).toFixed(0)}% of the training texts' letters are CJK (char above 50%)`;
  const rows: BaselineRow[] = [
    {
      name: `TF-IDF (${label}) + LR (source only)`,
      description: `${unit} ${choice.ngramRange[0]}-${choice.ngramRange[1]}-gram TF-IDF + logistic regression (C=${c}) on ${args.source.texts.length} labelled source texts; ${why}`,
      target: score(args.source.texts, args.source.labels),
    },
  ];
  if (few) {
    rows.push({
      name: `TF-IDF (${label}) + LR (source + target few-shot)`,
      description: `same, trained on ${args.source.texts.length} source + ${few.texts.length} labelled target texts`,
      target: score([...args.source.texts, ...few.texts], [...Array.from(args.source.labels), ...Array.from(few.labels)]),
    });
  }
  return rows;
}

/**
 * The "bag-of-words + DANN" row (issue 10 item 3): the shallow DANN of Ganin et al. (2016) on
 * 5,000 binary word 1–2-gram features (character 1–3-grams for mostly-CJK text; see bow-dann.ts), trained on the labelled source texts
 * and the target's unlabelled texts, scored on the target test set. `adversarial: false` gives
 * the same network without the domain branch ("bag-of-words NN (source only)").
 */
export function bowDannBaseline(args: {
  labels: string[];
  source: LabelledTexts;
  targetUnlabelled: readonly string[];
  targetTest: LabelledTexts;
  seed: number;
  /** Default true. */
  adversarial?: boolean;
  options?: BowDannOptions;
}): BaselineRow {
  const adversarial = args.adversarial ?? true;
  const clf = trainBowDann({
    ...args.options,
    numClasses: args.labels.length,
    sourceTexts: args.source.texts,
    sourceLabels: args.source.labels,
    targetTexts: args.targetUnlabelled,
    adversarial,
    seed: args.seed,
  });
  const o = clf.options;
  const lam = o.lambda.schedule === 'ganin' ? `Ganin-scheduled GRL λ up to ${o.lambda.max}` : `constant GRL λ ${o.lambda.max}`;
  const net = `${o.maxFeatures} binary ${analyzerLabel(o)}-grams → ${o.hiddenSize} sigmoid units → softmax, AdamW lr ${o.lr}, ${o.epochs} epochs, batch ${o.batchSize}`;
  return adversarial
    ? {
        name: 'bag-of-words + DANN',
        description: `${net}; domain classifier on the hidden layer through the ${lam}; ${args.source.texts.length} labelled source + ${args.targetUnlabelled.length} unlabelled target texts (Ganin et al. 2016, shallow DANN)`,
        target: classificationMetrics(args.targetTest.labels, clf.predict(args.targetTest.texts), args.labels),
      }
    : {
        name: 'bag-of-words NN (source only)',
        description: `${net}; no domain branch; ${args.source.texts.length} labelled source texts`,
        target: classificationMetrics(args.targetTest.labels, clf.predict(args.targetTest.texts), args.labels),
      };
}
