import { test } from 'node:test';
import assert from 'node:assert/strict';
import { minimizeLbfgs } from '../../src/eval/lbfgs.js';
import { fitLogisticRegression } from '../../src/eval/logreg.js';
import { CsrMatrix, DenseMatrix } from '../../src/eval/design-matrix.js';
import { golden, maxDiff } from './golden.js';

test('minimizeLbfgs: exact minimum of a convex quadratic and of the Rosenbrock function', () => {
  // f(x) = ½ xᵀ A x − bᵀ x with A = [[4,1],[1,3]], b = [1,2] → x* = A⁻¹ b = [1/11, 7/11].
  const q = minimizeLbfgs(
    (x, g) => {
      g[0] = 4 * x[0]! + x[1]! - 1;
      g[1] = x[0]! + 3 * x[1]! - 2;
      return 0.5 * (4 * x[0]! ** 2 + 2 * x[0]! * x[1]! + 3 * x[1]! ** 2) - x[0]! - 2 * x[1]!;
    },
    new Float64Array([5, -5]),
    { gtol: 1e-12 },
  );
  assert.ok(q.converged, q.reason);
  assert.ok(maxDiff(q.x, [1 / 11, 7 / 11]) < 1e-9, `${[...q.x]}`);
  // Rosenbrock (non-convex, curved valley): minimum at (1, 1).
  const r = minimizeLbfgs(
    (x, g) => {
      const [a, b] = [x[0]!, x[1]!];
      g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
      g[1] = 200 * (b - a * a);
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    },
    new Float64Array([-1.2, 1]),
    { gtol: 1e-9, maxIter: 1000 },
  );
  assert.ok(maxDiff(r.x, [1, 1]) < 1e-6, `rosenbrock ended at ${[...r.x]} (${r.reason}, ${r.iterations} it)`);
});

for (const g of golden.logreg) {
  test(`fitLogisticRegression matches sklearn StandardScaler + LogisticRegression (K=${g.k}, C=${g.C})`, () => {
    const X = g.X.map((r) => Float32Array.from(r));
    const m = fitLogisticRegression(X, g.y, { C: g.C, gtol: 1e-10 });
    assert.ok(m.linear.fit.converged, `L-BFGS stopped on ${m.linear.fit.reason}`);
    assert.equal(m.numClasses, g.k);
    assert.ok(maxDiff(m.mean, g.mean) < 1e-9 * Math.max(...g.mean.map(Math.abs), 1), 'standardiser mean');
    assert.ok(maxDiff(m.scale, g.scale) < 1e-9 * Math.max(...g.scale), 'standardiser scale');
    const dCoef = maxDiff(m.linear.weights, g.coef.flat());
    const dInt = maxDiff(m.linear.intercepts, g.intercept);
    const proba = m.predictProba(g.Xq.map((r) => Float32Array.from(r)));
    const dP = maxDiff(
      proba.flatMap((p) => [...p]),
      g.proba.flat(),
    );
    console.log(`# K=${g.k}: max |Δcoef| ${dCoef.toExponential(2)}, |Δintercept| ${dInt.toExponential(2)}, |Δproba| ${dP.toExponential(2)}`);
    assert.ok(dCoef < 1e-6 && dInt < 1e-6 && dP < 1e-7, `coef ${dCoef} intercept ${dInt} proba ${dP}`);
  });
}

test('fitLogisticRegression is deterministic and its predictions follow the data', () => {
  const g = golden.logreg[1]!;
  const X = g.X.map((r) => Float32Array.from(r));
  const a = fitLogisticRegression(X, g.y, { C: g.C });
  const b = fitLogisticRegression(X, g.y, { C: g.C });
  assert.deepEqual([...a.linear.weights], [...b.linear.weights]);
  const train = a.predict(X);
  let correct = 0;
  train.forEach((p, i) => (correct += p === g.y[i] ? 1 : 0));
  assert.ok(correct / X.length > 0.6, `train accuracy ${correct / X.length} on separable-ish clusters`);
});

