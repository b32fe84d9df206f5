// `adaptext inspect` and `adaptext encode` on tiny random models saved with saveModel:
// a plain HF folder, an adaptext folder (adapters + flex heads in model.safetensors), a run
// folder (stage checkpoint + adapters/ + heads/ folders alongside). Encode is checked vector by
// vector against model.encode on the same inputs, and on bad inputs (one-line `file:line:` reasons,
// existing output untouched, no temp files left).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdapterModel, loadModel, saveAdapter, saveHead, saveModel } from '../../src/models/index.js';
import type { BertFamilyConfig, Pooling } from '../../src/models/index.js';
import { noGrad } from '../../src/tensor/index.js';
import { loadTokenizer } from '../../src/text/index.js';
import { encodeFile, float32Text, inspectModel } from '../../src/tasks/index.js';
import { formatInspect, layerRanges } from '../../src/cli/commands/inspect.js';
import { arrayDiff } from '../support/close.js';
import { tmp } from '../support/tmp.js';

const CFG: BertFamilyConfig = {
  model_type: 'bert',
  vocab_size: 40,
  hidden_size: 16,
  num_hidden_layers: 4,
  num_attention_heads: 2,
  intermediate_size: 32,
  max_position_embeddings: 24,
  type_vocab_size: 2,
};
// 30 tokens: specials + letters + a few word pieces (ids < vocab_size 40)
const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...'abcdefghijklmnopqrstuvw'.split(''), '##s', '##ing'];
const vocabWriter = { save: (d: string) => writeFileSync(join(d, 'vocab.txt'), VOCAB.join('\n') + '\n') };

const root = tmp('adaptext-cli-');
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

function adaptextModel(): AdapterModel {
  const m = new AdapterModel(CFG, { seed: 7 });
  m.addAdapter('books', { base: 'seq_bn', reduction_factor: 4 }); // leave_out default: layers 0,1
  m.addAdapter('kitchen', { base: 'double_seq_bn', reduction_factor: 8, leave_out: [0] });
  m.setActiveAdapter('books');
  m.addHead('sentiment', { type: 'sequence_classification', numLabels: 2, labels: ['neg', 'pos'] });
  m.addHead('domain', { type: 'domain_discriminator', numDomains: 2, labels: ['source', 'target'] });
  // Adapters start near identity (AdapterHub init); push them away so switching them is visible.
  for (const [k, p] of m.namedParameters()) if (k.includes('.adapters.')) for (let i = 0; i < p.size; i++) p.data[i]! += 0.05 * Math.sin(i + k.length);
  return m;
}

const ADAPTEXT_DIR = join(root, 'adaptext-model');
saveModel(adaptextModel(), ADAPTEXT_DIR, { tokenizer: vocabWriter });

const HF_DIR = join(root, 'hf-model');
saveModel(new AdapterModel(CFG, { seed: 3 }), HF_DIR, { mainHead: null, tokenizer: vocabWriter });
rmSync(join(HF_DIR, 'adaptext.json')); // a plain HF BertModel folder: config + weights + vocab

const NO_TOKENIZER_DIR = join(root, 'no-tokenizer');
saveModel(new AdapterModel(CFG, { seed: 3 }), NO_TOKENIZER_DIR, { mainHead: null });

