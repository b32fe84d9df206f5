// Every op's analytic gradient against central finite differences (float32 data, eps 1e-3,
// loss L = sum(out * W) accumulated in float64). Pass criterion for every input element:
// |analytic - numeric| <= 1e-3 + 1e-2 * |numeric| (a few ops state a looser bound below).
// Each case runs on the js backend and, when the addon loads, on the native backend.
import assert from 'node:assert/strict';
import {
  Rng,
  Tensor,
  add,
  addScalar,
  attention,
  concat,
  crossEntropy,
  div,
  dropout,
  embedding,
  gatherRows,
  gelu,
  gradientReversal,
  layerNorm,
  linear,
  matmul,
  mean,
  meanPool,
  mul,
  relu,
  reshape,
  scale,
  sigmoid,
  slice,
  softmax,
  sub,
  sum,
  tanh,
  transpose,
} from '../../src/tensor/index.js';
import { gradCheck, randTensor, testBothBackends } from './helpers.js';

interface Case {
  name: string;
  setup: (rng: Rng) => { inputs: Tensor[]; f: () => Tensor };
  rtol?: number;
  atol?: number;
  /** The analytic gradient must equal gradFactor × finite differences (default 1). */
  gradFactor?: number;
}

const cases: Case[] = [];
const add_ = (c: Case) => cases.push(c);

