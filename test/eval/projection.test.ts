import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/tensor/rng.js';
import { fitPca2d, projectBeforeAfter } from '../../src/eval/projection.js';
import { golden } from './golden.js';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

test('fitPca2d matches sklearn PCA(2): components up to sign, variances', () => {
  const X = golden.pca.X.map((r) => Float32Array.from(r));
  const p = fitPca2d(X);
  for (let c = 0; c < 2; c++) {
    const cos = Math.abs(dot(p.components[c]!, golden.pca.components[c]!));
    assert.ok(cos > 1 - 1e-9, `component ${c}: |cos| = ${cos}`);
    const rel = Math.abs(p.explainedVariance[c]! - golden.pca.explained_variance_ddof0[c]!) / golden.pca.explained_variance_ddof0[c]!;
    assert.ok(rel < 1e-9, `variance ${c}: rel diff ${rel}`);
    assert.ok(Math.abs(p.explainedVarianceRatio[c]! - golden.pca.explained_variance_ratio[c]!) < 1e-9);
  }
  assert.ok(Math.abs(dot(p.components[0], p.components[1])) < 1e-10, 'orthogonal');
  // sign convention: the largest-magnitude coordinate of each component is positive
  for (const v of p.components) {
    const k = [...v].reduce((best, x, i, a) => (Math.abs(x) > Math.abs(a[best]!) ? i : best), 0);
    assert.ok(v[k]! > 0);
  }
  // projected coordinates are centred and their variance is the component variance
  const pts = p.transform(X);
  const mx = pts.reduce((s, q) => s + q.x, 0) / pts.length;
  const vx = pts.reduce((s, q) => s + (q.x - mx) ** 2, 0) / pts.length;
  assert.ok(Math.abs(mx) < 1e-4 && Math.abs(vx - p.explainedVariance[0]) / vx < 1e-6);
});

test('fitPca2d finds the right subspace when the top two eigenvalues are equal', () => {
  // Variance 9 along e0 and e1 (tie), 1 along the others: any orthonormal basis of span(e0, e1)
  // is correct; plain power iteration with deflation would wander here.
  const rng = new Rng(3);
  const X = Array.from({ length: 4000 }, () => Float64Array.from({ length: 8 }, (_, j) => rng.normal() * (j < 2 ? 3 : 1)));
  const p = fitPca2d(X);
  for (const v of p.components) {
    const inSpan = v[0]! ** 2 + v[1]! ** 2;
    assert.ok(inSpan > 0.98, `component energy in span(e0,e1) = ${inSpan}`);
  }
});

test('projectBeforeAfter: separate or shared axes, domains and labels carried, subsampled deterministically', () => {
  const rng = new Rng(5);
  const mk = (n: number, shift: number) => Array.from({ length: n }, () => Float32Array.from({ length: 6 }, (_, j) => rng.normal() + (j === 0 ? shift : 0)));
  const before = { source: mk(50, 4), target: mk(30, -4), sourceLabels: Array.from({ length: 50 }, (_, i) => (i % 2 ? 'pos' : 'neg')) };
  const after = { source: mk(50, 0.2), target: mk(30, -0.2) };
  const r = projectBeforeAfter(before, after, { maxPointsPerDomain: 40, seed: 9 });
  assert.equal(r.before.length, 70);
  assert.equal(r.before.filter((q) => q.domain === 'source').length, 40);
  assert.ok(r.before.filter((q) => q.domain === 'source').every((q) => q.label === 'pos' || q.label === 'neg'));
  assert.ok(r.before.filter((q) => q.domain === 'target').every((q) => q.label === undefined));
  // before: the domain shift dominates PC1, so the domains sit on opposite sides of 0.
  const meanX = (d: string) => r.before.filter((q) => q.domain === d).reduce((s, q) => s + q.x, 0) / r.before.filter((q) => q.domain === d).length;
  assert.ok(Math.abs(meanX('source') - meanX('target')) > 6, 'domain gap along PC1');
  assert.ok(r.explainedVarianceRatio.before[0] > 0.6 && r.explainedVarianceRatio.after[0] < 0.5);
  assert.deepEqual(projectBeforeAfter(before, after, { maxPointsPerDomain: 40, seed: 9 }), r);
  const shared = projectBeforeAfter(before, after, { sharedAxes: true });
  assert.deepEqual(shared.explainedVarianceRatio.before, shared.explainedVarianceRatio.after);
  assert.throws(() => fitPca2d([Float32Array.of(1, 2)]), /need at least 2 rows/);
  assert.throws(() => fitPca2d([Float32Array.of(1, 2), Float32Array.of(1)]), /row 1 has 1 features, row 0 has 2/);
});