// Run folder: stage1/ = backbone checkpoint; adapters/ and heads/ saved alongside as folders.
const RUN_DIR = join(root, 'run');
mkdirSync(RUN_DIR);
writeFileSync(join(RUN_DIR, 'run.json'), '{"formatVersion": 1}\n');
{
  const m = adaptextModel();
  const stage = join(RUN_DIR, 'stage1');
  const side = new AdapterModel(CFG, { seed: 11 });
  side.addAdapter('medical', { base: 'seq_bn', reduction_factor: 2, leave_out: [0, 1, 2] });
  side.addHead('topic', { type: 'sequence_classification', numLabels: 3, labels: ['a', 'b', 'c'] });
  m.deleteAdapter('kitchen');
  saveModel(m, stage, { tokenizer: vocabWriter });
  saveAdapter(side, 'medical', join(stage, 'adapters', 'medical'));
  saveAdapter(m, 'books', join(stage, 'adapters', 'books')); // also inside model.safetensors
  saveHead(side, 'topic', join(stage, 'heads', 'topic'));
  writeFileSync(join(stage, 'trainer_state.json'), JSON.stringify({ ...unfinishedState('stage1'), complete: true, trainingDone: true }));
  // stage2 is still training (trainer_state complete=false): inspect/encode must show stage1
  const s2 = join(RUN_DIR, 'stage2');
  saveModel(new AdapterModel(CFG, { seed: 5 }), s2, { mainHead: null });
  writeFileSync(join(s2, 'trainer_state.json'), JSON.stringify(unfinishedState('stage2')));
}

function writeLines(name: string, lines: readonly string[]): string {
  const p = join(root, name);
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

function readVectors(path: string): Array<{ id?: unknown; embedding: number[] }> {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id?: unknown; embedding: number[] });
}

/** The reference: model.encode on each input alone (no padding, no batching). */
function reference(dir: string, inputs: ReadonlyArray<{ text?: string; input_ids?: number[] }>, pooling: Pooling, adapter?: string | null): Float32Array[] {
  const { model } = loadModel(dir);
  model.eval();
  if (adapter !== undefined) model.setActiveAdapter(adapter);
  const tok = loadTokenizer(dir);
  return inputs.map((x) => {
    const ids = Int32Array.from(x.input_ids ?? tok.encode(x.text!).ids);
    return noGrad(() => model.encode({ inputIds: ids, shape: [1, ids.length] }, pooling)).data;
  });
}

function maxDiff(got: number[], want: Float32Array): number {
  return arrayDiff(got.map(Math.fround), want).maxAbs;
}

const INPUTS = [
  { id: 'a1', text: 'a b c' },
  { id: 7, input_ids: [2, 10, 11, 12, 13, 14, 15, 16, 17, 3] },
  { text: 'hello walking cats and dogs in the sun' },
  { id: 'empty', text: '' },
  { id: 'x', input_ids: [2, 5, 3], token_type_ids: [0, 0, 0] },
  { id: 'long', text: 'a b c d e f g h i j k l m n o p q r s' },
  { id: 'unk', text: 'zzz ??? 中文' },
];

// ------------------------------------------------------------------ inspect

test('inspect: adaptext folder lists architecture, per-group counts, adapters with layers and heads with labels', () => {
  const r = inspectModel(ADAPTEXT_DIR);
  const m = adaptextModel();
  assert.equal(r.kind, 'adaptext');
  assert.deepEqual(
    [r.architecture.modelType, r.architecture.layers, r.architecture.hidden, r.architecture.attentionHeads, r.architecture.vocab, r.architecture.maxPositions],
    ['bert', 4, 16, 2, 40, 24],
  );
  assert.deepEqual(r.parameters, m.countParameters());
  assert.ok(r.parameters.adapters.total > 0 && r.parameters.heads.total > 0);
  assert.equal(r.parameters.total.total, r.parameters.embeddings.total + r.parameters.backbone.total + r.parameters.adapters.total + r.parameters.heads.total);
  assert.equal(r.activeAdapter, 'books');
  const books = r.adapters.find((a) => a.name === 'books')!;
  assert.deepEqual([books.preset, books.layers, books.slots, books.bottleneck, books.active], ['seq_bn', [2, 3], ['output'], [4, 4], true]);
  assert.equal(
    books.parameters,
    m.adapterParameters('books').reduce((n, [, p]) => n + p.size, 0),
  );
  const kitchen = r.adapters.find((a) => a.name === 'kitchen')!;
  assert.deepEqual([kitchen.preset, kitchen.layers, kitchen.slots, kitchen.bottleneck[0]], ['double_seq_bn', [1, 2, 3], ['attention.output', 'output'], 2]);
  const sent = r.heads.find((h) => h.name === 'sentiment')!;
  assert.deepEqual([sent.type, sent.labels, sent.main], ['sequence_classification', ['neg', 'pos'], true]);
  const dom = r.heads.find((h) => h.name === 'domain')!;
  assert.deepEqual([dom.type, dom.labels, dom.numLabels], ['domain_discriminator', ['source', 'target'], 2]);
  assert.deepEqual(r.tokenizer, { kind: 'wordpiece', vocabSize: VOCAB.length, modelMaxLength: null, matchesModel: true });
  assert.deepEqual(r.weights.dtypes, { F32: m.parameters().length });

  const text = formatInspect(r);
  assert.match(text, /layers {12}4\n/);
  assert.match(text, /\* books {10}seq_bn, reduction 4 \(bottleneck 4\), relu, layers 2-3 \[output\]/);
  assert.match(text, /sentiment {6}sequence_classification, labels neg, pos/);
  assert.match(text, /tokenizer {9}WordPiece, vocab 30/);
});

