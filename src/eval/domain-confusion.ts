// Domain confusion: how well can a FRESH classifier tell source features from target
// features? (Ben-David et al. 2007/2010; the proxy A-distance of Glorot et al. 2011 and
// Ganin et al. 2016.) After good alignment the two domains look alike: accuracy → 0.5 and the
// proxy A-distance 2(1 − 2ε) → 0; separable domains give accuracy 1 and distance 2.
//
// Protocol (deterministic given the seed):
//   1. balance: draw min(|S|, |T|) (capped by maxPerDomain) from each domain, without
//      replacement, so 0.5 really is chance;
//   2. split each domain's draw in half (odd counts: the extra one goes to test) → a
//      domain-stratified 50/50 train/test split;
//   3. fit L2 logistic regression (standardised features, C = 1 by default; see logreg.ts) on
//      the train half only;
//   4. ε = its error on the held-out half; proxy A-distance = 2(1 − 2ε), reported raw: it is
//      slightly negative when the held-out accuracy falls below 0.5 by chance.
// Shapes: features are rows of D floats (pooled encoder outputs), every row the same D.
import { Rng } from '../tensor/rng.js';
import { fitLogisticRegression } from './logreg.js';
import type { DomainConfusion } from './types.js';

export interface DomainConfusionOptions {
  /** Classifier inverse regularisation (sklearn C). Default 1. */
  C?: number;
  /** Use at most this many rows per domain (after balancing). Default: all. */
  maxPerDomain?: number;
  /** Fraction of each domain's draw used for training. Default 0.5. */
  trainFraction?: number;
}

export interface DomainConfusionResult extends DomainConfusion {
  /** Rows per domain after balancing (train + test). */
  perDomain: number;
  /** Rows the classifier was trained on (both domains). */
  nTrain: number;
}

export function domainConfusion(
  sourceFeats: ArrayLike<Float32Array | Float64Array>,
  targetFeats: ArrayLike<Float32Array | Float64Array>,
  seed: number,
  opts: DomainConfusionOptions = {},
): DomainConfusionResult {
  const trainFraction = opts.trainFraction ?? 0.5;
  if (!(trainFraction > 0 && trainFraction < 1)) {
    throw new Error(`domainConfusion: trainFraction must be in (0, 1), got ${trainFraction}`);
  }
  const perDomain = Math.min(sourceFeats.length, targetFeats.length, opts.maxPerDomain ?? Infinity);
  const nTrainEach = Math.floor(perDomain * trainFraction);
  if (nTrainEach < 2 || perDomain - nTrainEach < 1) {
    throw new Error(`domainConfusion: need at least 4 rows per domain (got source ${sourceFeats.length}, target ${targetFeats.length})`);
  }
  const d = sourceFeats[0]!.length;
  const check = (name: string, rows: ArrayLike<Float32Array | Float64Array>): void => {
    for (let i = 0; i < rows.length; i++) {
      if (rows[i]!.length !== d) {
        throw new Error(`domainConfusion: ${name}Feats[${i}] has ${rows[i]!.length} features, source row 0 has ${d}`);
      }
    }
  };
  check('source', sourceFeats);
  check('target', targetFeats);

  const rng = new Rng(seed);
  const pick = (rows: ArrayLike<Float32Array | Float64Array>): Array<Float32Array | Float64Array> => {
    const idx = rng.shuffle(Array.from({ length: rows.length }, (_, i) => i)).slice(0, perDomain);
    return idx.map((i) => rows[i]!);
  };
  const s = pick(sourceFeats);
  const t = pick(targetFeats);
  const trainX = [...s.slice(0, nTrainEach), ...t.slice(0, nTrainEach)];
  const trainY = [...new Array<number>(nTrainEach).fill(0), ...new Array<number>(nTrainEach).fill(1)];
  const testS = s.slice(nTrainEach);
  const testT = t.slice(nTrainEach);

  const model = fitLogisticRegression(trainX, trainY, { numClasses: 2, C: opts.C ?? 1 });
  const ps = model.predict(testS);
  const pt = model.predict(testT);
  let correct = 0;
  for (const p of ps) if (p === 0) correct++;
  for (const p of pt) if (p === 1) correct++;
  const n = testS.length + testT.length;
  const accuracy = correct / n;
  const err = 1 - accuracy;
  return { accuracy, proxyADistance: 2 * (1 - 2 * err), n, perDomain, nTrain: trainX.length };
}
