// ELECTRA's pieces that the end-to-end test cannot pin: the generator's size and the sampler.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generatorConfig, sampleRows } from '../../src/pretrain/electra.js';
import { Rng } from '../../src/tensor/index.js';

test('generatorConfig: hidden, heads and feed-forward scaled, head size and everything else kept', () => {
  const disc = {
    model_type: 'bert' as const,
    vocab_size: 100,
    hidden_size: 256,
    num_hidden_layers: 4,
    num_attention_heads: 4,
    intermediate_size: 1024,
    max_position_embeddings: 128,
    type_vocab_size: 2,
  };
  assert.deepEqual(generatorConfig(disc, 0.25), { ...disc, hidden_size: 64, num_attention_heads: 1, intermediate_size: 256 });
  assert.deepEqual(generatorConfig(disc, 0.5), { ...disc, hidden_size: 128, num_attention_heads: 2, intermediate_size: 512 });
  assert.equal(generatorConfig(disc, 0.01).num_attention_heads, 1, 'at least one head');
});

test('sampleRows draws from the softmax of each row', () => {
  const V = 4;
  const logits = Float32Array.from([Math.log(0.1), Math.log(0.2), Math.log(0.3), Math.log(0.4), 50, 0, 0, 0]);
  const rng = new Rng(3);
  const counts = [0, 0, 0, 0];
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const s = sampleRows(logits, V, rng);
    counts[s[0]!]!++;
    assert.equal(s[1], 0, 'a peaked row always gives its peak');
  }
  counts.forEach((c, v) => assert.ok(Math.abs(c / n - [0.1, 0.2, 0.3, 0.4][v]!) < 0.015, `p(${v}) = ${c / n}`));
});
