// Golden test: a 2-layer BERT-style block (embeddings + LayerNorm → [self-attention with a
// padding mask → output dense → residual → LayerNorm → GELU FFN → residual → LayerNorm] x2 →
// CLS pooler tanh → classifier → cross-entropy with an ignored row), rebuilt from our ops and
// compared with PyTorch tensor by tensor: last hidden state, logits, loss and the gradient of
// every parameter. Fixture: test/fixtures/golden/composite.json from tools/golden/composite.py.
//
// Tolerance: for each tensor, max|ours - torch| <= 1e-5 * max(1, max|torch|) — float32 on both
// sides with different summation orders (measured ~1e-6; the largest difference is printed).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tensor, add, attention, crossEntropy, embedding, gatherRows, gelu, layerNorm, linear, reshape, tanh } from '../../src/tensor/index.js';
import { testBothBackends } from './helpers.js';
import { assertScaledClose } from '../support/close.js';

interface Arr {
  shape: number[];
  data: number[];
}
interface Golden {
  config: {
    vocab_size: number;
    hidden_size: number;
    num_attention_heads: number;
    intermediate_size: number;
    num_hidden_layers: number;
    max_position_embeddings: number;
    layer_norm_eps: number;
    num_labels: number;
    batch: number;
    tokens: number;
  };
  inputs: { input_ids: number[]; attention_mask: number[]; targets: number[] };
  params: Record<string, Arr>;
  outputs: { last_hidden_state: Arr; logits: Arr; loss: number };
  grads: Record<string, Arr>;
}

const fixturePath = fileURLToPath(new URL('../fixtures/golden/composite.json', import.meta.url));
const golden = JSON.parse(readFileSync(fixturePath, 'utf8')) as Golden;
const TOL = 1e-5;

function compare(name: string, ours: Float32Array, ref: Arr): { abs: number; rel: number } {
  // NaN-safe across elements (test/support/close.ts): a NaN anywhere fails, whatever follows it.
  const d = assertScaledClose(ours, ref.data, name, TOL, 1);
  return { abs: d.maxAbs, rel: d.rel };
}

testBothBackends('golden composite: 2-layer attention block vs PyTorch (outputs, loss, every gradient)', (backend) => {
  const c = golden.config;
  const B = c.batch;
  const T = c.tokens;
  const H = c.hidden_size;
  const P: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(golden.params)) P[k] = new Tensor(Float32Array.from(v.data), v.shape, true, k);
  const p = (k: string): Tensor => {
    const t = P[k];
    if (t === undefined) throw new Error(`golden fixture has no parameter ${k}`);
    return t;
  };
  const ids = Int32Array.from(golden.inputs.input_ids);
  const posIds = new Int32Array(B * T).map((_, i) => i % T);
  const mask = Float32Array.from(golden.inputs.attention_mask);
  const targets = Int32Array.from(golden.inputs.targets);
  const eps = c.layer_norm_eps;
  const lin = (x: Tensor, n: string) => linear(x, p(`${n}.weight`), p(`${n}.bias`));
  const ln = (x: Tensor, n: string) => layerNorm(x, p(`${n}.weight`), p(`${n}.bias`), eps);

  let hidden = ln(add(embedding(p('embeddings.word_embeddings.weight'), ids, [B, T]), embedding(p('embeddings.position_embeddings.weight'), posIds, [B, T])), 'embeddings.LayerNorm');
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const n = `encoder.layer.${l}.`;
    const ctx = attention(lin(hidden, n + 'attention.self.query'), lin(hidden, n + 'attention.self.key'), lin(hidden, n + 'attention.self.value'), mask, c.num_attention_heads);
    const attnOut = ln(add(lin(ctx, n + 'attention.output.dense'), hidden), n + 'attention.output.LayerNorm');
    const inter = gelu(lin(attnOut, n + 'intermediate.dense'));
    hidden = ln(add(lin(inter, n + 'output.dense'), attnOut), n + 'output.LayerNorm');
  }
  const cls = gatherRows(
    reshape(hidden, [B * T, H]),
    Int32Array.from({ length: B }, (_, b) => b * T),
  ); // [B,H]
  const logits = lin(tanh(lin(cls, 'pooler.dense')), 'classifier');
  const loss = crossEntropy(logits, targets);
  loss.backward();

  let worst = { name: '', abs: 0, rel: 0 };
  const note = (name: string, r: { abs: number; rel: number }) => {
    if (r.rel >= worst.rel) worst = { name, ...r };
  };
  note('last_hidden_state', compare('last_hidden_state', hidden.data, golden.outputs.last_hidden_state));
  note('logits', compare('logits', logits.data, golden.outputs.logits));
  note('loss', compare('loss', loss.data, { shape: [], data: [golden.outputs.loss] }));
  let nGrads = 0;
  for (const [k, ref] of Object.entries(golden.grads)) {
    const g = p(k).grad;
    assert.ok(g !== null, `${k}: no gradient reached this parameter`);
    note(`grad ${k}`, compare(`grad ${k}`, g, ref));
    nGrads++;
  }
  assert.equal(nGrads, Object.keys(golden.params).length);
  console.log(
    `golden composite [${backend}]: ${nGrads} gradients + 3 outputs compared; largest difference in ${worst.name}: ` +
      `abs ${worst.abs.toExponential(2)}, rel ${worst.rel.toExponential(2)} (tolerance ${TOL})`,
  );
});
