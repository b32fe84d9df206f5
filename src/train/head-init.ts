// Linear-probe initialisation of a new classification head: LP-FT (Kumar et al., ICLR 2022,
// "Fine-Tuning can Distort Pretrained Features and Underperform Out-of-Distribution"). A random
// head sends large, uninformative gradients into the encoder during the first steps and distorts
// the features the target domain relies on; a head that already reads the frozen features well
// (a logistic regression fitted on them) makes fine-tuning start where a linear probe ends.
// On a weakly pretrained backbone it also removes the early plateau where a random head on
// low-variance features learns nothing (stage 1 predicting one class).
//
// The regression is fitted on standardised features (src/eval/logreg.ts, L2, C) and folded back
// into the head's raw-feature Linear: W = W_s / σ, b = b_s − Σ_j W_s[j] μ_j / σ_j. Two classes:
// sklearn's binary model (one vector w, bias b) as the symmetric softmax rows ±w/2, ±b/2.
// Only heads that are one Linear on a pooled vector (the bert style) are initialised this way.
//
// Stage 3 may add the source domain's labelled rows to the probe (`source`): after stages 1–2 the
// two domains' features share one space (centred, aligned), so 1,600 source labels next to 200
// target labels give the probe more to go on than the few-shot rows alone. Their total weight
// relative to the few-shot rows is a candidate list chosen on target validation with C (0 = no
// source rows). The few-shot-only ablation has no aligned space and never gets them.
import type { EncodedExample } from '../data/index.js';
import { fitLogisticRegression } from '../eval/logreg.js';
import { DomainDiscriminatorHead, SequenceClassificationHead, type AdapterModel } from '../models/index.js';
import { poolFeatures } from './evaluate.js';

export interface LinearProbeInit {
  /** Accuracy of the chosen probe on the training rows (`train`; source rows not counted). */
  trainAccuracy: number;
  /** Its accuracy on the validation rows (null without validation rows). */
  validationAccuracy: number | null;
  /** The regularisation chosen (sklearn C), by validation accuracy when there are validation rows. */
  C: number;
  /** Total weight of the source rows relative to the training rows' in the chosen probe (0 = none). */
  sourceWeight: number;
  /** Training rows of the chosen probe (source rows included when it has them). */
  rows: number;
  iterations: number;
}

/** Inverse regularisation strengths tried (sklearn C), strongest first: ties go to the simpler probe. */
export const PROBE_CS: readonly number[] = [0.01, 0.1, 1];

/** Mean negative log-likelihood of the labels: breaks ties between probes of equal accuracy. */
function logLoss(proba: readonly Float64Array[], y: Int32Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s -= Math.log(Math.max(proba[i]![y[i]!]!, 1e-300));
  return s / y.length;
}

function accuracy(pred: Int32Array, y: Int32Array): number {
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === y[i]) ok++;
  return ok / pred.length;
}

function labelsOf(rows: readonly EncodedExample[], K: number, head: string): Int32Array {
  const bad = rows.find((e) => !(e.label >= 0 && e.label < K));
  if (bad !== undefined) throw new Error(`head init: ${bad.where} has no label for head '${head}' (${K} classes)`);
  return Int32Array.from(rows, (e) => e.label);
}

/** Labelled rows of another domain added to a probe: their adapter and centre, and candidate total weights. */
export interface ProbeSourceRows {
  rows: readonly EncodedExample[];
  adapter: string | null;
  /** Whose centre their features are taken relative to (the source domain's). */
  domain: string;
  /** Candidate total weights of these rows relative to the training rows' total (0 = leave them out). */
  weights: readonly number[];
}

/**
 * Set the weights of sequence-classification head `head` to the logistic regression of its
 * labels on its own pooled features of `train` (adapter `adapter` active, eval mode); C from
 * `Cs` (and the weight of the `source` rows, when given) by accuracy on `validation`, ties to the
 * lower validation log-loss (the first candidate when there are no validation rows).
 * Returns null when the head is not a single Linear on a pooled vector (roberta style, token heads).
 */
