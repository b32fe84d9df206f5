// `adaptext serve` (src/deploy/serve.ts) on tiny random models saved to temp folders: the
// server's predictions are predict's records (sequence and token classification), concurrent
// requests share forward passes and still get their own results (as if predicted alone), every
// error path answers its status with a one-line JSON error, close() lets an in-flight request
// finish, and the command itself prints its URL, serves, and exits 0 on SIGTERM.
//
// Batching is made deterministic without timing: with a batch wait far longer than any test,
// a pass starts only when maxBatch texts are queued, so "20 requests, one pass" is exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdapterModel, saveModel } from '../../src/models/index.js';
import { trainWordPiece } from '../../src/text/index.js';
import { openForInference, predictFile, predictTexts, type InferenceModel } from '../../src/train/inference.js';
import { startServer, type RunningServer, type ServeOptions } from '../../src/deploy/serve.js';
import { kernels, matmulPrecision, type Kernels } from '../../src/tensor/index.js';
import { runCli } from '../support/cli.js';
import { tmp } from '../support/tmp.js';

const WORDS = ['the', 'pan', 'is', 'great', 'awful', 'easy', 'to', 'clean', 'it', 'broke', 'after', 'a', 'week', 'love', 'this', 'kettle', 'handle', 'gets', 'hot'];
const CORPUS = Array.from({ length: 300 }, (_, i) => Array.from({ length: 4 + (i % 9) }, (_, j) => WORDS[(i * 7 + j * 3) % WORDS.length]).join(' '));
const TEXTS = [
  'great pan',
  'the kettle handle gets hot after a week and it broke',
  'love this',
  'awful',
  'easy to clean, love this pan, the handle is great and it is easy to clean after a week',
  'it broke',
];
const root = tmp('adaptext-serve-');
const tokenizer = trainWordPiece(CORPUS, { vocabSize: 200 });

function tinyModel(head: 'sequence_classification' | 'token_classification'): string {
  const model = new AdapterModel(
    {
      model_type: 'bert',
      vocab_size: tokenizer.vocabSize,
      hidden_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 64,
      max_position_embeddings: 24, // texts longer than 24 tokens are truncated
      type_vocab_size: 2,
    },
    { seed: 5 },
  );
  model.addAdapter('kitchen', 'seq_bn');
  if (head === 'sequence_classification') model.addHead('sentiment', { type: head, numLabels: 2, labels: ['negative', 'positive'] });
  else model.addHead('tags', { type: head, numLabels: 3, labels: ['O', 'B-X', 'I-X'] });
  // push adapter and head weights away from their init so the probabilities differ between texts
  for (const [k, p] of model.namedParameters()) if (k.includes('adapters.') || k.startsWith('heads.')) for (let i = 0; i < p.size; i++) p.data[i]! += 0.3 * Math.sin(i * 1.7 + k.length);
  const dir = join(root, head);
  saveModel(model, dir, { tokenizer, mainHead: head === 'sequence_classification' ? 'sentiment' : 'tags' });
  return dir;
}

const SEQ_DIR = tinyModel('sequence_classification');
const TOK_DIR = tinyModel('token_classification');
const seq = openForInference(SEQ_DIR, { domain: 'kitchen' });

/** predict's records for these texts, through predictFile on a .txt file (one per line). */
function predictFileRecords(m: InferenceModel, texts: string[]): unknown[] {
  const file = join(tmp('adaptext-serve-in-'), 'in.txt');
  writeFileSync(file, texts.join('\n') + '\n');
  const lines: string[] = [];
  predictFile(m, file, { write: (l) => lines.push(l) });
  return lines.map((l) => JSON.parse(l) as unknown);
}

