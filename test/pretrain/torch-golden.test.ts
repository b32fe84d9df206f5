// The folder `adaptext pretrain` writes is a Hugging Face BertForMaskedLM: PyTorch (the plain-torch
// mirror of modeling_bert.py, strict HF names, tied decoder) computes the same MLM logits from it
// as adaptext. Fixture: test/pretrain/make_fixture.ts + torch_golden.py (committed; no Python in CI).
//
// Tolerance: max|adaptext - torch| <= 2e-5 * max|torch logit| — the same scale-relative bound as
// the model goldens (test/models/golden.test.ts) against the same float64 mirror; measured ~3e-7.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../src/models/index.js';
import { readSafetensors } from '../../src/io/index.js';
import { noGrad, setBackend } from '../../src/tensor/index.js';
import { assertScaledClose } from '../support/close.js';
import { forEachBackend } from '../support/native.js';

const FIX = join(import.meta.dirname, 'fixtures', 'tiny-mlm');
const TOL = 2e-5;

forEachBackend(
  (backend) => `pretrain output: MLM logits equal PyTorch BertForMaskedLM on the same folder [${backend}]`,
  (backend) => {
    setBackend(backend);
    try {
      const g = JSON.parse(readFileSync(join(FIX, 'golden.json'), 'utf8')) as { input_ids: number[][]; attention_mask: number[][] };
      const want = readSafetensors(join(FIX, 'golden.safetensors')).get('logits')!;
      const { model } = loadModel(FIX);
      const head = model.mainHead!;
      assert.equal(model.getHead(head).type, 'masked_lm');
      model.train(false);
      const B = g.input_ids.length;
      const T = g.input_ids[0]!.length;
      assert.ok(g.attention_mask.flat().includes(0), 'the golden batch has padding (the mask matters)');
      const got = noGrad(
        () => model.forward({ inputIds: Int32Array.from(g.input_ids.flat()), attentionMask: Float32Array.from(g.attention_mask.flat()), shape: [B, T] }, { heads: [head] }).heads[head]!.logits,
      );
      assert.deepEqual(got.shape, want.shape);
      const d = assertScaledClose(got.data, want.data, 'MLM logits vs torch', TOL);
      console.log(
        `[${backend}] largest |adaptext - torch| MLM logit difference: ${d.maxAbs.toExponential(2)} (largest |logit| ${d.scale.toFixed(2)}, relative ${d.rel.toExponential(2)}, tolerance ${TOL})`,
      );
    } finally {
      setBackend('js');
    }
  },
);
