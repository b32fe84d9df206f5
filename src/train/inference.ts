// Using a trained model: `adaptext predict` (labels + probabilities per input line) and
// `adaptext eval` (metrics on any labelled file). Both accept a run folder — its latest finished
// stage (stage3 > stage2 > stage1), the task and reader options from the run's config — or a
// plain model folder (HF / adaptext; the head is the folder's main head).
//
// The domain picks the adapter (one per domain): `--domain kitchen` runs the kitchen adapter and
// that domain's task head. A run that stopped after stage 1 has only the source adapter; target
// rows then go through it (that is the source-only model), and the result says so.
import { readDataset, type EncodedExample, type Example } from '../data/index.js';
import { encodeExamples } from '../data/index.js';
import { JsonlError, parseJsonl } from '../io/jsonl.js';
import { JsonlWriter } from '../io/jsonl.js';
import { loadModel, SequenceClassificationHead, type AdapterModel } from '../models/index.js';
import { loadTokenizer, type Tokenizer } from '../text/index.js';
import type { Metrics } from '../eval/types.js';
import { validateConfig, type PipelineConfig, type ReaderConfig, type TaskConfig } from './config.js';
import { readerTask } from './data.js';
import { predict, scorePredictions } from './evaluate.js';
import { RunFolder } from './run-folder.js';
import { latestFinishedStage } from './checkpoint.js';
import { existsSync } from 'node:fs';
import { READ_LIMITS, isStdin, readInputText } from '../io/read.js';
import { silentProgress, type ProgressSink } from '../engine/progress.js';

export interface InferenceModel {
  model: AdapterModel;
  tokenizer: Tokenizer;
  adapter: string | null;
  /** The domain of the texts: whose centre (if the model has one) the head subtracts. */
  domain: string | null;
  head: string;
  task: TaskConfig;
  maxLength: number;
  /** Folder the weights came from. */
  dir: string;
  reader: ReaderConfig | null;
  notes: string[];
}

/** The latest finished stage folder of a run. */
export function finalStageDir(runDir: string): string {
  const d = latestFinishedStage(runDir);
  if (d !== null) return d;
  throw new Error(`${runDir}: the run has no finished stage yet (no stage1/, stage2/ or stage3/ checkpoint)`);
}

export function openForInference(path: string, opts: { domain?: string; head?: string; maxLength?: number } = {}): InferenceModel {
  if (!existsSync(path)) throw new Error(`${path}: no such run or model folder`);
  const notes: string[] = [];
  if (RunFolder.isRun(path)) {
    const { run, info } = RunFolder.open(path);
    const cfg: PipelineConfig = validateConfig(info.config, run.runJsonPath, run.dir);
    const dir = finalStageDir(run.dir);
    const { model } = loadModel(dir);
    const tokenizer = loadTokenizer(dir);
    const domain = opts.domain ?? cfg.target.name;
    const role = domain === cfg.source.name ? 'source' : domain === cfg.target.name ? 'target' : null;
    if (role === null) throw new Error(`--domain ${domain}: the run's domains are ${cfg.source.name} (source) and ${cfg.target.name} (target)`);
    const taskName = opts.head ?? cfg[role].task;
    const task = cfg.tasks[taskName] ?? taskOfHead(model, taskName, dir);
    if (!model.headNames().includes(taskName)) {
      throw new Error(`${dir}: has no '${taskName}' head (heads: ${model.headNames().join(', ')}); the ${domain} task is trained in a later stage`);
    }
    let adapter: string = domain;
    if (!model.adapterNames().includes(adapter)) {
      adapter = cfg.source.name;
      notes.push(`${dir} has no '${domain}' adapter yet; using the source adapter '${adapter}' (the source-only model)`);
    }
    return { model, tokenizer, adapter, domain, head: taskName, task, maxLength: opts.maxLength ?? cfg.max_length, dir, reader: cfg[role].reader, notes };
  }
  const { model } = loadModel(path);
  const tokenizer = loadTokenizer(path);
  const heads = model.headNames().filter((h) => ['sequence_classification', 'token_classification'].includes(model.getHead(h).type));
  const head = opts.head ?? model.mainHead ?? (heads.length === 1 ? heads[0]! : null);
  if (head === null) throw new Error(`${path}: cannot tell which head to use (classification heads: ${heads.join(', ') || 'none'}); pass --head NAME`);
  if (!model.headNames().includes(head)) throw new Error(`--head ${head}: ${path} has no such head (heads: ${model.headNames().join(', ') || 'none'})`);
  const task = taskOfHead(model, head, path);
  let adapter: string | null;
  if (opts.domain !== undefined) {
    if (!model.adapterNames().includes(opts.domain)) {
      throw new Error(`--domain ${opts.domain}: ${path} has no such adapter (adapters: ${model.adapterNames().join(', ') || 'none'})`);
    }
    adapter = opts.domain;
  } else adapter = model.activeAdapter;
  const maxLength = opts.maxLength ?? Math.min(512, model.cfg.maxPositions - (model.cfg.family === 'roberta' ? model.cfg.padTokenId + 1 : 0));
  return { model, tokenizer, adapter, domain: adapter, head, task, maxLength, dir: path, reader: null, notes };
}

