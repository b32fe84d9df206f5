// Shared helpers of the pipeline tests: a tiny BERT (hidden 32, 2 layers) whose WordPiece
// vocabulary is learned on the fixture reviews, built once per test process in a temp folder,
// and a config for the books → kitchen fixture (test/fixtures/pipeline/README.md).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCli } from '../support/cli.js';
import { tmp as tmpDir } from '../support/tmp.js';
import { tinyBertFolder } from '../support/tiny-model.js';

export const FIXTURES = resolve('test', 'fixtures', 'pipeline');

export function fixtureTexts(): string[] {
  const out: string[] = [];
  for (const f of ['books.jsonl', 'kitchen.jsonl', 'kitchen.unlabelled.jsonl']) {
    for (const line of readFileSync(join(FIXTURES, f), 'utf8').split('\n')) {
      if (line.trim() !== '') out.push((JSON.parse(line) as { text: string }).text);
    }
  }
  return out;
}

export function tmp(prefix = 'adaptext-pipeline-'): string {
  return tmpDir(prefix);
}

export { runCli };

/** A tiny random-init BERT folder whose vocabulary is learned on the fixture reviews (built once per settings). */
export function tinyModel(opts: { hidden?: number; layers?: number; vocab?: number; seed?: number } = {}): string {
  return tinyBertFolder({ corpus: 'pipeline-fixture', texts: fixtureTexts, ...opts });
}

/** books → kitchen on the fixture, sized to run in seconds on a tiny model. */
export function fixtureConfig(model: string, output: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model,
    output,
    seed: 7,
    max_length: 48,
    tasks: { sentiment: { type: 'sequence_classification', labels: ['negative', 'positive'] } },
    source: { name: 'books', task: 'sentiment', labelled: join(FIXTURES, 'books.jsonl'), split: { validation: 20, test: 20 } },
    target: {
      name: 'kitchen',
      task: 'sentiment',
      labelled: join(FIXTURES, 'kitchen.jsonl'),
      split: { validation: 20, test: 40 },
      unlabelled: join(FIXTURES, 'kitchen.unlabelled.jsonl'),
    },
    // clip 0.5: stage-2 steps are clipped, so the resume tests also cover the clip coefficient
    optimizer: { lr: { adapters: 2e-3, heads: 2e-3, backbone: 5e-4 }, clip_norm: 0.5 },
    stage1: { epochs: 2, batch_size: 16 },
    stage2: { epochs: 1, batch_size: 16 },
    stage3: { epochs: 2, batch_size: 8, shots: 32 },
    checkpoint: { save_every_steps: 4 },
    ...extra,
  };
}

/** The command line that runs the CLI from source in a child process. */
export const CLI_CHILD = ['--import', 'tsx', '--input-type=module', '-e', "const { main } = await import('./src/cli/main.ts'); process.exitCode = await main(process.argv.slice(1));"];

/** log.jsonl without the wall-clock `time` field (the only thing a resumed run may change). */
export function logWithoutTime(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      delete o['time'];
      return JSON.stringify(o);
    });
}
