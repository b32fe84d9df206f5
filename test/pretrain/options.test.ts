// One options story for pretraining (src/pretrain/options.ts): the flags of `adaptext pretrain` are
// the schema's fields, a YAML config gives the same options (paths relative to the file), typed
// flags override it, and a bad value names the file and the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PretrainSchema, PRETRAIN_DEFAULTS, loadPretrainConfig, pretrainFlags } from '../../src/pretrain/index.js';
import { runCli, tmp } from '../support/cli.js';

const BOOKS = join(import.meta.dirname, '../../data/amazon/books.unlabeled.jsonl.gz');

test('every schema field is a flag of `adaptext pretrain` and every flag is a schema field', async () => {
  const help = (await runCli(['pretrain', '--help'])).stdout;
  const shown = new Set([...help.matchAll(/^\s+(--[a-z-]+)/gm)].map((m) => m[1]!));
  const fields = Object.keys(PretrainSchema.fields!).filter((k) => k !== 'inputs'); // inputs: the positional argument
  const expected = new Set(fields.map((k) => (k === 'lowercase' ? '--no-lowercase' : `--${k.replace(/_/g, '-')}`)));
  for (const f of expected) assert.ok(shown.has(f), `${f} missing from --help`);
  for (const f of shown) assert.ok(expected.has(f) || ['--config', '--resume', '--help'].includes(f), `${f} is not a schema field`);
  assert.equal(pretrainFlags().length, fields.length + 1);
});

test('the library defaults are the schema defaults, resolved (horizon 10000 steps, warm-up within it)', () => {
  assert.equal(PRETRAIN_DEFAULTS.batchSize, 32);
  assert.equal(PRETRAIN_DEFAULTS.totalSteps, 10000);
  assert.equal(PRETRAIN_DEFAULTS.warmupSteps, 500);
  assert.equal(PRETRAIN_DEFAULTS.lowercase, true);
  const o = loadPretrainConfig(null, { inputs: ['a.txt'], out: 'o', max_tokens: 4096 * 100, warmup_steps: 900 });
  assert.equal(o.totalSteps, 100, 'horizon from max_tokens / tokens per step');
  assert.equal(o.warmupSteps, 100, 'warm-up capped at the horizon');
});

test('a YAML config (paths relative to it) with typed flags on top runs, and run.json records the merge', async () => {
  const dir = tmp('adaptext-pretrain-config-');
  try {
    mkdirSync(join(dir, 'cfg'));
    const yaml = [
      `inputs: [${BOOKS}]`,
      'out: ../run', // relative to the config file
      'layers: 1',
      'hidden: 32',
      'heads: 2',
      'intermediate: 64',
      'vocab_size: 500',
      'max_length: 32',
      'batch_size: 4',
      'max_steps: 2',
      'eval_every: 0',
      'checkpoint_minutes: 0',
      'progress: none',
    ].join('\n');
    writeFileSync(join(dir, 'cfg', 'pretrain.yaml'), yaml);
    const r = await runCli(['pretrain', '--config', join(dir, 'cfg', 'pretrain.yaml'), '--batch-size', '2', '--no-lowercase']);
    assert.equal(r.code, 0, r.stderr);
    const saved = JSON.parse(readFileSync(join(dir, 'run', 'run.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(saved['batchSize'], 2, 'the flag wins over the file');
    assert.equal(saved['layers'], 1, 'the file gives the rest');
    assert.equal(saved['lowercase'], false);
    assert.equal(saved['totalSteps'], 2);

    writeFileSync(join(dir, 'cfg', 'bad.yaml'), `${yaml}\nbatch_sise: 3\n`);
    const bad = await runCli(['pretrain', '--config', join(dir, 'cfg', 'bad.yaml')]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /bad\.yaml \(with the command-line flags\): batch_sise: unknown key \(did you mean "batch_size"\?\)/);
    writeFileSync(join(dir, 'cfg', 'bad2.yaml'), yaml.replace('heads: 2', 'heads: 5'));
    const bad2 = await runCli(['pretrain', '--config', join(dir, 'cfg', 'bad2.yaml')]);
    assert.match(bad2.stderr, /hidden 32 is not a multiple of heads 5/);
    assert.equal(bad2.stderr.trim().split('\n').length, 1, 'one line');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