async function withServer(opts: Partial<ServeOptions>, fn: (s: RunningServer) => Promise<void>, m: InferenceModel = seq): Promise<void> {
  const s = await startServer({ model: m, port: 0, ...opts });
  try {
    await fn(s);
  } finally {
    await s.close({ timeoutMs: 0 });
  }
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/** One HTTP request on a fresh connection; `body` chunks are written one by one (no Content-Length: chunked). */
function http(url: string, o: { method?: string; body?: string | Buffer | Buffer[]; headers?: Record<string, string>; onSent?: () => void } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: o.method ?? 'GET', headers: o.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? null : JSON.parse(text);
        } catch {
          json = null; // not JSON: the test looking at it fails with the text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (Array.isArray(o.body)) {
      for (const c of o.body) req.write(c);
    } else if (o.body !== undefined) {
      req.setHeader('Content-Length', Buffer.byteLength(o.body));
      req.write(o.body);
    }
    req.end(() => o.onSent?.());
  });
}

const post = (s: RunningServer, body: unknown) =>
  http(`${s.url}/predict`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });

interface SeqPrediction {
  label: string;
  score: number;
  probabilities: Record<string, number>;
}
const predictionsOf = (r: Reply) => (r.json as { predictions: SeqPrediction[] }).predictions;

/** Same label and probabilities within `tol` (the server's batches pad; predict alone does not). */
function assertSamePrediction(got: SeqPrediction, want: { label: string; probabilities: Record<string, number> }, what: string, tol = 1e-5): void {
  assert.equal(got.label, want.label, `${what}: label`);
  assert.deepEqual(Object.keys(got.probabilities), Object.keys(want.probabilities), `${what}: labels`);
  for (const [l, p] of Object.entries(want.probabilities)) assert.ok(Math.abs(got.probabilities[l]! - p) <= tol, `${what}: p(${l}) ${got.probabilities[l]} vs ${p}`);
  assert.equal(got.score, got.probabilities[got.label], `${what}: score = probability of the label`);
}

test('predictTexts gives exactly the records predictFile writes (sequence and token classification)', () => {
  assert.deepEqual(predictTexts(seq, TEXTS), predictFileRecords(seq, TEXTS));
  const tok = openForInference(TOK_DIR, { domain: 'kitchen' });
  const recs = predictTexts(tok, TEXTS);
  assert.deepEqual(recs, predictFileRecords(tok, TEXTS));
  assert.deepEqual((recs[0] as { tokens: string[] }).tokens, ['great', 'pan']);
  // the fixture is not degenerate: the texts get different probabilities
  const ps = new Set(predictTexts(seq, TEXTS).map((r) => JSON.stringify(r.probabilities)));
  assert.equal(ps.size, TEXTS.length);
});

