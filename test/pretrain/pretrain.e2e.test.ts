// adaptext pretrain on real text (the bundled Amazon reviews): packing fills sequences, a tiny
// model's loss goes down, the output folder loads back as BertForMaskedLM, continued
// pretraining works, and an interrupted + resumed run ends bit-identical to an uninterrupted one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { pretrain, PRETRAIN_DEFAULTS, buildStream, packStream, writeSequence, readRecords, expandInputs, epochPermutation, type PretrainOptions } from '../../src/pretrain/index.js';
import { loadModel, readModelTensors } from '../../src/models/index.js';
import { loadTokenizer } from '../../src/text/index.js';
import { lockDir } from '../../src/io/lock.js';
import { RunLog } from '../../src/engine/run-log.js';
import { tmp as tempFolder } from '../support/tmp.js';

const BOOKS = join(import.meta.dirname, '../../data/amazon/books.unlabeled.jsonl.gz');
const KITCHEN = join(import.meta.dirname, '../../data/amazon/kitchen.unlabeled.jsonl.gz');
const quiet = { print: () => {} };

function tinyOptions(out: string, over: Partial<PretrainOptions> = {}): PretrainOptions {
  return {
    ...PRETRAIN_DEFAULTS,
    out,
    inputs: [BOOKS],
    heldout: [KITCHEN],
    layers: 1,
    hidden: 32,
    heads: 2,
    intermediate: 64,
    vocabSize: 1000,
    maxLength: 64,
    batchSize: 8,
    lr: 3e-3,
    warmupSteps: 4,
    totalSteps: 40,
    maxSteps: 40,
    evalEvery: 20,
    heldoutSequences: 24,
    checkpointMinutes: 0,
    logEvery: 5,
    progress: 'none',
    ...over,
  };
}

const tmp = tempFolder('adaptext-pretrain-');
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('packing: every sequence is [CLS] + T-2 stream tokens + [SEP], full, in stream order', () => {
  const CLS = 2;
  const SEP = 3;
  const records = [[10, 11, 12], [], [13], Array.from({ length: 20 }, (_, i) => 100 + i), [14, 15]];
  const { stream, records: n } = buildStream(records, SEP);
  assert.equal(n, 4, 'empty records are skipped');
  assert.deepEqual([...stream.slice(0, 6)], [10, 11, 12, SEP, 13, SEP]);
  assert.equal(stream.length, 3 + 1 + (1 + 1) + (20 + 1) + (2 + 1), 'each record followed by one [SEP]');
  const T = 9; // windows of 7: 30 stream tokens → 4 sequences, 2 tokens dropped
  const p = packStream(stream, T, n);
  assert.equal(p.numSequences, Math.floor(stream.length / (T - 2)));
  const seq = new Int32Array(p.numSequences * T);
  for (let k = 0; k < p.numSequences; k++) writeSequence(p, k, seq, k * T, CLS, SEP);
  const joined: number[] = [];
  for (let k = 0; k < p.numSequences; k++) {
    const s = [...seq.slice(k * T, (k + 1) * T)];
    assert.equal(s[0], CLS);
    assert.equal(s[T - 1], SEP);
    assert.ok(!s.includes(0), 'no padding anywhere');
    joined.push(...s.slice(1, T - 1));
  }
  assert.deepEqual(joined, [...stream.slice(0, joined.length)], 'windows tile the stream in order');
  assert.ok(stream.length - joined.length < T - 2, 'only the last partial window is dropped');
  assert.throws(() => writeSequence(p, p.numSequences, seq, 0, CLS, SEP), /sequence 4 out of range \[0, 4\)/);
});

