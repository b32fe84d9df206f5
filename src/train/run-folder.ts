// The run folder (docs/run-format.md): run.json, log.jsonl, metrics.json, one folder per
// finished stage, and `progress/<stage>/{last,best}` while a stage is running (the resumable
// in-stage checkpoints; removed when the stage folder is published).
//
// Crash rules: run.json, metrics.json and every checkpoint folder are written atomically
// (temp + fsync + rename); log.jsonl follows the run log's rule (src/engine/run-log.ts).
import { existsSync, readFileSync, readdirSync, rmSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkNewOutputDir, writeJsonAtomic } from '../io/atomic.js';
import { lockDir, type DirLock } from '../io/lock.js';
import type { LogRecord, RunInfo, RunMetrics } from '../eval/types.js';
import { parseJson } from '../io/validate.js';
import { RUN_LOG_NAME, RunLog, type RunLogEntry } from '../engine/run-log.js';

export const RUN_FORMAT_VERSION = 1;
export const ADAPTEXT_VERSION = '0.1.0';

/** The base model a run started from; a checkpoint from another model is refused. */
export interface ModelFingerprint {
  model_type: string;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  vocab_size: number;
}

export function fingerprintText(f: ModelFingerprint): string {
  return `${f.model_type}, ${f.num_hidden_layers} layers, hidden ${f.hidden_size}, ${f.num_attention_heads} heads, vocab ${f.vocab_size}`;
}

export interface RunJson extends RunInfo {
  formatVersion: number;
  adaptextVersion: string;
  createdAt: string;
  config: unknown;
  seed: number;
  model: string;
  modelFingerprint: ModelFingerprint;
}

export const STAGES = ['stage1', 'stage2', 'stage3'] as const;
export type StageName = (typeof STAGES)[number] | 'fewshot_only';

export class RunFolder {
  readonly dir: string;
  private readonly runLog: RunLog;

  private constructor(
    dir: string,
    private readonly lock: DirLock | null = null,
  ) {
    this.dir = resolve(dir);
    this.runLog = new RunLog(this.logPath);
  }

  get runJsonPath(): string {
    return join(this.dir, 'run.json');
  }
  get logPath(): string {
    return join(this.dir, RUN_LOG_NAME);
  }
  get metricsPath(): string {
    return join(this.dir, 'metrics.json');
  }
  get reportPath(): string {
    return join(this.dir, 'report.html');
  }
  stageDir(stage: StageName): string {
    return join(this.dir, stage);
  }
  progressDir(stage: StageName, which: 'last' | 'best'): string {
    return join(this.dir, 'progress', stage, which);
  }

  /** A folder holds a run when it has run.json. */
  static isRun(dir: string): boolean {
    return existsSync(join(dir, 'run.json'));
  }

  /**
   * Start a new run in `dir`: it must not exist or be empty. Nothing is written when this throws.
   */
  static create(dir: string, info: Omit<RunJson, 'formatVersion' | 'adaptextVersion' | 'createdAt'>, command = 'train'): RunFolder {
    const check = (): void => {
      if (existsSync(dir) && RunFolder.isRun(dir)) throw new Error(`${dir}: already holds a run; continue it with --resume ${dir}, or choose another output folder`);
      checkNewOutputDir(dir, 'choose a new folder');
    };
    check();
    mkdirSync(dir, { recursive: true });
    // the lock makes "empty, so it is ours" atomic: checked again once no one else can write here
    const lock = lockDir(dir, command);
    try {
      check();
      const run = new RunFolder(dir, lock);
      const json: RunJson = { formatVersion: RUN_FORMAT_VERSION, adaptextVersion: ADAPTEXT_VERSION, createdAt: new Date().toISOString(), ...info };
      writeJsonAtomic(run.runJsonPath, json);
      return run;
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  /** Open an existing run (for --resume, eval, predict); `lock`: take the writer's lock, naming the command. */
  static open(dir: string, opts: { lock?: string } = {}): { run: RunFolder; info: RunJson } {
    if (!existsSync(dir)) throw new Error(`${dir}: no such run folder`);
    if (!RunFolder.isRun(dir)) throw new Error(`${dir}: not a run folder (no run.json)`);
    const path = join(dir, 'run.json');
    const info = parseJson(readFileSync(path, 'utf8'), path) as RunJson;
    if (info.formatVersion !== RUN_FORMAT_VERSION) {
      throw new Error(`${path}: run format version ${JSON.stringify(info.formatVersion)} is not supported (expected ${RUN_FORMAT_VERSION})`);
    }
    const lock = opts.lock !== undefined ? lockDir(dir, opts.lock) : null;
    return { run: new RunFolder(dir, lock), info };
  }

  /** Give up the writer's lock (when the run ends, also by an error). */
  release(): void {
    this.lock?.release();
  }

  get logLines(): number {
    return this.runLog.lines;
  }

  /** Append a record; its `time` is stamped as it is written (src/engine/run-log.ts). */
  log(record: RunLogEntry): void {
    this.runLog.append(record);
  }

  /** Cut log.jsonl back to its first `n` lines (what the checkpoint we resume from had seen). */
  truncateLog(n: number): void {
    this.runLog.truncate(n);
  }

  readLog(): LogRecord[] {
    return this.runLog.read() as unknown as LogRecord[];
  }

  writeMetrics(m: RunMetrics): void {
    writeJsonAtomic(this.metricsPath, m);
  }

  readMetrics(): RunMetrics | null {
    return existsSync(this.metricsPath) ? (JSON.parse(readFileSync(this.metricsPath, 'utf8')) as RunMetrics) : null;
  }

  clearProgress(stage: StageName): void {
    const root = join(this.dir, 'progress');
    rmSync(join(root, stage), { recursive: true, force: true });
    if (existsSync(root) && readdirSync(root).length === 0) rmSync(root, { recursive: true, force: true });
  }
}