test('inspect: plain HF folder has no adapters or heads; --freeze-layers changes only trainable counts', () => {
  const r = inspectModel(HF_DIR);
  assert.equal(r.kind, 'hf');
  assert.deepEqual([r.adapters, r.heads], [[], []]);
  assert.equal(r.parameters.total.trainable, r.parameters.total.total);
  const f = inspectModel(HF_DIR, { freezeLayers: 2 });
  assert.equal(f.parameters.embeddings.trainable, 0);
  assert.equal(f.parameters.total.total, r.parameters.total.total);
  // H=16, I=32: one layer = 4*(16*16+16) + 2*16 (attn LN) + (16*32+32) + (32*16+16) + 2*16 (out LN)
  const perLayer = 4 * (16 * 16 + 16) + 32 + (16 * 32 + 32) + (32 * 16 + 16) + 32;
  assert.equal(f.parameters.backbone.trainable, r.parameters.backbone.total - 2 * perLayer);
  assert.match(formatInspect(f), /with embeddings \+ layers 0-1 frozen/);
  const nt = inspectModel(NO_TOKENIZER_DIR);
  assert.equal(nt.tokenizer, null);
  assert.match(nt.tokenizerError!, /no tokenizer files/);
});

test('inspect: run folder → latest finished stage, adapters/ and heads/ folders loaded alongside', () => {
  const r = inspectModel(RUN_DIR);
  assert.equal(r.kind, 'run');
  assert.equal(r.dir, join(RUN_DIR, 'stage1'));
  assert.deepEqual(r.adapters.map((a) => a.name).sort(), ['books', 'medical']);
  assert.deepEqual(r.load.adapterFolders, ['medical']); // books was already in model.safetensors
  assert.deepEqual(r.adapters.find((a) => a.name === 'medical')!.layers, [3]);
  assert.deepEqual(r.heads.find((h) => h.name === 'topic')!.labels, ['a', 'b', 'c']);
  assert.deepEqual(r.load.headFolders, ['topic']);
  assert.equal(r.note, null);
  // no finished stage at all: the in-progress checkpoint, with a note
  const onlyRunning = join(root, 'run-running');
  mkdirSync(onlyRunning);
  writeFileSync(join(onlyRunning, 'run.json'), '{}');
  saveModel(new AdapterModel(CFG, { seed: 5 }), join(onlyRunning, 'stage1'), { mainHead: null });
  writeFileSync(join(onlyRunning, 'stage1', 'trainer_state.json'), JSON.stringify(unfinishedState('stage1')));
  const running = inspectModel(onlyRunning);
  assert.equal(running.dir, join(onlyRunning, 'stage1'));
  assert.match(formatInspect(running), /note: no finished stage yet: showing the in-progress checkpoint/);
});

