// `encodeFile` (`adaptext encode --model DIR --input FILE.jsonl --output FILE.jsonl
// [--pooling cls|mean|pooler] [--batch-size N] [--max-length N] [--adapter NAME|none]`).
//
// One vector per input line, in input order: `{"id": <as given>, "embedding": [...]}` (`id` only
// when the line has one). A line holds `text` (tokenised with the model folder's tokenizer,
// truncated to --max-length like HF `truncation=True`) or `input_ids` (pre-tokenised, special
// tokens included, used as given; longer than --max-length is an error, since cutting would
// drop the final [SEP]), plus optional `token_type_ids`. Other fields (labels, ...) are ignored.
//
// Why chunks: lines are read in chunks of a few thousand, each chunk sorted by length and cut
// into batches (little padding), then written back in input order — memory stays flat for any
// file size while the output order is the input order.
// The output is written atomically: on any error (a malformed line anywhere, a model failure)
// the temp file is deleted and an existing output file is left untouched.
//
// Numbers are written as the shortest decimal that reads back to the same float32, so
// `Math.fround(parsed)` equals the model's output bit for bit.
//
// Shape legend: B batch rows, T longest sequence in the batch, H hidden size.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { AtomicFileWriter } from '../io/atomic.js';
import { JsonlError, readJsonlSync } from '../io/jsonl.js';
import { isStdin } from '../io/read.js';
import type { AdapterModel, Pooling } from '../models/index.js';
import { IGNORE_INDEX, noGrad } from '../tensor/index.js';
import { collate } from '../data/index.js';
import type { Tokenizer } from '../text/index.js';
import { openModelFolder } from './model-folder.js';

export interface EncodeFileOptions {
  model: string;
  input: string;
  output: string;
  pooling?: Pooling;
  batchSize?: number;
  /** Token cap per sequence (specials included); default: the model's and tokenizer's limit. */
  maxLength?: number;
  /** Adapter to run: a name, 'none', or undefined = the folder's active adapter. */
  adapter?: string;
  /** Lines per sorting chunk (default 4096). */
  chunkLines?: number;
  /** Progress callback (lines done so far). */
  onProgress?: (lines: number) => void;
}

export interface EncodeFileResult {
  lines: number;
  dim: number;
  maxLength: number;
  adapter: string | null;
  /** Padding positions / all positions over the run (what the length sorting saved). */
  paddingFraction: number;
  seconds: number;
  /** Which checkpoint of a run was used, when that needs saying (see openModelFolder). */
  note: string | null;
}

/** One validated input line. */
interface Item {
  line: number;
  id: unknown; // undefined = no id field
  ids: Int32Array; // [T_i]
  types: Int32Array | null; // [T_i]
}

export const POOLINGS: readonly Pooling[] = ['cls', 'mean', 'pooler'];

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? 'a string' : typeof v === 'number' ? 'a number' : typeof v === 'boolean' ? 'a boolean' : typeof v;
}

/** Integer ids in [0, limit): an Int32Array or a one-line reason. */
function idArray(v: unknown, field: string, limit: number, what: string): Int32Array | string {
  if (!Array.isArray(v)) return `'${field}' must be an array of integers, got ${kind(v)}`;
  if (v.length === 0) return `'${field}' is empty`;
  const out = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as unknown;
    if (typeof x !== 'number' || !Number.isInteger(x)) return `'${field}'[${i}] must be an integer, got ${JSON.stringify(x)}`;
    if (x < 0 || x >= limit) return `'${field}'[${i}] = ${x} is outside ${what} [0, ${limit})`;
    out[i] = x;
  }
  return out;
}

/** Longest sequence the model accepts (RoBERTa positions start at pad_token_id + 1). */
function modelLimit(model: AdapterModel): number {
  const c = model.cfg;
  return c.family === 'roberta' ? c.maxPositions - c.padTokenId - 1 : c.maxPositions;
}

class LineParser {
  constructor(
    private readonly file: string,
    private readonly model: AdapterModel,
    private readonly tokenizer: Tokenizer | null,
    private readonly tokenizerError: string | null,
    private readonly maxLength: number,
  ) {}

