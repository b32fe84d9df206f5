// Reading a run folder for the report (docs/run-format.md): run.json, metrics.json,
// log.jsonl. A missing file is not an error (a run still training has no metrics.json yet;
// the report says what is missing); a malformed one is, with the file, line and field named.
// A truncated LAST line of log.jsonl (the process died mid-append) is skipped with a note.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DomainConfusion, EvalRecord, LogRecord, Metrics, RunInfo, RunMetrics, StepRecord } from '../types.js';

export interface ReportInput {
  run: RunInfo | null;
  metrics: RunMetrics | null;
  log: LogRecord[];
  /** Things the reader noticed (missing files, skipped lines), shown in the report. */
  notes?: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(where: string, msg: string): never {
  throw new Error(`${where}: ${msg}`);
}

function need(o: Obj, key: string, type: 'number' | 'string', where: string): void {
  const v = o[key];
  if (type === 'number' ? typeof v !== 'number' : typeof v !== 'string') {
    fail(where, `"${key}" must be a ${type}, got ${JSON.stringify(v) ?? 'undefined'}`);
  }
}

function opt(o: Obj, key: string, type: 'number' | 'string', where: string): void {
  if (o[key] !== undefined && o[key] !== null) need(o, key, type, where);
}

export function checkMetrics(v: unknown, where: string): Metrics {
  if (!isObj(v)) fail(where, `must be a Metrics object, got ${JSON.stringify(v)}`);
  for (const k of ['n', 'accuracy', 'macroF1']) need(v, k, 'number', where);
  if (!Array.isArray(v.labels) || !v.labels.every((l) => typeof l === 'string')) fail(where, '"labels" must be an array of strings');
  const k = v.labels.length;
  if (!Array.isArray(v.perClass)) fail(where, '"perClass" must be an array');
  v.perClass.forEach((c, i) => {
    if (!isObj(c)) fail(`${where}.perClass[${i}]`, 'must be an object');
    need(c, 'label', 'string', `${where}.perClass[${i}]`);
    for (const f of ['precision', 'recall', 'f1', 'support']) need(c, f, 'number', `${where}.perClass[${i}]`);
  });
  if (!Array.isArray(v.confusion) || v.confusion.length !== k || !v.confusion.every((r) => Array.isArray(r) && r.length === k && r.every((x) => typeof x === 'number'))) {
    fail(where, `"confusion" must be a ${k}x${k} array of numbers (one row per label)`);
  }
  return v as unknown as Metrics;
}

function checkDomainConfusion(v: unknown, where: string): DomainConfusion {
  if (!isObj(v)) fail(where, 'must be an object {accuracy, proxyADistance, n}');
  for (const k of ['accuracy', 'proxyADistance', 'n']) need(v, k, 'number', where);
  return v as unknown as DomainConfusion;
}

/** Validate the shape of metrics.json (optional sections may be absent). */
export function checkRunMetrics(v: unknown, file: string): RunMetrics {
  if (!isObj(v)) fail(file, 'top level must be an object');
  if (v.labels !== undefined && !(Array.isArray(v.labels) && v.labels.every((l) => typeof l === 'string'))) fail(file, '"labels" must be an array of strings');
  const stages = v.stages ?? {};
  if (!isObj(stages)) fail(file, '"stages" must be an object keyed by stage name');
  for (const [name, s] of Object.entries(stages)) {
    if (!isObj(s)) fail(`${file}: stages.${name}`, 'must be an object');
    if (s.target_test !== undefined) checkMetrics(s.target_test, `${file}: stages.${name}.target_test`);
    if (s.source_test !== undefined) checkMetrics(s.source_test, `${file}: stages.${name}.source_test`);
    if (s.domain_confusion !== undefined) checkDomainConfusion(s.domain_confusion, `${file}: stages.${name}.domain_confusion`);
  }
  for (const key of ['ablation', 'baselines'] as const) {
    const rows = v[key];
    if (rows === undefined) continue;
    if (!Array.isArray(rows)) fail(file, `"${key}" must be an array`);
    rows.forEach((r, i) => {
      const w = `${file}: ${key}[${i}]`;
      if (!isObj(r)) fail(w, 'must be an object');
      need(r, 'name', 'string', w);
      opt(r, 'description', 'string', w);
      opt(r, 'stage', 'string', w);
      checkMetrics(r.target, `${w}.target`);
      if (r.domain_confusion !== undefined) checkDomainConfusion(r.domain_confusion, `${w}.domain_confusion`);
    });
  }
  if (v.vocab !== undefined) {
    if (!isObj(v.vocab)) fail(file, '"vocab" must be an object');
    for (const k of ['added', 'fragmentationBefore', 'fragmentationAfter']) need(v.vocab, k, 'number', `${file}: vocab`);
    if (v.vocab.examples !== undefined && !Array.isArray(v.vocab.examples)) fail(`${file}: vocab`, '"examples" must be an array of strings');
  }
  if (v.projection !== undefined) {
    if (!isObj(v.projection)) fail(file, '"projection" must be an object {before, after}');
    for (const k of ['before', 'after']) {
      const pts = v.projection[k];
      if (pts === undefined) continue;
      if (!Array.isArray(pts)) fail(`${file}: projection.${k}`, 'must be an array of points');
      pts.forEach((p, i) => {
        const w = `${file}: projection.${k}[${i}]`;
        if (!isObj(p)) fail(w, 'must be an object {x, y, domain}');
        need(p, 'x', 'number', w);
        need(p, 'y', 'number', w);
        if (p.domain !== 'source' && p.domain !== 'target') fail(w, `"domain" must be "source" or "target", got ${JSON.stringify(p.domain)}`);
      });
    }
  }
  return { labels: [], stages: {}, ...(v as object) } as RunMetrics;
}

function checkLogRecord(v: unknown, where: string): LogRecord | null {
  if (!isObj(v)) fail(where, 'each line must be a JSON object');
  if (v.type === 'step') {
    need(v, 'stage', 'string', where);
    need(v, 'step', 'number', where);
    need(v, 'loss', 'number', where);
    for (const k of ['epoch', 'lossTask', 'lossMlm', 'lossDomain', 'lossConfusion', 'discAcc', 'lambda', 'lr', 'gradNorm', 'time']) opt(v, k, 'number', where);
    return v as unknown as StepRecord;
  }
  if (v.type === 'eval') {
    need(v, 'stage', 'string', where);
    need(v, 'step', 'number', where);
    if (v.split !== 'validation' && v.split !== 'test') fail(where, `"split" must be "validation" or "test", got ${JSON.stringify(v.split)}`);
    if (v.domain !== 'source' && v.domain !== 'target') fail(where, `"domain" must be "source" or "target", got ${JSON.stringify(v.domain)}`);
    checkMetrics(v.metrics, `${where}: metrics`);
    return v as unknown as EvalRecord;
  }
  return null; // other record types (future additions) are not plotted
}

/** Parse log.jsonl text. `file` names the file in errors and notes. */
export function parseLog(text: string, file = 'log.jsonl'): { records: LogRecord[]; notes: string[] } {
  const lines = text.split('\n');
  const records: LogRecord[] = [];
  const notes: string[] = [];
  let lastNonEmpty = lines.length - 1;
  while (lastNonEmpty >= 0 && lines[lastNonEmpty]!.trim() === '') lastNonEmpty--;
  let other = 0;
  for (let i = 0; i <= lastNonEmpty; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      if (i === lastNonEmpty && !text.endsWith('\n')) {
        notes.push(`${file}:${i + 1}: incomplete last line ignored (the writer was probably interrupted)`);
        continue;
      }
      fail(`${file}:${i + 1}`, `invalid JSON (${(e as Error).message})`);
    }
    const r = checkLogRecord(v, `${file}:${i + 1}`);
    if (r) records.push(r);
    else other++;
  }
  if (other > 0) notes.push(`${file}: ${other} record(s) of other types not plotted`);
  return { records, notes };
}

