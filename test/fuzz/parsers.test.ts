// Property-based fuzzing (fast-check, fixed seed) of every parser a user's file reaches: the
// safetensors header, config.json, a model folder's tokenizer files, JSON Lines / CSV / TSV data,
// the YAML/JSON pipeline config and a checkpoint's trainer_state.json. The property: a valid result, or an Error whose message is
// one line naming the file — never a crash of another kind (TypeError, RangeError from deep
// inside), never a hang (each case has a time bound).
//
// Cases: FUZZ_RUNS per property (default 200 in `npm test`; `npm run test:fuzz` runs 3,000).
// Inputs are random bytes / text and mutations (byte flips, truncations, splices) of valid files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { configFromJson } from '../../src/io/config.js';
import { parseJson } from '../../src/io/validate.js';
import { parseDataset } from '../../src/data/readers.js';
import { validateConfig } from '../../src/train/config.js';
import { parseConfigText } from '../../src/io/config-file.js';
import { loadTokenizer, trainWordPiece } from '../../src/text/index.js';
import { readTrainerState } from '../../src/train/checkpoint.js';
import { tmp } from '../support/tmp.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 200);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261203);
const CASE_MS = 2000;
const dir = tmp('adaptext-fuzz-');

/** Runs `f`; passes when it returns or throws a one-line Error naming `source`. */
function oneLineOrValue(source: string, f: () => unknown): void {
  const t0 = Date.now();
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof Error, `threw a non-Error: ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `multi-line message: ${JSON.stringify(e.message)}`);
    assert.ok(e.message.includes(source), `message does not name ${source}: ${JSON.stringify(e.message)}`);
    assert.ok(!(e instanceof TypeError) && !(e instanceof RangeError && !e.message.startsWith(source)), `${e.name} from inside: ${e.message}`);
  }
  assert.ok(Date.now() - t0 < CASE_MS, `a case took ${Date.now() - t0} ms`);
}

/** Valid bytes, then a random edit: flip, truncate, splice random bytes in, or duplicate a slice. */
function mutated(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = valid.length;
  return fc.oneof(
    fc.tuple(fc.nat(n - 1), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
      const c = valid.slice();
      c[i] = b;
      return c;
    }),
    fc.nat(n).map((k) => valid.slice(0, k)),
    fc.tuple(fc.nat(n), fc.uint8Array({ maxLength: 32 })).map(([i, ins]) => new Uint8Array([...valid.slice(0, i), ...ins, ...valid.slice(i)])),
    fc.tuple(fc.nat(n), fc.nat(n)).map(([a, b]) => new Uint8Array([...valid.slice(0, Math.max(a, b)), ...valid.slice(Math.min(a, b))])),
    fc.uint8Array({ maxLength: 256 }),
  );
}

const utf8 = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const opts = { numRuns: RUNS, seed: SEED };

test(`safetensors header: ${RUNS} cases`, () => {
  const f = join(dir, 'ok.safetensors');
  writeSafetensors(f, [
    { name: 'a.weight', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    { name: 'b', shape: [2], data: Float32Array.from([7, 8]), dtype: 'F16' },
  ]);
  const valid = new Uint8Array(readFileSync(f));
  fc.assert(
    fc.property(mutated(valid), (bytes) => oneLineOrValue('x.safetensors', () => parseSafetensors(bytes, 'x.safetensors'))),
    opts,
  );
});

test(`config.json: ${RUNS} cases`, () => {
  const valid = Buffer.from(
    JSON.stringify({
      model_type: 'bert',
      vocab_size: 100,
      hidden_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 64,
      max_position_embeddings: 64,
      id2label: { 0: 'neg', 1: 'pos' },
    }),
  );
  fc.assert(
    fc.property(mutated(valid), (bytes) => oneLineOrValue('config.json', () => configFromJson(parseJson(utf8(bytes), 'config.json'), 'config.json'))),
    opts,
  );
});

test(`JSON Lines, CSV and TSV data: ${RUNS} cases each`, () => {
  const samples: Array<[string, string]> = [
    ['d.jsonl', '{"text": "good", "label": "positive"}\n{"text": "bad", "label": "negative"}\n'],
    ['d.csv', 'text,label\n"good, really",positive\nbad,negative\n'],
    ['d.tsv', 'label\ttext\npositive\tgood\nnegative\tbad\n'],
  ];
  for (const [name, text] of samples) {
    fc.assert(
      fc.property(mutated(Buffer.from(text)), (bytes) =>
        oneLineOrValue(name, () => parseDataset(utf8(bytes), name, { task: 'classification', labels: ['negative', 'positive'], onMalformed: 'fail' })),
      ),
      opts,
    );
  }
});

test(`pipeline config (YAML and JSON): ${RUNS} cases each`, () => {
  const yaml =
    'model: m\noutput: o\ntasks:\n  s: {type: sequence_classification, labels: [neg, pos]}\nsource: {name: a, task: s, labelled: a.jsonl}\ntarget: {name: b, task: s, labelled: b.jsonl, unlabelled: u.txt}\nstage1: {epochs: 2}\n';
  const json = JSON.stringify({
    model: 'm',
    output: 'o',
    tasks: { s: { type: 'sequence_classification', labels: ['neg', 'pos'] } },
    source: { name: 'a', task: 's', labelled: 'a.jsonl' },
    target: { name: 'b', task: 's', labelled: 'b.jsonl' },
  });
  for (const [name, text] of [
    ['run.yaml', yaml],
    ['run.json', json],
  ] as const) {
    fc.assert(
      fc.property(mutated(Buffer.from(text)), (bytes) => oneLineOrValue(name, () => validateConfig(parseConfigText(utf8(bytes), name), name, '/'))),
      opts,
    );
  }
});

test(`tokenizer folder (tokenizer.json, vocab.txt): ${Math.max(1, Math.floor(RUNS / 4))} cases each`, () => {
  const tok = trainWordPiece(['the good product works', 'a bad product broke'], { vocabSize: 60 });
  const base = join(dir, 'tok');
  tok.save(base);
  const files = ['tokenizer.json', 'vocab.txt'] as const;
  let k = 0;
  for (const f of files) {
    const valid = new Uint8Array(readFileSync(join(base, f)));
    fc.assert(
      fc.property(mutated(valid), (bytes) => {
        const d = join(dir, `tok-${k++}`);
        tok.save(d);
        if (f === 'vocab.txt') rmSync(join(d, 'tokenizer.json')); // the loader then reads vocab.txt
        writeFileSync(join(d, f), bytes);
        oneLineOrValue(d, () => loadTokenizer(d).encode('the good product'));
      }),
      { ...opts, numRuns: Math.max(1, Math.floor(RUNS / 4)) },
    );
  }
});

test(`trainer_state.json: ${RUNS} cases`, () => {
  const state = {
    format: 'adaptext.trainer_state',
    formatVersion: 1,
    stage: 'stage1',
    complete: false,
    trainingDone: false,
    step: 3,
    totalSteps: 10,
    epoch: 0,
    batchInEpoch: 3,
    best: null,
    badEpochs: 0,
    stopped: null,
    rng: { model: [1, 2, 3, 4] },
    logLines: 5,
    baseModel: { model_type: 'bert', hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 2, vocab_size: 700 },
    vocabSize: 700,
    savedAt: '2026-12-03T00:00:00Z',
  };
  let k = 0;
  fc.assert(
    fc.property(mutated(Buffer.from(JSON.stringify(state))), (bytes) => {
      const d = join(dir, `state-${k++}`);
      mkdirSync(d);
      writeFileSync(join(d, 'trainer_state.json'), bytes);
      oneLineOrValue(d, () => readTrainerState(d));
    }),
    opts,
  );
});
