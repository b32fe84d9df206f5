// L2-regularised logistic regression, fitted full-batch and deterministically with L-BFGS.
// Used as the domain classifier of the domain-confusion measure (dense pooled features) and,
// through `fitLinearLogistic`, by the TF-IDF baseline (sparse rows).
//
// Objective — the same minimiser as sklearn `LogisticRegression(C, solver='lbfgs')`:
//     f(W, b) = (1/N) Σ_i loss_i(W x_i + b)  +  ‖W‖² / (2 C N)
// (sklearn minimises C·Σ loss + ½‖W‖²; dividing by C·N changes the scale, not the argmin, and
// keeps gradients O(1) whatever N is). The intercept is not penalised (as sklearn).
//   K = 2: binary logistic with ONE weight vector (sklearn's binary case; a 2-class softmax with
//          L2 on both rows would be a different, doubly-regularised model), loss = log(1+e^z) − y z.
//   K > 2: multinomial softmax (sklearn's default multi_class='auto' with lbfgs),
//          loss = logsumexp(z) − z_y.
// `fitLogisticRegression` standardises features first (mean 0, population std 1 per column,
// like sklearn StandardScaler; a constant column keeps scale 1), so C means the same thing
// whatever the scale of the encoder's features.
// Shapes: N examples, D features, K classes, V = (K == 2 ? 1 : K) weight vectors.
import { DenseMatrix, type DesignMatrix } from './design-matrix.js';
import { minimizeLbfgs, type LbfgsResult } from './lbfgs.js';

export interface LogisticOptions {
  /** Inverse regularisation strength, sklearn's C. Default 1. */
  C?: number;
  /** Default true. */
  fitIntercept?: boolean;
  /** L-BFGS iterations. Default 500. */
  maxIter?: number;
  /** Max-abs-gradient tolerance on the mean objective. Default 1e-6. */
  gtol?: number;
  /**
   * Per-row weights (sklearn's `sample_weight`): row i's loss counts s_i times, so an integer
   * weight equals repeating the row; the penalty is unchanged. Default: every row 1.
   */
  sampleWeight?: ArrayLike<number>;
}

/** A fitted linear model over D features (in whatever space it was fitted). */
export interface LinearLogistic {
  numClasses: number; // K
  cols: number; // D
  /** [V*D], V = 1 for K = 2 (weights of class 1), else K. */
  weights: Float64Array;
  /** [V]. */
  intercepts: Float64Array;
  /** Optimiser summary (iterations, final objective, why it stopped). */
  fit: Pick<LbfgsResult, 'f' | 'iterations' | 'evaluations' | 'converged' | 'reason'>;
}

