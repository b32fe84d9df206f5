// A small schema validator for user-written config files (pipeline config, adapter/head
// configs). Why not zod: what users need from us is the message — the file, the key path,
// the expected type, and "did you mean" for typos — and zod's errors would have to be
// re-formatted for all of that anyway; this file is ~300 lines, has no dependency, infers the
// TypeScript type from the schema like zod does, and freezes the result (typed frozen configs).
//
//   const Stage = v.object({ lr: v.number({ min: 0 }), epochs: v.withDefault(v.integer({ min: 1 }), 3) });
//   type Stage = Infer<typeof Stage>;            // { readonly lr: number; readonly epochs: number }
//   const s = validate(Stage, JSON.parse(text), { source: 'pipeline.json' });
//   // pipeline.json: stage1.lrr: unknown key (did you mean "lr"?)
//
// Every problem is collected; the thrown ValidationError's message is one line naming the
// file and the first few problems, `.issues` has them all.

import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

export interface Issue {
  /** Key path, e.g. `stages.stage2.lr` or `tasks[0].labels` ('' for the document root). */
  readonly path: string;
  readonly message: string;
}

export class ValidationError extends Error {
  readonly source: string;
  readonly issues: readonly Issue[];
  constructor(source: string, issues: readonly Issue[]) {
    const shown = issues.slice(0, 3).map(formatIssue).join('; ');
    super(`${source}: ${shown}${issues.length > 3 ? `; (+${issues.length - 3} more)` : ''}`);
    this.name = 'ValidationError';
    this.source = source;
    this.issues = issues;
  }
}

function formatIssue(i: Issue): string {
  return i.path === '' ? i.message : `${i.path}: ${i.message}`;
}

interface Ctx {
  issues: Issue[];
  baseDir: string | undefined;
}

const INVALID: unique symbol = Symbol('invalid');
type Out<T> = T | typeof INVALID;

/** A schema producing values of type T. `O` marks fields that may be absent from an object. */
export interface Schema<T, O extends boolean = false> {
  /** Human description used in "expected ..." messages. */
  readonly expected: string;
  /** May be absent from an object's input AND output (v.optional). */
  readonly optional: O;
  /** Value used when the key is absent (v.withDefault: absent in input, present in output). */
  readonly fallback?: () => T;
  /** @internal check and convert; pushes issues into ctx and returns INVALID on failure. */
  readonly run: (value: unknown, path: string, ctx: Ctx) => Out<T>;
  /** What the field means, for generated docs and flag help (v.doc). */
  readonly description?: string;
  /** An object schema's fields, in declaration order (for generated docs and flags). */
  readonly fields?: Readonly<Record<string, Schema<unknown, boolean>>>;
}

export type Infer<S> = S extends Schema<infer T, boolean> ? T : never;

type AnySchema = Schema<unknown, boolean>;
type Fields = Record<string, AnySchema>;
type RequiredKeys<F extends Fields> = { [K in keyof F]: F[K] extends Schema<unknown, true> ? never : K }[keyof F];
type OptionalKeys<F extends Fields> = { [K in keyof F]: F[K] extends Schema<unknown, true> ? K : never }[keyof F];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type InferObject<F extends Fields> = Simplify<{ readonly [K in RequiredKeys<F>]: Infer<F[K]> } & { readonly [K in OptionalKeys<F>]?: Infer<F[K]> }>;

// ---------------------------------------------------------------------------------------------
// Messages