export function linearProbeInit(
  model: AdapterModel,
  a: {
    head: string;
    adapter: string | null;
    /** Whose centre the training and validation rows' features are taken relative to (default: the adapter's domain). */
    domain?: string;
    train: readonly EncodedExample[];
    validation?: readonly EncodedExample[];
    source?: ProbeSourceRows;
    batchSize: number;
    padId: number;
    Cs?: readonly number[];
  },
): LinearProbeInit | null {
  const h = model.getHead(a.head);
  if (!(h instanceof SequenceClassificationHead) || h.dense !== null) return null;
  if (a.train.length === 0) throw new Error(`head init: no training rows for head '${a.head}'`);
  const K = h.spec.numLabels;
  const Cs = a.Cs ?? PROBE_CS;
  if (Cs.length === 0 || Cs.some((c) => !(c > 0))) throw new Error(`head init: Cs must be positive numbers, got [${Cs.join(', ')}]`);
  const weights = a.source === undefined || a.source.rows.length === 0 ? [0] : a.source.weights;
  if (weights.length === 0 || weights.some((w) => !(w >= 0) || !Number.isFinite(w))) throw new Error(`head init: source weights must be finite numbers >= 0, got [${weights.join(', ')}]`);
  const kind = h.pooling === 'pooler' ? 'pooled' : h.pooling;
  const feats = (rows: readonly EncodedExample[], adapter: string | null, domain?: string) =>
    poolFeatures(model, rows, { adapter, features: kind, batchSize: a.batchSize, padId: a.padId, ...(domain !== undefined ? { domain } : {}) }); // [N][H]
  const Xt = feats(a.train, a.adapter, a.domain);
  const yt = labelsOf(a.train, K, a.head);
  const src = weights.some((w) => w > 0) ? { X: feats(a.source!.rows, a.source!.adapter, a.source!.domain), y: labelsOf(a.source!.rows, K, a.head) } : null;
  const val = a.validation !== undefined && a.validation.length > 0 ? { X: feats(a.validation, a.adapter, a.domain), y: labelsOf(a.validation, K, a.head) } : null;
  type Fit = { lr: ReturnType<typeof fitLogisticRegression>; C: number; sourceWeight: number; rows: number; acc: number | null; loss: number | null };
  let best: Fit | null = null;
  for (const w of val === null ? weights.slice(0, 1) : weights) {
    const withSource = w > 0 && src !== null;
    const X = withSource ? [...Xt, ...src.X] : Xt;
    const y = withSource ? Int32Array.from([...yt, ...src.y]) : yt;
    // per-row weight of a source row: the source rows together weigh w times the training rows
    const sampleWeight = withSource ? Float64Array.from(X, (_, i) => (i < Xt.length ? 1 : (w * Xt.length) / src.X.length)) : undefined;
    for (const C of val === null ? Cs.slice(0, 1) : Cs) {
      const lr = fitLogisticRegression(X, y, { numClasses: K, C, ...(sampleWeight !== undefined ? { sampleWeight } : {}) });
      const acc = val === null ? null : accuracy(lr.predict(val.X), val.y);
      const loss = val === null ? null : logLoss(lr.predictProba(val.X), val.y);
      const better = best === null || (acc !== null && (acc > best.acc! || (acc === best.acc && loss! < best.loss!)));
      if (better) best = { lr, C, sourceWeight: withSource ? w : 0, rows: X.length, acc, loss };
    }
  }
  const { lr } = best!;
  const H = Xt[0]!.length;
  const V = K === 2 ? 1 : K;
  const { mean, scale } = lr;
  const ws = lr.linear.weights; // [V*H], standardised space
  const bs = lr.linear.intercepts; // [V]
  const W = h.out.weight.data; // [K,H]
  const B = h.out.bias!.data; // [K]
  for (let v = 0; v < V; v++) {
    let b = bs[v]!;
    const row = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      row[j] = ws[v * H + j]! / scale[j]!;
      b -= row[j]! * mean[j]!;
    }
    if (K === 2) {
      for (let j = 0; j < H; j++) {
        W[j] = -row[j]! / 2;
        W[H + j] = row[j]! / 2;
      }
      B[0] = -b / 2;
      B[1] = b / 2;
    } else {
      for (let j = 0; j < H; j++) W[v * H + j] = row[j]!;
      B[v] = b;
    }
  }
  return { trainAccuracy: accuracy(lr.predict(Xt), yt), validationAccuracy: best!.acc, C: best!.C, sourceWeight: best!.sourceWeight, rows: best!.rows, iterations: lr.linear.fit.iterations };
}

/** Rows per domain whose features set the discriminator's input statistics. */
export const DISCRIMINATOR_STATS_ROWS = 512;

/**
 * The discriminator's fixed input standardisation (DomainDiscriminatorSpec.standardize) from its
 * own features of both domains at the start of stage 2, each domain weighing half: mean = the
 * average of the two domain means, variance = the average of the two domains' variances around
 * that mean (so neither the 70/30 mix nor the domains' sizes tilt it).
 */
export function setDiscriminatorStatistics(
  model: AdapterModel,
  disc: string,
  a: {
    source: { adapter: string | null; domain: string; rows: readonly EncodedExample[] };
    target: { adapter: string | null; domain: string; rows: readonly EncodedExample[] };
    batchSize: number;
    padId: number;
  },
): void {
  const h = model.getHead(disc);
  if (!(h instanceof DomainDiscriminatorHead)) throw new Error(`head '${disc}' is not a domain_discriminator head`);
  const f = h.spec.features ?? 'pooled';
  const X = [a.source, a.target].map((d) => {
    if (d.rows.length === 0) throw new Error('discriminator statistics: a domain has no rows');
    return poolFeatures(model, d.rows, { adapter: d.adapter, domain: d.domain, features: f, batchSize: a.batchSize, padId: a.padId });
  });
  const H = X[0]![0]!.length;
  const mean = new Float64Array(H);
  for (const rows of X) for (const r of rows) for (let j = 0; j < H; j++) mean[j] += r[j]! / rows.length / X.length;
  const v = new Float64Array(H);
  for (const rows of X) {
    for (const r of rows) {
      for (let j = 0; j < H; j++) {
        const c = r[j]! - mean[j]!;
        v[j] += (c * c) / rows.length / X.length;
      }
    }
  }
  h.setInputStatistics(
    mean,
    Float64Array.from(v, (x) => 1 / Math.sqrt(x + 1e-12)),
  );
}
