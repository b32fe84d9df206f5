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
import type { EncodedExample } from '../data/index.js';
import { fitLogisticRegression } from '../eval/logreg.js';
import { DomainDiscriminatorHead, SequenceClassificationHead, type AdapterModel } from '../models/index.js';
import { poolFeatures } from './evaluate.js';

export interface LinearProbeInit {
  /** Accuracy of the chosen probe on the rows it was fitted on. */
  trainAccuracy: number;
  /** Its accuracy on the validation rows (null without validation rows). */
  validationAccuracy: number | null;
  /** The regularisation chosen (sklearn C), by validation accuracy when there are validation rows. */
  C: number;
  rows: number;
  iterations: number;
}

/** Inverse regularisation strengths tried (sklearn C), strongest first: ties go to the simpler probe. */
export const PROBE_CS: readonly number[] = [0.01, 0.1, 1];

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

/**
 * Set the weights of sequence-classification head `head` to the logistic regression of its
 * labels on its own pooled features of `train` (adapter `adapter` active, eval mode); C from
 * `Cs` by accuracy on `validation` (the first C when there are no validation rows).
 * Returns null when the head is not a single Linear on a pooled vector (roberta style, token heads).
 */
export function linearProbeInit(
  model: AdapterModel,
  a: { head: string; adapter: string | null; train: readonly EncodedExample[]; validation?: readonly EncodedExample[]; batchSize: number; padId: number; Cs?: readonly number[] },
): LinearProbeInit | null {
  const h = model.getHead(a.head);
  if (!(h instanceof SequenceClassificationHead) || h.dense !== null) return null;
  if (a.train.length === 0) throw new Error(`head init: no training rows for head '${a.head}'`);
  const K = h.spec.numLabels;
  const Cs = a.Cs ?? PROBE_CS;
  if (Cs.length === 0 || Cs.some((c) => !(c > 0))) throw new Error(`head init: Cs must be positive numbers, got [${Cs.join(', ')}]`);
  const kind = h.pooling === 'pooler' ? 'pooled' : h.pooling;
  const feats = (rows: readonly EncodedExample[]) => poolFeatures(model, rows, { adapter: a.adapter, features: kind, batchSize: a.batchSize, padId: a.padId }); // [N][H]
  const X = feats(a.train);
  const y = labelsOf(a.train, K, a.head);
  const val = a.validation !== undefined && a.validation.length > 0 ? { X: feats(a.validation), y: labelsOf(a.validation, K, a.head) } : null;
  let best: { lr: ReturnType<typeof fitLogisticRegression>; C: number; acc: number | null } | null = null;
  for (const C of val === null ? Cs.slice(0, 1) : Cs) {
    const lr = fitLogisticRegression(X, y, { numClasses: K, C });
    const acc = val === null ? null : accuracy(lr.predict(val.X), val.y);
    if (best === null || (acc !== null && acc > best.acc!)) best = { lr, C, acc };
  }
  const { lr } = best!;
  const H = X[0]!.length;
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
  return { trainAccuracy: accuracy(lr.predict(X), y), validationAccuracy: best!.acc, C: best!.C, rows: X.length, iterations: lr.linear.fit.iterations };
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