/** Short, one-line rendering of a bad value for messages. */
export function preview(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array (${value.length} items)`;
  if (typeof value === 'object') return 'an object';
  const s = typeof value === 'string' ? JSON.stringify(value) : String(value);
  const short = s.length > 40 ? `${s.slice(0, 37)}...` : s;
  return `${typeof value} ${short}`;
}

/** Optimal-string-alignment edit distance (Levenshtein + adjacent transposition). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => [i, ...new Array<number>(n).fill(0)]);
  for (let j = 0; j <= n; j++) d[0]![j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[m]![n]!;
}

const norm = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');

/** The candidate closest to `word` if it is close enough to be a plausible typo:
 * same up to case/`-`/`_` (learningRate vs learning_rate), or within an edit distance of
 * about a third of its length (at least 1, at most 3). */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    if (norm(c) === norm(word)) return c;
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.min(3, Math.max(1, Math.floor(Math.max(word.length, best.length) / 3)));
  return bestD <= limit ? best : undefined;
}

function didYouMean(word: string, candidates: readonly string[]): string {
  const s = suggest(word, candidates);
  if (s !== undefined) return ` (did you mean ${JSON.stringify(s)}?)`;
  if (candidates.length === 0) return '';
  const list = candidates.slice(0, 12).join(', ');
  return `; allowed: ${list}${candidates.length > 12 ? ', ...' : ''}`;
}

function join(path: string, key: string): string {
  const k = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
  if (path === '') return k;
  return /^[A-Za-z_$]/.test(k) ? `${path}.${k}` : `${path}[${k}]`;
}

function bad(ctx: Ctx, path: string, message: string): typeof INVALID {
  ctx.issues.push({ path, message });
  return INVALID;
}

function typeError(ctx: Ctx, path: string, expected: string, value: unknown): typeof INVALID {
  return bad(ctx, path, `expected ${expected}, got ${preview(value)}`);
}

function make<T>(expected: string, run: (value: unknown, path: string, ctx: Ctx) => Out<T>): Schema<T> {
  return { expected, optional: false, run };
}

// ---------------------------------------------------------------------------------------------
// Builders

export interface NumberOpts {
  integer?: boolean;
  min?: number;
  max?: number;
  /** min/max themselves not allowed. */
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
}

function number(opts: NumberOpts = {}): Schema<number> {
  const what = opts.integer ? 'an integer' : 'a number';
  const range: string[] = [];
  if (opts.min !== undefined) range.push(`${opts.exclusiveMin ? '>' : '>='} ${opts.min}`);
  if (opts.max !== undefined) range.push(`${opts.exclusiveMax ? '<' : '<='} ${opts.max}`);
  const expected = range.length ? `${what} ${range.join(' and ')}` : what;
  return make(expected, (value, path, ctx) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return typeError(ctx, path, expected, value);
    if (opts.integer && !Number.isInteger(value)) return typeError(ctx, path, expected, value);
    const lowOk = opts.min === undefined || (opts.exclusiveMin ? value > opts.min : value >= opts.min);
    const highOk = opts.max === undefined || (opts.exclusiveMax ? value < opts.max : value <= opts.max);
    if (!lowOk || !highOk) return bad(ctx, path, `expected ${expected}, got ${value}`);
    return value;
  });
}

export interface StringOpts {
  nonEmpty?: boolean;
  pattern?: RegExp;
  /** Describes `pattern` in messages, e.g. "a domain name (letters, digits, -, _)". */
  patternName?: string;
}

function string(opts: StringOpts = {}): Schema<string> {
  const expected = opts.nonEmpty ? 'a non-empty string' : 'a string';
  return make(expected, (value, path, ctx) => {
    if (typeof value !== 'string') return typeError(ctx, path, expected, value);
    if (opts.nonEmpty && value.length === 0) return bad(ctx, path, `expected ${expected}, got ""`);
    if (opts.pattern && !opts.pattern.test(value)) {
      return bad(ctx, path, `expected ${opts.patternName ?? `a string matching ${opts.pattern}`}, got ${JSON.stringify(value)}`);
    }
    return value;
  });
}

function enumOf<const E extends readonly string[]>(values: E): Schema<E[number]> {
  const expected = `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;
  return make(expected, (value, path, ctx) => {
    if (typeof value === 'string' && values.includes(value)) return value as E[number];
    if (typeof value === 'string') {
      const s = suggest(value, values);
      return bad(ctx, path, `expected ${expected}, got ${JSON.stringify(value)}${s !== undefined ? ` (did you mean ${JSON.stringify(s)}?)` : ''}`);
    }
    return typeError(ctx, path, expected, value);
  });
}

function boolean(): Schema<boolean> {
  return make('true or false', (value, path, ctx) => (typeof value === 'boolean' ? value : typeError(ctx, path, 'true or false', value)));
}

function literal<const L extends string | number | boolean | null>(lit: L): Schema<L> {
  const expected = JSON.stringify(lit);
  return make(expected, (value, path, ctx) => (value === lit ? lit : typeError(ctx, path, expected, value)));
}

/** A file system path; relative paths resolve against the config file's directory
 * (`validate(..., { baseDir })`) so a config means the same from any working directory. */
function path(opts: { resolve?: boolean; keepRaw?: (raw: string) => boolean } = {}): Schema<string> {
  return make('a path (string)', (value, p, ctx) => {
    if (typeof value !== 'string' || value.length === 0) return typeError(ctx, p, 'a path (non-empty string)', value);
    if (opts.resolve === false || ctx.baseDir === undefined || isAbsolute(value)) return value;
    const full = resolve(ctx.baseDir, value);
    // keepRaw: a value that names something else when no such file exists (a hub model id)
    return opts.keepRaw !== undefined && !existsSync(full) && opts.keepRaw(value) ? value : full;
  });
}

