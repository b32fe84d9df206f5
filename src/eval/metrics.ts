// Classification metrics with scikit-learn semantics, so numbers here can be compared with
// numbers a Python user computes on the same predictions:
//   - precision/recall/F1 per class as `precision_recall_fscore_support(zero_division=0)`:
//     a class never predicted has precision 0, a class never true has recall 0, F1 = 0 when
//     precision + recall = 0;
//   - macro-F1 as `f1_score(y, p, average='macro', zero_division=0)` WITHOUT a `labels=`
//     argument: the unweighted mean over the classes that occur in the truth or in the
//     predictions (sklearn's `unique_labels(y_true, y_pred)`). A class absent from both does
//     not drag the mean to 0; it is still listed in `perClass` with zeros and support 0.
// Shapes: N examples, K = labels.length classes; confusion is [K true][K pred].
import { IGNORE_INDEX } from '../tensor/index.js';
import type { ClassScores, Metrics } from './types.js';

function checkId(fn: string, what: string, i: number, v: number, k: number): void {
  if (!Number.isInteger(v) || v < 0 || v >= k) {
    throw new Error(`${fn}: ${what}[${i}] = ${v} is not a class id in [0, ${k}) (labels: ${k})`);
  }
}

/** Confusion counts [true][pred] of N examples over K classes. */
export function confusionMatrix(trueIds: ArrayLike<number>, predIds: ArrayLike<number>, k: number): number[][] {
  if (trueIds.length !== predIds.length) {
    throw new Error(`confusionMatrix: trueIds has ${trueIds.length} entries but predIds has ${predIds.length}`);
  }
  const c = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < trueIds.length; i++) {
    const t = trueIds[i]!;
    const p = predIds[i]!;
    checkId('confusionMatrix', 'trueIds', i, t, k);
    checkId('confusionMatrix', 'predIds', i, p, k);
    c[t]![p]! += 1;
  }
  return c;
}

/** Accuracy, macro-F1 and per-class scores from a [true][pred] confusion matrix. */
export function metricsFromConfusion(confusion: number[][], labels: string[]): Metrics {
  const k = labels.length;
  if (confusion.length !== k || confusion.some((r) => r.length !== k)) {
    throw new Error(`metricsFromConfusion: confusion must be ${k}x${k} for ${k} labels`);
  }
  let n = 0;
  let correct = 0;
  const perClass: ClassScores[] = [];
  let f1Sum = 0;
  let present = 0;
  for (let c = 0; c < k; c++) {
    const tp = confusion[c]![c]!;
    let support = 0; // row sum: examples truly c
    let predicted = 0; // column sum: examples predicted c
    for (let j = 0; j < k; j++) {
      support += confusion[c]![j]!;
      predicted += confusion[j]![c]!;
    }
    n += support;
    correct += tp;
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perClass.push({ label: labels[c]!, precision, recall, f1, support });
    if (support > 0 || predicted > 0) {
      f1Sum += f1;
      present++;
    }
  }
  if (n === 0) throw new Error('classificationMetrics: no examples to score (empty input)');
  return {
    n,
    accuracy: correct / n,
    macroF1: present > 0 ? f1Sum / present : 0,
    labels: [...labels],
    perClass,
    confusion: confusion.map((r) => [...r]),
  };
}

/**
 * Sequence-classification metrics. `trueIds[i]`, `predIds[i]` are class ids into `labels`.
 * Throws on length mismatch, ids out of range, or no examples.
 */
export function classificationMetrics(trueIds: ArrayLike<number>, predIds: ArrayLike<number>, labels: string[]): Metrics {
  if (labels.length === 0) throw new Error('classificationMetrics: labels is empty');
  return metricsFromConfusion(confusionMatrix(trueIds, predIds, labels.length), labels);
}

/**
 * Token-classification (sequence-labelling) metrics, token level: every position whose TRUE
 * tag is `ignoreIndex` (-100: padding, special tokens, non-first sub-tokens) is skipped, the
 * remaining positions of all sequences are pooled and scored like `classificationMetrics`
 * (what `sklearn` gives on the flattened non-ignored arrays). Accepts either one flat array
 * per side or one array per sequence (`[S][T_s]`); the predictions at ignored positions may
 * be anything. Entity-level (seqeval) scores are a different metric and not computed here.
 */
export function tokenClassificationMetrics(
  trueTags: ArrayLike<number> | ArrayLike<ArrayLike<number>>,
  predTags: ArrayLike<number> | ArrayLike<ArrayLike<number>>,
  labels: string[],
  ignoreIndex: number = IGNORE_INDEX,
): Metrics {
  if (labels.length === 0) throw new Error('tokenClassificationMetrics: labels is empty');
  const t: number[] = [];
  const p: number[] = [];
  const nested = (a: ArrayLike<unknown>): boolean => a.length > 0 && typeof a[0] !== 'number';
  if (nested(trueTags) !== nested(predTags) && trueTags.length > 0 && predTags.length > 0) {
    throw new Error('tokenClassificationMetrics: trueTags and predTags must both be flat or both be per-sequence arrays');
  }
  if (trueTags.length !== predTags.length) {
    throw new Error(`tokenClassificationMetrics: trueTags has ${trueTags.length} entries but predTags has ${predTags.length}`);
  }
  const add = (tt: ArrayLike<number>, pp: ArrayLike<number>, where: string): void => {
    if (tt.length !== pp.length) {
      throw new Error(`tokenClassificationMetrics: ${where}: ${tt.length} true tags but ${pp.length} predicted`);
    }
    for (let i = 0; i < tt.length; i++) {
      if (tt[i] === ignoreIndex) continue;
      t.push(tt[i]!);
      p.push(pp[i]!);
    }
  };
  if (nested(trueTags)) {
    const ts = trueTags as ArrayLike<ArrayLike<number>>;
    const ps = predTags as ArrayLike<ArrayLike<number>>;
    for (let s = 0; s < ts.length; s++) add(ts[s]!, ps[s]!, `sequence ${s}`);
  } else {
    add(trueTags as ArrayLike<number>, predTags as ArrayLike<number>, 'flat arrays');
  }
  if (t.length === 0) throw new Error(`tokenClassificationMetrics: every position is ignored (${ignoreIndex}); nothing to score`);
  return metricsFromConfusion(confusionMatrix(t, p, labels.length), labels);
}
