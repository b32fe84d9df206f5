// `npm run bench:serve [-- options]` — `adaptext serve` under load on 127.0.0.1: a bounded
// request loop (a fixed number of requests per level) at 1, 8 and 32 concurrent clients, each
// request one real review text, and per level: failed requests, throughput (requests/s and
// texts/s), p50/p99 latency (send → whole answer read), the mean number of texts per forward pass
// (the server's own counters, GET /info), the server's CPU time, its RSS before and after (memory
// should stay flat) and the load average (the CPU may be shared).
//
//   --model RUN_OR_DIR      a trained run or model folder (default: the bundled models/adaptext-mini-en
//                           with a random seq_bn adapter 'kitchen' and a random 2-label head)
//   --domain NAME           adapter to serve (default: kitchen for the bundled model)
//   --data FILE             texts (JSON Lines with "text"; default /work/shared/data/amazon/kitchen.labeled.jsonl
//                           when it exists, else the bundled data/amazon/kitchen.labeled.jsonl.gz)
//   --requests N            requests per level (default 400)   --levels 1,8,32   --rounds N (the levels again: memory must stay flat; default 2)
//   --texts-per-request N   (default 1)   --max-batch N   --batch-wait-ms N   (the server's flags)
//   --out FILE              results JSON (default bench/serve/results/<date>.json)
//
// The server is the real command (`adaptext serve --port 0`) in its own process, so its RSS and
// CPU are its own; the clients are this process (node:http, one keep-alive connection each). At the
// end the server gets SIGTERM and must exit 0.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel, saveModel } from '../../src/models/index.js';
import { loadTokenizer } from '../../src/text/index.js';
import { readDataset } from '../../src/data/index.js';
import { bundledDataDir, bundledModelDir } from '../../src/demo/bundled.js';
import { gitCommit, machineInfo } from '../support/machine.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SHARED_DATA = '/work/shared/data/amazon/kitchen.labeled.jsonl';

interface Args {
  model: string | null;
  domain: string | undefined;
  data: string;
  requests: number;
  levels: number[];
  rounds: number;
  textsPerRequest: number;
  maxBatch: number | null;
  batchWaitMs: number | null;
  out: string;
}

