// `adaptext serve`: a small HTTP inference server on node:http (no framework) for one domain's
// model — the adapter and task head `adaptext predict` would use.
//
//   POST /predict   {"text": "..."} | {"texts": ["...", ...]} | {"inputs": "..." | ["...", ...]}
//                   → 200 {"predictions": [{"label", "score", "probabilities"}, ...]} in input order
//                   (token classification: {"tokens", "labels", "probabilities"} per text, as predict)
//   GET  /health    → 200 {"status": "ok", model, adapter, head, task, labels, maxLength, precision}
//   GET  / | /info  → the model, the limits, the counters (requests, texts, forward passes, batch
//                   sizes) and the process's memory
//
// Batching: inference is synchronous on the main thread, so requests that arrive while a forward
// pass runs wait in a FIFO queue; the next pass takes queued texts of several requests together,
// up to `maxBatch` texts (a request with more texts spans several passes), and hands each request
// its own results. The first request to reach an idle server waits up to `batchWaitMs` for
// company (a full batch starts at once). Each text gets the result `predictTexts` gives it alone
// (padding is masked; what differs is float rounding). If a mixed pass throws, each request in it
// is retried alone, so one bad input fails only its own request.
//
// Limits and errors: every error is `{"error": "<one line>"}` with a 4xx/5xx status — 413 for a
// body over `maxBodyBytes` (answered from Content-Length before the body is read, or as soon as a
// chunked body passes the limit; nothing past the limit is kept) and for more than `maxTexts`
// texts; 400 for invalid JSON, a missing, unknown or wrong-typed field, an empty text; 405 (with
// Allow) for a wrong method; 404 for an unknown path; 503 once shutdown has begun, and 503 with
// Retry-After when accepting the request would put more than `maxQueue` texts in the queue (a
// burst must not grow memory and latency without bound); 500 if the prediction itself fails.
// The body is parsed as JSON whatever the Content-Type says (`curl -d` sends
// application/x-www-form-urlencoded). Texts longer than the model's max length are
// truncated, as `adaptext predict` does.
//
// Shutdown (`close()`; `serve()` calls it on the first SIGINT/SIGTERM): stop accepting
// connections, close idle keep-alive connections, let in-flight requests finish (their responses
// carry `Connection: close`), and after `drainTimeoutMs` cut off what is left.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signalExitCode, type StopSignalName } from '../engine/signals.js';
import { predictTexts, type InferenceModel, type PredictionRecord } from '../train/inference.js';
import { MATMUL_PRECISIONS, withMatmulPrecision, type MatmulPrecision } from '../tensor/precision.js';

export interface ServeOptions {
  /** What `openForInference` returns: the model, adapter, head and tokenizer to serve. */
  model: InferenceModel;
  /** How /health and the start line name the model (default: the folder the weights came from). */
  name?: string;
  /** Default 127.0.0.1 (this machine only). */
  host?: string;
  /** Default 8080; 0 picks a free port (see `port` of the result). */
  port?: number;
  /** Most texts in one forward pass (default 32). */
  maxBatch?: number;
  /** How long the first request to reach an empty queue waits for others (default 2 ms; 0 = none). */
  batchWaitMs?: number;
  /** Largest request body (default 1 MiB). */
  maxBodyBytes?: number;
  /** Most texts in one request (default 256). */
  maxTexts?: number;
  /** Most texts waiting for a forward pass; a request that would pass it gets 503 (default 2048, at least maxTexts). */
  maxQueue?: number;
  /** How long `close()` waits for in-flight requests before cutting them off (default 10 s). */
  drainTimeoutMs?: number;
  /** Matmul precision of each forward pass (default fp32; src/tensor/precision.ts). */
  precision?: MatmulPrecision;
}

export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  maxBatch: 32,
  batchWaitMs: 2,
  maxBodyBytes: 1 << 20,
  maxTexts: 256,
  maxQueue: 2048,
  drainTimeoutMs: 10_000,
} as const;

/** A prediction as the server returns it: sequence records gain `score` (the label's probability). */
export type ServedPrediction = PredictionRecord | { label: string; score: number; probabilities: Record<string, number> };

export interface ServerStats {
  /** HTTP requests answered (any path, any status). */
  requests: number;
  /** /predict requests answered with 200. */
  predictRequests: number;
  /** Requests answered with a 4xx or 5xx status. */
  errors: number;
  /** Texts predicted. */
  texts: number;
  /** Forward passes run (each takes up to maxBatch texts, from one or more requests). */
  passes: number;
  /** Largest number of requests whose texts shared one pass. */
  maxRequestsPerPass: number;
  /** Texts per pass → how many passes had that many. */
  batchSizes: Record<string, number>;
  /** Requests refused because the queue was full (503). */
  queueFull: number;
}

