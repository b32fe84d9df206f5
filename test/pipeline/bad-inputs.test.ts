// Bad inputs through the CLI: each is one line on stderr naming what is wrong (file, line,
// key, model), exit code 1, and every existing output is left exactly as it was.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { FIXTURES, fixtureConfig, runCli, tinyModel, tmp } from './helpers.js';
import { lockDir } from '../../src/io/lock.js';
import { writeManifest } from '../../src/train/checkpoint.js';

let model: string;
let other: string;
let dir: string;
let existingRun: string;
let runSnapshot: Map<string, string>;

function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(root, p), createHash('sha1').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(root);
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests patch arbitrary nested config keys
type AnyConfig = Record<string, any>;

function config(name: string, patch: (c: AnyConfig) => void = () => {}, output = existingRun): string {
  const c = fixtureConfig(model, output) as AnyConfig;
  patch(c);
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(c, null, 2));
  return p;
}

function dataFile(name: string, lines: string[]): string {
  const p = join(dir, name);
  writeFileSync(p, lines.join('\n') + (lines.length > 0 ? '\n' : ''));
  return p;
}

/** Runs the CLI, expects exit 1 and exactly one stderr line; returns it (without the newline). */
async function fails(args: string[]): Promise<string> {
  const r = await runCli(args);
  assert.equal(r.code, 1, `expected failure, got ${r.code}: ${r.stderr}`);
  assert.ok(r.stderr.endsWith('\n') && r.stderr.indexOf('\n') === r.stderr.length - 1, `one line expected: ${JSON.stringify(r.stderr)}`);
  return r.stderr.slice(0, -1);
}

const books = () => readFileSync(join(FIXTURES, 'books.jsonl'), 'utf8').trim().split('\n');

before(async () => {
  model = tinyModel();
  other = tinyModel({ hidden: 48 });
  dir = tmp();
  // An existing run (interrupted early, so it has a progress checkpoint) that failures must not touch.
  existingRun = join(dir, 'existing');
  const r = await runCli(['train', '--config', config('existing.json'), '--quiet', '--stop-after-steps', '4']);
  assert.equal(r.code, 1, r.stderr);
  runSnapshot = snapshot(existingRun);
  assert.ok(runSnapshot.has('run.json') && runSnapshot.has(join('progress', 'stage1', 'last', 'model.safetensors')));
});

