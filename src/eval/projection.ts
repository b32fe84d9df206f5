// 2-D PCA of pooled features for the before/after-alignment scatter plot.
//
// Method: subspace (block power) iteration with 2 vectors on the centred data, never forming
// the D x D covariance: each step computes V ← orth(Xᵀ(X V)) (cost 2·N·D·2), then a 2 x 2
// Rayleigh–Ritz rotation orders/aligns the two directions with the top eigenvectors. Block
// iteration converges to the top-2 subspace even when λ1 ≈ λ2 (plain power iteration with
// deflation would stall there). Deterministic: fixed start vectors, fixed arithmetic order.
// Sign convention: each component is flipped so that its largest-magnitude coordinate is
// positive, so the plot does not mirror between runs on the same data.
// Shapes: N rows of D features; components are [2][D]; points [N] of (x, y).
import { Rng } from '../tensor/rng.js';
import type { Point } from './types.js';

export interface Pca2d {
  /** Column means subtracted before projecting, [D]. */
  mean: Float64Array;
  /** Unit principal directions, [2][D]. */
  components: [Float64Array, Float64Array];
  /** Variance along each component (population, divided by N). */
  explainedVariance: [number, number];
  /** Share of the total variance each component explains. */
  explainedVarianceRatio: [number, number];
  /** Project rows onto the two components. */
  transform(rows: ArrayLike<Float32Array | Float64Array>): Array<{ x: number; y: number }>;
}

export interface PcaOptions {
  /** Maximum subspace iterations. Default 500. */
  maxIter?: number;
  /** Stop when the subspace moves less than this (1 − |cos| of both directions). Default 1e-12. */
  tol?: number;
}

function norm(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

function dotv(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Gram–Schmidt on (a, b) in place; returns false if the pair is rank-deficient. */
function orthonormalize(a: Float64Array, b: Float64Array): boolean {
  const na = norm(a);
  if (!(na > 1e-300)) return false;
  for (let i = 0; i < a.length; i++) a[i] /= na;
  const p = dotv(a, b);
  for (let i = 0; i < b.length; i++) b[i] -= p * a[i]!;
  const nb = norm(b);
  if (!(nb > 1e-300)) return false;
  for (let i = 0; i < b.length; i++) b[i] /= nb;
  return true;
}

export function fitPca2d(rows: ArrayLike<Float32Array | Float64Array>, opts: PcaOptions = {}): Pca2d {
  const n = rows.length;
  if (n < 2) throw new Error(`fitPca2d: need at least 2 rows, got ${n}`);
  const d = rows[0]!.length;
  if (d < 2) throw new Error(`fitPca2d: need at least 2 features, got ${d}`);
  const X = new Float64Array(n * d); // [N*D] centred
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    if (r.length !== d) throw new Error(`fitPca2d: row ${i} has ${r.length} features, row 0 has ${d}`);
    for (let j = 0; j < d; j++) {
      if (!Number.isFinite(r[j]!)) throw new Error(`fitPca2d: row ${i} feature ${j} is ${r[j]}`);
      mean[j] += r[j]!;
    }
  }
  for (let j = 0; j < d; j++) mean[j] /= n;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    for (let j = 0; j < d; j++) {
      const c = r[j]! - mean[j]!;
      X[i * d + j] = c;
      total += c * c;
    }
  }
  total /= n;

  // C v = Xᵀ X v / N, without forming C.
  const xv = new Float64Array(n);
  const covTimes = (v: Float64Array, out: Float64Array): void => {
    for (let i = 0; i < n; i++) {
      let s = 0;
      const o = i * d;
      for (let j = 0; j < d; j++) s += X[o + j]! * v[j]!;
      xv[i] = s;
    }
    out.fill(0);
    for (let i = 0; i < n; i++) {
      const a = xv[i]! / n;
      const o = i * d;
      for (let j = 0; j < d; j++) out[j] += a * X[o + j]!;
    }
  };

  const rng = new Rng(0x5eed);
  let a = Float64Array.from({ length: d }, () => rng.normal());
  let b = Float64Array.from({ length: d }, () => rng.normal());
  orthonormalize(a, b);
  let ca = new Float64Array(d);
  let cb = new Float64Array(d);
  const maxIter = opts.maxIter ?? 500;
  const tol = opts.tol ?? 1e-12;
  for (let it = 0; it < maxIter; it++) {
    covTimes(a, ca);
    covTimes(b, cb);
    if (!orthonormalize(ca, cb)) {
      // Rank < 2 (e.g. all rows on a line): keep what we have; the second variance is ~0.
      if (norm(ca) > 0) {
        // ca normalised already by orthonormalize's first step; b any unit vector orthogonal to it.
        b.fill(0);
        let k = 0;
        for (let j = 1; j < d; j++) if (Math.abs(ca[j]!) < Math.abs(ca[k]!)) k = j;
        b[k] = 1;
        const p = dotv(ca, b);
        for (let j = 0; j < d; j++) b[j] -= p * ca[j]!;
        const nb = norm(b);
        for (let j = 0; j < d; j++) b[j] /= nb;
        a = ca;
      }
      break;
    }
    const moved = 2 - Math.abs(dotv(a, ca)) - Math.abs(dotv(b, cb));
    [a, ca] = [ca, a];
    [b, cb] = [cb, b];
    if (it > 2 && moved < tol) break;
  }

  // Rayleigh–Ritz: eigen-decompose the 2 x 2 matrix [aᵀCa aᵀCb; bᵀCa bᵀCb].
  covTimes(a, ca);
  covTimes(b, cb);
  const m11 = dotv(a, ca);
  const m12 = dotv(a, cb);
  const m22 = dotv(b, cb);
  const theta = 0.5 * Math.atan2(2 * m12, m11 - m22);
  const cs = Math.cos(theta);
  const sn = Math.sin(theta);
  const v1 = new Float64Array(d);
  const v2 = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    v1[j] = cs * a[j]! + sn * b[j]!;
    v2[j] = -sn * a[j]! + cs * b[j]!;
  }
  const l1 = cs * cs * m11 + 2 * cs * sn * m12 + sn * sn * m22;
  const l2 = sn * sn * m11 - 2 * cs * sn * m12 + cs * cs * m22;
  let comps: [Float64Array, Float64Array] = [v1, v2];
  let vars: [number, number] = [Math.max(l1, 0), Math.max(l2, 0)];
  if (vars[1] > vars[0]) {
    comps = [v2, v1];
    vars = [vars[1], vars[0]];
  }
  for (const v of comps) {
    let k = 0;
    for (let j = 1; j < d; j++) if (Math.abs(v[j]!) > Math.abs(v[k]!)) k = j;
    if (v[k]! < 0) for (let j = 0; j < d; j++) v[j] = -v[j]!;
  }

  const transform = (q: ArrayLike<Float32Array | Float64Array>): Array<{ x: number; y: number }> => {
    const out: Array<{ x: number; y: number }> = [];
    for (let i = 0; i < q.length; i++) {
      const r = q[i]!;
      if (r.length !== d) throw new Error(`Pca2d.transform: row ${i} has ${r.length} features, the PCA was fitted on ${d}`);
      let x = 0;
      let y = 0;
      for (let j = 0; j < d; j++) {
        const c = r[j]! - mean[j]!;
        x += c * comps[0][j]!;
        y += c * comps[1][j]!;
      }
      out.push({ x, y });
    }
    return out;
  };
  return {
    mean,
    components: comps,
    explainedVariance: vars,
    explainedVarianceRatio: [total > 0 ? vars[0] / total : 0, total > 0 ? vars[1] / total : 0],
    transform,
  };
}

