// The folder `adaptext pretrain` writes is a Hugging Face BertForMaskedLM: PyTorch (the plain-torch
// mirror of modeling_bert.py, strict HF names, tied decoder) computes the same MLM logits from it
// as adaptext. Fixture: test/pretrain/make_fixture.ts + torch_golden.py (committed; no Python in CI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../src/models/index.js';
import { readSafetensors } from '../../src/io/index.js';
import { noGrad } from '../../src/tensor/index.js';

const FIX = join(import.meta.dirname, 'fixtures', 'tiny-mlm');

test('pretrain output: MLM logits equal PyTorch BertForMaskedLM on the same folder', () => {
  const g = JSON.parse(readFileSync(join(FIX, 'golden.json'), 'utf8')) as { input_ids: number[][]; attention_mask: number[][] };
  const want = readSafetensors(join(FIX, 'golden.safetensors')).get('logits')!;
  const { model } = loadModel(FIX);
  const head = model.mainHead!;
  assert.equal(model.getHead(head).type, 'masked_lm');
  model.train(false);
  const B = g.input_ids.length;
  const T = g.input_ids[0]!.length;
  const got = noGrad(() =>
    model.forward({ inputIds: Int32Array.from(g.input_ids.flat()), attentionMask: Float32Array.from(g.attention_mask.flat()), shape: [B, T] }, { heads: [head] }).heads[head]!.logits,
  );
  assert.deepEqual(got.shape, want.shape);
  let maxDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < want.data.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(got.data[i]! - want.data[i]!));
    maxAbs = Math.max(maxAbs, Math.abs(want.data[i]!));
  }
  console.log(`largest |adaptext - torch| MLM logit difference: ${maxDiff.toExponential(2)} (largest |logit| ${maxAbs.toFixed(2)})`);
  assert.ok(maxDiff < 1e-4 * Math.max(1, maxAbs), `max difference ${maxDiff}`);
});