function array<T>(item: Schema<T, boolean>, opts: { minItems?: number; maxItems?: number } = {}): Schema<readonly T[]> {
  return make('an array', (value, p, ctx) => {
    if (!Array.isArray(value)) return typeError(ctx, p, 'an array', value);
    if (opts.minItems !== undefined && value.length < opts.minItems) return bad(ctx, p, `expected at least ${opts.minItems} item(s), got ${value.length}`);
    if (opts.maxItems !== undefined && value.length > opts.maxItems) return bad(ctx, p, `expected at most ${opts.maxItems} item(s), got ${value.length}`);
    const out: T[] = [];
    let ok = true;
    value.forEach((x, i) => {
      const r = item.run(x, `${p}[${i}]`, ctx);
      if (r === INVALID) ok = false;
      else out.push(r);
    });
    return ok ? out : INVALID;
  });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface ObjectOpts {
  /** Keep keys that are not in the schema (default: reject them with a suggestion). */
  allowUnknown?: boolean;
  /** Cross-field check run when every field is valid; return a message to reject. */
  refine?: (value: Record<string, unknown>) => string | undefined;
}

function object<F extends Fields>(fields: F, opts: ObjectOpts = {}): Schema<InferObject<F>> {
  const keys = Object.keys(fields);
  return { ...objectRun(fields, keys, opts), fields };
}

function objectRun<F extends Fields>(fields: F, keys: string[], opts: ObjectOpts): Schema<InferObject<F>> {
  return make('an object', (value, p, ctx) => {
    if (!isPlainObject(value)) return typeError(ctx, p, 'an object', value);
    const out: Record<string, unknown> = {};
    let ok = true;
    for (const k of Object.keys(value)) {
      if (Object.prototype.hasOwnProperty.call(fields, k)) continue;
      if (opts.allowUnknown) out[k] = value[k];
      else {
        bad(ctx, join(p, k), `unknown key${didYouMean(k, keys)}`);
        ok = false;
      }
    }
    for (const k of keys) {
      const s = fields[k]!;
      const kp = join(p, k);
      if (!Object.prototype.hasOwnProperty.call(value, k) || value[k] === undefined) {
        if (s.fallback) out[k] = s.fallback();
        else if (!s.optional) {
          bad(ctx, kp, `missing (expected ${s.expected})`);
          ok = false;
        }
        continue;
      }
      const r = s.run(value[k], kp, ctx);
      if (r === INVALID) ok = false;
      else out[k] = r;
    }
    if (ok && opts.refine) {
      const msg = opts.refine(out);
      if (msg !== undefined) return bad(ctx, p, msg);
    }
    return ok ? (out as InferObject<F>) : INVALID;
  });
}

/** An object used as a map with free keys (e.g. adapters keyed by domain name). */
function record<T>(valueSchema: Schema<T, boolean>, opts: { key?: Schema<string> } = {}): Schema<Readonly<Record<string, T>>> {
  return make('an object', (value, p, ctx) => {
    if (!isPlainObject(value)) return typeError(ctx, p, 'an object', value);
    const out: Record<string, T> = {};
    let ok = true;
    for (const [k, x] of Object.entries(value)) {
      if (opts.key && opts.key.run(k, join(p, k), ctx) === INVALID) {
        ok = false;
        continue;
      }
      const r = valueSchema.run(x, join(p, k), ctx);
      if (r === INVALID) ok = false;
      else out[k] = r;
    }
    return ok ? out : INVALID;
  });
}

type UnionOut<S extends readonly AnySchema[]> = Infer<S[number]>;

/** First alternative that accepts the value wins. When none does, the message lists what
 * would have been accepted; if exactly one alternative has the value's JSON type, its own
 * (more precise) problems are reported instead. */
function union<const S extends readonly AnySchema[]>(options: S): Schema<UnionOut<S>> {
  const expected = options.map((o) => o.expected).join(' or ');
  return make(expected, (value, p, ctx) => {
    const attempts: Issue[][] = [];
    for (const o of options) {
      const sub: Ctx = { issues: [], baseDir: ctx.baseDir };
      const r = o.run(value, p, sub);
      if (r !== INVALID) return r as UnionOut<S>;
      attempts.push(sub.issues);
    }
    // Alternatives that failed on something deeper than the value's own type tell more.
    const deep = attempts.filter((iss) => !iss.some((i) => i.path === p && i.message.startsWith('expected ')));
    if (deep.length === 1) {
      ctx.issues.push(...deep[0]!);
      return INVALID;
    }
    return typeError(ctx, p, expected, value);
  });
}

function optional<T>(s: Schema<T, boolean>): Schema<T | undefined, true> {
  return { expected: s.expected, optional: true, run: s.run, description: s.description, fields: s.fields };
}

/** Optional in the input, always present in the output (so typed as required). */
function withDefault<T>(s: Schema<T, boolean>, dflt: T | (() => T)): Schema<T> {
  const fallback = typeof dflt === 'function' ? (dflt as () => T) : () => structuredClone(dflt);
  return { expected: s.expected, optional: false, fallback, run: s.run, description: s.description, fields: s.fields };
}

function nullable<T>(s: Schema<T, boolean>): Schema<T | null> {
  return { ...make(`${s.expected} or null`, (value, p, ctx) => (value === null ? null : s.run(value, p, ctx))), description: s.description, fields: s.fields };
}

/** Extra check on an already valid value; return a message to reject it. */
function refine<T, O extends boolean>(s: Schema<T, O>, check: (value: T) => string | undefined): Schema<T, O> {
  return {
    ...s,
    run: (value, p, ctx) => {
      const r = s.run(value, p, ctx);
      if (r === INVALID) return r;
      const msg = check(r);
      return msg === undefined ? r : bad(ctx, p, msg);
    },
  };
}

/** The same schema with what the field means (shown in generated docs and flag help). */
function doc<T, O extends boolean>(s: Schema<T, O>, description: string): Schema<T, O> {
  return { ...s, description };
}

/** An object schema with the meaning of every field (all keys required, so a new field needs one). */
function docFields<T extends object>(s: Schema<T>, docs: { readonly [K in keyof T & string]-?: string }): Schema<T> {
  if (s.fields === undefined) throw new Error('v.docFields: not an object schema');
  const d = docs as Record<string, string>;
  return { ...s, fields: Object.fromEntries(Object.entries(s.fields).map(([k, f]) => [k, { ...f, description: d[k] }])) };
}

/** Any JSON value, unchecked (for opaque pass-through fields). */
function unknownValue(): Schema<unknown> {
  return make('any value', (value) => value);
}

export const v = {
  number,
  integer: (opts: Omit<NumberOpts, 'integer'> = {}) => number({ ...opts, integer: true }),
  string,
  enum: enumOf,
  boolean,
  literal,
  path,
  array,
  object,
  record,
  union,
  optional,
  withDefault,
  nullable,
  refine,
  doc,
  docFields,
  unknown: unknownValue,
};

// ---------------------------------------------------------------------------------------------

function deepFreeze<T>(x: T): T {
  if (typeof x === 'object' && x !== null && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const k of Object.keys(x)) deepFreeze((x as Record<string, unknown>)[k]);
  }
  return x;
}

