// `adaptext serve --model RUN --domain NAME [--port 8080]` — an HTTP inference server for one
// domain's adapter and task head (what `adaptext predict` would use): POST /predict with
// {"text": "..."} or {"texts": [...]} → {"predictions": [{"label", "score", "probabilities"}]},
// GET /health, GET /info. Concurrent requests share forward passes (up to --max-batch texts).
// Runs until SIGINT/SIGTERM, then finishes in-flight requests and exits 0 (src/deploy/serve.ts).
import type { Command } from 'commander';
import { openForInference } from '../../train/inference.js';
import { serve, SERVE_DEFAULTS } from '../../deploy/serve.js';
import type { ProgressMode } from '../../engine/progress.js';
import { UsageError, intArg, modelArg, precisionOption, progressOption } from '../args.js';
import type { MatmulPrecision } from '../../tensor/precision.js';

interface ServeFlags {
  model: string;
  domain?: string;
  head?: string;
  host: string;
  port: number;
  maxBatch: number;
  batchWaitMs: number;
  maxBodyBytes: number;
  maxTexts: number;
  maxQueue?: number;
  drainTimeoutMs: number;
  precision?: MatmulPrecision;
  progress: ProgressMode;
}

export function register(program: Command): void {
  const d = SERVE_DEFAULTS;
  program
    .command('serve')
    .description('serve predictions over HTTP (POST /predict, GET /health) with a run (latest stage) or a model folder, until SIGINT/SIGTERM')
    .requiredOption('--model <run_or_model>', 'run folder (uses its latest finished stage) or model folder')
    .option('--domain <name>', 'domain whose adapter (and task head) to use (run default: the target domain)')
    .option('--head <name>', 'task head to use')
    .option('--host <addr>', 'address to listen on (0.0.0.0: every interface)', d.host)
    .option('--port <n>', 'port (0: a free one, printed at start)', intArg('--port', 0), d.port)
    .option('--max-batch <n>', 'most texts in one forward pass (texts of concurrent requests are batched together)', intArg('--max-batch', 1), d.maxBatch)
    .option('--batch-wait-ms <n>', 'how long a request reaching an idle server waits for others to batch with', intArg('--batch-wait-ms', 0), d.batchWaitMs)
    .option('--max-body-bytes <n>', 'largest request body (larger: 413)', intArg('--max-body-bytes', 1), d.maxBodyBytes)
    .option('--max-texts <n>', 'most texts per request (more: 413)', intArg('--max-texts', 1), d.maxTexts)
    .option('--max-queue <n>', `most texts waiting for a forward pass; a request that would pass it gets 503 + Retry-After (default ${d.maxQueue}, at least --max-texts)`, intArg('--max-queue', 1))
    .option('--drain-timeout-ms <n>', 'on SIGINT/SIGTERM, how long in-flight requests may take to finish', intArg('--drain-timeout-ms', 0), d.drainTimeoutMs)
    .addOption(precisionOption())
    .addOption(progressOption())
    .action(async (o: ServeFlags) => {
      if (o.port > 65535) throw new UsageError(`--port must be <= 65535, got ${o.port}`);
      const m = openForInference(await modelArg(o.model, o.progress), { domain: o.domain, head: o.head });
      for (const n of m.notes) process.stderr.write(`note: ${n}\n`);
      await serve({
        model: m,
        name: o.model,
        host: o.host,
        port: o.port,
        maxBatch: o.maxBatch,
        batchWaitMs: o.batchWaitMs,
        maxBodyBytes: o.maxBodyBytes,
        maxTexts: o.maxTexts,
        ...(o.maxQueue !== undefined ? { maxQueue: o.maxQueue } : {}),
        drainTimeoutMs: o.drainTimeoutMs,
        precision: o.precision ?? 'fp32',
      });
    });
}