  parse(value: Record<string, unknown>, line: number): Item {
    const bad = (reason: string): never => {
      throw new JsonlError(this.file, line, reason);
    };
    const hasText = 'text' in value;
    const hasIds = 'input_ids' in value;
    if (hasText && hasIds) bad(`give either 'text' or 'input_ids', not both`);
    if (!hasText && !hasIds) bad(`needs 'text' (a string) or 'input_ids' (an array of token ids)`);
    const c = this.model.cfg;
    let ids: Int32Array;
    if (hasText) {
      const text = value['text'];
      if (typeof text !== 'string') bad(`'text' must be a string, got ${kind(text)}`);
      if (this.tokenizer === null) bad(`'text' needs a tokenizer, and the model folder has none (${this.tokenizerError}); give 'input_ids' instead`);
      const enc = this.tokenizer!.encode(text as string, { maxLength: this.maxLength });
      ids = Int32Array.from(enc.ids);
      for (let i = 0; i < ids.length; i++) {
        if (ids[i]! >= c.vocabSize) bad(`the tokenizer produced id ${ids[i]} ('${enc.tokens[i]}'), outside the model's vocabulary [0, ${c.vocabSize})`);
      }
    } else {
      const r = idArray(value['input_ids'], 'input_ids', c.vocabSize, 'the vocabulary');
      if (typeof r === 'string') bad(r);
      ids = r as Int32Array;
      if (ids.length > this.maxLength) bad(`'input_ids' has ${ids.length} ids, more than the max length ${this.maxLength} (shorten it or raise --max-length)`);
    }
    let types: Int32Array | null = null;
    if ('token_type_ids' in value) {
      const r = idArray(value['token_type_ids'], 'token_type_ids', c.typeVocabSize, 'type_vocab_size');
      if (typeof r === 'string') bad(r);
      types = r as Int32Array;
      if (types.length !== ids.length) bad(`'token_type_ids' has ${types.length} entries, the sequence has ${ids.length} tokens`);
    }
    const id = value['id'];
    if (id !== undefined && id !== null && typeof id !== 'string' && typeof id !== 'number') bad(`'id' must be a string or a number, got ${kind(id)}`);
    return { line, id, ids, types };
  }
}

/** Shortest decimal text that parses back to the same float32 value. */
export function float32Text(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`non-finite value ${x}`);
  if (x === 0) return '0';
  for (let p = 6; p < 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return trimZeros(s);
  }
  return trimZeros(x.toPrecision(9)); // 9 significant digits always round-trip a float32
}

function trimZeros(s: string): string {
  const e = s.indexOf('e');
  const mant = e === -1 ? s : s.slice(0, e);
  const exp = e === -1 ? '' : s.slice(e);
  if (!mant.includes('.')) return s;
  return mant.replace(/0+$/, '').replace(/\.$/, '') + exp;
}

/** Encode one chunk: sort by length, batch, pad, run, return vectors in chunk order. */
function encodeChunk(model: AdapterModel, items: Item[], pooling: Pooling, batchSize: number, padId: number, stats: { pad: number; all: number }): Float32Array[] {
  const H = model.cfg.hiddenSize;
  const order = items.map((_, i) => i).sort((a, b) => items[a]!.ids.length - items[b]!.ids.length);
  const out: Float32Array[] = new Array<Float32Array>(items.length);
  for (let s = 0; s < order.length; s += batchSize) {
    const rows = order.slice(s, s + batchSize);
    // the one padding path (src/data collate): [B,T] ids, mask and segment ids
    const { B, T, inputIds, attentionMask, tokenTypeIds } = collate(
      rows.map((r) => ({
        ids: items[r]!.ids,
        wordIds: new Int32Array(items[r]!.ids.length).fill(-1),
        label: IGNORE_INDEX,
        tokenLabels: null,
        domain: 0,
        index: r,
        where: `line ${items[r]!.line}`,
        tokenTypeIds: items[r]!.types,
      })),
      padId,
    );
    for (const r of rows) stats.pad += T - items[r]!.ids.length;
    stats.all += B * T;
    const vec = noGrad(() => model.encode({ inputIds, shape: [B, T], attentionMask, tokenTypeIds }, pooling)); // [B,H]
    rows.forEach((r, b) => {
      out[r] = vec.data.slice(b * H, (b + 1) * H);
    });
  }
  return out;
}

