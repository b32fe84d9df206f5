// Dataset readers: JSON Lines, CSV, TSV, CoNLL columns and plain text lines (optionally
// gzip-compressed, by a `.gz` suffix), for three tasks:
//   classification        text + label        (jsonl / csv / tsv)
//   token-classification  words + tags        (jsonl {tokens, tags} / conll "token ... tag")
//   unlabelled            text                (jsonl / csv / tsv / txt)
//
// Rules (stated once, applied everywhere):
// - a blank line is not a record; a record whose text is empty or whitespace (or whose token
//   list is empty) is skipped and counted in `skippedEmpty`;
// - a record that cannot be read (bad JSON, missing or mistyped field, wrong column count, label
//   outside the label set, ...) is an error `file:line: reason`: thrown at once by default, or
//   skipped and counted in `skippedMalformed` with `onMalformed: 'skip'`;
// - bytes that are not UTF-8 are never replaced silently: with 'fail' the first such line is an
//   error, with 'skip' its record is skipped and counted as malformed, with 'replace' the bytes
//   become U+FFFD and the lines are counted in `invalidUtf8Lines` (other malformed records fail);
// - a file with no usable example is an error unless `allowEmpty`;
// - labels are matched as strings (a JSON number 1 matches label "1"); over-long texts are
//   kept whole here and truncated at tokenisation.
import { parseDelimited } from './csv.js';
import type { Example, TaggedExample, TextExample } from './examples.js';
import { READ_LIMITS, readInputFile } from '../io/read.js';

export type TaskKind = 'classification' | 'token-classification' | 'unlabelled';
export type DataFormat = 'jsonl' | 'csv' | 'tsv' | 'conll' | 'txt';

export interface ReadOptions {
  task: TaskKind;
  /** Default: from the file extension (.jsonl/.json/.ndjson, .csv, .tsv/.tab, .conll/.bio/.iob, .txt; + .gz). */
  format?: DataFormat;
  /** Field (JSON key or CSV/TSV header column) holding the text. Default 'text'. */
  textField?: string;
  /** Field holding the class label. Default 'label'. */
  labelField?: string;
  /** Token-classification JSON Lines: field holding the word list. Default 'tokens'. */
  tokensField?: string;
  /** Token-classification JSON Lines: field holding the per-word tags. Default 'tags'. */
  tagsField?: string;
  /** Optional id field, kept on the example. Default 'id' (absent is fine). */
  idField?: string;
  /**
   * The label (or tag) set. Labels outside it are errors. When omitted for a labelled task the
   * set is inferred: the distinct labels found, sorted.
   */
  labels?: readonly string[];
  /** 'fail' (default): the first malformed record throws. 'skip': skip and count. 'replace': like
   * 'fail', except that invalid UTF-8 becomes U+FFFD (counted in `invalidUtf8Lines`). */
  onMalformed?: 'fail' | 'skip' | 'replace';
  /** CSV/TSV: the first record is a header (default true). Without one, fields are column numbers "0", "1", ... */
  header?: boolean;
  /** CSV/TSV: override the delimiter (default ',' for csv, '\t' for tsv). */
  delimiter?: string;
  /** CSV/TSV: quote character or null (default '"' for csv, none for tsv). */
  quote?: string | null;
  /** Accept a file without any usable example (default false: that is an error). */
  allowEmpty?: boolean;
  /** Keep at most this many examples (the rest of the file is still validated). */
  limit?: number;
}

export interface ReadStats {
  file: string;
  format: DataFormat;
  /** Records seen (non-blank lines / CSV rows / CoNLL sentences). */
  records: number;
  /** Examples returned. */
  examples: number;
  skippedEmpty: number;
  skippedMalformed: number;
  /** The first (up to 20) malformed-record messages, `file:line: reason`. */
  errors: string[];
  /** Lines whose invalid UTF-8 was replaced by U+FFFD (onMalformed 'replace'). */
  invalidUtf8Lines?: number;
}

export interface Dataset {
  examples: Example[];
  /** The label set used (given or inferred); null for unlabelled data. */
  labels: string[] | null;
  stats: ReadStats;
}

const MAX_ERRORS_KEPT = 20;

class RecordError extends Error {}

/** Format from the file name, ignoring a trailing `.gz`. */
export function formatFromPath(file: string): DataFormat | null {
  const name = file.toLowerCase().replace(/\.gz$/, '');
  if (/\.(jsonl|ndjson|json)$/.test(name)) return 'jsonl';
  if (name.endsWith('.csv')) return 'csv';
  if (/\.(tsv|tab)$/.test(name)) return 'tsv';
  if (/\.(conll|conllx|bio|iob|iob2)$/.test(name)) return 'conll';
  if (name.endsWith('.txt')) return 'txt';
  return null;
}

