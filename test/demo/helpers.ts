// Helpers of the demo tests: a tiny random BERT whose WordPiece vocabulary is learned on a
// sample of the bundled reviews (so the demo can run end to end in seconds, with or without the
// bundled backbone), and the CLI run in-process with stdout/stderr captured.
import { join } from 'node:path';
import { readDataset } from '../../src/data/index.js';
import { AdapterModel, saveModel } from '../../src/models/index.js';
import { trainWordPiece } from '../../src/text/index.js';
import { DEMO_DOMAINS, unlabelledFile } from '../../src/demo/bundled.js';
import { runCli, tmp as tmpDir } from '../support/cli.js';

export function tmp(prefix = 'adaptext-demo-test-'): string {
  return tmpDir(prefix);
}

/** A random-init 2-layer BERT, hidden 32, vocabulary ~800 learned on 200 unlabelled reviews per domain. */
export function tinyBackbone(): string {
  const texts: string[] = [];
  for (const d of DEMO_DOMAINS) {
    for (const e of readDataset(unlabelledFile(d), { task: 'unlabelled', limit: 200 }).examples) if (e.kind === 'text') texts.push(e.text);
  }
  const tok = trainWordPiece(texts, { vocabSize: 800 });
  const model = new AdapterModel(
    {
      model_type: 'bert',
      vocab_size: tok.vocabSize,
      hidden_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 64,
      max_position_embeddings: 64,
      type_vocab_size: 2,
      hidden_dropout_prob: 0.1,
      attention_probs_dropout_prob: 0.1,
    },
    { seed: 5 },
  );
  const dir = join(tmp('adaptext-demo-tiny-'), 'model');
  saveModel(model, dir, { tokenizer: tok, mainHead: null });
  return dir;
}

export { runCli };

/** Settings that make a demo run take seconds: few steps, short reviews (on top of --quick). */
export const TINY_SETS = [
  'max_length=32',
  'stage1.max_steps=4',
  'stage2.max_steps=3',
  'stage3.max_steps=4',
  'stage3.epochs=1',
  'evaluation.batch_size=64',
].flatMap((s) => ['--set', s]);