export function encodeFile(o: EncodeFileOptions): EncodeFileResult {
  const t0 = performance.now();
  const pooling = o.pooling ?? 'cls';
  if (!POOLINGS.includes(pooling)) throw new Error(`--pooling must be one of ${POOLINGS.join(', ')}, got '${String(pooling)}'`);
  const batchSize = o.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`--batch-size must be a positive integer, got ${batchSize}`);
  const chunkLines = Math.max(o.chunkLines ?? 4096, batchSize);
  if (!isStdin(o.input) && !existsSync(o.input)) throw new Error(`${o.input}: file not found`);
  if (!isStdin(o.input) && statSync(o.input).isDirectory()) throw new Error(`${o.input}: is a directory, expected a JSON Lines file`);
  if (resolve(o.input) === resolve(o.output)) throw new Error(`--output ${o.output} is the input file; choose another path`);

  const opened = openModelFolder(o.model);
  const model = opened.model;
  model.eval();
  if (o.adapter !== undefined) {
    if (o.adapter === 'none') model.setActiveAdapter(null);
    else if (!model.adapterNames().includes(o.adapter)) {
      throw new Error(`--adapter '${o.adapter}': ${opened.dir} has no such adapter (have: ${model.adapterNames().join(', ') || 'none'}; 'none' runs without one)`);
    } else model.setActiveAdapter(o.adapter);
  }
  const limit = modelLimit(model);
  const tokLimit = opened.tokenizer?.modelMaxLength;
  let maxLength = Math.min(limit, tokLimit ?? limit);
  if (o.maxLength !== undefined) {
    if (!Number.isInteger(o.maxLength) || o.maxLength < 2) throw new Error(`--max-length must be an integer >= 2, got ${o.maxLength}`);
    if (o.maxLength > limit) throw new Error(`--max-length ${o.maxLength} exceeds what the model accepts (${limit}, from max_position_embeddings)`);
    maxLength = o.maxLength;
  }
  const padId = opened.tokenizer?.specialIds.pad ?? model.cfg.padTokenId;
  const parser = new LineParser(o.input, model, opened.tokenizer, opened.tokenizerError, maxLength);

  const writer = new AtomicFileWriter(o.output);
  let lines = 0;
  const stats = { pad: 0, all: 0 };
  try {
    let chunk: Item[] = [];
    const flush = (): void => {
      if (chunk.length === 0) return;
      const vecs = encodeChunk(model, chunk, pooling, batchSize, padId, stats);
      const parts: string[] = [];
      chunk.forEach((it, i) => {
        const v = vecs[i]!;
        const nums = new Array<string>(v.length);
        for (let j = 0; j < v.length; j++) {
          try {
            nums[j] = float32Text(v[j]!);
          } catch {
            throw new JsonlError(o.input, it.line, `the model produced a non-finite embedding value (${v[j]}) at dimension ${j}`);
          }
        }
        const id = it.id === undefined ? '' : `"id":${JSON.stringify(it.id)},`;
        parts.push(`{${id}"embedding":[${nums.join(',')}]}\n`);
      });
      writer.write(parts.join(''));
      lines += chunk.length;
      chunk = [];
      o.onProgress?.(lines);
    };
    for (const rec of readJsonlSync<Record<string, unknown>>(o.input)) {
      chunk.push(parser.parse(rec.value, rec.line));
      if (chunk.length >= chunkLines) flush();
    }
    flush();
    if (lines === 0) throw new Error(`${o.input}: no input lines (the file is empty or blank)`);
    writer.commit();
  } catch (e) {
    writer.abort();
    throw e;
  }
  return {
    lines,
    dim: model.cfg.hiddenSize,
    maxLength,
    adapter: model.activeAdapter,
    paddingFraction: stats.all === 0 ? 0 : stats.pad / stats.all,
    seconds: (performance.now() - t0) / 1000,
    note: opened.note,
  };
}
