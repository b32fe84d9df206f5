// The pipeline's data: every file of both domains read and checked up front (before anything
// is written, so a bad line never leaves a half run behind), split by seed where the config
// gives one labelled file, and encoded per tokenizer on demand.
//
// Rules (the readers' rules from src/data, restated where the pipeline adds to them):
// - labels are checked against the task's label set: an unknown label is `file:line: unknown label`;
// - empty texts are skipped and counted; malformed lines fail (or are skipped with
//   reader.on_malformed: skip, and counted in the run log);
// - over-long texts are truncated to max_length at encoding (src/data/encode.ts rule);
// - `labelled` + `split`: stratified by label, seeded (`deriveSeed(seed, 'split', role)`);
// - the target few-shot set is the `few_shot` file, or `stage3.shots` examples drawn
//   (stratified, seeded) from target train — never from validation or test.
import { fileSha1 } from '../io/hash.js';
import { encodeExamples, readDataset, splitDataset, type EncodedExample, type Example, type ReadStats, type TaskKind } from '../data/index.js';
import type { TokenizerLike } from '../data/index.js';
import type { DomainConfig, PipelineConfig, TaskConfig } from './config.js';
import { deriveSeed } from '../engine/seeds.js';

export type Role = 'source' | 'target';

/** Domain ids used in batches and by the discriminator head. */
export const DOMAIN_ID: Readonly<Record<Role, number>> = { source: 0, target: 1 };

export interface DomainData {
  role: Role;
  name: string;
  taskName: string;
  task: TaskConfig;
  train: Example[];
  validation: Example[];
  test: Example[];
  /** Target only: the stage-3 set. */
  fewShot: Example[];
  /** Unlabelled text (MLM); for the target, falls back to train texts when no unlabelled file is given. */
  unlabelled: Example[];
  /** What the readers reported, per file. */
  stats: ReadStats[];
  /** Human notes (e.g. "shots 500 > train 60: using all 60"). */
  notes: string[];
}

export interface PipelineData {
  source: DomainData;
  target: DomainData;
}

export function readerTask(task: TaskConfig): TaskKind {
  return task.type === 'token_classification' ? 'token-classification' : 'classification';
}

function readLabelled(d: DomainConfig, task: TaskConfig, file: string, stats: ReadStats[]): Example[] {
  const r = d.reader;
  const ds = readDataset(file, {
    task: readerTask(task),
    format: r.format,
    textField: r.text_field,
    labelField: r.label_field,
    tokensField: r.tokens_field,
    tagsField: r.tags_field,
    idField: r.id_field,
    labels: task.labels,
    onMalformed: r.on_malformed,
    header: r.header,
    delimiter: r.delimiter,
    limit: r.limit,
  });
  stats.push(ds.stats);
  return ds.examples;
}

function readUnlabelled(d: DomainConfig, file: string, stats: ReadStats[]): Example[] {
  const r = d.reader;
  const ds = readDataset(file, {
    task: 'unlabelled',
    format: r.format === 'conll' ? undefined : r.format,
    textField: r.text_field,
    idField: r.id_field,
    onMalformed: r.on_malformed,
    header: r.header,
    delimiter: r.delimiter,
    limit: r.limit,
  });
  stats.push(ds.stats);
  return ds.examples;
}

function labelOf(ex: Example): number | null {
  return ex.kind === 'text' ? ex.label : null;
}

/** A copy of an example without its label (labelled text used as unlabelled MLM text). */
function unlabel(ex: Example): Example {
  return ex.kind === 'text' ? { ...ex, label: null } : { ...ex, tags: null };
}