export interface RunningServer {
  /** `http://host:port` */
  url: string;
  host: string;
  port: number;
  /** A snapshot of the counters. */
  stats(): ServerStats;
  /** Requests received and not yet answered. */
  inFlight(): number;
  /**
   * Graceful stop (idempotent): no new connections, in-flight requests finish; after `timeoutMs`
   * (default: the server's drainTimeoutMs) the rest are cut off. Resolves once every connection
   * is closed, with how many requests were cut off.
   */
  close(opts?: { timeoutMs?: number }): Promise<{ cutOff: number }>;
}

/** An HTTP error with the status to answer and a one-line message. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function positiveInt(name: string, v: number, min: number): number {
  if (!Number.isSafeInteger(v) || v < min) throw new Error(`startServer: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

// ---- batching ---------------------------------------------------------------------------------

interface Job {
  texts: readonly string[];
  /** Texts handed to a pass so far. */
  next: number;
  /** Texts with a result so far. */
  done: number;
  out: PredictionRecord[];
  /** The client went away: its remaining texts are skipped. */
  cancelled: boolean;
  resolve: (r: PredictionRecord[]) => void;
  reject: (e: Error) => void;
}

interface Segment {
  job: Job;
  from: number;
  to: number;
}

/** The FIFO queue of texts and the passes that drain it (see the file header). */
class Batcher {
  private readonly queue: Job[] = [];
  /** Texts in the queue not yet handed to a pass. */
  private queued = 0;
  private scheduled = false;
  /** The batch-wait timer while one runs (a full batch starts at once instead). */
  private timer: NodeJS.Timeout | null = null;

  /** Texts waiting for a pass. */
  get waiting(): number {
    return this.queued;
  }

  constructor(
    private readonly run: (texts: string[]) => PredictionRecord[],
    private readonly maxBatch: number,
    private readonly waitMs: number,
    private readonly onPass: (texts: number, requests: number) => void,
  ) {}

  submit(texts: readonly string[]): { promise: Promise<PredictionRecord[]>; cancel: () => void } {
    let job!: Job;
    const promise = new Promise<PredictionRecord[]>((resolve, reject) => {
      job = { texts, next: 0, done: 0, out: new Array(texts.length), cancelled: false, resolve, reject };
    });
    this.queue.push(job);
    this.queued += texts.length;
    const full = this.queued >= this.maxBatch;
    if (!this.scheduled) {
      this.scheduled = true;
      // requests that arrived during a pass are read in the poll phase, before setImmediate runs
      if (this.waitMs > 0 && !full) this.timer = setTimeout(() => this.pass(), this.waitMs);
      else setImmediate(() => this.pass());
    } else if (full && this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
      setImmediate(() => this.pass());
    }
    return {
      promise,
      cancel: () => {
        job.cancelled = true;
      },
    };
  }

  private pass(): void {
    this.scheduled = false;
    this.timer = null;
    const segments: Segment[] = [];
    let n = 0;
    while (n < this.maxBatch && this.queue.length > 0) {
      const job = this.queue[0]!;
      if (job.cancelled) {
        this.queue.shift();
        this.queued -= job.texts.length - job.next;
        continue;
      }
      const take = Math.min(this.maxBatch - n, job.texts.length - job.next);
      segments.push({ job, from: job.next, to: job.next + take });
      job.next += take;
      this.queued -= take;
      n += take;
      if (job.next === job.texts.length) this.queue.shift();
    }
    if (segments.length > 0) {
      try {
        this.runSegments(segments);
      } catch (e) {
        if (segments.length === 1) this.fail(segments[0]!.job, e);
        // a mixed pass failed: each request alone, so a bad input fails only its own request
        else
          for (const s of segments) {
            try {
              this.runSegments([s]);
            } catch (e1) {
              this.fail(s.job, e1);
            }
          }
      }
    }
    if (this.queue.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.pass());
    }
  }

  private runSegments(segments: Segment[]): void {
    const texts = segments.flatMap((s) => s.job.texts.slice(s.from, s.to));
    const records = this.run(texts);
    this.onPass(texts.length, segments.length);
    let k = 0;
    for (const s of segments) {
      for (let i = s.from; i < s.to; i++) s.job.out[i] = records[k++]!;
      s.job.done += s.to - s.from;
      if (s.job.done === s.job.texts.length) s.job.resolve(s.job.out);
    }
  }

  private fail(job: Job, e: unknown): void {
    if (job.done === -1) return;
    job.done = -1; // settled
    job.cancelled = true; // its later segments are skipped
    const i = this.queue.indexOf(job);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.queued -= job.texts.length - job.next;
    }
    job.reject(e instanceof Error ? e : new Error(String(e)));
  }
}

