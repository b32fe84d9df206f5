// Frozen layers cost only what they must in backward (issue 12): no backward kernel below the
// lowest trainable parameter, no weight-gradient GEMM and no gradient buffer for a frozen
// weight, while every trainable parameter gets exactly the gradient of the all-trainable model.
// Counted through the kernel table, so a regression in any op's requiresGrad checks (or in the
// tape's requiresGrad propagation) shows up as extra calls, not just as slower training.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernels } from '../../src/tensor/index.js';
import type { Kernels } from '../../src/tensor/index.js';
import { AdapterModel } from '../../src/models/model.js';
import { TINY, batch } from './helpers.js';

const L = TINY.num_hidden_layers;
const FROZEN = 2; // layers 0..1 (and the embeddings) frozen, adapters in layers 2..3

/** The model of bench:model scenario (b) at TINY size: seq_bn adapters above the frozen layers + a head. */
function stage3Model(): AdapterModel {
  const m = new AdapterModel(TINY, { seed: 7 });
  m.addAdapter('target', { base: 'seq_bn', reduction_factor: 4, leave_out: Array.from({ length: FROZEN }, (_, i) => i) }, { setActive: true });
  m.addHead('cls', { type: 'sequence_classification', numLabels: 2 });
  m.train(true);
  return m;
}

/** Counts kernel-table calls made inside `fn` (by method name); restores the table afterwards. */
function countKernelCalls(fn: () => void): Map<string, number> {
  const table = kernels() as unknown as Record<string, unknown>;
  const originals = new Map<string, unknown>();
  const counts = new Map<string, number>();
  for (const name of Object.keys(table)) {
    const f = table[name];
    if (typeof f !== 'function') continue;
    originals.set(name, f);
    table[name] = (...args: unknown[]): unknown => {
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return (f as (...x: unknown[]) => unknown).apply(table as unknown as Kernels, args);
    };
  }
  try {
    fn();
  } finally {
    for (const [n, f] of originals) table[n] = f;
  }
  return counts;
}

function forwardLoss(m: AdapterModel) {
  return m.forward(batch(), { heads: ['cls'], labels: { cls: Int32Array.from([0, 1]) } }).loss!;
}

test('frozen layers: backward stops at the lowest trainable parameter and runs no weight-gradient GEMM for frozen weights', () => {
  const m = stage3Model();
  m.trainOnly({ adapters: ['target'], heads: ['cls'] });
  const loss = forwardLoss(m);
  const calls = countKernelCalls(() => loss.backward());

  // Layers above the lowest adapter layer (FROZEN+1..L-1) need dX through everything: 6 linear dX
  // GEMMs (Q, K, V, attention output, FFN in, FFN out), one attention, one GELU and three LayerNorm
  // backward passes (attention output LN, and the output LN the seq_bn adapter applies twice).
  // The lowest adapter layer only needs its adapter and the LN after it: the adapter's input is
  // computed from frozen weights only, so neither the down projection's dX nor the LN before it run.
  // Per adapter layer: dW + db of down and up (4 GEMMs) and the up projection's dX.
  // Head: the classifier's dW, db, dX; the frozen pooler's dX only.
  const above = L - FROZEN - 1;
  const adapters = L - FROZEN;
  const expectedGemm = above * 6 + adapters * 5 + above * 1 + 3 + 1;
  assert.equal(calls.get('gemm') ?? 0, expectedGemm, `backward GEMM calls (got ${JSON.stringify(Object.fromEntries(calls))})`);
  assert.equal(calls.get('attentionBackward') ?? 0, above, 'attention backward only above the lowest adapter layer');
  assert.equal(calls.get('geluBackward') ?? 0, above, 'GELU backward only above the lowest adapter layer');
  assert.equal(calls.get('layerNormBackward') ?? 0, above * 3 + 1, 'LayerNorm backward: 3 per layer above, 1 in the lowest adapter layer');
  assert.equal(calls.get('embeddingBackward') ?? 0, 0, 'no embedding backward (frozen, below every trainable parameter)');

  // no gradient buffer for any frozen parameter; every trainable one has its gradient
  for (const [k, p] of m.namedParameters()) {
    if (p.requiresGrad) assert.ok(p.grad !== null, `${k}: trainable but no gradient`);
    else assert.equal(p.grad, null, `${k}: frozen but has a gradient buffer`);
  }
});

test('frozen layers: trainable gradients equal those of the all-trainable model bit for bit', () => {
  const frozen = stage3Model();
  frozen.trainOnly({ adapters: ['target'], heads: ['cls'] });
  const full = stage3Model(); // same seed: same weights and the same dropout masks
  const lossF = forwardLoss(frozen);
  const lossA = forwardLoss(full);
  assert.equal(lossF.data[0], lossA.data[0], 'the forward pass does not depend on what is frozen');
  lossF.backward();
  lossA.backward();
  const fullGrads = new Map(full.namedParameters().map(([k, p]) => [k, p.grad]));
  let compared = 0;
  for (const [k, p] of frozen.namedParameters()) {
    if (!p.requiresGrad) continue;
    const want = fullGrads.get(k)!;
    assert.ok(p.grad !== null && want !== null, `${k}: gradient missing`);
    const i = p.grad.findIndex((v, j) => !Object.is(v, want[j]));
    assert.equal(i, -1, `${k}[${i}]: frozen path ${p.grad[i]} vs all-trainable ${want[i]}`);
    compared++;
  }
  assert.ok(compared > 0);
});