function parseCli(argv: string[]): Args {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      domain: { type: 'string' },
      data: { type: 'string' },
      requests: { type: 'string', default: '400' },
      levels: { type: 'string', default: '1,8,32' },
      rounds: { type: 'string', default: '2' },
      'texts-per-request': { type: 'string', default: '1' },
      'max-batch': { type: 'string' },
      'batch-wait-ms': { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  const int = (flag: string, x: string, min: number): number => {
    const n = Number(x);
    if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${flag} must be an integer >= ${min}, got '${x}'`);
    return n;
  };
  return {
    model: v.model ?? null,
    domain: v.domain,
    data: v.data ?? (existsSync(SHARED_DATA) ? SHARED_DATA : join(bundledDataDir(), 'kitchen.labeled.jsonl.gz')),
    requests: int('requests', v.requests, 1),
    levels: v.levels.split(',').map((x) => int('levels', x, 1)),
    rounds: int('rounds', v.rounds, 1),
    textsPerRequest: int('texts-per-request', v['texts-per-request'], 1),
    maxBatch: v['max-batch'] === undefined ? null : int('max-batch', v['max-batch'], 1),
    batchWaitMs: v['batch-wait-ms'] === undefined ? null : int('batch-wait-ms', v['batch-wait-ms'], 0),
    out: v.out ?? join(import.meta.dirname, 'results', `${new Date().toISOString().slice(0, 10)}.json`),
  };
}

// ---- the server process -----------------------------------------------------------------------

interface ServerProcess {
  url: string;
  pid: number;
  stderr: () => string;
  /** Ended (so its pid is no longer ours to signal). */
  ended: () => boolean;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startServerProcess(args: string[]): Promise<ServerProcess> {
  const code = "const { main } = await import('./src/cli/main.ts'); process.exitCode = await main(process.argv.slice(2));";
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, 'adaptext', 'serve', ...args], { cwd: ROOT, stdio: ['ignore', 'inherit', 'pipe'] });
  let stderr = '';
  let ended = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
    child.on('close', (c, signal) => {
      ended = true;
      ok({ code: c, signal });
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      const m = / on (http:\/\/\S+)$/m.exec(stderr);
      if (m !== null) resolve(m[1]!);
    });
    void exited.then(() => reject(new Error(`adaptext serve exited before listening:\n${stderr}`)));
  });
  return { url, pid: child.pid!, stderr: () => stderr, ended: () => ended, exited };
}

/** VmRSS / VmHWM of a process, MiB. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** User + system CPU seconds of a process so far. */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

// ---- the clients ------------------------------------------------------------------------------

function post(agent: Agent, url: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/predict`, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

interface Stats {
  texts: number;
  passes: number;
  predictRequests: number;
  errors: number;
}

interface Level {
  round: number;
  concurrency: number;
  requests: number;
  failed: number;
  firstFailure: string | null;
  seconds: number;
  requestsPerSecond: number;
  textsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  meanBatch: number;
  passes: number;
  serverCpuSeconds: number;
  rssMiBBefore: number;
  rssMiBAfter: number;
  /** The server's own view after the level: RSS, V8 heap in use, array buffers (the tensors). */
  serverMemoryMiBAfter: { rss: number; heapUsed: number; arrayBuffers: number };
  peakRssMiB: number;
  loadavgBefore: number[];
  loadavgAfter: number[];
}

const pctl = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function runLevel(server: ServerProcess, texts: string[], o: Args, concurrency: number, round: number, offset: number): Promise<Level> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const before = (await getJson<{ stats: Stats }>(`${server.url}/info`)).stats;
  const memBefore = memoryOf(server.pid);
  const cpuBefore = cpuSecondsOf(server.pid);
  const loadBefore = loadavg();
  const latencies: number[] = [];
  let failed = 0;
  let firstFailure: string | null = null;
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < o.requests) {
      const i = next++;
      const batch = Array.from({ length: o.textsPerRequest }, (_, j) => texts[(offset + i * o.textsPerRequest + j) % texts.length]!);
      const body = JSON.stringify(o.textsPerRequest === 1 ? { text: batch[0] } : { texts: batch });
      const s = performance.now();
      try {
        const r = await post(agent, server.url, body);
        const n = r.status === 200 ? (JSON.parse(r.text) as { predictions: unknown[] }).predictions.length : -1;
        if (n !== batch.length) throw new Error(`${r.status} ${r.text.slice(0, 200)}`);
        latencies.push(performance.now() - s);
      } catch (e) {
        failed += 1;
        firstFailure ??= (e as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  const infoAfter = await getJson<{ stats: Stats; memoryMiB: Level['serverMemoryMiBAfter'] }>(`${server.url}/info`);
  const after = infoAfter.stats;
  const memAfter = memoryOf(server.pid);
  const sorted = [...latencies].sort((a, b) => a - b);
  const passes = after.passes - before.passes;
  return {
    round,
    concurrency,
    requests: o.requests,
    failed,
    firstFailure,
    seconds,
    requestsPerSecond: (o.requests - failed) / seconds,
    textsPerSecond: (after.texts - before.texts) / seconds,
    latencyMs: { p50: pctl(sorted, 50), p90: pctl(sorted, 90), p99: pctl(sorted, 99), max: sorted.at(-1)!, mean: sorted.reduce((a, b) => a + b, 0) / sorted.length },
    meanBatch: passes > 0 ? (after.texts - before.texts) / passes : 0,
    passes,
    serverCpuSeconds: cpuSecondsOf(server.pid) - cpuBefore,
    rssMiBBefore: memBefore.rss,
    rssMiBAfter: memAfter.rss,
    serverMemoryMiBAfter: infoAfter.memoryMiB,
    peakRssMiB: memAfter.peak,
    loadavgBefore: loadBefore,
    loadavgAfter: loadavg(),
  };
}

function table(levels: Level[]): string {
  const head = ['round', 'clients', 'requests', 'failed', 'req/s', 'texts/s', 'p50 ms', 'p99 ms', 'mean batch', 'server CPU s', 'RSS before → after MiB', 'load avg 1m before → after'];
  const rows = levels.map((l) => [
    String(l.round),
    String(l.concurrency),
    String(l.requests),
    String(l.failed),
    l.requestsPerSecond.toFixed(1),
    l.textsPerSecond.toFixed(1),
    l.latencyMs.p50.toFixed(1),
    l.latencyMs.p99.toFixed(1),
    l.meanBatch.toFixed(1),
    l.serverCpuSeconds.toFixed(1),
    `${l.rssMiBBefore.toFixed(0)} → ${l.rssMiBAfter.toFixed(0)}`,
    `${l.loadavgBefore[0]!.toFixed(2)} → ${l.loadavgAfter[0]!.toFixed(2)}`,
  ]);
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 1 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

async function main(): Promise<void> {
  const o = parseCli(process.argv.slice(2));
  const texts = readDataset(o.data, { task: 'unlabelled' }).examples.map((e) => (e.kind === 'text' ? e.text : e.words.join(' ')));
  let work: string | null = null;
  let model = o.model;
  let domain = o.domain;
  if (model === null) {
    // the bundled backbone with a random adapter and head: what the server costs, not what it predicts
    work = mkdtempSync(join(tmpdir(), 'adaptext-bench-serve-'));
    const { model: m } = loadModel(bundledModelDir());
    m.addAdapter('kitchen', 'seq_bn', { setActive: true });
    m.addHead('sentiment', { type: 'sequence_classification', numLabels: 2, labels: ['negative', 'positive'], pooling: 'mean' }, { setActive: true });
    model = join(work, 'bundled');
    saveModel(m, model, { tokenizer: loadTokenizer(bundledModelDir()), mainHead: 'sentiment' });
    domain ??= 'kitchen';
  }
  const flags = ['--model', model, '--port', '0', '--progress', 'none', ...(domain !== undefined ? ['--domain', domain] : [])];
  if (o.maxBatch !== null) flags.push('--max-batch', String(o.maxBatch));
  if (o.batchWaitMs !== null) flags.push('--batch-wait-ms', String(o.batchWaitMs));
  const machine = machineInfo();
  const commit = gitCommit();
  const started = new Date().toISOString();
  const loadStart = loadavg();
  console.log(`bench:serve  ${started}  commit ${commit ?? '?'}  node ${process.version}`);
  console.log(`cpu: ${machine.model ?? '?'} x${machine.cpus}  SIMD: ${machine.simd.join(' ') || '?'}  load avg at start: ${loadStart.map((x) => x.toFixed(2)).join(' ')}`);
  const server = await startServerProcess(flags);
  try {
    const info = await getJson<Record<string, unknown>>(`${server.url}/info`);
    console.log(`server: ${server.stderr().trim().split('\n').at(-1)}  limits ${JSON.stringify(info['limits'])}  max length ${String(info['maxLength'])}`);
    console.log(`data: ${o.data} (${texts.length} texts), ${o.textsPerRequest} text(s) per request, ${o.requests} requests per level\n`);
    // warm-up (JIT, first allocations): not measured
    await runLevel(server, texts, { ...o, requests: 16 }, 1, 0, texts.length - 16);
    const levels: Level[] = [];
    for (let round = 1; round <= o.rounds; round++) {
      for (const c of o.levels) {
        const l = await runLevel(server, texts, o, c, round, levels.length * o.requests * o.textsPerRequest);
        levels.push(l);
        console.log(
          `round ${round} clients ${String(c).padStart(2)}: ${l.requestsPerSecond.toFixed(1)} req/s, p50 ${l.latencyMs.p50.toFixed(1)} ms, p99 ${l.latencyMs.p99.toFixed(1)} ms, mean batch ${l.meanBatch.toFixed(1)}, failed ${l.failed}${l.firstFailure !== null ? ` (${l.firstFailure})` : ''}, RSS ${l.rssMiBBefore.toFixed(0)} → ${l.rssMiBAfter.toFixed(0)} MiB (heap ${l.serverMemoryMiBAfter.heapUsed}, array buffers ${l.serverMemoryMiBAfter.arrayBuffers})`,
        );
      }
    }
    process.kill(server.pid, 'SIGTERM');
    const end = await server.exited;
    const exit = end.code ?? end.signal;
    console.log(
      `\n${table(levels)}\n\nserver exit after SIGTERM: ${exit}; load avg at end: ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    const out = {
      date: started,
      commit,
      node: process.version,
      machine: { ...machine, loadavgAtStart: loadStart, loadavgAtEnd: loadavg() },
      model: o.model ?? 'models/adaptext-mini-en + random seq_bn adapter and 2-label head',
      serverInfo: info,
      data: o.data,
      textsAvailable: texts.length,
      textsPerRequest: o.textsPerRequest,
      serverExit: exit,
      failed: levels.reduce((a, l) => a + l.failed, 0),
      levels,
    };
    mkdirSync(dirname(o.out), { recursive: true });
    writeFileSync(o.out, JSON.stringify(out, null, 2) + '\n');
    console.log(`wrote ${o.out}`);
    if (exit !== 0 || out.failed > 0) process.exitCode = 1;
  } finally {
    if (!server.ended()) process.kill(server.pid, 'SIGKILL'); // still running after an error: our own child
    if (work !== null) rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:serve: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