/** Reads and validates a dataset file. Throws a one-line Error on any problem (see the file header). */
export function readDataset(file: string, opts: ReadOptions): Dataset {
  const bytes = readInputFile(file, 'data', READ_LIMITS.text);
  try {
    return parseDataset(new TextDecoder('utf-8', { fatal: true }).decode(bytes), file, opts);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e; // not an encoding error
  }
  // Invalid UTF-8 somewhere: find the lines, then apply onMalformed.
  const bad: number[] = [];
  const strict = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (let line = 1; start <= bytes.length; line++) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    try {
      strict.decode(bytes.subarray(start, end));
    } catch {
      bad.push(line);
    }
    start = end + 1;
  }
  const policy = opts.onMalformed ?? 'fail';
  const more = bad.length > 1 ? ` (and ${bad.length - 1} more line(s))` : '';
  if (policy === 'fail') throw new Error(`${file}:${bad[0]}: invalid UTF-8${more}; convert the file to UTF-8, or set reader.on_malformed to skip or replace`);
  const lines = bytes.toString('utf8').split('\n');
  if (policy === 'skip') for (const l of bad) lines[l - 1] = ''; // blank: no record
  const d = parseDataset(lines.join('\n'), file, { ...opts, onMalformed: policy === 'skip' ? 'skip' : 'fail' });
  if (policy === 'skip') {
    d.stats.skippedMalformed += bad.length;
    d.stats.errors.push(...bad.slice(0, Math.max(0, 20 - d.stats.errors.length)).map((l) => `${file}:${l}: invalid UTF-8`));
  } else d.stats.invalidUtf8Lines = bad.length;
  return d;
}