test('corpus: txt, jsonl and .gz records; bad lines name file:line; globs', () => {
  const d = join(tmp, 'corpus');
  rmSync(d, { recursive: true, force: true });
  const mk = (name: string, text: string | Buffer) => {
    const f = join(d, name);
    writeFileSync(f, text);
    return f;
  };
  mkdirSync(d, { recursive: true });
  const txt = mk('a.txt', 'first line\n\n  second line  \n');
  assert.deepEqual(readRecords(txt), ['first line', 'second line']);
  const gz = mk('b.jsonl.gz', gzipSync('{"text":"one"}\n{"text":"  "}\n{"body":"x","text":"two"}\n'));
  assert.deepEqual(readRecords(gz), ['one', 'two']);
  const bad = mk('c.jsonl', '{"text":"ok"}\n{"text": oops}\n');
  assert.throws(() => readRecords(bad), /c\.jsonl:2: invalid JSON/);
  const noField = mk('d.jsonl', '{"text":"ok"}\n{"body":"x"}\n');
  assert.throws(() => readRecords(noField), /d\.jsonl:2: field 'text' is missing/);
  assert.deepEqual(readRecords(mk('e.jsonl', '{"body":"x"}\n'), 'body'), ['x'], 'the text field is configurable');
  assert.deepEqual(
    expandInputs([join(d, '*.jsonl*')]).map((f) => f.split('/').pop()),
    ['b.jsonl.gz', 'c.jsonl', 'd.jsonl', 'e.jsonl'],
  );
  assert.throws(() => expandInputs([join(d, '*.csv')]), /input '.*\*\.csv': no file matches/);
  assert.throws(() => expandInputs([join(d, 'nope.txt')]), /no such file/);
});

test('epoch permutation: a permutation, fixed by (seed, epoch)', () => {
  const a = epochPermutation(100, 42, 0);
  assert.deepEqual(
    [...a].sort((x, y) => x - y),
    Array.from({ length: 100 }, (_, i) => i),
  );
  assert.deepEqual(a, epochPermutation(100, 42, 0));
  assert.notDeepEqual(a, epochPermutation(100, 42, 1));
});

let fullOut = '';
let fullLosses: Array<{ step: number; loss: number }> = [];