test('dense and CSR design matrices give the same model', async () => {
  const { fitLinearLogistic } = await import('../../src/eval/logreg.js');
  // 4 rows x 3 cols with zeros; CSR holds only the non-zeros.
  const dense = [1, 0, 2, 0, 3, 0, 4, 0, 0, 0, 1, 1];
  const D = new DenseMatrix(Float64Array.from(dense), 4, 3);
  const S = new CsrMatrix(Int32Array.from([0, 2, 3, 4, 6]), Int32Array.from([0, 2, 1, 0, 1, 2]), Float64Array.from([1, 2, 3, 4, 1, 1]), 3);
  for (const k of [2, 3]) {
    const y = k === 2 ? [0, 1, 0, 1] : [0, 1, 2, 1];
    const a = fitLinearLogistic(D, y, k, { C: 0.7 });
    const b = fitLinearLogistic(S, y, k, { C: 0.7 });
    assert.ok(maxDiff(a.weights, b.weights) < 1e-12 && maxDiff(a.intercepts, b.intercepts) < 1e-12);
  }
});

test('sample weights: weight 2 is the row twice, weight 0 is the row left out (standardisation included)', () => {
  for (const g of golden.logreg.slice(0, 2)) {
    const X = g.X.map((r) => Float32Array.from(r));
    const w = X.map((_, i) => (i % 5 === 0 ? 2 : i % 7 === 3 ? 0 : 1));
    const Xr: Float32Array[] = [];
    const yr: number[] = [];
    X.forEach((r, i) => {
      for (let k = 0; k < w[i]!; k++) {
        Xr.push(r);
        yr.push(g.y[i]!);
      }
    });
    const K = Math.max(2, ...g.y.map((v) => v + 1));
    const a = fitLogisticRegression(X, g.y, { C: g.C, numClasses: K, sampleWeight: w, gtol: 1e-10 });
    const b = fitLogisticRegression(Xr, yr, { C: g.C, numClasses: K, gtol: 1e-10 });
    assert.ok(maxDiff(a.mean, b.mean) < 1e-9 && maxDiff(a.scale, b.scale) < 1e-9, 'weighted standardisation');
    assert.ok(maxDiff(a.linear.weights, b.linear.weights) < 1e-5 && maxDiff(a.linear.intercepts, b.linear.intercepts) < 1e-5, `K=${K}: ${maxDiff(a.linear.weights, b.linear.weights)}`);
    // and the weights matter: unit weights give another model
    const c = fitLogisticRegression(X, g.y, { C: g.C, numClasses: K, gtol: 1e-10 });
    assert.ok(maxDiff(a.linear.weights, c.linear.weights) > 1e-3);
  }
  const X = [Float32Array.of(1, 2), Float32Array.of(3, 4)];
  assert.throws(() => fitLogisticRegression(X, [0, 1], { sampleWeight: [1] }), /2 rows but 1 sample weights/);
  assert.throws(() => fitLogisticRegression(X, [0, 1], { sampleWeight: [1, -1] }), /sample weight 1 = -1/);
  assert.throws(() => fitLogisticRegression(X, [0, 1], { sampleWeight: [0, 0] }), /sample weights sum to 0/);
});

test('logistic regression rejects bad input with a named reason', () => {
  const X = [Float32Array.of(1, 2), Float32Array.of(3, 4)];
  assert.throws(() => fitLogisticRegression(X, [0]), /2 rows but 1 labels/);
  assert.throws(() => fitLogisticRegression([Float32Array.of(1, 2), Float32Array.of(3)], [0, 1]), /row 1 has 1 features, expected 2/);
  assert.throws(() => fitLogisticRegression([Float32Array.of(1, NaN), Float32Array.of(3, 4)], [0, 1]), /row 0 feature 1 is NaN/);
  assert.throws(() => fitLogisticRegression(X, [0, 1], { C: 0 }), /C must be a positive number/);
  assert.throws(() => fitLogisticRegression(X, [0, 1.5]), /label\[1\] = 1.5/);
  const m = fitLogisticRegression(X, [0, 1]);
  assert.throws(() => m.predict([Float32Array.of(1, 2, 3)]), /predictProba: row 0 has 3 features, expected 2/);
});