export interface FeatureSnapshot {
  source: ArrayLike<Float32Array | Float64Array>;
  target: ArrayLike<Float32Array | Float64Array>;
  /** Optional label name per row, shown as marker shape. */
  sourceLabels?: ArrayLike<string>;
  targetLabels?: ArrayLike<string>;
}

export interface ProjectionOptions extends PcaOptions {
  /**
   * false (default): fit one PCA per snapshot on its pooled source ∪ target rows — each plot
   * shows its own two main directions. true: fit one PCA on all rows of both snapshots, so the
   * two plots share axes (only meaningful when both feature spaces are comparable).
   */
  sharedAxes?: boolean;
  /** Subsample each domain of each snapshot to at most this many points (seeded). Default 400. */
  maxPointsPerDomain?: number;
  seed?: number;
}

/** The metrics.json `projection` field: 2-D points before and after alignment. */
export function projectBeforeAfter(
  before: FeatureSnapshot,
  after: FeatureSnapshot,
  opts: ProjectionOptions = {},
): { before: Point[]; after: Point[]; explainedVarianceRatio: { before: [number, number]; after: [number, number] } } {
  const cap = opts.maxPointsPerDomain ?? 400;
  const rng = new Rng(opts.seed ?? 0);
  const sample = (len: number): number[] => {
    const idx = Array.from({ length: len }, (_, i) => i);
    return len <= cap
      ? idx
      : rng
          .shuffle(idx)
          .slice(0, cap)
          .sort((x, y) => x - y);
  };
  const take = (snap: FeatureSnapshot) => {
    const si = sample(snap.source.length);
    const ti = sample(snap.target.length);
    const rows = [...si.map((i) => snap.source[i]!), ...ti.map((i) => snap.target[i]!)];
    const meta: Array<Omit<Point, 'x' | 'y'>> = [...si.map((i) => withLabel('source', snap.sourceLabels?.[i])), ...ti.map((i) => withLabel('target', snap.targetLabels?.[i]))];
    return { rows, meta };
  };
  const b = take(before);
  const a = take(after);
  const pcaB = opts.sharedAxes ? fitPca2d([...b.rows, ...a.rows], opts) : fitPca2d(b.rows, opts);
  const pcaA = opts.sharedAxes ? pcaB : fitPca2d(a.rows, opts);
  const pts = (pca: Pca2d, s: { rows: Array<Float32Array | Float64Array>; meta: Array<Omit<Point, 'x' | 'y'>> }): Point[] => pca.transform(s.rows).map((p, i) => ({ x: p.x, y: p.y, ...s.meta[i]! }));
  return {
    before: pts(pcaB, b),
    after: pts(pcaA, a),
    explainedVarianceRatio: { before: pcaB.explainedVarianceRatio, after: pcaA.explainedVarianceRatio },
  };
}

function withLabel(domain: 'source' | 'target', label: string | undefined): Omit<Point, 'x' | 'y'> {
  return label === undefined ? { domain } : { domain, label };
}
