// Golden test against PyTorch (tools/golden/pooling_golden.py, float64 reference) for what a
// sequence-classification head reads — the pooler, h[:,0], the masked mean (bert style, and the
// roberta style's dense → tanh on the mean) — and for the discriminator's confusion objective
// (Tzeng et al. 2015): the discriminator learns on detached features, the encoder gets λ times
// the gradient of CE(D(f), uniform) with D's parameters held fixed. Outputs, losses, every gradient.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setBackend } from '../../src/tensor/index.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { loadAdapter, loadModel } from '../../src/models/load.js';
import type { HeadSpec } from '../../src/models/heads.js';
import { nativeTest } from '../support/native.js';
import { diff, FIXTURES, inputOf, labelsOf, readGolden, scalarDiff, type Diff } from './helpers.js';

const TOL = 2e-5; // scale-relative, as the other model goldens
const HEADS: Record<string, HeadSpec> = {
  cls_pooler: { type: 'sequence_classification', numLabels: 2, style: 'bert', pooling: 'pooler' },
  cls_cls: { type: 'sequence_classification', numLabels: 3, style: 'bert', pooling: 'cls' },
  cls_mean: { type: 'sequence_classification', numLabels: 2, style: 'bert', pooling: 'mean' },
  rob_mean: { type: 'sequence_classification', numLabels: 2, style: 'roberta', pooling: 'mean' },
  domain: { type: 'domain_discriminator', numDomains: 2, hiddenSizes: [16], features: 'mean', adversary: 'confusion' },
};

for (const backend of ['js', 'wasm', 'native'] as const) {
  (backend === 'native' ? nativeTest : test)(`golden poolings + confusion [${backend}]: logits, losses and every gradient match PyTorch`, () => {
    setBackend(backend);
    const dir = join(FIXTURES, 'bert_pooling');
    const { meta, tensors } = readGolden('bert_pooling');
    const { model } = loadModel(dir);
    loadAdapter(model, join(dir, 'adapters', 'target'), { setActive: true });
    for (const [n, s] of Object.entries(HEADS)) model.addHead(n, s);
    const own = model.stateDict();
    const extras = readSafetensors(join(dir, 'extras.safetensors'));
    assert.equal(extras.size, 14, 'five heads: 2 + 2 + 2 + 4 + 4 tensors');
    for (const [k, t] of extras) {
      const p = own.get(k);
      assert.ok(p !== undefined, `extras tensor ${k} has a model parameter`);
      p.data.set(t.data);
    }
    model.eval();
    const labels: Record<string, Int32Array> = {};
    for (const [k, v] of Object.entries(meta.labels!)) labels[k] = labelsOf(v);
    const out = model.forward(inputOf(meta), { heads: Object.keys(HEADS), labels, grlLambda: meta.grl_lambda });
    const rel = scalarDiff;
    const diffs: Diff[] = [diff('last_hidden_state', out.lastHiddenState.data, tensors.get('out.last_hidden_state')!.data)];
    for (const h of Object.keys(HEADS)) {
      diffs.push(diff(`logits.${h}`, out.heads[h]!.logits.data, tensors.get(`out.logits.${h}`)!.data));
      diffs.push(rel(`loss.${h}`, out.heads[h]!.loss!.item(), meta.losses![h]!));
    }
    const parts = (meta as unknown as { parts: Record<string, number> }).parts;
    diffs.push(rel('parts.domain', out.heads['domain']!.parts!['domain']!, parts['domain']!));
    diffs.push(rel('parts.confusion', out.heads['domain']!.parts!['confusion']!, parts['confusion']!));
    diffs.push(rel('loss', out.loss!.item(), meta.loss!));
    out.loss!.backward();
    let compared = 0;
    for (const [name, p] of model.namedParameters()) {
      const want = tensors.get(`grad.${name}`);
      assert.ok(want !== undefined, `no golden gradient for ${name}`);
      assert.ok(p.grad !== null, `${name}: no gradient`);
      diffs.push(diff(`grad.${name}`, p.grad, want.data));
      compared++;
    }
    assert.equal(compared, [...tensors.keys()].filter((k) => k.startsWith('grad.')).length, 'every golden gradient compared');
    for (const d of diffs) assert.ok(d.rel <= TOL, `${backend}: ${d.name} differs: max|Δ| ${d.maxAbs}, relative ${d.rel}`);
    setBackend('js');
  });
}