function readJson(path: string, name: string): unknown {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const line = m ? text.slice(0, Number(m[1])).split('\n').length : undefined;
    throw new Error(`${name}${line ? `:${line}` : ''}: invalid JSON (${(e as Error).message})`, { cause: e });
  }
}

/** Read run.json / metrics.json / log.jsonl from a run folder. */
export function readRunFolder(runDir: string): ReportInput {
  if (!existsSync(runDir)) throw new Error(`${runDir}: run folder does not exist`);
  const notes: string[] = [];
  let run: RunInfo | null = null;
  const runPath = join(runDir, 'run.json');
  if (existsSync(runPath)) {
    const v = readJson(runPath, runPath);
    if (!isObj(v)) fail(runPath, 'top level must be an object');
    opt(v, 'createdAt', 'string', runPath);
    opt(v, 'model', 'string', runPath);
    opt(v, 'seed', 'number', runPath);
    opt(v, 'adaptextVersion', 'string', runPath);
    run = v as unknown as RunInfo;
  } else notes.push('run.json is missing: run details unknown');
  let metrics: RunMetrics | null = null;
  const metricsPath = join(runDir, 'metrics.json');
  if (existsSync(metricsPath)) metrics = checkRunMetrics(readJson(metricsPath, metricsPath), metricsPath);
  else notes.push('metrics.json is missing: no evaluation results yet');
  let log: LogRecord[] = [];
  const logPath = join(runDir, 'log.jsonl');
  if (existsSync(logPath)) {
    const r = parseLog(readFileSync(logPath, 'utf8'), logPath);
    log = r.records;
    notes.push(...r.notes);
  } else notes.push('log.jsonl is missing: no training curves');
  return { run, metrics, log, notes };
}
