// The torch mirror behind the model goldens (tools/golden/bert_golden.py) checked against an
// independent second implementation of the same published equations: NumPy float64, no torch,
// no autograd (tools/golden/bert_crosscheck.py → test/fixtures/models/crosscheck.json). The
// model goldens (golden.test.ts) hold adaptext to the mirror; this holds the mirror to the
// equations, so an error the mirror shares with adaptext (same author) cannot hide.
//   outputs:   every golden output (hidden states, pooled, all head logits, adapter-free outputs,
//              the adapter-variant model) vs NumPy, max|Δ| <= 1e-6 · max(1, max|x|);
//   losses:    each head's loss and the total, relative 1e-6;
//   gradients: for every golden gradient g_p, Σ g_p·d_p along d_p[i] = sin(0.7 i + 1.3 k + 0.1)
//              vs central differences of the NumPy forward (split at the gradient-reversal layer:
//              -λ·∂L_domain below it), |Δ| <= 1e-6 · Σ|g_p·d_p| + 2e-9 (finite-difference noise;
//              the key-bias gradients are exactly 0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, readGolden } from './helpers.js';
import { assertNear, assertScaledClose } from '../support/close.js';

interface Side {
  outputs: Record<string, number[]>;
  losses: Record<string, number>;
  loss: number;
  gradients: Array<{ name: string; k: number; d_rest: number; d_domain: number; domain_factor: number; expected: number }>;
}
const cross = JSON.parse(readFileSync(join(FIXTURES, 'crosscheck.json'), 'utf8')) as Record<string, Side>;

for (const name of ['bert_tiny', 'roberta_tiny', 'bert_adapter_variant']) {
  test(`torch mirror ${name} = independent NumPy float64 implementation (outputs, losses, gradient directions)`, () => {
    const c = cross[name]!;
    const { meta, tensors } = readGolden(name);
    const outs = [...tensors.keys()].filter((k) => k.startsWith('out.'));
    assert.deepEqual(Object.keys(c.outputs).sort(), outs.sort(), 'every golden output is cross-checked');
    let worst = 0;
    for (const k of outs) worst = Math.max(worst, assertScaledClose(tensors.get(k)!.data, c.outputs[k]!, `${name} ${k}`, 1e-6, 1).rel);
    if (meta.losses) {
      assert.deepEqual(Object.keys(c.losses).sort(), Object.keys(meta.losses).sort());
      for (const [h, l] of Object.entries(meta.losses)) assertNear(l, c.losses[h]!, `${name} loss.${h}`, { rtol: 1e-6, atol: 0 });
    }
    assertNear(meta.loss!, c.loss, `${name} loss`, { rtol: 1e-6, atol: 0 });

    const grads = [...tensors.keys()].filter((k) => k.startsWith('grad.')).map((k) => k.slice(5)).sort();
    assert.deepEqual(c.gradients.map((g) => g.name), grads, 'every golden gradient is cross-checked');
    let worstG = 0;
    for (const g of c.gradients) {
      const G = tensors.get(`grad.${g.name}`)!.data;
      let dot = 0;
      let mag = 0;
      for (let i = 0; i < G.length; i++) {
        const d = Math.sin(0.7 * i + 1.3 * g.k + 0.1);
        dot += G[i]! * d;
        mag += Math.abs(G[i]! * d);
      }
      assert.ok(g.expected === g.d_rest + g.domain_factor * g.d_domain, `${g.name}: fixture is consistent`);
      const err = Math.abs(dot - g.expected);
      assert.ok(err <= 1e-6 * mag + 2e-9, `${name} grad ${g.name}: golden · d = ${dot}, NumPy finite differences ${g.expected} (|Δ| ${err.toExponential(2)}, Σ|g·d| ${mag.toExponential(2)})`);
      if (mag > 1e-6) worstG = Math.max(worstG, err / mag);
    }
    console.log(`${name}: ${outs.length} outputs (largest scale-relative difference ${worst.toExponential(2)}), ${c.gradients.length} gradient directions (largest relative difference ${worstG.toExponential(2)})`);
  });
}