function logistic(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** Fit on any DesignMatrix; labels are class ids in [0, numClasses). */
export function fitLinearLogistic(X: DesignMatrix, y: ArrayLike<number>, numClasses: number, opts: LogisticOptions = {}): LinearLogistic {
  const n = X.rows;
  const d = X.cols;
  const C = opts.C ?? 1;
  const fitIntercept = opts.fitIntercept ?? true;
  if (y.length !== n) throw new Error(`fitLinearLogistic: ${n} rows but ${y.length} labels`);
  if (n === 0) throw new Error('fitLinearLogistic: no training examples');
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new Error(`fitLinearLogistic: numClasses must be an integer >= 2, got ${numClasses}`);
  }
  if (!(C > 0) || !Number.isFinite(C)) throw new Error(`fitLinearLogistic: C must be a positive number, got ${C}`);
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new Error(`fitLinearLogistic: label[${i}] = ${v} is not a class id in [0, ${numClasses})`);
    }
  }
  const sw = opts.sampleWeight;
  checkSampleWeight('fitLinearLogistic', n, sw);
  const V = numClasses === 2 ? 1 : numClasses;
  const nw = V * d;
  const reg = 1 / (C * n);
  const z = new Float64Array(V); // [V] logits of one row
  const coef = new Float64Array(V); // [V] dloss/dz of one row

  const objective = (w: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      X.rowDot(i, w, V, z);
      if (fitIntercept) for (let c = 0; c < V; c++) z[c] += w[nw + c]!;
      const yi = y[i]!;
      const si = sw === undefined ? 1 : sw[i]!;
      if (V === 1) {
        const t = yi === 1 ? 1 : 0;
        loss += si * (softplus(z[0]!) - t * z[0]!);
        coef[0] = si * (logistic(z[0]!) - t);
      } else {
        let mx = -Infinity;
        for (let c = 0; c < V; c++) if (z[c]! > mx) mx = z[c]!;
        let se = 0;
        for (let c = 0; c < V; c++) se += Math.exp(z[c]! - mx);
        const lse = mx + Math.log(se);
        loss += si * (lse - z[yi]!);
        for (let c = 0; c < V; c++) coef[c] = si * (Math.exp(z[c]! - lse) - (c === yi ? 1 : 0));
      }
      X.rowAxpy(i, coef, V, grad);
      if (fitIntercept) for (let c = 0; c < V; c++) grad[nw + c] += coef[c]!;
    }
    let sq = 0;
    for (let j = 0; j < nw; j++) sq += w[j]! * w[j]!;
    const inv = 1 / n;
    for (let j = 0; j < nw + (fitIntercept ? V : 0); j++) grad[j] *= inv;
    for (let j = 0; j < nw; j++) grad[j] += reg * w[j]!;
    return loss * inv + 0.5 * reg * sq;
  };

  const x0 = new Float64Array(nw + (fitIntercept ? V : 0));
  const r = minimizeLbfgs(objective, x0, { maxIter: opts.maxIter ?? 500, gtol: opts.gtol ?? 1e-6 });
  return {
    numClasses,
    cols: d,
    weights: r.x.slice(0, nw),
    intercepts: fitIntercept ? r.x.slice(nw) : new Float64Array(V),
    fit: { f: r.f, iterations: r.iterations, evaluations: r.evaluations, converged: r.converged, reason: r.reason },
  };
}

/** Class probabilities [N][K] of a fitted linear model on the rows of X. */
export function linearLogisticProba(model: LinearLogistic, X: DesignMatrix): Float64Array[] {
  if (X.cols !== model.cols) throw new Error(`linearLogisticProba: model has ${model.cols} features, input has ${X.cols}`);
  const K = model.numClasses;
  const V = K === 2 ? 1 : K;
  const z = new Float64Array(V);
  const out: Float64Array[] = [];
  for (let i = 0; i < X.rows; i++) {
    X.rowDot(i, model.weights, V, z);
    const p = new Float64Array(K);
    if (V === 1) {
      p[1] = logistic(z[0]! + model.intercepts[0]!);
      p[0] = 1 - p[1]!;
    } else {
      let mx = -Infinity;
      for (let c = 0; c < K; c++) {
        z[c] += model.intercepts[c]!;
        if (z[c]! > mx) mx = z[c]!;
      }
      let se = 0;
      for (let c = 0; c < K; c++) se += p[c] = Math.exp(z[c]! - mx);
      for (let c = 0; c < K; c++) p[c] /= se;
    }
    out.push(p);
  }
  return out;
}

/** Arg-max class of each probability row (ties → lowest id, as numpy argmax). */
export function argmaxRows(proba: Float64Array[]): Int32Array {
  const out = new Int32Array(proba.length);
  for (let i = 0; i < proba.length; i++) {
    const p = proba[i]!;
    let best = 0;
    for (let c = 1; c < p.length; c++) if (p[c]! > p[best]!) best = c;
    out[i] = best;
  }
  return out;
}

/** Dense logistic regression with built-in standardisation. */
export interface LogisticRegressionModel {
  numClasses: number;
  /** Column means and scales used to standardise (x - mean) / scale, [D] each. */
  mean: Float64Array;
  scale: Float64Array;
  /** The linear model in standardised space. */
  linear: LinearLogistic;
  /** [N][K] probabilities. */
  predictProba(X: ArrayLike<Float32Array | Float64Array>): Float64Array[];
  /** [N] class ids. */
  predict(X: ArrayLike<Float32Array | Float64Array>): Int32Array;
}