function taskOfHead(model: AdapterModel, head: string, where: string): TaskConfig {
  if (!model.headNames().includes(head)) throw new Error(`${where}: has no '${head}' head (heads: ${model.headNames().join(', ') || 'none'})`);
  const h = model.getHead(head);
  if (h.type !== 'sequence_classification' && h.type !== 'token_classification') {
    throw new Error(`${where}: head '${head}' is a ${h.type} head, not a classification head`);
  }
  const n = (h.spec as { numLabels: number }).numLabels;
  return { type: h.type, pooling: h instanceof SequenceClassificationHead ? h.pooling : 'auto', classifier_dropout: null, labels: h.labelNames() ?? Array.from({ length: n }, (_, i) => `LABEL_${i}`) };
}

/** `adaptext eval`: metrics of the model on a labelled file (same readers and rules as training). */
export function evaluateFile(
  m: InferenceModel,
  file: string,
  opts: { batchSize?: number; onMalformed?: 'fail' | 'skip'; progress?: ProgressSink } = {},
): { metrics: Metrics; examples: number; skipped: number } {
  const r = m.reader;
  const ds = readDataset(file, {
    task: readerTask(m.task),
    labels: m.task.labels,
    textField: r?.text_field,
    labelField: r?.label_field,
    tokensField: r?.tokens_field,
    tagsField: r?.tags_field,
    idField: r?.id_field,
    header: r?.header,
    delimiter: r?.delimiter,
    onMalformed: opts.onMalformed ?? r?.on_malformed ?? 'fail',
  });
  const { encoded } = encodeExamples(ds.examples, m.tokenizer, { maxLength: m.maxLength });
  const progress = opts.progress ?? silentProgress;
  progress.start('eval', encoded.length, 0, 'rows');
  const p = predict(m.model, encoded, {
    adapter: m.adapter,
    domain: m.domain,
    head: m.head,
    task: m.task,
    batchSize: opts.batchSize ?? 32,
    padId: m.tokenizer.specialIds.pad,
    onBatch: (n) => progress.update(n),
  });
  progress.end();
  return { metrics: scorePredictions(encoded, p, m.task), examples: encoded.length, skipped: ds.stats.skippedEmpty + ds.stats.skippedMalformed };
}

interface InputLine {
  line: number;
  id: unknown;
  example: Example;
}

/** Input of predict: .txt (one text per line) or JSON Lines with `text` or `tokens` (words; joined by spaces for a sequence task). */
function readInput(file: string, task: TaskConfig, textField: string, tokensField: string): InputLine[] {
  const content = readInputText(file, 'input', READ_LIMITS.text); // `-` / /dev/stdin: standard input
  const out: InputLine[] = [];
  if (/\.txt$/i.test(file) || (isStdin(file) && !content.trimStart().startsWith('{'))) {
    const lines = content.replace(/^\ufeff/, '').split('\n');
    lines.forEach((raw, i) => {
      const s = raw.replace(/\r$/, '');
      if (s.trim() === '') return;
      const where = `${file}:${i + 1}`;
      out.push({ line: i + 1, id: undefined, example: exampleOfText(s, task, where) });
    });
  } else {
    for (const { value, line } of parseJsonl<Record<string, unknown>>(content, file)) {
      const where = `${file}:${line}`;
      const t = value[textField];
      const w = value[tokensField];
      let example: Example;
      if (task.type === 'token_classification' && w !== undefined) {
        if (!Array.isArray(w) || !w.every((x) => typeof x === 'string')) throw new JsonlError(file, line, `'${tokensField}' must be an array of strings`);
        example = tagged(w as string[], where);
      } else if (t === undefined && Array.isArray(w) && w.every((x) => typeof x === 'string')) {
        example = text((w as string[]).join(' '), where); // pre-split words for a sequence task
      } else if (typeof t === 'string') {
        example = exampleOfText(t, task, where);
      } else if (t === undefined) {
        throw new JsonlError(file, line, `missing field '${textField}'${task.type === 'token_classification' ? ` (or '${tokensField}')` : ''}`);
      } else throw new JsonlError(file, line, `'${textField}' must be a string`);
      out.push({ line, id: value['id'], example });
    }
  }
  if (out.length === 0) throw new Error(`${file}: no input lines`);
  return out;
}