// ---- request parsing --------------------------------------------------------------------------

const FIELDS = ['text', 'texts', 'inputs'] as const;

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** The texts of a /predict body, or an HttpError naming what is wrong. */
export function textsOfBody(body: unknown, maxTexts: number): string[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, `the body must be a JSON object like {"text": "..."} or {"texts": ["...", ...]}, got ${typeName(body)}`);
  }
  const obj = body as Record<string, unknown>;
  const keys = Object.keys(obj);
  const unknown = keys.filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new HttpError(400, `unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')} (fields: "text", "texts" or "inputs")`);
  const given = keys.filter((k) => (FIELDS as readonly string[]).includes(k));
  if (given.length === 0) throw new HttpError(400, 'missing field "text" (or "texts", an array of strings, or "inputs")');
  if (given.length > 1) throw new HttpError(400, `give one of "text", "texts" and "inputs", not ${given.map((k) => JSON.stringify(k)).join(' and ')}`);
  const field = given[0]!;
  const v = obj[field];
  let list: unknown[];
  if (field === 'text') {
    if (typeof v !== 'string') throw new HttpError(400, `"text" must be a string, got ${typeName(v)}`);
    list = [v];
  } else if (field === 'texts') {
    if (!Array.isArray(v)) throw new HttpError(400, `"texts" must be an array of strings, got ${typeName(v)}`);
    list = v;
  } else {
    if (typeof v !== 'string' && !Array.isArray(v)) throw new HttpError(400, `"inputs" must be a string or an array of strings, got ${typeName(v)}`);
    list = typeof v === 'string' ? [v] : v;
  }
  if (list.length === 0) throw new HttpError(400, `"${field}" is an empty array: give at least one text`);
  if (list.length > maxTexts) throw new HttpError(413, `"${field}" has ${list.length} texts; the limit is ${maxTexts} per request`);
  const at = (i: number) => (Array.isArray(v) ? `"${field}"[${i}]` : `"${field}"`);
  list.forEach((t, i) => {
    if (typeof t !== 'string') throw new HttpError(400, `${at(i)} must be a string, got ${typeName(t)}`);
    if (t.trim() === '') throw new HttpError(400, `${at(i)} is empty`);
  });
  return list as string[];
}

/** How long the rest of a too-large body is read and thrown away after the 413 (see readBody). */
const DISCARD_MS = 5_000;

/**
 * The body, at most `limit` bytes; else a 413 as soon as that is known (from Content-Length, or
 * when more arrives). Nothing past the limit is kept: the rest of the body is read and thrown
 * away for up to DISCARD_MS so the client, still sending, gets to read the answer (closing at
 * once would reset its upload before it sees the 413), then the connection is cut.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const overflow = (what: string) => {
      over = true;
      chunks.length = 0;
      const timer = setTimeout(() => req.socket.destroy(), DISCARD_MS);
      req.once('end', () => clearTimeout(timer));
      req.once('close', () => clearTimeout(timer));
      reject(new HttpError(413, `the request body is ${what}over the limit of ${limit} bytes`));
    };
    req.on('data', (c: Buffer) => {
      if (over) return; // thrown away
      size += c.length;
      if (size > limit) overflow('');
      else chunks.push(c);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', reject);
    if (declared !== undefined && Number(declared) > limit) overflow(`${declared} bytes, `);
  });
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw new HttpError(400, 'the body is empty: send a JSON object like {"text": "..."}');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    const msg = (e as Error).message.replace(/\s+/g, ' ');
    throw new HttpError(400, `invalid JSON: ${msg.length > 200 ? msg.slice(0, 200) + '…' : msg}`);
  }
}

// ---- the server -------------------------------------------------------------------------------

const ROUTES: Record<string, readonly string[]> = {
  '/predict': ['POST'],
  '/health': ['GET', 'HEAD'],
  '/info': ['GET', 'HEAD'],
  '/': ['GET', 'HEAD'],
};

/** This process's memory (RSS, V8 heap, array buffers: tensors live there), MiB. */
function memoryMiB(): { rss: number; heapUsed: number; arrayBuffers: number } {
  const m = process.memoryUsage();
  const mib = (x: number) => Math.round((x / 2 ** 20) * 10) / 10;
  return { rss: mib(m.rss), heapUsed: mib(m.heapUsed), arrayBuffers: mib(m.arrayBuffers) };
}