test('pretrain from scratch: loss goes down, output loads back as BertForMaskedLM', async () => {
  fullOut = join(tmp, 'full');
  const r = await pretrain(tinyOptions(fullOut), quiet);
  fullLosses = r.losses;
  assert.equal(r.step, 40);
  assert.equal(r.tokensSeen, 40 * 8 * 64);
  assert.equal(r.stopReason, 'max steps 40');
  const first = r.losses[0]!.loss;
  const last = r.losses[r.losses.length - 1]!.loss;
  assert.ok(first > Math.log(1000) - 0.5, `initial loss ${first} should be near ln(V)=${Math.log(1000).toFixed(2)}`);
  assert.ok(last < first - 0.5, `training loss should drop by > 0.5 nats: ${first.toFixed(3)} → ${last.toFixed(3)}`);
  const evals = readFileSync(join(fullOut, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((o) => o.type === 'heldout');
  assert.deepEqual(
    evals.map((e) => e.step),
    [0, 20, 40],
  );
  assert.ok(evals[2].loss < evals[0].loss - 0.5, `held-out loss should drop: ${evals[0].loss} → ${evals[2].loss}`);
  assert.ok(Math.abs(evals[2].perplexity - Math.exp(evals[2].loss)) < 1e-9);

  const config = JSON.parse(readFileSync(join(fullOut, 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['BertForMaskedLM']);
  assert.equal(config.hidden_size, 32);
  assert.equal(config.max_position_embeddings, 64);
  const keys = [...readModelTensors(fullOut).keys()];
  assert.ok(keys.includes('cls.predictions.transform.dense.weight') && keys.includes('cls.predictions.bias'), 'MLM head under HF names');
  assert.ok(keys.includes('bert.embeddings.word_embeddings.weight'));
  const tok = loadTokenizer(fullOut);
  assert.equal(tok.vocabSize, config.vocab_size);
  assert.ok(existsSync(join(fullOut, 'vocab.txt')) && existsSync(join(fullOut, 'tokenizer_config.json')));
  const { model } = loadModel(fullOut);
  assert.equal(model.getHead(model.mainHead!).type, 'masked_lm');
  // MLM-only pretraining never trains the pooler: the folder says so, and task heads avoid it
  assert.equal(model.poolerTrained, false);
  assert.equal(JSON.parse(readFileSync(join(fullOut, 'adaptext.json'), 'utf8')).pooler_trained, false);
});

test('with no stop condition the run ends at the schedule horizon (lr 0: no later step could change the weights)', async () => {
  const r = await pretrain(tinyOptions(join(tmp, 'horizon'), { maxSteps: 0, totalSteps: 3, warmupSteps: 1, evalEvery: 0 }), quiet);
  assert.equal(r.step, 3);
  assert.equal(r.stopReason, 'end of the schedule (total steps 3)');
});

test('resume after an interruption ends bit-identical to the uninterrupted run', async () => {
  assert.ok(fullOut !== '', 'needs the previous test');
  const out = join(tmp, 'resumed');
  const saved = join(tmp, 'resumed-checkpoint-10');
  // A checkpoint at step 10, then the run goes on to step 17 and "crashes": the 7 steps after the
  // checkpoint are lost. (A hook stop writes a checkpoint at 17, so the step-10 checkpoint is
  // copied aside when it is written and put back, as if the process had died before step 17's.)
  const first = await pretrain(tinyOptions(out, { checkpointEvery: 10 }), {
    ...quiet,
    afterStep: (s) => {
      if (s === 10) cpSync(join(out, 'checkpoint'), saved, { recursive: true });
      return s === 17;
    },
  });
  assert.equal(first.step, 17);
  rmSync(join(out, 'checkpoint'), { recursive: true });
  cpSync(saved, join(out, 'checkpoint'), { recursive: true });
  const state = JSON.parse(readFileSync(join(out, 'checkpoint', 'trainer_state.json'), 'utf8'));
  assert.equal(state.step, 10);
  const trainSteps = () =>
    readFileSync(join(out, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((o) => o.type === 'step')
      .map((o) => o.step);
  assert.deepEqual(trainSteps(), [5, 10, 15], 'the lost steps were logged before the crash');
  const second = await pretrain({ resume: out }, quiet);
  assert.equal(second.step, 40);
  const a = readModelTensors(fullOut);
  const b = readModelTensors(out);
  for (const [k, t] of a) assert.deepEqual(b.get(k)!.data, t.data, `${k} differs after resume`);
  const resumedLosses = second.losses;
  assert.deepEqual(
    resumedLosses,
    fullLosses.filter((l) => l.step > 10),
    'same loss sequence after the resume point',
  );
  assert.deepEqual(trainSteps(), [5, 10, 15, 20, 25, 30, 35, 40], 'log holds each step once (the lost step 15 replayed, not repeated)');
  // the shared run-log schema: every record has type, stage, step, tokens and a Unix time in seconds
  const now = Date.now() / 1000;
  const records = new RunLog(join(out, 'log.jsonl')).read();
  for (const r of records) {
    assert.equal(r['stage'], 'pretrain', JSON.stringify(r));
    assert.equal(typeof r['step'], 'number', JSON.stringify(r));
    assert.equal(typeof r['tokens'], 'number', JSON.stringify(r));
    assert.ok(r.time > now - 3600 && r.time <= now, `time ${r.time} is not Unix seconds of this run`);
  }
  assert.deepEqual([...new Set(records.map((r) => r.type))].sort(), ['checkpoint', 'heldout', 'resume', 'start', 'step', 'stop']);
  // CPU time accumulates over the sessions: it never goes down from one step record to the next
  const cpu = records.filter((r) => r.type === 'step').map((r) => r['cpuSeconds'] as number);
  assert.ok(
    cpu.every((c, i) => typeof c === 'number' && c > 0 && (i === 0 || c >= cpu[i - 1]!)),
    `cpuSeconds ${cpu.join(' ')}`,
  );
  // a checkpoint of the earlier state format (version 1, older log schema) is refused with a way on
  const file = join(out, 'checkpoint', 'trainer_state.json');
  const v2 = readFileSync(file, 'utf8');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(v2), version: 1, logLines: undefined }));
  await assert.rejects(pretrain({ resume: out }, quiet), /version 1, an older checkpoint layout and log format\) and cannot be resumed; .*adaptext pretrain --model .* --out NEW_FOLDER/);
  writeFileSync(file, v2);
});

test('continued pretraining from an HF folder, and refusals', async () => {
  const out = join(tmp, 'dapt');
  const r = await pretrain(tinyOptions(out, { model: fullOut, inputs: [KITCHEN], heldout: [], maxSteps: 5, totalSteps: 5 }), quiet);
  assert.equal(r.step, 5);
  assert.equal(loadTokenizer(out).vocabSize, loadTokenizer(fullOut).vocabSize, 'keeps the model vocabulary');
  await assert.rejects(pretrain(tinyOptions(out, { model: fullOut, inputs: [KITCHEN] }), quiet), /already holds a pretraining run.*--resume/);
  await assert.rejects(pretrain({ resume: join(tmp, 'nothing-here') }, quiet), /run\.json is missing/);
  await assert.rejects(pretrain(tinyOptions(join(tmp, 'bad1'), { heldout: [BOOKS] }), quiet), /held-out file .* is also a training input/);
  await assert.rejects(pretrain(tinyOptions(join(tmp, 'bad2'), { hidden: 30, heads: 4 }), quiet), /hidden 30 is not a multiple of heads 4/);
  await assert.rejects(pretrain(tinyOptions(join(tmp, 'bad3'), { model: fullOut, maxLength: 128 }), quiet), /--max-length 128 exceeds the model's max_position_embeddings 64/);
});

test('held-out loss is measured at 15% masking whatever the training rate (runs with other rates stay comparable)', async () => {
  const heldout = async (name: string, mlmProbability: number) => {
    const out = join(tmp, name);
    await pretrain(tinyOptions(out, { model: fullOut, inputs: [BOOKS], heldout: [KITCHEN], maxSteps: 1, totalSteps: 1, warmupSteps: 0, mlmProbability }), quiet);
    return readFileSync(join(out, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; step: number; loss: number; predictions: number })
      .find((o) => o.type === 'heldout' && o.step === 0)!;
  };
  const a = await heldout('mask15', 0.15);
  const b = await heldout('mask40', 0.4);
  assert.equal(b.predictions, a.predictions);
  assert.equal(b.loss, a.loss);
});

test('electra: replaced-token detection from scratch learns, saves the generator with the checkpoint, publishes a BERT encoder, resumes bit-identical', async () => {
  const full = join(tmp, 'electra-full');
  const opts = (out: string, over: Partial<PretrainOptions> = {}) => tinyOptions(out, { objective: 'electra', generatorScale: 0.5, maxSteps: 24, totalSteps: 24, evalEvery: 12, ...over });
  const r = await pretrain(opts(full), quiet);
  assert.equal(r.step, 24);
  const steps = readFileSync(join(full, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number | string>)
    .filter((o) => o.type === 'step');
  const first = steps[0]!;
  const last = steps.at(-1)!;
  for (const k of ['generatorLoss', 'rtdLoss', 'rtdAccuracy', 'replaced']) assert.equal(typeof last[k], 'number', `step record has ${k}`);
  assert.ok((last['rtdLoss'] as number) < (first['rtdLoss'] as number), `rtd loss ${first['rtdLoss']} -> ${last['rtdLoss']}`);
  assert.ok((last['generatorLoss'] as number) < (first['generatorLoss'] as number), `generator loss ${first['generatorLoss']} -> ${last['generatorLoss']}`);
  assert.ok((last['replaced'] as number) > 0.05 && (last['replaced'] as number) <= 0.16, `replaced share ${last['replaced']} (at most the 15% masked)`);
  // the published model: the discriminator, a plain BERT with the 2-way replaced-token head; the generator beside it in the checkpoint
  const { model } = loadModel(full);
  assert.deepEqual(model.headNames(), ['rtd']);
  assert.equal(JSON.parse(readFileSync(join(full, 'config.json'), 'utf8')).architectures[0], 'BertForTokenClassification');
  const gen = loadModel(join(full, 'checkpoint', 'generator')).model;
  assert.equal(gen.cfg.hiddenSize, 16);
  assert.equal(gen.cfg.numLayers, model.cfg.numLayers);
  // stopped at step 10 and resumed: the same weights (both models) and losses as the uninterrupted run
  const out = join(tmp, 'electra-resumed');
  await pretrain(opts(out), { ...quiet, afterStep: (s) => s === 10 });
  const second = await pretrain({ resume: out }, quiet);
  assert.equal(second.step, 24);
  for (const [dir, ref] of [
    [out, full],
    [join(out, 'checkpoint', 'generator'), join(full, 'checkpoint', 'generator')],
  ] as const) {
    const a = readModelTensors(ref);
    const b = readModelTensors(dir);
    for (const [k, t] of a) assert.deepEqual(b.get(k)!.data, t.data, `${dir}: ${k} differs after resume`);
  }
  assert.deepEqual(
    second.losses,
    r.losses.filter((l) => l.step > 10),
  );
});

test('never writes into a folder it did not create: not over its own --model, not into anything non-empty', async () => {
  assert.ok(fullOut !== '', 'needs the first pretraining test');
  // an HF model folder, as `cp -r models/adaptext-mini-en /tmp/m` gives it (no run.json)
  const m = join(tmp, 'hf-copy');
  cpSync(fullOut, m, { recursive: true });
  for (const f of ['run.json', 'log.jsonl', 'checkpoint', 'data']) rmSync(join(m, f), { recursive: true, force: true });
  const weights = readFileSync(join(m, 'model.safetensors'));
  const files = readdirSync(m).sort();
  await assert.rejects(pretrain(tinyOptions(m, { model: m, inputs: [KITCHEN], heldout: [], maxSteps: 3, totalSteps: 3 }), quiet), /--out .* is the --model folder/);
  await assert.rejects(pretrain(tinyOptions(join(m, '.'), { model: m, inputs: [KITCHEN], heldout: [], maxSteps: 3, totalSteps: 3 }), quiet), /is the --model folder/);
  assert.deepEqual(readdirSync(m).sort(), files, 'nothing added or removed');
  assert.deepEqual(readFileSync(join(m, 'model.safetensors')), weights, 'the starting weights are untouched');
  const mine = join(tmp, 'not-empty');
  mkdirSync(mine);
  writeFileSync(join(mine, 'notes.txt'), 'mine');
  await assert.rejects(pretrain(tinyOptions(mine, { maxSteps: 3 }), quiet), /output folder is not empty \(notes\.txt\)/);
  assert.deepEqual(readdirSync(mine), ['notes.txt']);
  // one writer per run folder: a resume while another process holds it is refused
  const held = lockDir(fullOut, 'pretrain');
  try {
    await assert.rejects(pretrain({ resume: fullOut, overrides: { maxSteps: 41 } }, quiet), /in use by pretrain \(pid \d+ on /);
  } finally {
    held.release();
  }
});

test('SIGTERM stops a run at the end of the step with a checkpoint', async () => {
  const out = join(tmp, 'signal');
  let sent = 0;
  const r = await pretrain(tinyOptions(out, { maxSteps: 0, totalSteps: 400, evalEvery: 0 }), {
    ...quiet,
    afterStep: (step) => {
      if (step === 3) {
        sent = step;
        process.kill(process.pid, 'SIGTERM');
      }
      return step >= 60; // fallback stop so a broken signal path fails the assertions, not the runner
    },
  });
  assert.equal(sent, 3);
  assert.equal(r.stopReason, 'signal SIGTERM');
  assert.ok(r.step >= 3 && r.step <= 4, `stopped at step ${r.step}`);
  const events = readFileSync(join(out, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    events.slice(-2).map((e) => [e.type, e.reason]),
    [
      ['stop', 'signal SIGTERM'],
      ['checkpoint', 'stop'],
    ],
  );
  assert.equal(process.listenerCount('SIGTERM'), 0, 'handlers removed after the run');
  // resumed: the first session's stop record survives the cut back to the checkpoint's log length
  await pretrain({ resume: out, overrides: { maxSteps: r.step + 2 } }, quiet);
  const after = readFileSync(join(out, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; reason?: string });
  assert.deepEqual(
    after.filter((e) => e.type === 'stop').map((e) => e.reason),
    ['signal SIGTERM', `max steps ${r.step + 2}`],
  );
});
