import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/tensor/rng.js';
import { domainConfusion } from '../../src/eval/domain-confusion.js';

/** n rows of D = 16 Gaussian features; `shift` added to the first `dims` coordinates. */
function cloud(rng: Rng, n: number, shift = 0, dims = 16): Float32Array[] {
  return Array.from({ length: n }, () => Float32Array.from({ length: 16 }, (_, j) => rng.normal() + (j < dims ? shift : 0)));
}

test('identical distributions: held-out accuracy ≈ 0.5 over several seeds', () => {
  // Under the null the held-out accuracy of ANY classifier is Binomial(n, 0.5)/n; with
  // n = 300 held-out rows its standard deviation is sqrt(.25/300) ≈ 0.029. Bound each seed at
  // |acc − 0.5| <= 0.11 (≈ 3.8 sd) and the mean of 6 seeds at 0.05 (≈ 4 sd of the mean).
  const accs: number[] = [];
  for (let seed = 1; seed <= 6; seed++) {
    const rng = new Rng(100 + seed);
    const r = domainConfusion(cloud(rng, 300), cloud(rng, 350), seed);
    assert.equal(r.perDomain, 300, 'balanced to the smaller domain');
    assert.equal(r.n, 300);
    assert.equal(r.nTrain, 300);
    assert.ok(Math.abs(r.accuracy - 0.5) <= 0.11, `seed ${seed}: accuracy ${r.accuracy}`);
    assert.ok(Math.abs(r.proxyADistance - 2 * (1 - 2 * (1 - r.accuracy))) < 1e-12);
    accs.push(r.accuracy);
  }
  const mean = accs.reduce((a, b) => a + b) / accs.length;
  console.log(`# identical distributions: accuracies ${accs.map((a) => a.toFixed(3)).join(' ')}, mean ${mean.toFixed(3)}`);
  assert.ok(Math.abs(mean - 0.5) <= 0.05, `mean ${mean}`);
});

test('well separated domains: accuracy ≈ 1 and proxy A-distance ≈ 2', () => {
  const rng = new Rng(7);
  // mean shift 3 in every one of 16 dims: the Bayes error is Φ(−3·4/2) ≈ 1e-9.
  const r = domainConfusion(cloud(rng, 200, 3), cloud(rng, 200, 0), 1);
  assert.ok(r.accuracy >= 0.99, `accuracy ${r.accuracy}`);
  assert.ok(r.proxyADistance >= 1.96, `A-distance ${r.proxyADistance}`);
});

test('partial overlap lands in between, and the result is deterministic given the seed', () => {
  // shift 0.5 in one dimension: Bayes accuracy Φ(0.25) ≈ 0.599 (equal priors, equal variance).
  const rng = new Rng(11);
  const s = cloud(rng, 600, 0.5, 1);
  const t = cloud(rng, 600, 0, 1);
  const a = domainConfusion(s, t, 3);
  const b = domainConfusion(s, t, 3);
  assert.deepEqual(a, b);
  assert.ok(a.accuracy > 0.53 && a.accuracy < 0.67, `accuracy ${a.accuracy} (Bayes ≈ 0.599)`);
});

test('domainConfusion names bad input', () => {
  const rng = new Rng(1);
  assert.throws(() => domainConfusion(cloud(rng, 3), cloud(rng, 10), 0), /need at least 4 rows per domain \(got source 3, target 10\)/);
  const bad = [...cloud(rng, 5), new Float32Array(3)];
  assert.throws(() => domainConfusion(cloud(rng, 10), bad, 0), /targetFeats\[5\] has 3 features, source row 0 has 16/);
});
