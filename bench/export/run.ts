// `npm run bench:export` — what the ONNX export costs and buys, measured in one run:
//
//   node --import tsx bench/export/run.ts [--run RUN --domain D --test FILE] [--threads N] [--iters N] [--out FILE]
//
//   1. export time and file sizes (fp32 / int8) of the bundled model (or the trained run given with
//      --run) and of a BERT-base-shaped model (random weights, seq_bn adapter, 2-label head);
//   2. inference time, adaptext vs onnxruntime-node fp32 and int8, same thread count, batch 32 x 128
//      tokens and batch 1 x 128 (median of --iters after one warm-up);
//   3. with --run and --test: accuracy of adaptext predict, the fp32 graph and the int8 graph on the
//      labelled test file (e.g. a demo's kitchen.test.jsonl), and how often the labels agree.
// Prints a Markdown table and writes the JSON (with the CPU model and flags) to --out.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { AdapterModel, loadModel, saveModel } from '../../src/models/index.js';
import { loadTokenizer } from '../../src/text/index.js';
import { noGrad } from '../../src/tensor/index.js';
import { buildOnnxGraph, encodeOnnx, exportModel, type WeightFormat } from '../../src/deploy/index.js';
import { openForInference } from '../../src/train/inference.js';
import { readDataset, encodeExamples } from '../../src/data/index.js';
import { gitCommit, machineInfo } from '../support/machine.js';

interface Args {
  run: string | null;
  domain: string | undefined;
  test: string | null;
  threads: number;
  iters: number;
  out: string;
}

function parseCli(argv: string[]): Args {
  const { values: v } = parseArgs({
    args: argv,
    options: { run: { type: 'string' }, domain: { type: 'string' }, test: { type: 'string' }, threads: { type: 'string' }, iters: { type: 'string', default: '5' }, out: { type: 'string' } },
    strict: true,
  });
  const a: Args = {
    run: v.run ?? null,
    domain: v.domain,
    test: v.test ?? null,
    threads: Number(v.threads ?? process.env['ADAPTEXT_THREADS'] ?? 2),
    iters: Number(v.iters),
    out: v.out ?? join(import.meta.dirname, 'results', 'latest.json'),
  };
  process.env['ADAPTEXT_THREADS'] = String(a.threads); // before the first kernel call
  return a;
}

const median = (xs: number[]): number => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;

function timeIt(iters: number, f: () => void): number {
  f(); // warm-up
  const ts: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    f();
    ts.push((performance.now() - t0) / 1000);
  }
  return median(ts);
}

async function timeItAsync(iters: number, f: () => Promise<unknown>): Promise<number> {
  await f();
  const ts: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await f();
    ts.push((performance.now() - t0) / 1000);
  }
  return median(ts);
}

/** Token ids in the vocabulary's middle (not special), one row per batch entry, no padding. */
function syntheticBatch(B: number, T: number, vocab: number): { ids: Int32Array; mask: Int32Array } {
  const ids = new Int32Array(B * T);
  for (let i = 0; i < ids.length; i++) ids[i] = 1000 + ((i * 7919) % (vocab - 1100));
  return { ids, mask: new Int32Array(B * T).fill(1) };
}

function feeds(session: ort.InferenceSession, ids: Int32Array, mask: Int32Array, B: number, T: number): Record<string, ort.Tensor> {
  const i64 = (a: Int32Array) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from(a, (v) => BigInt(v)),
      [B, T],
    );
  const f: Record<string, ort.Tensor> = { input_ids: i64(ids), attention_mask: i64(mask) };
  if (session.inputNames.includes('token_type_ids')) f['token_type_ids'] = i64(new Int32Array(B * T));
  return f;
}

interface ModelRow {
  name: string;
  parameters: number;
  exportSeconds: number;
  bytes: Record<WeightFormat, number>;
  speed: { batch: number; seq: number; adaptext: number; onnxFp32: number; onnxInt8: number }[];
}