test('inspect: bad folders give one clear line', () => {
  assert.throws(() => inspectModel(join(root, 'nope')), /nope: no such folder/);
  const empty = join(root, 'empty');
  mkdirSync(empty, { recursive: true });
  assert.throws(() => inspectModel(empty), /empty: not a model folder \(no config\.json\) and not a run folder/);
  assert.throws(() => inspectModel(HF_DIR, { freezeLayers: 9 }), /freezeLayers: n must be an integer in \[0, 4\]/);
  assert.equal(layerRanges([0, 1, 2, 5, 7, 8]), '0-2, 5, 7-8');
});

// ------------------------------------------------------------------ encode

test('encode: vectors equal model.encode per input (cls and mean), input order and ids kept, batches mixed lengths', () => {
  const input = writeLines(
    'in.jsonl',
    INPUTS.map((x) => JSON.stringify(x)),
  );
  for (const pooling of ['cls', 'mean'] as const) {
    const out = join(root, `out-${pooling}.jsonl`);
    // batch 3 and chunks of 4 lines: several sorted chunks, batches that mix lengths (padding)
    const r = encodeFile({ model: ADAPTEXT_DIR, input, output: out, pooling, batchSize: 3, chunkLines: 4 });
    assert.deepEqual([r.lines, r.dim, r.adapter, r.maxLength], [INPUTS.length, 16, 'books', 24]);
    assert.ok(r.paddingFraction > 0);
    const got = readVectors(out);
    assert.deepEqual(
      got.map((g) => g.id),
      INPUTS.map((x) => x.id),
    );
    const want = reference(ADAPTEXT_DIR, INPUTS, pooling);
    const worst = Math.max(...got.map((g, i) => maxDiff(g.embedding, want[i]!)));
    console.log(`encode ${pooling}: largest |difference| vs model.encode = ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-5, `${pooling}: ${worst}`);
  }
});

test('encode: batch size 1 is bit-identical to model.encode; --adapter picks the adapter; none disables it', () => {
  const input = writeLines(
    'in-adapter.jsonl',
    INPUTS.slice(0, 3).map((x) => JSON.stringify(x)),
  );
  const out = join(root, 'out-adapter.jsonl');
  const vecs: Record<string, Array<{ embedding: number[] }>> = {};
  for (const adapter of ['books', 'kitchen', 'none']) {
    encodeFile({ model: ADAPTEXT_DIR, input, output: out, batchSize: 1, adapter });
    vecs[adapter] = readVectors(out);
    const want = reference(ADAPTEXT_DIR, INPUTS.slice(0, 3), 'cls', adapter === 'none' ? null : adapter);
    vecs[adapter]!.forEach((g, i) => assert.deepEqual(Float32Array.from(g.embedding), want[i]!, `${adapter} line ${i + 1}`));
  }
  assert.notDeepEqual(vecs['books']![0]!.embedding, vecs['kitchen']![0]!.embedding);
  assert.notDeepEqual(vecs['books']![0]!.embedding, vecs['none']![0]!.embedding);
  assert.throws(() => encodeFile({ model: ADAPTEXT_DIR, input, output: out, adapter: 'medical' }), /--adapter 'medical': .* has no such adapter \(have: (books, kitchen|kitchen, books);/);
});

test('encode: --max-length truncates text, rejects longer input_ids', () => {
  const input = writeLines('in-max.jsonl', [JSON.stringify({ text: 'a b c d e f g h' })]);
  const out = join(root, 'out-max.jsonl');
  encodeFile({ model: HF_DIR, input, output: out, maxLength: 5 });
  const tok = loadTokenizer(HF_DIR);
  const ids = tok.encode('a b c d e f g h', { maxLength: 5 }).ids;
  assert.equal(ids.length, 5);
  const want = reference(HF_DIR, [{ input_ids: ids }], 'cls');
  assert.ok(maxDiff(readVectors(out)[0]!.embedding, want[0]!) < 1e-6);
  const long = writeLines('in-long.jsonl', [JSON.stringify({ input_ids: [2, 5, 6, 7, 8, 9, 3] })]);
  assert.throws(() => encodeFile({ model: HF_DIR, input: long, output: out, maxLength: 5 }), /in-long\.jsonl:1: 'input_ids' has 7 ids, more than the max length 5/);
  assert.throws(() => encodeFile({ model: HF_DIR, input: long, output: out, maxLength: 25 }), /--max-length 25 exceeds what the model accepts \(24/);
});

test('encode: bad lines fail with file:line: reason, leave an existing output untouched and no temp file', () => {
  const out = join(root, 'bad-out', 'vectors.jsonl');
  mkdirSync(join(root, 'bad-out'));
  writeFileSync(out, 'OLD\n');
  const good = JSON.stringify({ text: 'a b' });
  const cases: Array<[string, string, RegExp]> = [
    ['json', '{"text": "a b"', /bad-json\.jsonl:3: invalid JSON/],
    ['array', '[1, 2]', /bad-array\.jsonl:3: expected a JSON object, got an array/],
    ['neither', '{"label": 1}', /bad-neither\.jsonl:3: needs 'text' \(a string\) or 'input_ids'/],
    ['both', '{"text": "a", "input_ids": [2, 3]}', /bad-both\.jsonl:3: give either 'text' or 'input_ids', not both/],
    ['texttype', '{"text": 5}', /bad-texttype\.jsonl:3: 'text' must be a string, got a number/],
    ['range', '{"input_ids": [2, 99, 3]}', /bad-range\.jsonl:3: 'input_ids'\[1\] = 99 is outside the vocabulary \[0, 40\)/],
    ['float', '{"input_ids": [2, 1.5, 3]}', /bad-float\.jsonl:3: 'input_ids'\[1\] must be an integer, got 1\.5/],
    ['emptyids', '{"input_ids": []}', /bad-emptyids\.jsonl:3: 'input_ids' is empty/],
    ['types', '{"input_ids": [2, 3], "token_type_ids": [0]}', /bad-types\.jsonl:3: 'token_type_ids' has 1 entries, the sequence has 2 tokens/],
    ['typerange', '{"input_ids": [2, 3], "token_type_ids": [0, 2]}', /bad-typerange\.jsonl:3: 'token_type_ids'\[1\] = 2 is outside type_vocab_size \[0, 2\)/],
    ['id', '{"id": {"a": 1}, "text": "a"}', /bad-id\.jsonl:3: 'id' must be a string or a number, got object/],
  ];
  for (const [name, line, re] of cases) {
    // the bad line comes after a full chunk was already encoded and written to the temp file
    const input = writeLines(`bad-${name}.jsonl`, [good, good, line, good]);
    assert.throws(() => encodeFile({ model: ADAPTEXT_DIR, input, output: out, chunkLines: 2, batchSize: 2 }), re, name);
    assert.equal(readFileSync(out, 'utf8'), 'OLD\n', name);
    assert.deepEqual(readdirSync(join(root, 'bad-out')), ['vectors.jsonl'], name);
  }
  const textIn = writeLines('text-no-tok.jsonl', [good]);
  assert.throws(() => encodeFile({ model: NO_TOKENIZER_DIR, input: textIn, output: out }), /text-no-tok\.jsonl:1: 'text' needs a tokenizer, and the model folder has none/);
  const blank = writeLines('blank.jsonl', ['', '  ']);
  assert.throws(() => encodeFile({ model: HF_DIR, input: blank, output: out }), /blank\.jsonl: no input lines/);
  assert.throws(() => encodeFile({ model: HF_DIR, input: join(root, 'missing.jsonl'), output: out }), /missing\.jsonl: file not found/);
  assert.throws(() => encodeFile({ model: HF_DIR, input: textIn, output: textIn }), /is the input file/);
  assert.throws(() => encodeFile({ model: HF_DIR, input: textIn, output: join(root, 'no-dir', 'o.jsonl') }), /directory .*no-dir does not exist/);
  assert.equal(readFileSync(out, 'utf8'), 'OLD\n');
  // pre-tokenised input needs no tokenizer
  const idsIn = writeLines('ids-no-tok.jsonl', [JSON.stringify({ input_ids: [2, 7, 3] })]);
  encodeFile({ model: NO_TOKENIZER_DIR, input: idsIn, output: out });
  assert.equal(readVectors(out).length, 1);
});

test('encode: float32Text is the shortest text that reads back to the same float32', () => {
  const xs = [0, 1, -1, 0.1, 1e-30, 3.4e38, -2.5e-7, 123456.789, Math.PI, 1 / 3];
  for (let i = 0; i < 2000; i++) xs.push(Math.sin(i * 12.9898) * Math.exp((i % 40) - 20));
  for (const x of xs) {
    const f = Math.fround(x);
    const s = float32Text(f);
    assert.equal(Math.fround(Number(s)), f, `${x} -> ${s}`);
    assert.ok(s.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').length <= 9, s);
    assert.doesNotThrow(() => JSON.parse(`[${s}]`));
  }
  assert.equal(float32Text(Math.fround(0.1)), '0.1');
  assert.throws(() => float32Text(NaN), /non-finite/);
});

// ------------------------------------------------------------------ the command itself

/** A complete trainer_state.json of a stage still in progress (as the trainer writes it). */
function unfinishedState(stage: string): Record<string, unknown> {
  return {
    format: 'adaptext.trainer_state',
    formatVersion: 1,
    stage,
    complete: false,
    trainingDone: false,
    step: 2,
    totalSteps: 10,
    epoch: 0,
    batchInEpoch: 2,
    best: null,
    badEpochs: 0,
    stopped: null,
    rng: { model: [1, 2, 3, 4] },
    logLines: 2,
    baseModel: { model_type: 'bert', hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, vocab_size: 100 },
    vocabSize: 100,
    savedAt: '2026-12-03T00:00:00Z',
  };
}

function cli(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', "const { main } = await import('./src/cli/main.ts'); process.exitCode = await main(process.argv.slice(2));", 'adaptext', ...args],
    // argv[1] is a placeholder: `node -e CODE inspect` would start node's debugger instead
    { encoding: 'utf8', cwd: process.cwd(), timeout: 60_000, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('adaptext inspect/encode as commands: --json output, exit codes 0 / 1 (bad input) / 2 (usage)', () => {
  const j = cli(['inspect', ADAPTEXT_DIR, '--json']);
  assert.equal(j.status, 0, j.stderr);
  assert.equal((JSON.parse(j.stdout) as { architecture: { layers: number } }).architecture.layers, 4);
  const input = writeLines('cli-in.jsonl', [JSON.stringify({ id: 1, text: 'a b' }), '{"text": oops}']);
  const out = join(root, 'cli-out.jsonl');
  const bad = cli(['encode', '--model', ADAPTEXT_DIR, '--input', input, '--output', out]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^adaptext encode: .*cli-in\.jsonl:2: invalid JSON/);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  const usage = cli(['encode', '--model', ADAPTEXT_DIR, '--input', input, '--output', out, '--batch-size', '0']);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /--batch-size must be an integer >= 1, got '0'/);
  writeLines('cli-in.jsonl', [JSON.stringify({ id: 1, text: 'a b' })]);
  const ok = cli(['encode', '--model', ADAPTEXT_DIR, '--input', input, '--output', out, '--pooling', 'mean']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stderr, /encode: 1 vectors \(dim 16, mean pooling, adapter books/);
  assert.equal(readVectors(out)[0]!.id, 1);
  // standard input, as Unix users pipe it (`-` or /dev/stdin; /dev/stdin used to fail with ESPIPE)
  for (const name of ['-', '/dev/stdin']) {
    const piped = cli(['encode', '--model', ADAPTEXT_DIR, '--input', name, '--output', out, '--pooling', 'mean'], `${JSON.stringify({ id: 7, text: 'a b' })}\n`);
    assert.equal(piped.status, 0, piped.stderr);
    assert.equal(readVectors(out)[0]!.id, 7);
  }
});