/** Same as readDataset on content already in memory; `file` is used in messages and format detection. */
export function parseDataset(content: string, file: string, opts: ReadOptions): Dataset {
  const format = opts.format ?? formatFromPath(file);
  if (format === null) {
    throw new Error(`${file}: cannot tell the format from the file name; set the format (jsonl, csv, tsv, conll or txt)`);
  }
  const task = opts.task;
  if (!['classification', 'token-classification', 'unlabelled'].includes(task)) {
    throw new Error(`${file}: unknown task ${JSON.stringify(task)} (expected classification, token-classification or unlabelled)`);
  }
  if (task === 'token-classification' && format !== 'jsonl' && format !== 'conll') {
    throw new Error(`${file}: token classification reads JSON Lines ({tokens, tags}) or CoNLL columns, not ${format}`);
  }
  if (task !== 'token-classification' && format === 'conll') {
    throw new Error(`${file}: CoNLL files hold token-classification data, but the task is ${task}`);
  }
  if (task !== 'unlabelled' && format === 'txt') {
    throw new Error(`${file}: a .txt file has no labels; use JSON Lines, CSV or TSV for ${task}`);
  }
  if (content.charCodeAt(0) === 0xfeff) content = content.slice(1);

  const labelled = task !== 'unlabelled';
  const given = opts.labels !== undefined ? [...opts.labels] : null;
  if (given !== null) {
    if (given.length === 0) throw new Error(`${file}: the label set is empty`);
    const dup = given.find((l, i) => given.indexOf(l) !== i);
    if (dup !== undefined) throw new Error(`${file}: label ${JSON.stringify(dup)} appears twice in the label set`);
  }
  // While reading, examples hold label *strings* in this side table; mapped to indices at the end
  // (so an inferred label set can be sorted first).
  const rawLabels = new Map<Example, string | string[]>();
  const stats: ReadStats = { file, format, records: 0, examples: 0, skippedEmpty: 0, skippedMalformed: 0, errors: [] };
  const examples: Example[] = [];
  const skip = opts.onMalformed === 'skip';
  if (opts.onMalformed !== undefined && !['skip', 'fail', 'replace'].includes(opts.onMalformed)) {
    throw new Error(`${file}: onMalformed must be 'fail', 'skip' or 'replace', got ${JSON.stringify(opts.onMalformed)}`);
  }
  const labelIndex = given !== null ? new Map(given.map((l, i) => [l, i])) : null;
  const checkLabel = (l: string, what: 'label' | 'tag'): void => {
    if (labelIndex !== null && !labelIndex.has(l)) {
      const shown = given!.length > 20 ? `${given!.slice(0, 20).join(', ')}, ...` : given!.join(', ');
      throw new RecordError(`unknown ${what} ${JSON.stringify(l)} (expected one of ${shown})`);
    }
  };

  const limit = opts.limit ?? Infinity;
  const handle = (line: number, build: () => Example | 'empty'): void => {
    stats.records += 1;
    try {
      const ex = build();
      if (ex === 'empty') stats.skippedEmpty += 1;
      else if (examples.length < limit) examples.push(ex);
    } catch (e) {
      if (!(e instanceof RecordError)) throw e;
      const msg = `${file}:${line}: ${e.message}`;
      if (!skip) throw new Error(msg, { cause: e });
      stats.skippedMalformed += 1;
      if (stats.errors.length < MAX_ERRORS_KEPT) stats.errors.push(msg);
    }
  };

  const textField = opts.textField ?? 'text';
  const labelField = opts.labelField ?? 'label';
  const idField = opts.idField ?? 'id';

  const makeText = (text: unknown, label: unknown, id: unknown, where: string): TextExample | 'empty' => {
    if (text === undefined) throw new RecordError(`missing field ${JSON.stringify(textField)}`);
    if (typeof text !== 'string') throw new RecordError(`field ${JSON.stringify(textField)} must be a string, got ${typeName(text)}`);
    let labelStr: string | null = null;
    if (labelled) {
      labelStr = labelString(label, labelField);
      checkLabel(labelStr, 'label');
    }
    if (text.trim() === '') return 'empty';
    const ex: TextExample = { kind: 'text', text, label: null, id: idString(id), where };
    if (labelStr !== null) rawLabels.set(ex, labelStr);
    return ex;
  };

  const makeTagged = (words: unknown, tags: unknown, id: unknown, where: string, wordsField: string, tagsField: string): TaggedExample | 'empty' => {
    if (words === undefined) throw new RecordError(`missing field ${JSON.stringify(wordsField)}`);
    if (!Array.isArray(words) || !words.every((w) => typeof w === 'string')) {
      throw new RecordError(`field ${JSON.stringify(wordsField)} must be an array of strings`);
    }
    if (tags === undefined) throw new RecordError(`missing field ${JSON.stringify(tagsField)}`);
    if (!Array.isArray(tags)) throw new RecordError(`field ${JSON.stringify(tagsField)} must be an array, got ${typeName(tags)}`);
    if (tags.length !== words.length) {
      throw new RecordError(`${words.length} ${wordsField} but ${tags.length} ${tagsField} (one tag per token expected)`);
    }
    const tagStrs = tags.map((t) => labelString(t, tagsField));
    for (const t of tagStrs) checkLabel(t, 'tag');
    if (words.length === 0) return 'empty';
    const ex: TaggedExample = { kind: 'tagged', words: words as string[], tags: null, id: idString(id), where };
    rawLabels.set(ex, tagStrs);
    return ex;
  };

  if (format === 'jsonl' || format === 'txt') {
    const lines = content.split('\n');
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    for (let li = 0; li < lines.length; li++) {
      let s = lines[li]!;
      if (s.endsWith('\r')) s = s.slice(0, -1);
      if (s.trim() === '') continue;
      const lineNo = li + 1;
      const where = `${file}:${lineNo}`;
      if (format === 'txt') {
        handle(lineNo, () => makeText(s, undefined, undefined, where));
        continue;
      }
      handle(lineNo, () => {
        let obj: unknown;
        try {
          obj = JSON.parse(s);
        } catch (e) {
          throw new RecordError(`invalid JSON (${(e as Error).message})`);
        }
        if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
          throw new RecordError(`expected a JSON object, got ${typeName(obj)}`);
        }
        const o = obj as Record<string, unknown>;
        if (task === 'token-classification') {
          const tf = opts.tokensField ?? 'tokens';
          const gf = opts.tagsField ?? 'tags';
          return makeTagged(o[tf], o[gf], o[idField], where, tf, gf);
        }
        return makeText(o[textField], o[labelField], o[idField], where);
      });
    }
  } else if (format === 'csv' || format === 'tsv') {
    const records = parseDelimited(content, {
      delimiter: opts.delimiter ?? (format === 'csv' ? ',' : '\t'),
      quote: opts.quote !== undefined ? opts.quote : format === 'csv' ? '"' : null,
    });
    const header = opts.header ?? true;
    let columns: string[] | null = null;
    let first = 0;
    if (header) {
      const h = records[0];
      if (h === undefined) {
        columns = null; // empty file; reported below
      } else if (h.error !== undefined) {
        throw new Error(`${file}:${h.line}: cannot read the header (${h.error})`);
      } else {
        columns = h.fields.map((c, i) => (i === 0 ? c.replace(/^\ufeff/, '') : c).trim());
        first = 1;
      }
    }
    const col = (name: string, required: boolean): number => {
      if (columns === null) {
        const k = Number(name);
        if (!Number.isInteger(k) || k < 0) {
          throw new Error(`${file}: without a header, fields are column numbers ("0", "1", ...), got ${JSON.stringify(name)}`);
        }
        return k;
      }
      const k = columns.indexOf(name);
      const again = columns.indexOf(name, k + 1);
      if (k >= 0 && again >= 0) {
        // which one holds the data would be a guess (pandas renames the second to "name.1")
        throw new Error(`${file}:1: column ${JSON.stringify(name)} appears more than once in the header (columns ${k + 1} and ${again + 1}); rename one`);
      }
      if (k < 0 && required) {
        throw new Error(`${file}:1: no column ${JSON.stringify(name)} in the header (columns: ${columns.join(', ')})`);
      }
      return k;
    };
    if (records.length > first || columns !== null) {
      const ti = col(textField, true);
      const lbi = labelled ? col(labelField, true) : -1;
      const idi = header ? col(idField, false) : -1;
      const width = columns?.length ?? null;
      for (let r = first; r < records.length; r++) {
        const rec = records[r]!;
        const where = `${file}:${rec.line}`;
        handle(rec.line, () => {
          if (rec.error !== undefined) throw new RecordError(rec.error);
          const f = rec.fields;
          if (width !== null && f.length !== width) {
            throw new RecordError(`expected ${width} fields (as in the header), found ${f.length}`);
          }
          if (width === null && (ti >= f.length || lbi >= f.length)) {
            throw new RecordError(`expected at least ${Math.max(ti, lbi) + 1} fields, found ${f.length}`);
          }
          return makeText(f[ti], lbi >= 0 ? f[lbi] : undefined, idi >= 0 ? f[idi] : undefined, where);
        });
      }
    }
  } else {
    // CoNLL: one token per line, first column the token, last column the tag; blank lines
    // separate sentences; -DOCSTART- lines are document markers.
    const lines = content.split('\n');
    let words: string[] = [];
    let tags: string[] = [];
    let start = 0;
    let bad: string | null = null;
    let badLine = 0;
    const flush = (): void => {
      if (words.length === 0 && bad === null) return;
      const w = words;
      const t = tags;
      const err = bad;
      handle(err !== null ? badLine : start, () => {
        if (err !== null) throw new RecordError(err);
        return makeTagged(w, t, undefined, `${file}:${start}`, 'tokens', 'tags');
      });
      words = [];
      tags = [];
      bad = null;
    };
    for (let li = 0; li < lines.length; li++) {
      const s = lines[li]!.replace(/\r$/, '');
      if (s.trim() === '') {
        flush();
        continue;
      }
      const cols = s.trim().split(/\s+/);
      if (cols[0] === '-DOCSTART-') {
        flush();
        continue;
      }
      if (words.length === 0 && bad === null) start = li + 1;
      if (cols.length < 2) {
        if (bad === null) {
          bad = `expected "token tag" columns, found 1 column (sentence starting at line ${start} skipped)`;
          badLine = li + 1;
        }
      } else {
        words.push(cols[0]!);
        tags.push(cols[cols.length - 1]!);
      }
    }
    flush();
  }

  // Label indices.
  let labels: string[] | null = null;
  if (labelled) {
    if (given !== null) labels = given;
    else {
      const set = new Set<string>();
      for (const v of rawLabels.values()) for (const l of typeof v === 'string' ? [v] : v) set.add(l);
      labels = [...set].sort();
    }
    const index = new Map(labels.map((l, i) => [l, i]));
    for (const ex of examples) {
      const v = rawLabels.get(ex)!;
      if (ex.kind === 'text') ex.label = index.get(v as string)!;
      else ex.tags = (v as string[]).map((t) => index.get(t)!);
    }
  }
  stats.examples = examples.length;
  if (examples.length === 0 && !opts.allowEmpty) {
    const why =
      stats.records === 0
        ? 'the file has no records'
        : `all ${stats.records} records were skipped (${stats.skippedEmpty} empty, ${stats.skippedMalformed} malformed${stats.errors[0] ? `; first: ${stats.errors[0]}` : ''})`;
    throw new Error(`${file}: no usable examples: ${why}`);
  }
  return { examples, labels, stats };
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function labelString(v: unknown, field: string): string {
  if (v === undefined || v === null) throw new RecordError(`missing field ${JSON.stringify(field)}`);
  if (typeof v === 'string') {
    if (v.trim() === '') throw new RecordError(`empty ${JSON.stringify(field)}`);
    return v;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new RecordError(`field ${JSON.stringify(field)} must be a string or number, got ${typeName(v)}`);
}

function idString(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? v : JSON.stringify(v);
}