for (const [tA, tB] of [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const) {
  add_({
    name: `matmul 2-D transA=${tA} transB=${tB}`,
    setup: (r) => {
      const a = randTensor(r, tA ? [4, 3] : [3, 4]);
      const b = randTensor(r, tB ? [5, 4] : [4, 5]);
      return { inputs: [a, b], f: () => matmul(a, b, { transA: tA, transB: tB }) };
    },
  });
  add_({
    name: `matmul 3-D transA=${tA} transB=${tB}`,
    setup: (r) => {
      const a = randTensor(r, tA ? [2, 4, 3] : [2, 3, 4]);
      const b = randTensor(r, tB ? [2, 5, 4] : [2, 4, 5]);
      return { inputs: [a, b], f: () => matmul(a, b, { transA: tA, transB: tB }) };
    },
  });
}
add_({
  name: 'linear 3-D x with bias',
  setup: (r) => {
    const x = randTensor(r, [2, 3, 4]);
    const w = randTensor(r, [5, 4]);
    const b = randTensor(r, [5]);
    return { inputs: [x, w, b], f: () => linear(x, w, b) };
  },
});
add_({
  name: 'linear 2-D x without bias',
  setup: (r) => {
    const x = randTensor(r, [3, 4]);
    const w = randTensor(r, [2, 4]);
    return { inputs: [x, w], f: () => linear(x, w) };
  },
});
const binary = { add, sub, mul, div } as const;
for (const [opName, op] of Object.entries(binary)) {
  for (const bShape of [[2, 3, 4], [4], [3, 4], [1], []] as number[][]) {
    add_({
      name: `${opName} a [2, 3, 4] with b [${bShape.join(', ')}]`,
      setup: (r) => {
        const a = randTensor(r, [2, 3, 4]);
        // div: keep b away from 0 so the stencil does not straddle a pole.
        const b = randTensor(r, bShape, { awayFromZero: opName === 'div' ? 0.5 : undefined });
        return { inputs: [a, b], f: () => op(a, b) };
      },
    });
  }
}
add_({
  name: 'scale',
  setup: (r) => {
    const a = randTensor(r, [3, 4]);
    return { inputs: [a], f: () => scale(a, -1.7) };
  },
});
add_({
  name: 'addScalar',
  setup: (r) => {
    const a = randTensor(r, [3, 4]);
    return { inputs: [a], f: () => addScalar(a, 0.3) };
  },
});
add_({
  name: 'gelu',
  setup: (r) => {
    const a = randTensor(r, [4, 6], { scale: 2 });
    return { inputs: [a], f: () => gelu(a) };
  },
});
add_({
  name: 'tanh',
  setup: (r) => {
    const a = randTensor(r, [4, 6]);
    return { inputs: [a], f: () => tanh(a) };
  },
});
add_({
  name: 'relu',
  setup: (r) => {
    const a = randTensor(r, [4, 6], { awayFromZero: 0.05 });
    return { inputs: [a], f: () => relu(a) };
  },
});
add_({
  name: 'sigmoid',
  setup: (r) => {
    const a = randTensor(r, [4, 6], { scale: 2 });
    return { inputs: [a], f: () => sigmoid(a) };
  },
});
add_({
  name: 'layerNorm',
  setup: (r) => {
    const x = randTensor(r, [2, 3, 8]);
    const g = randTensor(r, [8]);
    const b = randTensor(r, [8]);
    return { inputs: [x, g, b], f: () => layerNorm(x, g, b, 1e-12) };
  },
});
add_({
  name: 'softmax',
  setup: (r) => {
    const x = randTensor(r, [2, 3, 5]);
    return { inputs: [x], f: () => softmax(x) };
  },
});
const mask = Float32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]); // [B=2, T=5], second row padded
add_({
  name: 'attention with padding mask',
  setup: (r) => {
    const q = randTensor(r, [2, 5, 6]);
    const k = randTensor(r, [2, 5, 6]);
    const v = randTensor(r, [2, 5, 6]);
    return { inputs: [q, k, v], f: () => attention(q, k, v, mask, 2) };
  },
});
add_({
  name: 'attention with dropout (fixed seed) and no mask',
  setup: (r) => {
    const q = randTensor(r, [2, 4, 6]);
    const k = randTensor(r, [2, 4, 6]);
    const v = randTensor(r, [2, 4, 6]);
    return { inputs: [q, k, v], f: () => attention(q, k, v, null, 3, { dropout: 0.3, training: true, rng: new Rng(9) }) };
  },
});
add_({
  name: 'attention with q = k = v (self-attention of one tensor)',
  setup: (r) => {
    const x = randTensor(r, [1, 4, 4]);
    return { inputs: [x], f: () => attention(x, x, x, null, 2) };
  },
});
add_({
  name: 'dropout (fixed seed)',
  setup: (r) => {
    const x = randTensor(r, [4, 6]);
    return { inputs: [x], f: () => dropout(x, 0.4, true, new Rng(3)) };
  },
});
add_({
  name: 'embedding with repeated ids',
  setup: (r) => {
    const w = randTensor(r, [6, 3]);
    const ids = Int32Array.from([1, 4, 1, 0, 5, 1]);
    return { inputs: [w], f: () => embedding(w, ids, [2, 3]) };
  },
});
add_({
  name: 'crossEntropy with an ignored row',
  setup: (r) => {
    const x = randTensor(r, [4, 5]);
    const t = Int32Array.from([2, -100, 0, 4]);
    return { inputs: [x], f: () => crossEntropy(x, t) };
  },
});
// gradientReversal is deliberately NOT the true gradient: one reversal with λ = 0.7 (neither
// sign nor scale can cancel) under a nonlinearity, checked as analytic = -0.7 × finite differences
// (the forward is the identity, so the finite differences are the unreversed gradient).
add_({
  name: 'gradientReversal λ=0.7 under tanh(c·x) (analytic = -0.7 × finite differences)',
  setup: (r) => {
    const x = randTensor(r, [3, 4]);
    const c = randTensor(r, [3, 4], { requiresGrad: false }); // constant: every path to x goes through the reversal
    return { inputs: [x], f: () => tanh(mul(gradientReversal(x, 0.7), c)) };
  },
  gradFactor: -0.7,
});
add_({
  name: 'reshape (-1) then tanh',
  setup: (r) => {
    const x = randTensor(r, [2, 6]);
    return { inputs: [x], f: () => tanh(reshape(x, [3, -1])) };
  },
});
add_({
  name: 'transpose dims 0,2 of 4-D',
  setup: (r) => {
    const x = randTensor(r, [2, 3, 4, 2]);
    return { inputs: [x], f: () => transpose(x, 0, 2) };
  },
});
add_({
  name: 'transpose dims -1,-2',
  setup: (r) => {
    const x = randTensor(r, [2, 3, 4]);
    return { inputs: [x], f: () => transpose(x, -1, -2) };
  },
});
add_({
  name: 'slice dim 1',
  setup: (r) => {
    const x = randTensor(r, [2, 5, 3]);
    return { inputs: [x], f: () => slice(x, 1, 1, 4) };
  },
});
add_({
  name: 'concat dim 1',
  setup: (r) => {
    const a = randTensor(r, [2, 2, 3]);
    const b = randTensor(r, [2, 1, 3]);
    const c = randTensor(r, [2, 3, 3]);
    return { inputs: [a, b, c], f: () => concat([a, b, c], 1) };
  },
});
add_({
  name: 'gatherRows with repeats',
  setup: (r) => {
    const x = randTensor(r, [5, 3]);
    return { inputs: [x], f: () => gatherRows(x, Int32Array.from([4, 0, 4])) };
  },
});
add_({
  name: 'sum',
  setup: (r) => {
    const x = randTensor(r, [3, 4]);
    return { inputs: [x], f: () => sum(x) };
  },
});
add_({
  name: 'mean',
  setup: (r) => {
    const x = randTensor(r, [3, 4]);
    return { inputs: [x], f: () => mean(x) };
  },
});
add_({
  name: 'meanPool with mask',
  setup: (r) => {
    const x = randTensor(r, [2, 5, 3]);
    return { inputs: [x], f: () => meanPool(x, mask) };
  },
});
add_({
  name: 'meanPool without mask',
  setup: (r) => {
    const x = randTensor(r, [2, 3, 3]);
    return { inputs: [x], f: () => meanPool(x, null) };
  },
});

for (const c of cases) {
  testBothBackends(`gradcheck: ${c.name}`, () => {
    const { inputs, f } = c.setup(new Rng(1234));
    const res = gradCheck(c.name, f, inputs, { rtol: c.rtol, atol: c.atol, gradFactor: c.gradFactor });
    // The check must actually have compared something non-trivial.
    assert.ok(
      inputs.some((x) => x.grad !== null),
      `${c.name}: no gradient reached any input`,
    );
    assert.ok(Number.isFinite(res.maxAbsErr));
    if (process.env['GRADCHECK_VERBOSE']) console.log(`${c.name}: max abs err ${res.maxAbsErr.toExponential(2)}, worst ${res.worst}`);
  });
}
