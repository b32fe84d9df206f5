import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classificationMetrics, tokenClassificationMetrics, confusionMatrix } from '../../src/eval/metrics.js';
import { golden, maxDiff } from './golden.js';

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('classificationMetrics: hand-derived 4-class case (one class absent from truth and predictions)', () => {
  // true: a a a b b c c c c a   pred: a b a b c c c a c a
  // confusion [true][pred]:            a  b  c  d
  //   a (4 true)                     [ 3, 1, 0, 0 ]
  //   b (2 true)                     [ 0, 1, 1, 0 ]
  //   c (4 true)                     [ 1, 0, 3, 0 ]
  //   d (0 true)                     [ 0, 0, 0, 0 ]
  // accuracy = (3 + 1 + 3) / 10 = 0.7
  // a: P = 3/(3+0+1) = 0.75, R = 3/4 = 0.75 → F1 0.75
  // b: P = 1/(1+1)   = 0.5,  R = 1/2 = 0.5  → F1 0.5
  // c: P = 3/(0+1+3) = 0.75, R = 3/4 = 0.75 → F1 0.75
  // d: never true, never predicted → P = R = F1 = 0 (zero_division=0), and NOT averaged:
  // sklearn f1_score(average='macro') averages over unique_labels(y, p) = {a, b, c} → 2/3.
  const m = classificationMetrics([0, 0, 0, 1, 1, 2, 2, 2, 2, 0], [0, 1, 0, 1, 2, 2, 2, 0, 2, 0], ['a', 'b', 'c', 'd']);
  assert.equal(m.n, 10);
  close(m.accuracy, 0.7, 'accuracy');
  close(m.macroF1, 2 / 3, 'macroF1');
  assert.deepEqual(m.confusion, [
    [3, 1, 0, 0],
    [0, 1, 1, 0],
    [1, 0, 3, 0],
    [0, 0, 0, 0],
  ]);
  assert.deepEqual(
    m.perClass.map((c) => c.support),
    [4, 2, 4, 0],
  );
  assert.deepEqual(
    m.perClass.map((c) => c.label),
    ['a', 'b', 'c', 'd'],
  );
  [0.75, 0.5, 0.75, 0].forEach((v, i) => close(m.perClass[i]!.f1, v, `f1[${i}]`));
  [0.75, 0.5, 0.75, 0].forEach((v, i) => close(m.perClass[i]!.precision, v, `precision[${i}]`));
});

test('classificationMetrics: a class never predicted has precision 0 (zero_division=0)', () => {
  // true [x x y y], pred all x: accuracy 0.5; x: P = 2/4, R = 1, F1 = 2·0.5·1/1.5 = 2/3;
  // y: predicted 0 times → P = 0, R = 0/2 = 0, F1 = 0. y occurs in truth, so macro = (2/3 + 0)/2.
  const m = classificationMetrics([0, 0, 1, 1], [0, 0, 0, 0], ['x', 'y']);
  close(m.accuracy, 0.5, 'accuracy');
  close(m.perClass[0]!.f1, 2 / 3, 'f1 x');
  assert.equal(m.perClass[1]!.precision, 0);
  close(m.macroF1, 1 / 3, 'macroF1');
});

test(`classificationMetrics matches scikit-learn on ${golden.metrics.length} random cases`, () => {
  for (const g of golden.metrics) {
    const labels = Array.from({ length: g.k }, (_, i) => `c${i}`);
    const m = classificationMetrics(g.y, g.p, labels);
    close(m.accuracy, g.accuracy, `k=${g.k} accuracy`);
    close(m.macroF1, g.macroF1, `k=${g.k} macroF1`);
    assert.deepEqual(m.confusion, g.confusion);
    assert.ok(
      maxDiff(
        m.perClass.map((c) => c.precision),
        g.precision,
      ) < 1e-12,
    );
    assert.ok(
      maxDiff(
        m.perClass.map((c) => c.recall),
        g.recall,
      ) < 1e-12,
    );
    assert.ok(
      maxDiff(
        m.perClass.map((c) => c.f1),
        g.f1,
      ) < 1e-12,
    );
    assert.deepEqual(
      m.perClass.map((c) => c.support),
      g.support,
    );
  }
});

test('tokenClassificationMetrics: -100 positions are skipped; nested and flat inputs agree', () => {
  // seq 0: true [-100, 0, 1, -100], pred [1, 0, 0, 1] → scored pairs (0,0) (1,0)
  // seq 1: true [2, 2, -100],        pred [2, 1, 2]    → scored pairs (2,2) (2,1)
  // pooled: 4 positions, correct 2 → accuracy 0.5.
  // O(0): P = 1/2 (predicted twice: pairs (0,0),(1,0)), R = 1/1 → F1 = 2/3
  // B(1): P = 0/1, R = 0/1 → 0;  I(2): P = 1/1, R = 1/2 → F1 = 2/3;  macro = (2/3 + 0 + 2/3)/3 = 4/9
  const labels = ['O', 'B', 'I'];
  const m = tokenClassificationMetrics(
    [
      [-100, 0, 1, -100],
      [2, 2, -100],
    ],
    [
      [1, 0, 0, 1],
      [2, 1, 2],
    ],
    labels,
  );
  assert.equal(m.n, 4);
  close(m.accuracy, 0.5, 'accuracy');
  close(m.macroF1, 4 / 9, 'macroF1');
  const flat = tokenClassificationMetrics([-100, 0, 1, -100, 2, 2, -100], [1, 0, 0, 1, 2, 1, 2], labels);
  assert.deepEqual(flat, m);
  assert.throws(() => tokenClassificationMetrics([[0, 1]], [[0]], labels), /sequence 0: 2 true tags but 1 predicted/);
  assert.throws(() => tokenClassificationMetrics([-100, -100], [0, 0], labels), /every position is ignored/);
});

test('bad input gets a one-line error naming the problem', () => {
  assert.throws(() => classificationMetrics([0, 1], [0], ['a', 'b']), /trueIds has 2 entries but predIds has 1/);
  assert.throws(() => classificationMetrics([0, 2], [0, 1], ['a', 'b']), /trueIds\[1\] = 2 is not a class id in \[0, 2\)/);
  assert.throws(() => classificationMetrics([0, 1], [0, 0.5], ['a', 'b']), /predIds\[1\] = 0.5/);
  assert.throws(() => classificationMetrics([], [], ['a', 'b']), /no examples/);
  assert.throws(() => classificationMetrics([0], [0], []), /labels is empty/);
  assert.deepEqual(confusionMatrix(new Int32Array([1, 1]), new Int32Array([1, 0]), 2), [
    [0, 0],
    [1, 1],
  ]);
});