export interface FitLogisticRegressionOptions extends LogisticOptions {
  /** Number of classes; default max(y) + 1 (at least 2). */
  numClasses?: number;
  /** Standardise columns before fitting (default true). */
  standardize?: boolean;
}

function toStandardized(fn: string, X: ArrayLike<Float32Array | Float64Array>, d: number, mean: Float64Array, scale: Float64Array): DenseMatrix {
  const n = X.length;
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const row = X[i]!;
    if (row.length !== d) throw new Error(`${fn}: row ${i} has ${row.length} features, expected ${d}`);
    for (let j = 0; j < d; j++) {
      const v = row[j]!;
      if (!Number.isFinite(v)) throw new Error(`${fn}: row ${i} feature ${j} is ${v} (features must be finite)`);
      data[i * d + j] = (v - mean[j]!) / scale[j]!;
    }
  }
  return new DenseMatrix(data, n, d);
}

function checkSampleWeight(fn: string, n: number, sw: ArrayLike<number> | undefined): void {
  if (sw === undefined) return;
  if (sw.length !== n) throw new Error(`${fn}: ${n} rows but ${sw.length} sample weights`);
  for (let i = 0; i < n; i++) if (!(sw[i]! >= 0) || !Number.isFinite(sw[i]!)) throw new Error(`${fn}: sample weight ${i} = ${sw[i]} (must be a finite number >= 0)`);
}

/**
 * Fit multinomial (K > 2) or binary (K = 2) logistic regression on dense rows X[N][D] with
 * labels y[N] in [0, K). Deterministic: same inputs → bit-identical model.
 */
export function fitLogisticRegression(X: ArrayLike<Float32Array | Float64Array>, y: ArrayLike<number>, opts: FitLogisticRegressionOptions = {}): LogisticRegressionModel {
  const n = X.length;
  if (n === 0) throw new Error('fitLogisticRegression: no training rows');
  if (y.length !== n) throw new Error(`fitLogisticRegression: ${n} rows but ${y.length} labels`);
  const d = X[0]!.length;
  if (d === 0) throw new Error('fitLogisticRegression: rows have 0 features');
  let maxY = 0;
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    if (!Number.isInteger(v) || v < 0) throw new Error(`fitLogisticRegression: label[${i}] = ${v} is not a class id (integer >= 0)`);
    maxY = Math.max(maxY, v);
  }
  const K = opts.numClasses ?? Math.max(2, maxY + 1);
  const mean = new Float64Array(d);
  const scale = new Float64Array(d).fill(1);
  if (opts.standardize ?? true) {
    // weighted like sklearn's StandardScaler(sample_weight): a row of weight 2 counts twice
    const sw = opts.sampleWeight;
    checkSampleWeight('fitLogisticRegression', n, sw);
    const wt = (i: number) => (sw === undefined ? 1 : sw[i]!);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const row = X[i]!;
      if (row.length !== d) throw new Error(`fitLogisticRegression: row ${i} has ${row.length} features, expected ${d}`);
      const w = wt(i);
      total += w;
      for (let j = 0; j < d; j++) mean[j] += w * row[j]!;
    }
    if (!(total > 0)) throw new Error('fitLogisticRegression: the sample weights sum to 0');
    for (let j = 0; j < d; j++) mean[j] /= total;
    const v = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const row = X[i]!;
      const w = wt(i);
      for (let j = 0; j < d; j++) {
        const c = row[j]! - mean[j]!;
        v[j] += w * c * c;
      }
    }
    for (let j = 0; j < d; j++) {
      const s = Math.sqrt(v[j]! / total);
      scale[j] = s > 1e-12 * Math.max(1, Math.abs(mean[j]!)) ? s : 1;
    }
  }
  const Xs = toStandardized('fitLogisticRegression', X, d, mean, scale);
  const linear = fitLinearLogistic(Xs, y, K, opts);
  const predictProba = (Q: ArrayLike<Float32Array | Float64Array>): Float64Array[] => linearLogisticProba(linear, toStandardized('LogisticRegressionModel.predictProba', Q, d, mean, scale));
  return {
    numClasses: K,
    mean,
    scale,
    linear,
    predictProba,
    predict: (Q) => argmaxRows(predictProba(Q)),
  };
}
