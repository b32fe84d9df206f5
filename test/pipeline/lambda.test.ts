// The Ganin schedule of the gradient-reversal strength: λ(p) = 2/(1+e^(−10p)) − 1.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { grlLambda, progressOf } from '../../src/optim/lambda.js';
import { deriveSeed } from '../../src/engine/seeds.js';

describe('λ schedule', () => {
  it('follows 2/(1+e^(−10p)) − 1 from 0 to ~1', () => {
    assert.equal(grlLambda(0), 0);
    assert.ok(Math.abs(grlLambda(0.1) - 0.46211715726000974) < 1e-12, String(grlLambda(0.1))); // tanh(0.5)
    assert.ok(Math.abs(grlLambda(0.5) - 0.9866142981514303) < 1e-12);
    assert.ok(Math.abs(grlLambda(1) - 0.9999092042625951) < 1e-12);
    for (let p = 0; p < 1; p += 0.05) assert.ok(grlLambda(p + 0.05) > grlLambda(p), 'increasing');
    assert.equal(grlLambda(2), grlLambda(1), 'progress is clamped');
  });

  it('scales by max, changes with gamma, and has a constant variant', () => {
    const s = { schedule: 'ganin' as const, gamma: 5, max: 0.1 };
    assert.ok(Math.abs(grlLambda(0.5, s) - 0.1 * (2 / (1 + Math.exp(-2.5)) - 1)) < 1e-15);
    assert.equal(grlLambda(0, { schedule: 'constant', gamma: 10, max: 0.3 }), 0.3);
    assert.throws(() => grlLambda(NaN), /progress must be a finite number/);
  });

  it('progress runs from 0 at the first step to 1 at the last', () => {
    assert.equal(progressOf(0, 11), 0);
    assert.equal(progressOf(5, 11), 0.5);
    assert.equal(progressOf(10, 11), 1);
    assert.equal(progressOf(0, 1), 1);
  });

  it('derived seeds differ per name and are stable', () => {
    assert.equal(deriveSeed(42, 'stage1', 'epoch', 0), deriveSeed(42, 'stage1', 'epoch', 0));
    const seen = new Set([deriveSeed(42, 'stage1', 'epoch', 0), deriveSeed(42, 'stage1', 'epoch', 1), deriveSeed(43, 'stage1', 'epoch', 0), deriveSeed(42, 'stage2', 'epoch', 0)]);
    assert.equal(seen.size, 4);
  });
});