test('POST /predict answers predict records plus score, for "text", "texts" and "inputs"', async () => {
  const want = predictFileRecords(seq, TEXTS) as Array<{ label: string; probabilities: Record<string, number> }>;
  await withServer({}, async (s) => {
    const many = await post(s, { texts: TEXTS });
    assert.equal(many.status, 200, many.text);
    assert.match(String(many.headers['content-type']), /^application\/json/);
    const got = predictionsOf(many);
    assert.equal(got.length, TEXTS.length);
    got.forEach((g, i) => assertSamePrediction(g, want[i]!, `texts[${i}]`));
    const one = await post(s, { text: TEXTS[1] });
    assert.deepEqual(predictionsOf(one), [got[1]]);
    assert.deepEqual(predictionsOf(await post(s, { inputs: TEXTS[2] })), [got[2]]);
    assert.deepEqual(predictionsOf(await post(s, { inputs: [TEXTS[3], TEXTS[0]] })), [got[3], got[0]]);
    // a text far longer than max_position_embeddings is truncated, not refused
    const long = await post(s, { text: 'the pan is great '.repeat(500) });
    assert.equal(long.status, 200, long.text);
    // lenient about the Content-Type: what `curl -d` sends is parsed as JSON too
    const form = await http(`${s.url}/predict`, { method: 'POST', body: JSON.stringify({ text: TEXTS[0] }), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.deepEqual(predictionsOf(form), [got[0]]);
  });
});

test('token classification: the per-word records of predict', async () => {
  const tok = openForInference(TOK_DIR, { domain: 'kitchen' });
  const want = predictFileRecords(tok, TEXTS);
  await withServer(
    {},
    async (s) => {
      const r = await post(s, { texts: TEXTS });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual((r.json as { predictions: unknown[] }).predictions, want);
      const h = await http(`${s.url}/health`);
      assert.deepEqual(h.json, { status: 'ok', model: TOK_DIR, adapter: 'kitchen', head: 'tags', task: 'token_classification', labels: ['O', 'B-X', 'I-X'], maxLength: 24, precision: 'fp32' });
    },
    tok,
  );
});

test('20 concurrent requests share one forward pass and each gets its own result (as predicted alone)', async () => {
  const bodies = Array.from({ length: 20 }, (_, i) => (i % 4 === 3 ? [TEXTS[i % 6]!, TEXTS[(i + 1) % 6]!] : [TEXTS[i % 6]!]));
  const total = bodies.reduce((a, b) => a + b.length, 0);
  const alone = new Map(TEXTS.map((t) => [t, predictTexts(seq, [t])[0] as { label: string; probabilities: Record<string, number> }]));
  // maxBatch = every text of the 20 requests; the batch wait never ends: the one pass starts when all are queued
  await withServer({ maxBatch: total, batchWaitMs: 600_000 }, async (s) => {
    const replies = await Promise.all(bodies.map((texts) => post(s, { texts })));
    replies.forEach((r, i) => {
      assert.equal(r.status, 200, r.text);
      const got = predictionsOf(r);
      assert.equal(got.length, bodies[i]!.length);
      got.forEach((g, j) => assertSamePrediction(g, alone.get(bodies[i]![j]!)!, `request ${i} text ${j}`));
    });
    const st = s.stats();
    assert.equal(st.passes, 1);
    assert.equal(st.maxRequestsPerPass, 20);
    assert.deepEqual(st.batchSizes, { [total]: 1 });
    assert.equal(st.texts, total);
    assert.equal(st.predictRequests, 20);
    const info = await http(`${s.url}/info`);
    assert.equal((info.json as { stats: { passes: number } }).stats.passes, 1);
  });
});

test('a full queue answers 503 with Retry-After, and takes requests again once it drains', async () => {
  // no pass starts for 400 ms (batch wait; the batch never fills): the first two requests wait queued
  await withServer({ maxBatch: 32, batchWaitMs: 400, maxTexts: 3, maxQueue: 6 }, async (s) => {
    const first = [post(s, { texts: TEXTS.slice(0, 3) }), post(s, { texts: TEXTS.slice(3, 6) })];
    for (let i = 0; i < 100 && ((await http(`${s.url}/info`)).json as { waiting: number }).waiting < 6; i++) await new Promise((r) => setTimeout(r, 2));
    const full = await post(s, { text: 'love this' });
    assert.equal(full.status, 503, full.text);
    assert.equal(full.headers['retry-after'], '1');
    assert.match((full.json as { error: string }).error, /^the server is busy: 6 texts are waiting and the queue holds 6; retry later$/);
    for (const r of await Promise.all(first)) assert.equal(r.status, 200, r.text);
    assert.equal((await post(s, { text: 'love this' })).status, 200, 'drained: accepted again');
    assert.equal(s.stats().queueFull, 1);
  });
  await assert.rejects(() => startServer({ model: seq, maxTexts: 10, maxQueue: 5 }), /maxQueue \(5\) must be at least maxTexts \(10\)/);
});

test('a request with more texts than --max-batch spans several passes, results in input order', async () => {
  const texts = [...TEXTS, ...TEXTS.slice(0, 4)]; // 10 texts, batches of 4
  await withServer({ maxBatch: 4, batchWaitMs: 0 }, async (s) => {
    const r = await post(s, { texts });
    assert.equal(r.status, 200, r.text);
    const alone = texts.map((t) => predictTexts(seq, [t])[0] as { label: string; probabilities: Record<string, number> });
    predictionsOf(r).forEach((g, i) => assertSamePrediction(g, alone[i]!, `text ${i}`));
    assert.deepEqual(s.stats().batchSizes, { 4: 2, 2: 1 });
  });
});

test('a pass that fails is retried per request: only the request with the bad input gets the 500', async () => {
  const m = openForInference(SEQ_DIR, { domain: 'kitchen' });
  const unk = m.tokenizer.specialIds.unk;
  const forward = m.model.forward.bind(m.model);
  m.model.forward = ((input, opts) => {
    if (input.inputIds.includes(unk)) throw new Error('forward: an [UNK] token (test fault)');
    return forward(input, opts);
  }) as typeof m.model.forward;
  await withServer(
    { maxBatch: 3, batchWaitMs: 600_000 },
    async (s) => {
      const [a, bad, c] = await Promise.all([post(s, { text: TEXTS[0] }), post(s, { text: 'the pan ☃ is great' }), post(s, { text: TEXTS[1] })]);
      assert.equal(a!.status, 200, a!.text);
      assert.equal(c!.status, 200, c!.text);
      assert.equal(bad!.status, 500);
      assert.deepEqual(bad!.json, { error: 'prediction failed: forward: an [UNK] token (test fault)' });
      assertSamePrediction(predictionsOf(a!)[0]!, predictTexts(seq, [TEXTS[0]!])[0] as SeqPrediction, 'a');
      assertSamePrediction(predictionsOf(c!)[0]!, predictTexts(seq, [TEXTS[1]!])[0] as SeqPrediction, 'c');
    },
    m,
  );
});

test('every error is its status with a one-line JSON message naming the problem', async () => {
  await withServer({ maxBodyBytes: 2000, maxTexts: 3 }, async (s) => {
    const cases: Array<[string, Promise<Reply>, number, RegExp]> = [
      ['invalid JSON', post(s, '{"text": }'), 400, /^invalid JSON: .*JSON/],
      ['empty body', post(s, ''), 400, /^the body is empty/],
      ['not an object', post(s, '["great pan"]'), 400, /must be a JSON object .*got an array/],
      ['missing field', post(s, {}), 400, /^missing field "text"/],
      ['unknown field', post(s, { txt: 'great' }), 400, /^unknown field "txt"/],
      ['two fields', post(s, { text: 'a', texts: ['b'] }), 400, /^give one of .*"text" and "texts"/],
      ['text not a string', post(s, { text: 5 }), 400, /^"text" must be a string, got a number$/],
      ['texts not an array', post(s, { texts: 'great' }), 400, /^"texts" must be an array of strings, got a string$/],
      ['texts element', post(s, { texts: ['great', null] }), 400, /^"texts"\[1\] must be a string, got null$/],
      ['inputs wrong', post(s, { inputs: { a: 1 } }), 400, /^"inputs" must be a string or an array of strings, got an object$/],
      ['empty text', post(s, { text: '   ' }), 400, /^"text" is empty$/],
      ['empty element', post(s, { texts: ['great', ''] }), 400, /^"texts"\[1\] is empty$/],
      ['empty list', post(s, { texts: [] }), 400, /^"texts" is an empty array/],
      ['too many texts', post(s, { texts: ['a', 'b', 'c', 'd'] }), 413, /^"texts" has 4 texts; the limit is 3 per request$/],
      ['body too large', post(s, { text: 'x'.repeat(3000) }), 413, /^the request body is 3011 bytes, over the limit of 2000 bytes$/],
      [
        'chunked body too large',
        http(`${s.url}/predict`, { method: 'POST', body: Array.from({ length: 50 }, () => Buffer.alloc(1000, 'x')) }),
        413,
        /^the request body is over the limit of 2000 bytes$/,
      ],
      ['GET /predict', http(`${s.url}/predict`), 405, /^GET is not allowed on \/predict \(allowed: POST\)$/],
      ['POST /health', http(`${s.url}/health`, { method: 'POST', body: '{}' }), 405, /^POST is not allowed on \/health/],
      ['unknown path', http(`${s.url}/v1/models`), 404, /^no such path: \/v1\/models/],
    ];
    for (const [what, p, status, message] of cases) {
      const r = await p;
      assert.equal(r.status, status, `${what}: ${r.text}`);
      assert.match(String(r.headers['content-type']), /^application\/json/, what);
      const body = r.json as { error?: unknown };
      assert.deepEqual(Object.keys(body ?? {}), ['error'], `${what}: ${r.text}`);
      assert.equal(typeof body.error, 'string', what);
      assert.ok(!/[\r\n]/.test(body.error as string), `${what}: one line`);
      assert.match(body.error as string, message, what);
    }
    assert.equal((await http(`${s.url}/predict`)).headers['allow'], 'POST');
    assert.equal((await http(`${s.url}/health`, { method: 'DELETE' })).headers['allow'], 'GET, HEAD');
    // the errors did not break the server
    assert.equal((await post(s, { text: TEXTS[0] })).status, 200);
    const st = s.stats();
    assert.equal(st.errors, 21);
    assert.equal(st.predictRequests, 1);
  });
});

test('/health and /info describe the model; HEAD answers headers only', async () => {
  await withServer({ name: 'kitchen-model', maxBatch: 8 }, async (s) => {
    const h = await http(`${s.url}/health`);
    assert.equal(h.status, 200);
    assert.deepEqual(h.json, {
      status: 'ok',
      model: 'kitchen-model',
      adapter: 'kitchen',
      head: 'sentiment',
      task: 'sequence_classification',
      labels: ['negative', 'positive'],
      maxLength: 24,
      precision: 'fp32',
    });
    const info = (await http(`${s.url}/`)).json as { limits: { maxBatch: number }; stats: { requests: number } };
    assert.equal(info.limits.maxBatch, 8);
    assert.equal(info.stats.requests, 1);
    const head = await http(`${s.url}/health`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
  });
});

test('close() lets an in-flight request finish, then refuses connections; a request that never ends is cut off', async () => {
  const s = await startServer({ model: seq, port: 0, batchWaitMs: 50 });
  const pending = post(s, { text: TEXTS[4] });
  while (s.inFlight() === 0) await new Promise((r) => setImmediate(r)); // the server has the request
  const closed = s.close();
  const r = await pending;
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['connection'], 'close');
  assertSamePrediction(predictionsOf(r)[0]!, predictTexts(seq, [TEXTS[4]!])[0] as SeqPrediction, 'in-flight');
  assert.deepEqual(await closed, { cutOff: 0 });
  await assert.rejects(post(s, { text: TEXTS[0] }), /ECONNREFUSED/);

  // a client that sends half a body and waits: close() gives up after its timeout
  const s2 = await startServer({ model: seq, port: 0 });
  const req = httpRequest(`${s2.url}/predict`, { method: 'POST', agent: false, headers: { 'Content-Length': '100' } });
  req.on('error', () => {}); // the cut connection
  req.write('{"text": ');
  while (s2.inFlight() === 0) await new Promise((r) => setImmediate(r));
  assert.deepEqual(await s2.close({ timeoutMs: 10 }), { cutOff: 1 });
  req.destroy();
});

test('adaptext serve: bad flags are usage errors (exit 2), a missing model exits 1 with one line', async () => {
  const port = await runCli(['serve', '--model', SEQ_DIR, '--port', '70000']);
  assert.equal(port.code, 2);
  assert.match(port.stderr, /--port must be <= 65535, got 70000/);
  const batch = await runCli(['serve', '--model', SEQ_DIR, '--max-batch', '0']);
  assert.equal(batch.code, 2);
  assert.match(batch.stderr, /--max-batch must be an integer >= 1, got '0'/);
  const missing = await runCli(['serve', '--model', join(root, 'nope'), '--port', '0']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^adaptext serve: .*nope: no such folder[^\n]*\n$/);
});

test('adaptext serve as a process: prints its URL, serves, and exits 0 on SIGTERM after finishing', async () => {
  const code = "const { main } = await import('./src/cli/main.ts'); process.exitCode = await main(process.argv.slice(2));";
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, 'adaptext', 'serve', '--model', SEQ_DIR, '--domain', 'kitchen', '--port', '0'], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) => child.on('close', (c, sig) => ok({ code: c, signal: sig })));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
        const m = /^serving (.*) \(adapter kitchen, head sentiment\) on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(stderr);
        if (m !== null) resolve(m[2]!);
      });
      void exited.then(() => reject(new Error(`serve exited before printing its URL:\n${stderr}`)));
    });
    const r = await http(`${url}/predict`, { method: 'POST', body: JSON.stringify({ texts: [TEXTS[0], TEXTS[1]] }) });
    assert.equal(r.status, 200, r.text);
    const want = predictTexts(seq, [TEXTS[0]!, TEXTS[1]!]) as SeqPrediction[];
    predictionsOf(r).forEach((g, i) => assertSamePrediction(g, want[i]!, `text ${i}`));
    child.kill('SIGTERM');
    const end = await exited;
    assert.deepEqual(end, { code: 0, signal: null }, stderr);
    assert.match(stderr, /serve: SIGTERM received/);
    assert.match(stderr, /serve: stopped \(1 prediction request\(s\), 2 text\(s\) in 1 pass\(es\)\)/);
    assert.equal(child.exitCode, 0);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