/** Starts the server; resolves once it listens (`port: 0` → the port it got). */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const m = opts.model;
  const host = opts.host ?? SERVE_DEFAULTS.host;
  const port = positiveInt('port', opts.port ?? SERVE_DEFAULTS.port, 0);
  if (port > 65535) throw new Error(`startServer: port must be <= 65535, got ${port}`);
  const maxBatch = positiveInt('maxBatch', opts.maxBatch ?? SERVE_DEFAULTS.maxBatch, 1);
  const batchWaitMs = positiveInt('batchWaitMs', opts.batchWaitMs ?? SERVE_DEFAULTS.batchWaitMs, 0);
  const maxBodyBytes = positiveInt('maxBodyBytes', opts.maxBodyBytes ?? SERVE_DEFAULTS.maxBodyBytes, 1);
  const maxTexts = positiveInt('maxTexts', opts.maxTexts ?? SERVE_DEFAULTS.maxTexts, 1);
  const drainTimeoutMs = positiveInt('drainTimeoutMs', opts.drainTimeoutMs ?? SERVE_DEFAULTS.drainTimeoutMs, 0);
  const maxQueue = positiveInt('maxQueue', opts.maxQueue ?? Math.max(SERVE_DEFAULTS.maxQueue, maxTexts), 1);
  if (maxQueue < maxTexts) throw new Error(`startServer: maxQueue (${maxQueue}) must be at least maxTexts (${maxTexts}), or a full request could never be queued`);
  const name = opts.name ?? m.dir;
  const precision = opts.precision ?? 'fp32';
  if (!(MATMUL_PRECISIONS as readonly string[]).includes(precision)) throw new Error(`startServer: precision must be ${MATMUL_PRECISIONS.join(' or ')}, got ${JSON.stringify(precision)}`);

  const stats: ServerStats = { requests: 0, predictRequests: 0, errors: 0, texts: 0, passes: 0, maxRequestsPerPass: 0, batchSizes: {}, queueFull: 0 };
  const batcher = new Batcher(
    // the precision is scoped to each (synchronous) pass, so it never leaks to other work in the process
    (texts) => withMatmulPrecision(precision, () => predictTexts(m, texts, { batchSize: maxBatch, onBatch: () => (stats.passes += 1) })),
    maxBatch,
    batchWaitMs,
    (texts, requests) => {
      stats.texts += texts;
      stats.batchSizes[texts] = (stats.batchSizes[texts] ?? 0) + 1;
      stats.maxRequestsPerPass = Math.max(stats.maxRequestsPerPass, requests);
    },
  );
  const describe = () => ({ model: name, adapter: m.adapter, head: m.head, task: m.task.type, labels: [...m.task.labels], maxLength: m.maxLength, precision });
  let stopping = false;
  let inFlight = 0;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    if (res.headersSent || res.destroyed) return;
    const data = Buffer.from(JSON.stringify(body) + '\n');
    stats.requests += 1;
    if (status >= 400) stats.errors += 1;
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(data.length),
      ...(stopping ? { Connection: 'close' } : {}),
      ...headers,
    });
    res.end(data);
  };

  const predictRoute = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const texts = textsOfBody(parseJson(await readBody(req, maxBodyBytes)), maxTexts);
    if (req.socket.destroyed) return; // the client went away while sending
    if (batcher.waiting + texts.length > maxQueue) {
      stats.queueFull += 1;
      throw new HttpError(503, `the server is busy: ${batcher.waiting} texts are waiting and the queue holds ${maxQueue}; retry later`, { 'Retry-After': '1' });
    }
    const job = batcher.submit(texts);
    res.on('close', () => {
      if (!res.writableFinished) job.cancel(); // the client went away before its answer
    });
    const records = await job.promise;
    const predictions = records.map((r): ServedPrediction => ('label' in r ? { label: r.label, score: r.probabilities[r.label]!, probabilities: r.probabilities } : r));
    stats.predictRequests += 1;
    send(res, 200, { predictions });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!;
    const methods = ROUTES[path];
    if (methods === undefined) throw new HttpError(404, `no such path: ${path.slice(0, 200)} (paths: POST /predict, GET /health, GET /info)`);
    if (!methods.includes(req.method ?? '')) throw new HttpError(405, `${req.method} is not allowed on ${path} (allowed: ${methods.join(', ')})`, { Allow: methods.join(', ') });
    if (stopping) throw new HttpError(503, 'the server is shutting down');
    if (path === '/predict') return predictRoute(req, res);
    if (path === '/health') return send(res, 200, { status: 'ok', ...describe() });
    send(res, 200, {
      ...describe(),
      notes: m.notes,
      limits: { maxBatch, batchWaitMs, maxBodyBytes, maxTexts, maxQueue },
      waiting: batcher.waiting,
      stats: snapshot(),
      memoryMiB: memoryMiB(),
      endpoints: {
        'POST /predict': '{"text": "..."} or {"texts": ["...", ...]} → {"predictions": [{"label", "score", "probabilities"}, ...]}',
        'GET /health': 'status and model',
        'GET /info': 'this',
      },
    });
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    inFlight += 1;
    res.on('close', () => (inFlight -= 1));
    handle(req, res).catch((e: unknown) => {
      if (e instanceof HttpError) send(res, e.status, { error: e.message }, e.headers);
      else send(res, 500, { error: `prediction failed: ${((e as Error)?.message ?? String(e)).replace(/\s+/g, ' ')}` });
    });
  };

  const server = createServer({ requestTimeout: 60_000 }, onRequest);
  // `Expect: 100-continue` (curl sends it for large bodies): refuse an oversized body before it is sent
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBodyBytes) {
      // the client waits for a go-ahead that never comes: the body is not sent, the connection ends
      inFlight += 1;
      res.on('close', () => (inFlight -= 1));
      send(res, 413, { error: `the request body is ${declared} bytes, over the limit of ${maxBodyBytes} bytes` }, { Connection: 'close' });
      return;
    }
    res.writeContinue();
    onRequest(req, res);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (socket.writable && err.code !== 'ECONNRESET') {
      const body = JSON.stringify({ error: `bad HTTP request: ${err.code ?? err.message}` }) + '\n';
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    } else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => reject(new Error(`cannot listen on ${host}:${port}: ${e.code === 'EADDRINUSE' ? 'the address is in use' : e.message}`));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const urlHost = addr.family === 'IPv6' || addr.address.includes(':') ? `[${addr.address}]` : addr.address;

  function snapshot(): ServerStats {
    return { ...stats, batchSizes: { ...stats.batchSizes } };
  }

  let closing: Promise<{ cutOff: number }> | null = null;
  return {
    url: `http://${urlHost}:${addr.port}`,
    host: addr.address,
    port: addr.port,
    stats: snapshot,
    inFlight: () => inFlight,
    close(o: { timeoutMs?: number } = {}) {
      closing ??= new Promise((resolve) => {
        stopping = true;
        let cutOff = 0;
        const timer = setTimeout(() => {
          cutOff = inFlight;
          server.closeAllConnections();
        }, o.timeoutMs ?? drainTimeoutMs);
        server.close(() => {
          clearTimeout(timer);
          resolve({ cutOff });
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/**
 * `adaptext serve`: starts the server, prints `serving <name> (adapter A, head H) on <url>`, and
 * serves until SIGINT or SIGTERM; then stops gracefully (see `close`) and returns — the command
 * exits 0, as a server asked to stop has nothing left to resume. A second signal exits at once
 * with the shell's code for it (130 / 143). Throws when in-flight requests had to be cut off.
 */
export async function serve(opts: ServeOptions & { print?: (line: string) => void }): Promise<void> {
  const print = opts.print ?? ((l: string) => process.stderr.write(l + '\n'));
  const s = await startServer(opts);
  const m = opts.model;
  print(`serving ${opts.name ?? m.dir} (adapter ${m.adapter ?? 'none'}, head ${m.head}) on ${s.url}`);
  const handlers: Array<[StopSignalName, () => void]> = [];
  const { cutOff } = await new Promise<{ cutOff: number }>((resolve) => {
    let stoppingBy: StopSignalName | null = null;
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const h = () => {
        if (stoppingBy !== null) {
          print(`serve: second ${sig}, exiting now`);
          process.exit(signalExitCode(sig));
        }
        stoppingBy = sig;
        print(`serve: ${sig} received, finishing ${s.inFlight()} in-flight request(s) (${sig === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again exits at once)`);
        void s.close().then(resolve);
      };
      process.on(sig, h);
      handlers.push([sig, h]);
    }
  });
  for (const [sig, h] of handlers) process.removeListener(sig, h);
  const st = s.stats();
  if (cutOff > 0) throw new Error(`stopped, but ${cutOff} request(s) still running after ${opts.drainTimeoutMs ?? SERVE_DEFAULTS.drainTimeoutMs} ms were cut off`);
  print(`serve: stopped (${st.predictRequests} prediction request(s), ${st.texts} text(s) in ${st.passes} pass(es))`);
}