export interface ValidateOptions {
  /** Names the input in messages: the file path, or e.g. "--config flags". */
  source: string;
  /** Directory that relative `v.path()` values resolve against (usually the config file's). */
  baseDir?: string;
  /** Deep-freeze the result (default true). */
  freeze?: boolean;
}

/** Check `value` against `schema`; return the converted (defaults filled, paths resolved,
 * frozen) value or throw a ValidationError naming the source, key paths and problems. */
export function validate<T>(schema: Schema<T, boolean>, value: unknown, opts: ValidateOptions): T {
  const ctx: Ctx = { issues: [], baseDir: opts.baseDir };
  const r = schema.run(value, '', ctx);
  if (r === INVALID || ctx.issues.length > 0) throw new ValidationError(opts.source, ctx.issues);
  return opts.freeze === false ? r : deepFreeze(r);
}

/** Non-throwing variant: the issues (empty when valid). */
export function check<T>(schema: Schema<T, boolean>, value: unknown, baseDir?: string): Issue[] {
  const ctx: Ctx = { issues: [], baseDir };
  schema.run(value, '', ctx);
  return ctx.issues;
}

/** JSON.parse with the error located as `file:line:col` (V8 reports a character position). */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0]!;
    const m = /at position (\d+)/.exec(msg);
    let where = source;
    if (m) {
      const pos = Number(m[1]);
      const before = text.slice(0, pos);
      const line = before.split('\n').length;
      const col = pos - before.lastIndexOf('\n');
      where = `${source}:${line}:${col}`;
    }
    const reason = msg
      .replace(/ at position \d+.*$/, '')
      .replace(/ in JSON$/, '')
      .replace(/, ".*" is not valid JSON$/, '');
    throw new Error(`${where}: invalid JSON: ${reason}`, { cause: e });
  }
}