async function measureModel(
  name: string,
  model: AdapterModel,
  sel: { adapter: string | null; head: string },
  exportSeconds: number,
  bytesOf: Record<WeightFormat, Uint8Array>,
  a: Args,
): Promise<ModelRow> {
  const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: a.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
  const sessions = { fp32: await ort.InferenceSession.create(bytesOf.fp32, opts), int8: await ort.InferenceSession.create(bytesOf.int8, opts) };
  model.eval();
  model.setActiveAdapter(sel.adapter);
  const speed: ModelRow['speed'] = [];
  for (const [B, T] of [
    [32, 128],
    [1, 128],
  ] as const) {
    const { ids, mask } = syntheticBatch(B, T, model.cfg.vocabSize);
    const adaptext = timeIt(a.iters, () => noGrad(() => model.forward({ inputIds: ids, shape: [B, T], attentionMask: mask }, { heads: [sel.head] })));
    const f32 = feeds(sessions.fp32, ids, mask, B, T);
    const onnxFp32 = await timeItAsync(a.iters, () => sessions.fp32.run(f32));
    const f8 = feeds(sessions.int8, ids, mask, B, T);
    const onnxInt8 = await timeItAsync(a.iters, () => sessions.int8.run(f8));
    speed.push({ batch: B, seq: T, adaptext, onnxFp32, onnxInt8 });
    process.stderr.write(`${name} B${B} T${T}: adaptext ${(adaptext * 1000).toFixed(1)} ms, onnxruntime fp32 ${(onnxFp32 * 1000).toFixed(1)} ms, int8 ${(onnxInt8 * 1000).toFixed(1)} ms\n`);
  }
  await sessions.fp32.release();
  await sessions.int8.release();
  const parameters = model.parameters().reduce((n, p) => n + p.size, 0);
  return { name, parameters, exportSeconds, bytes: { fp32: bytesOf.fp32.byteLength, int8: bytesOf.int8.byteLength }, speed };
}

/** Accuracy of adaptext, the fp32 graph and the int8 graph on a labelled file. */
async function accuracy(run: string, domain: string | undefined, test: string, exported: string, a: Args) {
  const m = openForInference(run, { domain });
  const ds = readDataset(test, { task: 'classification', labels: m.task.labels });
  const { encoded } = encodeExamples(ds.examples, m.tokenizer, { maxLength: m.maxLength });
  const gold = encoded.map((e) => e.label as number);
  const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: a.threads, interOpNumThreads: 1 };
  const preds: Record<string, number[]> = { adaptext: [], fp32: [], int8: [] };
  m.model.eval();
  m.model.setActiveAdapter(m.adapter);
  const sessions = {
    fp32: await ort.InferenceSession.create(join(exported, 'onnx', 'model.onnx'), opts),
    int8: await ort.InferenceSession.create(join(exported, 'onnx', 'model_quantized.onnx'), opts),
  };
  const argmax = (x: Float32Array | number[], off: number, L: number) => {
    let best = 0;
    for (let j = 1; j < L; j++) if (x[off + j]! > x[off + best]!) best = j;
    return best;
  };
  const L = m.task.labels.length;
  for (const e of encoded) {
    // one review at a time: no padding, the simplest faithful comparison
    const T = e.ids.length;
    const ids = Int32Array.from(e.ids);
    const mask = new Int32Array(T).fill(1);
    const logits = noGrad(() => m.model.forward({ inputIds: ids, shape: [1, T], attentionMask: mask }, { heads: [m.head] })).heads[m.head]!.logits.data;
    preds['adaptext']!.push(argmax(logits, 0, L));
    for (const w of ['fp32', 'int8'] as const) {
      const r = await sessions[w].run(feeds(sessions[w], ids, mask, 1, T));
      preds[w]!.push(argmax(r['logits']!.data as Float32Array, 0, L));
    }
  }
  const acc = (p: number[]) => p.filter((x, i) => x === gold[i]).length / gold.length;
  const agree = (p: number[], q: number[]) => p.filter((x, i) => x === q[i]).length / p.length;
  return {
    examples: gold.length,
    accuracy: { adaptext: acc(preds['adaptext']!), fp32: acc(preds['fp32']!), int8: acc(preds['int8']!) },
    agreementWithAdaptext: { fp32: agree(preds['fp32']!, preds['adaptext']!), int8: agree(preds['int8']!, preds['adaptext']!) },
  };
}