/** A text as the task reads it: token classification splits it on whitespace into words. */
function exampleOfText(s: string, task: TaskConfig, where: string): Example {
  return task.type === 'token_classification' ? tagged(s.trim().split(/\s+/).filter(Boolean), where) : text(s, where);
}
function text(s: string, where: string): Example {
  return { kind: 'text', text: s, label: null, id: null, where };
}
function tagged(words: string[], where: string): Example {
  return { kind: 'tagged', words, tags: null, id: null, where };
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** One prediction as `adaptext predict` writes it (before the input's `id`). */
export type PredictionRecord = SequencePrediction | TokenPrediction;
export interface SequencePrediction {
  label: string;
  /** label → probability, rounded to 6 decimals */
  probabilities: Record<string, number>;
}
export interface TokenPrediction {
  tokens: string[];
  /** per word; null for words cut off by max_length */
  labels: Array<string | null>;
  probabilities: Array<Record<string, number> | null>;
}

/**
 * Predictions for texts in memory, in input order: exactly the records `predictFile` writes for
 * the same texts (a token-classification model splits each text on whitespace into words). Texts
 * longer than the model's max length are truncated. `batchSize` texts go through one forward pass.
 */
export function predictTexts(m: InferenceModel, texts: readonly string[], opts: { batchSize?: number; onBatch?: (rowsDone: number) => void } = {}): PredictionRecord[] {
  return predictExamples(
    m,
    texts.map((t, i) => exampleOfText(t, m.task, `text ${i + 1}`)),
    opts,
  );
}

function predictExamples(m: InferenceModel, examples: readonly Example[], opts: { batchSize?: number; onBatch?: (rowsDone: number) => void }): PredictionRecord[] {
  const { encoded } = encodeExamples(examples, m.tokenizer, { maxLength: m.maxLength });
  const p = predict(m.model, encoded, { adapter: m.adapter, domain: m.domain, head: m.head, task: m.task, batchSize: opts.batchSize ?? 32, padId: m.tokenizer.specialIds.pad, onBatch: opts.onBatch });
  const L = m.task.labels;
  return examples.map((ex, i): PredictionRecord => {
    if (m.task.type === 'token_classification') return tokenRecord(ex, encoded[i]!, p.probs[i]!, L);
    const probs = p.probs[i]!;
    return { label: L[p.pred[i]![0]!]!, probabilities: Object.fromEntries(L.map((l, j) => [l, round(probs[j]!)])) };
  });
}

/**
 * `adaptext predict`: one output line per input line, in order:
 *   sequence: {"id"?, "label": "positive", "probabilities": {"negative": 0.12, "positive": 0.88}}
 *   tokens:   {"id"?, "tokens": [...], "labels": [...], "probabilities": [{tag: p, ...}, ...]}
 * (per word: the prediction at its first sub-token; words cut off by max_length get null).
 * Written atomically when `output` is given, else returned for printing.
 */
export function predictFile(m: InferenceModel, input: string, opts: { output?: string; batchSize?: number; write?: (line: string) => void; progress?: ProgressSink } = {}): { lines: number } {
  const r = m.reader;
  const items = readInput(input, m.task, r?.text_field ?? 'text', r?.tokens_field ?? 'tokens');
  const progress = opts.progress ?? silentProgress;
  progress.start('predict', items.length, 0, 'rows');
  const records = predictExamples(
    m,
    items.map((i) => i.example),
    { batchSize: opts.batchSize, onBatch: (n) => progress.update(n) },
  );
  progress.end();
  const writer = opts.output !== undefined ? new JsonlWriter(opts.output) : null;
  try {
    items.forEach((it, i) => {
      const rec: Record<string, unknown> = it.id !== undefined ? { id: it.id, ...records[i]! } : { ...records[i]! };
      if (writer !== null) writer.write(rec);
      else opts.write?.(JSON.stringify(rec));
    });
    writer?.close();
  } catch (e) {
    writer?.abort();
    throw e;
  }
  return { lines: items.length };
}

function tokenRecord(ex: Example, enc: EncodedExample, probs: Float32Array, L: readonly string[]): TokenPrediction {
  const words = ex.kind === 'tagged' ? ex.words : [];
  const first = new Map<number, number>();
  for (let t = 0; t < enc.wordIds.length; t++) {
    const w = enc.wordIds[t]!;
    if (w >= 0 && !first.has(w)) first.set(w, t);
  }
  const labels: Array<string | null> = [];
  const probabilities: Array<Record<string, number> | null> = [];
  words.forEach((_, w) => {
    const t = first.get(w);
    if (t === undefined) {
      labels.push(null);
      probabilities.push(null);
      return;
    }
    const row = probs.subarray(t * L.length, (t + 1) * L.length);
    let best = 0;
    for (let j = 1; j < L.length; j++) if (row[j]! > row[best]!) best = j;
    labels.push(L[best]!);
    probabilities.push(Object.fromEntries(L.map((l, j) => [l, round(row[j]!)])));
  });
  return { tokens: words, labels, probabilities };
}
