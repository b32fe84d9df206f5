// Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, Alg. 7.4 two-loop recursion)
// for the smooth convex objectives of the evaluation classifiers (L2-regularised logistic
// regression). Deterministic: plain float64 arithmetic in a fixed order, no randomness.
//
// Line search: backtracking from step 1 (the quasi-Newton step; on the first iteration the
// step is scaled to length 1) until the Armijo sufficient-decrease condition holds, halving
// then using a safeguarded quadratic interpolation. Why not a full Wolfe search: on a strictly
// convex objective Armijo backtracking plus skipping updates with too little curvature
// (s·y <= 1e-10 |s||y|) keeps the inverse-Hessian approximation positive definite, which is
// all L-BFGS needs; it is simpler and has no bracketing failure modes.
//
// Stopping: ‖g‖∞ <= gtol (sklearn's lbfgs uses the same max-abs-gradient test, tol=1e-4 on
// its mean-loss objective), or relative decrease of f below ftol over an iteration, or
// maxIter iterations.
// Shapes: P parameters; every vector is Float64Array[P].

export interface LbfgsOptions {
  /** Maximum iterations (each costs >= 1 objective+gradient evaluation). Default 500. */
  maxIter?: number;
  /** History pairs kept. Default 10 (scipy's default). */
  memory?: number;
  /** Stop when max |g_i| <= gtol. Default 1e-6. */
  gtol?: number;
  /** Stop when (f_prev - f) <= ftol * max(|f_prev|, |f|, 1). Default 64·eps ≈ 1.4e-14, the value sklearn passes to scipy. */
  ftol?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
  evaluations: number;
  /** True when stopped by gtol or ftol (as scipy: f cannot decrease further in float64). */
  converged: boolean;
  /** Why it stopped: 'gtol' | 'ftol' | 'maxIter' | 'lineSearch'. */
  reason: 'gtol' | 'ftol' | 'maxIter' | 'lineSearch';
}

/** Objective: returns f(x) and writes ∇f(x) into `grad` (overwriting it). */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]!);
    if (v > m) m = v;
  }
  return m;
}

export function minimizeLbfgs(fg: Objective, x0: Float64Array, opts: LbfgsOptions = {}): LbfgsResult {
  const maxIter = opts.maxIter ?? 500;
  const m = opts.memory ?? 10;
  const gtol = opts.gtol ?? 1e-6;
  const ftol = opts.ftol ?? 64 * Number.EPSILON;
  const p = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(p);
  let f = fg(x, g);
  let evaluations = 1;
  if (!Number.isFinite(f)) throw new Error(`minimizeLbfgs: objective is ${f} at the starting point`);

  const sHist: Float64Array[] = [];
  const yHist: Float64Array[] = [];
  const rhoHist: number[] = [];
  const alpha = new Float64Array(m);
  const d = new Float64Array(p);
  let xNew = new Float64Array(p);
  let gNew = new Float64Array(p);

  for (let iter = 0; iter < maxIter; iter++) {
    if (maxAbs(g) <= gtol) return { x, f, iterations: iter, evaluations, converged: true, reason: 'gtol' };

    // Two-loop recursion: d = -H g.
    for (let i = 0; i < p; i++) d[i] = -g[i]!;
    const h = sHist.length;
    for (let j = h - 1; j >= 0; j--) {
      const a = rhoHist[j]! * dot(sHist[j]!, d);
      alpha[j] = a;
      const yj = yHist[j]!;
      for (let i = 0; i < p; i++) d[i] -= a * yj[i]!;
    }
    if (h > 0) {
      // Initial Hessian scaling γ = s·y / y·y of the newest pair (N&W eq. 7.20).
      const gamma = dot(sHist[h - 1]!, yHist[h - 1]!) / dot(yHist[h - 1]!, yHist[h - 1]!);
      for (let i = 0; i < p; i++) d[i] *= gamma;
    }
    for (let j = 0; j < h; j++) {
      const b = rhoHist[j]! * dot(yHist[j]!, d);
      const sj = sHist[j]!;
      const c = alpha[j]! - b;
      for (let i = 0; i < p; i++) d[i] += c * sj[i]!;
    }
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      sHist.length = 0;
      yHist.length = 0;
      rhoHist.length = 0;
      for (let i = 0; i < p; i++) d[i] = -g[i]!;
      slope = dot(g, d);
    }

    let step = h === 0 ? 1 / Math.max(Math.sqrt(dot(d, d)), 1e-300) : 1;
    let fNew = Infinity;
    let accepted = false;
    for (let ls = 0; ls < 60; ls++) {
      for (let i = 0; i < p; i++) xNew[i] = x[i]! + step * d[i]!;
      fNew = fg(xNew, gNew);
      evaluations++;
      if (Number.isFinite(fNew) && fNew <= f + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      // Minimiser of the quadratic through f, slope and fNew, kept within [0.1, 0.5]·step.
      let next = 0.5 * step;
      if (Number.isFinite(fNew)) {
        const q = (-slope * step * step) / (2 * (fNew - f - slope * step));
        if (Number.isFinite(q)) next = Math.min(0.5 * step, Math.max(0.1 * step, q));
      }
      step = next;
    }
    if (!accepted) return { x, f, iterations: iter, evaluations, converged: false, reason: 'lineSearch' };

    const s = new Float64Array(p);
    const y = new Float64Array(p);
    for (let i = 0; i < p; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-10 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (sHist.length === m) {
        sHist.shift();
        yHist.shift();
        rhoHist.shift();
      }
      sHist.push(s);
      yHist.push(y);
      rhoHist.push(1 / sy);
    }
    const fPrev = f;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    f = fNew;
    if (fPrev - f <= ftol * Math.max(Math.abs(fPrev), Math.abs(f), 1)) {
      // Like scipy's L-BFGS-B: no further progress is possible in float64 → a converged result.
      return { x, f, iterations: iter + 1, evaluations, converged: true, reason: 'ftol' };
    }
  }
  return { x, f, iterations: maxIter, evaluations, converged: maxAbs(g) <= gtol, reason: 'maxIter' };
}
