// The one numeric comparison of the test suite: every test that compares arrays of numbers
// (against PyTorch goldens, float64 references, the other kernel backend) goes through here,
// so the NaN rules are the same everywhere:
//   - NaN in `actual` where `expected` is finite (or the reverse) is a failure, wherever it
//     sits in the array (a later finite element never hides it);
//   - NaN in both at the same place is a match (NaN propagation is checked on purpose);
//   - infinities must be equal (same sign) to match.
// Two tolerance shapes are offered, because the suite uses both:
//   elementwise  |a - e| <= atol + rtol * |e|                       (assertClose)
//   scaled       max|a - e| <= tol * max(floor, max|e|)             (assertScaledClose)
import assert from 'node:assert/strict';

export interface ArrayDiff {
  /** Largest |actual - expected| over the elements; Infinity when some element mismatches in NaN/Inf. */
  maxAbs: number;
  /** Index of that element (-1 when the arrays are equal). */
  at: number;
  /** max |expected| over the finite elements (the tensor's scale). */
  scale: number;
  /** First index where one side is NaN/±Inf and the other is not the same value, or -1. */
  badAt: number;
}

type Nums = ArrayLike<number>;

/** Compares two equally long arrays; throws when the lengths differ. NaN-safe across elements. */
export function arrayDiff(actual: Nums, expected: Nums, what = 'array'): ArrayDiff {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} elements, expected ${expected.length}`);
  let maxAbs = 0;
  let at = -1;
  let scale = 0;
  let badAt = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isFinite(e)) scale = Math.max(scale, Math.abs(e));
    if (a === e) continue; // also equal infinities
    if (Number.isNaN(a) && Number.isNaN(e)) continue;
    if (!Number.isFinite(a) || !Number.isFinite(e)) {
      // NaN on one side only, or an infinity against anything else
      if (badAt < 0) badAt = i;
      maxAbs = Infinity;
      at = badAt;
      continue;
    }
    const d = Math.abs(a - e);
    if (d > maxAbs) {
      maxAbs = d;
      at = i;
    }
  }
  return { maxAbs, at, scale, badAt };
}

/** Elementwise: |actual[i] - expected[i]| <= atol + rtol * |expected[i]| for every i (NaN-safe). */
export function assertClose(actual: Nums, expected: Nums, what: string, { rtol = 1e-5, atol = 1e-6 }: { rtol?: number; atol?: number } = {}): ArrayDiff {
  const d = arrayDiff(actual, expected, what);
  if (d.badAt >= 0) assert.fail(`${what}[${d.badAt}]: got ${actual[d.badAt]}, expected ${expected[d.badAt]}`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (a === e || (Number.isNaN(a) && Number.isNaN(e))) continue;
    const err = Math.abs(a - e);
    if (!(err <= atol + rtol * Math.abs(e))) {
      assert.fail(`${what}[${i}]: got ${a}, expected ${e} (|diff| ${err.toExponential(2)} > ${atol} + ${rtol}*|expected|)`);
    }
  }
  return d;
}

/** One number: |actual - expected| <= atol + rtol * |expected| (NaN fails). */
export function assertNear(actual: number, expected: number, what: string, opts: { rtol?: number; atol?: number } = {}): void {
  assertClose([actual], [expected], what, opts);
}

export interface ScaledDiff extends ArrayDiff {
  /** maxAbs / max(floor, scale): the error relative to the tensor's largest magnitude. */
  rel: number;
}

/** max|actual - expected| relative to max(floor, max|expected|); Infinity on any NaN/Inf mismatch. */
export function scaledDiff(actual: Nums, expected: Nums, what = 'array', floor = 0): ScaledDiff {
  const d = arrayDiff(actual, expected, what);
  const denom = Math.max(floor, d.scale);
  return { ...d, rel: d.maxAbs === 0 ? 0 : denom === 0 ? Infinity : d.maxAbs / denom };
}

/** max|actual - expected| <= tol * max(floor, max|expected|), NaN-safe. Returns the measured difference. */
export function assertScaledClose(actual: Nums, expected: Nums, what: string, tol: number, floor = 0): ScaledDiff {
  const d = scaledDiff(actual, expected, what, floor);
  if (d.badAt >= 0) assert.fail(`${what}[${d.badAt}]: got ${actual[d.badAt]}, expected ${expected[d.badAt]}`);
  assert.ok(
    d.rel <= tol,
    `${what}: max |diff| ${d.maxAbs} at [${d.at}] (got ${actual[d.at]}, expected ${expected[d.at]}), ` + `relative to max(${floor}, max|expected| = ${d.scale}): ${d.rel} > ${tol}`,
  );
  return d;
}