describe('bad inputs are named in one line and leave outputs untouched', () => {
  it('a missing data file', async () => {
    const missing = join(dir, 'nope.jsonl');
    const cfg = config('missing.json', (c) => (c.source.labelled = missing), join(dir, 'missing-run'));
    assert.equal(await fails(['train', '--config', cfg]), `adaptext train: ${missing}: no such data file`);
  });

  it('a malformed JSON line', async () => {
    const lines = books();
    lines[2] = '{"id": "x", "text": "fine", "label": "positive"';
    const f = dataFile('malformed.jsonl', lines);
    const cfg = config('malformed.json', (c) => (c.source.labelled = f), join(dir, 'malformed-run'));
    assert.match(await fails(['train', '--config', cfg]), new RegExp(`^adaptext train: ${f}:3: invalid JSON \\(.+\\)$`));
  });

  it('an unknown label', async () => {
    const lines = books();
    lines[1] = JSON.stringify({ id: 'n', text: 'so-so', label: 'neutral' });
    const f = dataFile('label.jsonl', lines);
    const cfg = config('label.json', (c) => (c.target.labelled = f), join(dir, 'label-run'));
    assert.equal(await fails(['train', '--config', cfg]), `adaptext train: ${f}:2: unknown label "neutral" (expected one of negative, positive)`);
  });

  it('an empty file', async () => {
    const f = dataFile('empty.jsonl', []);
    const cfg = config('empty.json', (c) => (c.target.unlabelled = f), join(dir, 'empty-run'));
    assert.equal(await fails(['train', '--config', cfg]), `adaptext train: ${f}: no usable examples: the file has no records`);
  });

  it('a config typo, with "did you mean"', async () => {
    const cfg = config('typo.json', (c) => (c.stage2 = { ...c.stage2, sorce_ratio: 0.5 }), join(dir, 'typo-run'));
    assert.equal(await fails(['train', '--config', cfg]), `adaptext train: ${cfg}: stage2.sorce_ratio: unknown key (did you mean "source_ratio"?)`);
    assert.equal(await fails(['train', '--config', cfg.replace('typo', 'nothere')]), `adaptext train: ${cfg.replace('typo', 'nothere')}: no such config file`);
  });

  it('an output folder that already holds a run', async () => {
    const cfg = config('again.json');
    assert.equal(await fails(['train', '--config', cfg]), `adaptext train: ${existingRun}: already holds a run; continue it with --resume ${existingRun}, or choose another output folder`);
  });

  it('resuming with a different model', async () => {
    const msg = await fails(['train', '--resume', existingRun, '--model', other]);
    assert.match(
      msg,
      new RegExp(`^adaptext train: ${existingRun}: the run was started from .* \\(bert, 2 layers, hidden 32, vocab 700\\); ${other} is a different model \\(bert, 2 layers, hidden 48, vocab 700\\)$`),
    );
  });

  it('a run folder another process is writing (issue 13 item 3: two writers interleaved log.jsonl)', async () => {
    const lock = lockDir(existingRun, 'train');
    try {
      const msg = await fails(['train', '--resume', existingRun, '--quiet']);
      assert.match(msg, new RegExp(`^adaptext train: ${existingRun}: in use by train \\(pid ${process.pid} on .*\\); wait for it to end, or if it is gone, remove `));
    } finally {
      lock.release();
    }
  });

  it('bad usage exits 2 with the help hint, as the README promises', async () => {
    const usage = async (args: string[], line: string) => {
      const r = await runCli(args);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr, `${line}\n(run with --help for usage)\n`);
    };
    await usage(['train', '--resume', existingRun, '--seed', '3'], `adaptext train: --seed: a resumed run keeps the settings it started with (see ${join(existingRun, 'run.json')})`);
    await usage(['train'], 'adaptext train: missing --config FILE (or --resume RUN)');
    await usage(['train', '--config', config('usage.json'), '--resume', existingRun], 'adaptext train: give either --config FILE (a new run) or --resume RUN (continue one), not both');
    await usage(['pretrain', 'corpus.txt'], 'adaptext pretrain: --out <dir> is required (or --config FILE, or --resume <dir>)');
  });

  it('resuming after a data file changed', async () => {
    const run = join(dir, 'datachange');
    const f = dataFile('books-copy.jsonl', books());
    const r = await runCli(['train', '--config', config('datachange.json', (c) => (c.source.labelled = f), run), '--quiet', '--stop-after-steps', '2']);
    assert.equal(r.code, 1);
    writeFileSync(f, books().slice(0, 100).join('\n') + '\n');
    const before = snapshot(run);
    assert.equal(await fails(['train', '--resume', run]), `adaptext train: ${f}: changed since run ${run} started; a resumed run would not reproduce it (start a new run instead)`);
    assert.deepEqual(snapshot(run), before);
  });

  it('resuming after the base model weights changed (same architecture, other weights; issue 13 item 7)', async () => {
    const run = join(dir, 'weightchange');
    const m = join(dir, 'model-copy');
    cpSync(model, m, { recursive: true });
    const r = await runCli(['train', '--config', config('weightchange.json', (c) => (c.model = m), run), '--quiet', '--stop-after-steps', '2']);
    assert.equal(r.code, 1);
    cpSync(join(tinyModel({ seed: 9 }), 'model.safetensors'), join(m, 'model.safetensors')); // a same-shaped model with other weights
    const before = snapshot(run);
    const msg = await fails(['train', '--resume', run]);
    assert.match(
      msg,
      new RegExp(
        `^adaptext train: ${join(m, 'model.safetensors')}: the base model's weights changed since run ${run} started \\(sha1 [0-9a-f]{12} then, [0-9a-f]{12} now\\); a resumed run would not reproduce it`,
      ),
    );
    assert.deepEqual(snapshot(run), before);
  });

  it('damaged checkpoints and logs are refused before any training (issue 13 item 13)', async () => {
    const copy = (name: string): string => {
      const d = join(dir, name);
      cpSync(existingRun, d, { recursive: true });
      return d;
    };
    const last = (d: string) => join(d, 'progress', 'stage1', 'last');
    // one flipped byte in the weights
    const flip = copy('damaged-flip');
    const w = join(last(flip), 'model.safetensors');
    const bytes = readFileSync(w);
    bytes[bytes.length - 3] ^= 0x10;
    writeFileSync(w, bytes);
    assert.match(
      await fails(['train', '--resume', flip, '--quiet']),
      /progress\/stage1\/last: checkpoint file model\.safetensors is damaged \(sha1 [0-9a-f]{12}, written as [0-9a-f]{12}\); the checkpoint cannot be resumed$/,
    );
    // a deleted trainer_state.json: not "no checkpoint, start the stage again"
    const gone = copy('damaged-state');
    rmSync(join(last(gone), 'trainer_state.json'));
    assert.match(await fails(['train', '--resume', gone, '--quiet']), /checkpoint file trainer_state\.json is missing \(the manifest lists it\)/);
    // a state edited by hand (manifest rewritten to match): the schema names the field
    const edited = copy('damaged-edit');
    const sp = join(last(edited), 'trainer_state.json');
    writeFileSync(sp, JSON.stringify({ ...JSON.parse(readFileSync(sp, 'utf8')), epoch: -1, rng: null }));
    writeManifest(last(edited));
    assert.match(await fails(['train', '--resume', edited, '--quiet']), /trainer_state\.json: epoch: expected an integer >= 0, got -1; rng: expected an object, got null/);
    // a position past the end of the epoch
    const far = copy('damaged-far');
    const fp = join(last(far), 'trainer_state.json');
    writeFileSync(fp, JSON.stringify({ ...JSON.parse(readFileSync(fp, 'utf8')), batchInEpoch: 1000000 }));
    writeManifest(last(far));
    assert.match(await fails(['train', '--resume', far, '--quiet']), /stage1: the checkpoint is at batch 1000000 of epoch 1, which has \d+ batches: it does not belong to this run's data$/);
    // a corrupt log line before the resume point
    const log = copy('damaged-log');
    const lines = readFileSync(join(log, 'log.jsonl'), 'utf8').split('\n');
    lines[1] = '{"type": "step", "stage": "stage1", ';
    writeFileSync(join(log, 'log.jsonl'), lines.join('\n'));
    assert.match(await fails(['train', '--resume', log, '--quiet']), /log\.jsonl:2: invalid JSON/);
  });

  it('a checkpoint from a different model inside a run', async () => {
    // A run on the hidden-48 model, interrupted; then its stage-1 checkpoint is swapped for the
    // hidden-32 run's one (as a user copying folders around might).
    const run48 = join(dir, 'run48');
    const r = await runCli(['train', '--config', config('run48.json', (c) => (c.model = other), run48), '--quiet', '--stop-after-steps', '4']);
    assert.equal(r.code, 1);
    const last = join(run48, 'progress', 'stage1', 'last');
    rmSync(last, { recursive: true });
    cpSync(join(existingRun, 'progress', 'stage1', 'last'), last, { recursive: true });
    const before48 = snapshot(run48);
    const msg = await fails(['train', '--resume', run48]);
    assert.equal(msg, `adaptext train: ${last}: checkpoint comes from a different model (bert, 2 layers, hidden 32, 2 heads, vocab 700); this run uses bert, 2 layers, hidden 48, 2 heads, vocab 700`);
    assert.deepEqual(snapshot(run48), before48);
  });

  it('predict: malformed input keeps an existing output file; unknown domain is named', async () => {
    const out = join(dir, 'pred.jsonl');
    writeFileSync(out, 'previous\n');
    const bad = dataFile('in.jsonl', ['{"text": "ok"}', '{"txt": "typo"}']);
    assert.equal(
      await fails(['predict', '--model', existingRun, '--input', bad, '--output', out]),
      `adaptext predict: ${existingRun}: the run has no finished stage yet (no stage1/, stage2/ or stage3/ checkpoint)`,
    );
    // With a model folder the input is read: the bad line is named and the output kept.
    assert.equal(await fails(['predict', '--model', join(existingRun, 'progress', 'stage1', 'last'), '--input', bad, '--output', out]), `adaptext predict: ${bad}:2: missing field 'text'`);
    assert.equal(readFileSync(out, 'utf8'), 'previous\n');
    assert.equal(
      await fails(['predict', '--model', join(existingRun, 'progress', 'stage1', 'last'), '--domain', 'kitchen', '--input', bad]),
      `adaptext predict: --domain kitchen: ${join(existingRun, 'progress', 'stage1', 'last')} has no such adapter (adapters: books)`,
    );
  });

  it('eval: a missing data file', async () => {
    const missing = join(dir, 'gone.jsonl');
    assert.equal(await fails(['eval', '--model', join(existingRun, 'progress', 'stage1', 'last'), '--data', missing]), `adaptext eval: ${missing}: no such data file`);
  });

  it('left every existing output as it was', () => {
    assert.deepEqual(snapshot(existingRun), runSnapshot);
    // The bad-data and bad-config runs above each name their own fresh output folder: a run that
    // fails on its inputs must not have created it.
    for (const n of ['missing', 'malformed', 'label', 'empty', 'typo']) {
      const cfg = JSON.parse(readFileSync(join(dir, `${n}.json`), 'utf8')) as { output: string };
      assert.equal(cfg.output, join(dir, `${n}-run`), `${n}.json writes to its own folder`);
      assert.ok(!existsSync(cfg.output), `${cfg.output} was created by a run that failed on its inputs`);
    }
  });
});