// ---- --precision on predict, eval and serve: the flag reaches the linear layers' GEMMs ---------

/** Runs fn with the active kernel table's gemmBf16 counted; the count of calls. */
async function countBf16(fn: () => Promise<unknown>): Promise<number> {
  const table = kernels() as { gemmBf16: Kernels['gemmBf16'] };
  const original = table.gemmBf16;
  let calls = 0;
  table.gemmBf16 = (...a) => {
    calls++;
    original(...a);
  };
  try {
    await fn();
  } finally {
    table.gemmBf16 = original;
  }
  return calls;
}

test('--precision bf16 on predict, eval and serve runs the bf16 GEMM (fp32 by default); the setting does not outlive the command', async () => {
  const dir = tmp('adaptext-precision-');
  const input = join(dir, 'in.jsonl');
  writeFileSync(input, TEXTS.map((t, i) => JSON.stringify({ text: t, label: i % 2 === 0 ? 'positive' : 'negative' })).join('\n') + '\n');
  for (const cmd of [
    ['predict', '--model', SEQ_DIR, '--domain', 'kitchen', '--input', input],
    ['eval', '--model', SEQ_DIR, '--domain', 'kitchen', '--data', input],
  ]) {
    let r = { code: -1, stdout: '', stderr: '' };
    assert.equal(await countBf16(async () => (r = await runCli(cmd))), 0, `${cmd[0]}: fp32 by default`);
    assert.equal(r.code, 0, r.stderr);
    const fp32Out = r.stdout;
    assert.ok((await countBf16(async () => (r = await runCli([...cmd, '--precision', 'bf16'])))) > 0, `${cmd[0]} --precision bf16`);
    assert.equal(r.code, 0, r.stderr);
    if (cmd[0] === 'predict') assert.notEqual(r.stdout, fp32Out, 'bf16 probabilities differ from fp32 ones');
    assert.equal(matmulPrecision(), 'fp32');
    const bad = await runCli([...cmd, '--precision', 'fp16']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /fp16.*(fp32|bf16)|(fp32|bf16).*fp16/);
  }
  const fp32 = predictTexts(seq, TEXTS);
  const served = await countBf16(() =>
    withServer({ precision: 'bf16' }, async (s) => {
      const health = await http(`${s.url}/health`);
      assert.equal((health.json as { precision: string }).precision, 'bf16');
      const got = predictionsOf(await post(s, { texts: TEXTS }));
      got.forEach((g, i) => assertSamePrediction(g, fp32[i] as SeqPrediction, `text ${i} in bf16`, 2e-2));
      assert.equal(matmulPrecision(), 'fp32', 'scoped to the forward pass');
    }),
  );
  assert.ok(served > 0, 'serve --precision bf16');
  await assert.rejects(() => startServer({ model: seq, port: 0, precision: 'fp16' as 'bf16' }), /precision must be fp32 or bf16, got "fp16"/);
});