export function loadDomain(cfg: PipelineConfig, role: Role): DomainData {
  const d = cfg[role];
  const task = cfg.tasks[d.task]!;
  const stats: ReadStats[] = [];
  const notes: string[] = [];
  let train: Example[] = [];
  let validation: Example[] = [];
  let test: Example[] = [];
  if (d.labelled !== undefined) {
    const all = readLabelled(d, task, d.labelled, stats);
    const s = splitDataset(all, { seed: deriveSeed(cfg.seed, 'split', role), sizes: { validation: d.split.validation, test: d.split.test }, labelOf });
    train = s.train;
    validation = s.validation;
    test = s.test;
    notes.push(`${d.labelled}: ${all.length} labelled examples split by seed into ${train.length} train / ${validation.length} validation / ${test.length} test`);
  } else {
    if (d.train !== undefined) train = readLabelled(d, task, d.train, stats);
    if (d.validation !== undefined) validation = readLabelled(d, task, d.validation, stats);
    if (d.test !== undefined) test = readLabelled(d, task, d.test, stats);
  }
  let fewShot: Example[] = [];
  if (role === 'target') {
    if (d.few_shot !== undefined) fewShot = readLabelled(d, task, d.few_shot, stats);
    else if (train.length > 0) {
      const shots = cfg.stage3.shots;
      if (shots >= train.length) {
        fewShot = train;
        if (shots > train.length) notes.push(`stage3.shots ${shots} > ${train.length} target train examples: using all of them`);
      } else {
        fewShot = splitDataset(train, { seed: deriveSeed(cfg.seed, 'few-shot'), sizes: { validation: 0, test: 0, fewShot: shots }, labelOf }).fewShot;
      }
    }
  }
  let unlabelled: Example[] = [];
  if (d.unlabelled !== undefined) {
    const files = typeof d.unlabelled === 'string' ? [d.unlabelled] : d.unlabelled;
    for (const f of files) for (const e of readUnlabelled(d, f, stats)) unlabelled.push(e); // no push(...big): ~125k+ args overflow the stack
  } else if (role === 'target') {
    unlabelled = train.map(unlabel);
    if (unlabelled.length > 0) notes.push(`target: no unlabelled file; stage 2 uses the ${unlabelled.length} target train texts without their labels`);
  }
  for (const st of stats) {
    if ((st.invalidUtf8Lines ?? 0) > 0) notes.push(`${st.file}: ${st.invalidUtf8Lines} line(s) with invalid UTF-8, bytes replaced by U+FFFD (reader.on_malformed: replace)`);
    if (st.skippedEmpty > 0 || st.skippedMalformed > 0) {
      notes.push(`${st.file}: skipped ${st.skippedEmpty} empty and ${st.skippedMalformed} malformed record(s)${st.errors[0] !== undefined ? ` (first: ${st.errors[0]})` : ''}`);
    }
  }
  return { role, name: d.name, taskName: d.task, task, train, validation, test, fewShot, unlabelled, stats, notes };
}

/** Every data file of the config with the SHA-1 of its bytes (a resumed run checks they did not change). */
export function dataFingerprint(cfg: PipelineConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const role of ['source', 'target'] as const) {
    const d = cfg[role];
    const files = [d.train, d.validation, d.test, d.labelled, d.few_shot, ...(typeof d.unlabelled === 'string' ? [d.unlabelled] : (d.unlabelled ?? []))];
    for (const f of files) if (f !== undefined && out[f] === undefined) out[f] = fileSha1(f);
  }
  return out;
}

/** Read every file of the run; throws the first problem as one line (file:line: reason). */
export function loadPipelineData(cfg: PipelineConfig): PipelineData {
  return { source: loadDomain(cfg, 'source'), target: loadDomain(cfg, 'target') };
}

/**
 * Encodes example lists per tokenizer, once: stages share encodings until the vocabulary
 * changes (a new tokenizer object → a fresh cache). Whole-word ids change only what the MLM
 * masks together, so every stage can share them.
 */
export class EncodingCache {
  private tok: TokenizerLike | null = null;
  /** Text examples' word ids are whole words (stage 2's whole_word_mask; encodeExamples wholeWords). */
  constructor(private readonly opts: { wholeWords?: boolean } = {}) {}
  private cache = new Map<Example[], { maxLength: number; domain: number; encoded: EncodedExample[] }>();
  truncated = 0;

  get(tokenizer: TokenizerLike, examples: Example[], maxLength: number, domain: number): EncodedExample[] {
    if (tokenizer !== this.tok) {
      this.tok = tokenizer;
      this.cache.clear();
    }
    const hit = this.cache.get(examples);
    if (hit !== undefined && hit.maxLength === maxLength && hit.domain === domain) return hit.encoded;
    const { encoded, stats } = encodeExamples(examples, tokenizer, { maxLength, domain, wholeWords: this.opts.wholeWords === true });
    this.truncated += stats.truncated;
    this.cache.set(examples, { maxLength, domain, encoded });
    return encoded;
  }
}