async function main(): Promise<void> {
  const a = parseCli(process.argv.slice(2));
  const machine = machineInfo();
  const load0 = loadavg()[0]!;
  const work = mkdtempSync(join(tmpdir(), 'adaptext-bench-export-'));
  const rows: ModelRow[] = [];
  let acc: Awaited<ReturnType<typeof accuracy>> | null = null;
  try {
    // 1. the bundled model (or the given run) through `exportModel`, as a user runs it
    let source = a.run;
    if (source === null) {
      const { model } = loadModel('models/adaptext-mini-en');
      model.addAdapter('kitchen', 'seq_bn', { setActive: true });
      model.addHead('sentiment', { type: 'sequence_classification', numLabels: 2, labels: ['negative', 'positive'], pooling: 'mean' }, { setActive: true });
      source = join(work, 'bundled');
      saveModel(model, source, { tokenizer: loadTokenizer('models/adaptext-mini-en'), mainHead: 'sentiment' });
    }
    const out = join(work, 'export');
    const r = exportModel({ model: source, domain: a.domain ?? (a.run === null ? 'kitchen' : undefined), output: out, quantize: true });
    const m = openForInference(source, { domain: r.adapter ?? undefined });
    const bytesOf = { fp32: readFileSync(join(out, 'onnx', 'model.onnx')), int8: readFileSync(join(out, 'onnx', 'model_quantized.onnx')) };
    rows.push(await measureModel(a.run === null ? 'bundled adaptext-mini-en (4 x 256)' : `run ${a.run}`, m.model, { adapter: r.adapter, head: r.head }, r.seconds, bytesOf, a));
    if (a.run !== null && a.test !== null) acc = await accuracy(a.run, a.domain, a.test, out, a);

    // 2. BERT-base shapes: graph build + serialization time (no folder: the weights are random)
    const base = new AdapterModel(
      { model_type: 'bert', vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, max_position_embeddings: 512, type_vocab_size: 2 },
      { seed: 1 },
    );
    base.addAdapter('kitchen', 'seq_bn', { setActive: true });
    base.addHead('sentiment', { type: 'sequence_classification', numLabels: 2, pooling: 'cls' }, { setActive: true });
    const sel = { adapter: 'kitchen', head: 'sentiment' };
    const t0 = performance.now();
    const fp32 = encodeOnnx(buildOnnxGraph(base, sel, 'fp32'), sel);
    const exportSeconds = (performance.now() - t0) / 1000;
    const int8 = encodeOnnx(buildOnnxGraph(base, sel, 'int8'), sel);
    rows.push(await measureModel('BERT-base shapes (12 x 768, random)', base, sel, exportSeconds, { fp32, int8 }, a));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const mb = (n: number) => (n / 1e6).toFixed(1);
  const msf = (s: number) => (s * 1000).toFixed(1);
  const lines = [
    `# bench:export — ${new Date().toISOString().slice(0, 10)}, commit ${gitCommit() ?? '?'}`,
    '',
    `CPU: ${machine.model} x${machine.cpus} (${machine.simd.join(' ')}); ${a.threads} thread(s) on both sides; load average ${load0.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at end; median of ${a.iters} after a warm-up.`,
    '',
    '| model | parameters | export (s) | model.onnx MB | model_quantized.onnx MB | batch | adaptext ms | onnxruntime fp32 ms | ratio ort/adaptext | onnxruntime int8 ms | ratio int8/adaptext |',
    '|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|',
    ...rows.flatMap((r) =>
      r.speed.map(
        (s, i) =>
          `| ${i === 0 ? r.name : ''} | ${i === 0 ? (r.parameters / 1e6).toFixed(1) + ' M' : ''} | ${i === 0 ? r.exportSeconds.toFixed(1) : ''} | ${i === 0 ? mb(r.bytes.fp32) : ''} | ${i === 0 ? mb(r.bytes.int8) : ''} | ${s.batch} x ${s.seq} | ${msf(s.adaptext)} | ${msf(s.onnxFp32)} | ${(s.onnxFp32 / s.adaptext).toFixed(2)} | ${msf(s.onnxInt8)} | ${(s.onnxInt8 / s.adaptext).toFixed(2)} |`,
      ),
    ),
  ];
  if (acc !== null) {
    const p = (x: number) => (100 * x).toFixed(1) + '%';
    lines.push(
      '',
      `Accuracy on ${a.test} (${acc.examples} reviews): adaptext ${p(acc.accuracy.adaptext)}, onnx fp32 ${p(acc.accuracy.fp32)} (same label as adaptext on ${p(acc.agreementWithAdaptext.fp32)}), onnx int8 ${p(acc.accuracy.int8)} (same label on ${p(acc.agreementWithAdaptext.int8)}).`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
  mkdirSync(dirname(a.out), { recursive: true });
  writeFileSync(
    a.out,
    JSON.stringify(
      { date: new Date().toISOString(), commit: gitCommit(), machine, threads: a.threads, iters: a.iters, loadavgStart: load0, loadavgEnd: loadavg()[0], models: rows, accuracy: acc },
      null,
      2,
    ) + '\n',
  );
}

await main();
