// Golden tests against PyTorch (tools/golden/bert_golden.py, float64 reference): tiny BERT and
// RoBERTa checkpoints in HF layout loaded through load.ts, AdapterHub adapter folders, heads;
// outputs, the loss (task + MLM + domain CE through a GRL with λ=0.3) and EVERY gradient.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mul, noGrad, setBackend, sum, Tensor } from '../../src/tensor/index.js';
import { loadAdapter, loadModel } from '../../src/models/load.js';
import { diff, FIXTURES, inputOf, labelsOf, readGolden, scalarDiff, setupFull, worst, type Diff } from './helpers.js';
import { forEachBackend } from '../support/native.js';

const TOL = 2e-5; // scale-relative; float32 vs a float64 reference through 2-3 layers

function report(title: string, diffs: Diff[]): void {
  const nz = diffs.filter((d) => d.zero !== true);
  const w = worst(nz.length > 0 ? nz : diffs);
  const zeros = diffs.length - nz.length;
  console.log(
    `${title}: ${diffs.length} tensors, largest relative difference ${w.name}: max|Δ| ${w.maxAbs.toExponential(2)}, relative ${w.rel.toExponential(2)}` +
      (zeros > 0 ? ` (${zeros} zero golden tensors, largest |Δ| ${Math.max(...diffs.filter((d) => d.zero).map((d) => d.maxAbs)).toExponential(2)})` : ''),
  );
  for (const d of diffs) assert.ok(d.rel <= TOL, `${title}: ${d.name} differs: max|Δ| ${d.maxAbs}, relative ${d.rel}`);
}

// One test body per kernel backend (the TypeScript reference, and the native addon: a visible
// skip without it, a failure under ADAPTEXT_REQUIRE_NATIVE=1 — test/support/native.ts).
for (const kind of ['bert', 'roberta'] as const) {
  forEachBackend((backend) => `golden ${kind} [${backend}]: outputs, loss and every gradient match PyTorch`, (backend) => {
    setBackend(backend);
    const { meta, tensors } = readGolden(`${kind}_tiny`);
    const { model, heads } = setupFull(kind);
    const input = inputOf(meta);
    const labels: Record<string, Int32Array> = {};
    for (const [k, v] of Object.entries(meta.labels!)) labels[k] = labelsOf(v);
    const headNames = ['mlm', ...Object.keys(heads)];
    const out = model.forward(input, { heads: headNames, labels, grlLambda: meta.grl_lambda });
    const diffs: Diff[] = [
      diff('last_hidden_state', out.lastHiddenState.data, tensors.get('out.last_hidden_state')!.data),
      diff('pooled', out.pooledOutput.data, tensors.get('out.pooled')!.data),
    ];
    for (const h of Object.keys(heads)) diffs.push(diff(`logits.${h}`, out.heads[h]!.logits.data, tensors.get(`out.logits.${h}`)!.data));
    for (const [h, l] of Object.entries(meta.losses!)) {
      const got = out.heads[h]!.loss!.item();
      diffs.push(scalarDiff(`loss.${h}`, got, l));
    }
    const total = out.loss!.item();
    diffs.push(scalarDiff('loss', total, meta.loss!));
    report(`${kind} [${backend}] outputs`, diffs);

    out.loss!.backward();
    const gd: Diff[] = [];
    let compared = 0;
    for (const [name, p] of model.namedParameters()) {
      const want = tensors.get(`grad.${name}`);
      if (want === undefined) {
        // only the inactive domain's adapter has no gradient in the reference
        assert.ok(meta.inactive_adapter_params!.includes(name), `no golden gradient for ${name}`);
        assert.ok(p.grad === null || p.grad.every((v) => v === 0), `${name} (inactive adapter) got a gradient`);
        continue;
      }
      assert.ok(p.grad !== null, `${name}: no gradient`);
      gd.push(diff(`grad.${name}`, p.grad, want.data));
      compared++;
    }
    const goldenGrads = [...tensors.keys()].filter((k) => k.startsWith('grad.')).length;
    assert.equal(compared, goldenGrads, 'every golden gradient compared');
    report(`${kind} [${backend}] gradients`, gd);

    // Full MLM logits (no labels: every position), and the vanilla model without adapters
    noGrad(() => {
      const full = model.forward(input, { heads: ['mlm'] });
      report(`${kind} [${backend}] mlm logits`, [diff('logits.mlm', full.heads['mlm']!.logits.data, tensors.get('out.logits.mlm')!.data)]);
      model.setActiveAdapter(null);
      const plain = model.forward(input, { heads: [] });
      report(`${kind} [${backend}] plain`, [
        diff('plain.last_hidden_state', plain.lastHiddenState.data, tensors.get('out.plain.last_hidden_state')!.data),
        diff('plain.pooled', plain.pooledOutput.data, tensors.get('out.plain.pooled')!.data),
      ]);
    });
  });
}

for (const variant of ['bert_unprefixed', 'bert_gamma_beta']) {
  forEachBackend((backend) => `golden ${variant} [${backend}]: checkpoint key variant loads and matches`, (backend) => {
    setBackend(backend);
    const { meta, tensors } = readGolden(variant);
    const { model, info } = loadModel(join(FIXTURES, variant));
    assert.deepEqual(info.heads, {});
    model.eval();
    const out = noGrad(() => model.forward(inputOf(meta)));
    report(`${variant} [${backend}]`, [
      diff('last_hidden_state', out.lastHiddenState.data, tensors.get('out.last_hidden_state')!.data),
      diff('pooled', out.pooledOutput.data, tensors.get('out.pooled')!.data),
    ]);
  });
}

forEachBackend((backend) => `golden adapter options [${backend}]: ln_before (stored twice), ln_after, adapter_residual_before_ln, residual_before_ln=false, scaling, gelu`, (backend) => {
  setBackend(backend);
  const dir = join(FIXTURES, 'bert_adapter_variant');
  const { meta, tensors } = readGolden('bert_adapter_variant');
  const { model } = loadModel(dir);
  loadAdapter(model, join(dir, 'adapters', 'variant'), { setActive: true }); // un-prefixed AdapterHub names
  const cfg = model.adapterConfig('variant');
  assert.equal(cfg.ln_before && cfg.ln_after && cfg.adapter_residual_before_ln && cfg.residual_before_ln === false, true);
  model.eval();
  const out = model.forward(inputOf(meta));
  const R = tensors.get('in.R')!;
  const loss = sum(mul(out.lastHiddenState, new Tensor(R.data, R.shape)));
  const diffs: Diff[] = [
    diff('last_hidden_state', out.lastHiddenState.data, tensors.get('out.last_hidden_state')!.data),
    scalarDiff('loss', loss.item(), meta.loss!),
  ];
  loss.backward();
  const adapterParams = model.adapterParameters('variant');
  assert.equal(adapterParams.length, [...tensors.keys()].filter((k) => k.startsWith('grad.')).length);
  for (const [name, p] of adapterParams) diffs.push(diff(`grad.${name}`, p.grad!, tensors.get(`grad.${name}`)!.data));
  report(`adapter options [${backend}]`, diffs);
});
