// Writes test/pretrain/fixtures/tiny-mlm/: a tiny model pretrained by `pretrain` (20 steps on the
// bundled books reviews), the HF folder only. torch_golden.py then loads it in plain PyTorch
// (HF BertForMaskedLM names, strict) and writes the MLM logits it computes.
//   node --import tsx test/pretrain/make_fixture.ts && /usr/bin/python3 test/pretrain/torch_golden.py
import { rmSync, copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pretrain, PRETRAIN_DEFAULTS } from '../../src/pretrain/index.js';
import { tmp as tempFolder } from '../support/tmp.js';

const tmp = tempFolder('adaptext-fixture-');
const out = join(tmp, 'run');
await pretrain(
  {
    ...PRETRAIN_DEFAULTS,
    out,
    inputs: [join(import.meta.dirname, '../../data/amazon/books.unlabeled.jsonl.gz')],
    layers: 2,
    hidden: 32,
    heads: 4,
    intermediate: 64,
    vocabSize: 300,
    maxLength: 32,
    batchSize: 8,
    lr: 3e-3,
    warmupSteps: 2,
    totalSteps: 20,
    maxSteps: 20,
    checkpointMinutes: 0,
    progress: 'none',
    evalEvery: 0,
  },
  { print: () => {} },
);
const dest = join(import.meta.dirname, 'fixtures', 'tiny-mlm');
rmSync(dest, { recursive: true, force: true });
mkdirSync(dest, { recursive: true });
for (const f of ['config.json', 'model.safetensors', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json', 'adaptext.json']) copyFileSync(join(out, f), join(dest, f));
rmSync(tmp, { recursive: true, force: true });
console.log(`wrote ${dest}: ${readdirSync(dest).join(', ')}`);
