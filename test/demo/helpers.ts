// Helpers of the demo tests: a tiny random BERT whose WordPiece vocabulary is learned on a
// sample of the bundled reviews (so the demo can run end to end in seconds, with or without the
// bundled backbone), and the CLI run in-process with stdout/stderr captured.
import { readDataset } from '../../src/data/index.js';
import { DEMO_DOMAINS, unlabelledFile } from '../../src/demo/bundled.js';
import { runCli } from '../support/cli.js';
import { tmp as tmpDir } from '../support/tmp.js';
import { tinyBertFolder } from '../support/tiny-model.js';

export function tmp(prefix = 'adaptext-demo-test-'): string {
  return tmpDir(prefix);
}

/** A random-init 2-layer BERT, hidden 32, vocabulary ~800 learned on 200 unlabelled reviews per domain. */
export function tinyBackbone(): string {
  const texts = function* () {
    for (const d of DEMO_DOMAINS) {
      for (const e of readDataset(unlabelledFile(d), { task: 'unlabelled', limit: 200 }).examples) if (e.kind === 'text') yield e.text;
    }
  };
  return tinyBertFolder({ corpus: 'demo-unlabelled', texts, vocab: 800, seed: 5 });
}

export { runCli };

/** Settings that make a demo run take seconds: few steps, short reviews (on top of --quick). */
export const TINY_SETS = ['max_length=32', 'stage1.max_steps=4', 'stage2.max_steps=3', 'stage3.max_steps=4', 'stage3.epochs=1', 'evaluation.batch_size=64'].flatMap((s) => ['--set', s]);
