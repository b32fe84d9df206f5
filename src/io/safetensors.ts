// safetensors reader/writer (https://github.com/huggingface/safetensors, format of the Rust
// reference `safetensors/src/tensor.rs`):
//
//   [8 bytes]  N, unsigned little-endian u64: byte length of the header
//   [N bytes]  UTF-8 JSON object: { "__metadata__"?: {str: str},
//                                   "<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ... }
//              offsets are relative to the start of the data section; the reference writer pads
//              the header with spaces to a multiple of 8 so every tensor is aligned.
//   [rest]     tensor bytes, little-endian, C order; the tensors tile the data section exactly
//              (contiguous from 0, no gaps, no overlap, last end = end of file).
//
// Every tensor comes out as a Float32Array (the tensor core's only dtype). F16/BF16/F8 decode
// exactly; F64 rounds to nearest float32; integer dtypes (e.g. the `position_ids` buffer some
// BERT checkpoints carry) convert when their values are exactly representable.
//
// Memory: the file is read once with positioned reads straight into each tensor's final
// Float32Array (F32) or through one reused scratch chunk (other dtypes). Peak memory is the
// output plus at most SCRATCH_BYTES, never two copies of a 440 MB checkpoint.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { writeFileAtomic } from './atomic.js';
import { decodeBF16, decodeF16, encodeBF16, encodeF16, f8e4m3Table } from './float16.js';
import { hasPickleMagic, hasPickleName, refusePickle } from './pickle.js';

/** dtypes the reader understands, in the reference's alignment order (used to sort on write). */
export const SAFETENSORS_DTYPES = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64'] as const;
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];
/** dtypes the writer produces. */
export type SafetensorsWriteDtype = 'F32' | 'F16' | 'BF16';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};
const DTYPE_RANK = new Map<string, number>(SAFETENSORS_DTYPES.map((d, i) => [d, i]));

/** The reference rejects headers above 100 MB; so do we (a corrupt length must not make us
 * allocate gigabytes). */
export const MAX_HEADER_BYTES = 100_000_000;
const SCRATCH_BYTES = 8 << 20;
const MAX_READ = 1 << 30;

/** One tensor as the header describes it. `begin`/`end` are offsets in the data section. */
export interface SafetensorsInfo {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  readonly path: string;
  /** `__metadata__` (empty object when absent). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensors in file (offset) order. */
  readonly tensors: readonly SafetensorsInfo[];
  /** Byte offset of the data section in the file (8 + header length). */
  readonly dataStart: number;
  readonly fileBytes: number;
}

export interface SafetensorsTensor {
  /** dtype stored in the file (data is always converted to float32). */
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

/** What `readSafetensors` returns: name -> tensor in file order, plus the file's `__metadata__`. */
export class SafetensorsMap extends Map<string, SafetensorsTensor> {
  metadata: Record<string, string> = {};
}

export interface ReadSafetensorsOptions {
  /** Load only tensors for which this returns true (all are still validated). */
  select?: (name: string, info: SafetensorsInfo) => boolean;
}

function fail(path: string, msg: string): never {
  throw new Error(`${path}: safetensors: ${msg}`);
}

function q(name: string): string {
  return JSON.stringify(name);
}

function readFully(fd: number, buf: Uint8Array, position: number, path: string): void {
  let off = 0;
  while (off < buf.byteLength) {
    const want = Math.min(buf.byteLength - off, MAX_READ);
    const n = readSync(fd, buf, off, want, position + off);
    if (n === 0) fail(path, `unexpected end of file at byte ${position + off} (file truncated while reading?)`);
    off += n;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validate a parsed header against the file size; every failure names the file and tensor. */
function validateHeader(path: string, json: unknown, dataBytes: number): { metadata: Record<string, string>; tensors: SafetensorsInfo[] } {
  if (!isPlainObject(json)) fail(path, `header must be a JSON object, got ${Array.isArray(json) ? 'an array' : typeof json}`);
  const metadata: Record<string, string> = {};
  const tensors: SafetensorsInfo[] = [];
  for (const [name, raw] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isPlainObject(raw)) fail(path, `__metadata__ must be an object of strings`);
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string') fail(path, `__metadata__[${q(k)}] must be a string, got ${JSON.stringify(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    const where = `tensor ${q(name)}`;
    if (!isPlainObject(raw)) fail(path, `${where}: entry must be an object with dtype, shape, data_offsets`);
    const { dtype, shape, data_offsets: offs } = raw;
    if (typeof dtype !== 'string' || !DTYPE_RANK.has(dtype)) {
      fail(path, `${where}: unsupported dtype ${JSON.stringify(dtype)} (supported: ${SAFETENSORS_DTYPES.join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      fail(path, `${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && (o as number) >= 0) || (offs[0] as number) > (offs[1] as number)) {
      fail(path, `${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    let numel = 1;
    for (const d of shape as number[]) numel *= d;
    const nbytes = numel * DTYPE_BYTES[dtype as SafetensorsDtype];
    if (!Number.isSafeInteger(nbytes)) fail(path, `${where}: shape ${JSON.stringify(shape)} overflows`);
    if (end > dataBytes) {
      fail(path, `${where}: data_offsets [${begin}, ${end}] run past the end of the data section (${dataBytes} bytes; file truncated?)`);
    }
    if (end - begin !== nbytes) {
      fail(path, `${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype} shape [${(shape as number[]).join(', ')}] needs ${nbytes}`);
    }
    tensors.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end });
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: SafetensorsInfo | null = null;
  for (const t of tensors) {
    if (t.begin < pos) {
      fail(path, `tensor ${q(t.name)}: data_offsets [${t.begin}, ${t.end}] overlap tensor ${q(prev!.name)} [${prev!.begin}, ${prev!.end}]`);
    }
    if (t.begin > pos) {
      fail(path, `tensor ${q(t.name)}: data_offsets [${t.begin}, ${t.end}] leave a gap of ${t.begin - pos} bytes after ${prev ? `tensor ${q(prev.name)}` : 'the header'}`);
    }
    pos = t.end;
    prev = t;
  }
  if (pos !== dataBytes) fail(path, `${dataBytes - pos} trailing bytes after the last tensor${prev ? ` (${q(prev.name)})` : ''}`);
  return { metadata, tensors };
}

function parseHeaderBytes(path: string, bytes: Uint8Array, dataBytes: number, fd: number | null): ReturnType<typeof validateHeader> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    if (fd !== null && hasPickleMagic(path)) refusePickle(path);
    fail(path, 'header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    if (fd !== null && hasPickleMagic(path)) refusePickle(path);
    fail(path, `header is not valid JSON (${(e as Error).message.split('\n')[0]!.slice(0, 120)})`);
  }
  return validateHeader(path, json, dataBytes);
}

function openChecked(path: string): number {
  if (hasPickleName(path)) refusePickle(path);
  try {
    return openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${path}: file not found`, { cause: e });
    if (code === 'EISDIR') throw new Error(`${path}: is a directory, expected a .safetensors file`, { cause: e });
    throw new Error(`${path}: cannot open (${code ?? (e as Error).message})`, { cause: e });
  }
}

function readHeaderFd(path: string, fd: number): SafetensorsHeader {
  const st = fstatSync(fd);
  if (st.isDirectory()) throw new Error(`${path}: is a directory, expected a .safetensors file`);
  const fileBytes = st.size;
  if (fileBytes < 8) fail(path, `file is ${fileBytes} bytes, too short for the 8-byte header length`);
  const lenBuf = new Uint8Array(8);
  readFully(fd, lenBuf, 0, path);
  const n = new DataView(lenBuf.buffer).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES) || Number(n) > fileBytes - 8) {
    if (hasPickleMagic(path)) refusePickle(path);
    fail(path, `header length ${n} is impossible for a ${fileBytes}-byte file${n > BigInt(MAX_HEADER_BYTES) ? ` (limit ${MAX_HEADER_BYTES})` : ' (file truncated?)'}`);
  }
  const headerLen = Number(n);
  const headerBytes = new Uint8Array(headerLen);
  readFully(fd, headerBytes, 8, path);
  const dataStart = 8 + headerLen;
  const { metadata, tensors } = parseHeaderBytes(path, headerBytes, fileBytes - dataStart, fd);
  return { path, metadata, tensors, dataStart, fileBytes };
}

/** Read and validate only the header (names, dtypes, shapes, offsets); no tensor data. */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const fd = openChecked(path);
  try {
    return readHeaderFd(path, fd);
  } finally {
    closeSync(fd);
  }
}

function assertLittleEndianHost(): void {
  if (endianness() !== 'LE') throw new Error('safetensors: big-endian hosts are not supported (the format is little-endian)');
}

/** Convert `count` elements of `dtype` from `src` into `out[outOff..]`. `src` starts 8-aligned.
 * Values float32 cannot hold (F64 overflow, integers above 2^24 that do not round-trip) throw
 * `${where}: ...` (where names the file and tensor). Also used by the torch checkpoint reader. */
export function decodeToFloat32(dtype: SafetensorsDtype, src: Uint8Array, count: number, out: Float32Array, outOff: number, where: string): void {
  const buf = src.buffer;
  const at = src.byteOffset;
  switch (dtype) {
    case 'F32':
      out.set(new Float32Array(buf, at, count), outOff);
      return;
    case 'F16':
      decodeF16(new Uint16Array(buf, at, count), out, outOff);
      return;
    case 'BF16':
      decodeBF16(new Uint16Array(buf, at, count), out, outOff);
      return;
    case 'F8_E5M2': {
      // E5M2 is the upper byte of an F16.
      const h = new Uint16Array(count);
      for (let i = 0; i < count; i++) h[i] = src[i]! << 8;
      decodeF16(h, out, outOff);
      return;
    }
    case 'F8_E4M3': {
      const table = f8e4m3Table();
      for (let i = 0; i < count; i++) out[outOff + i] = table[src[i]!]!;
      return;
    }
    case 'F64': {
      const s = new Float64Array(buf, at, count);
      for (let i = 0; i < count; i++) {
        const v = s[i]!;
        const f = Math.fround(v);
        if (!Number.isFinite(f) && Number.isFinite(v)) {
          throw new Error(`${where}: F64 value ${v} at index ${outOff + i} overflows float32`);
        }
        out[outOff + i] = f;
      }
      return;
    }
    case 'I64':
    case 'U64': {
      const s = dtype === 'I64' ? new BigInt64Array(buf, at, count) : new BigUint64Array(buf, at, count);
      for (let i = 0; i < count; i++) {
        const v = Number(s[i]!);
        if (Math.fround(v) !== v || BigInt(v) !== s[i]) {
          throw new Error(`${where}: ${dtype} value ${s[i]} at index ${outOff + i} is not exactly representable as float32`);
        }
        out[outOff + i] = v;
      }
      return;
    }
    case 'I32':
    case 'U32': {
      const s = dtype === 'I32' ? new Int32Array(buf, at, count) : new Uint32Array(buf, at, count);
      for (let i = 0; i < count; i++) {
        const v = s[i]!;
        if (Math.fround(v) !== v) {
          throw new Error(`${where}: ${dtype} value ${v} at index ${outOff + i} is not exactly representable as float32`);
        }
        out[outOff + i] = v;
      }
      return;
    }
    case 'I16':
      out.set(new Int16Array(buf, at, count), outOff);
      return;
    case 'U16':
      out.set(new Uint16Array(buf, at, count), outOff);
      return;
    case 'I8':
      out.set(new Int8Array(buf, at, count), outOff);
      return;
    case 'U8':
      out.set(src.subarray(0, count), outOff);
      return;
    case 'BOOL':
      for (let i = 0; i < count; i++) out[outOff + i] = src[i] ? 1 : 0;
      return;
  }
}

function convertChunk(path: string, t: SafetensorsInfo, src: Uint8Array, count: number, out: Float32Array, outOff: number): void {
  decodeToFloat32(t.dtype, src, count, out, outOff, `${path}: safetensors: tensor ${q(t.name)}`);
}

/**
 * Read a .safetensors file: every tensor converted to Float32Array, in file order, plus
 * `__metadata__` as `.metadata`. The header is validated strictly first (length, UTF-8, JSON,
 * dtypes, shapes, offsets in range, contiguous and non-overlapping, byte size = shape x dtype);
 * any problem is a one-line Error naming the file and the tensor. PyTorch pickles are refused.
 */
export function readSafetensors(path: string, opts: ReadSafetensorsOptions = {}): SafetensorsMap {
  assertLittleEndianHost();
  const fd = openChecked(path);
  try {
    const header = readHeaderFd(path, fd);
    const out = new SafetensorsMap();
    out.metadata = { ...header.metadata };
    let scratch: Uint8Array | null = null;
    for (const t of header.tensors) {
      if (opts.select && !opts.select(t.name, t)) continue;
      const numel = t.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(numel);
      const pos = header.dataStart + t.begin;
      if (t.dtype === 'F32') {
        // Straight into the destination: no intermediate copy.
        readFully(fd, new Uint8Array(data.buffer), pos, path);
      } else {
        const esize = DTYPE_BYTES[t.dtype];
        const perChunk = Math.floor(SCRATCH_BYTES / esize);
        scratch ??= new Uint8Array(new ArrayBuffer(SCRATCH_BYTES));
        for (let done = 0; done < numel; done += perChunk) {
          const count = Math.min(perChunk, numel - done);
          const view = scratch.subarray(0, count * esize);
          readFully(fd, view, pos + done * esize, path);
          convertChunk(path, t, view, count, data, done);
        }
      }
      out.set(t.name, { dtype: t.dtype, shape: [...t.shape], data });
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** Parse a whole safetensors file already in memory (`source` names it in errors). */
export function parseSafetensors(bytes: Uint8Array, source = '<buffer>'): SafetensorsMap {
  assertLittleEndianHost();
  if (bytes.byteLength < 8) fail(source, `file is ${bytes.byteLength} bytes, too short for the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES) || Number(n) > bytes.byteLength - 8) {
    fail(source, `header length ${n} is impossible for a ${bytes.byteLength}-byte file`);
  }
  const dataStart = 8 + Number(n);
  const { metadata, tensors } = parseHeaderBytes(source, bytes.subarray(8, dataStart), bytes.byteLength - dataStart, null);
  const out = new SafetensorsMap();
  out.metadata = metadata;
  for (const t of tensors) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(numel);
    // Copy to a fresh aligned buffer: typed-array views need element alignment.
    const src = bytes.slice(dataStart + t.begin, dataStart + t.end);
    convertChunk(source, t, src, numel, data, 0);
    out.set(t.name, { dtype: t.dtype, shape: [...t.shape], data });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing

/** A tensor to save. `dtype` here is used only when `opts.dtype` is not given. */
export interface TensorToWrite {
  name: string;
  shape: readonly number[];
  data: Float32Array;
  dtype?: string;
}

export interface WriteSafetensorsOptions {
  /** Storage dtype for every tensor (default: each entry's `dtype` if F32/F16/BF16, else F32). */
  dtype?: SafetensorsWriteDtype;
  /** `__metadata__` (string -> string). HF writes {"format": "pt"}; omitted when undefined. */
  metadata?: Record<string, string>;
}

export type TensorsToWrite = Iterable<TensorToWrite> | ReadonlyMap<string, { shape: readonly number[]; data: Float32Array; dtype?: string }>;

interface Planned {
  name: string;
  dtype: SafetensorsWriteDtype;
  shape: readonly number[];
  data: Float32Array;
  nbytes: number;
}

const utf8 = new TextEncoder();

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function plan(path: string, tensors: TensorsToWrite, opts: WriteSafetensorsOptions): { header: Uint8Array; items: Planned[] } {
  const list: TensorToWrite[] = [];
  if (tensors instanceof Map) {
    for (const [name, t] of tensors as ReadonlyMap<string, { shape: readonly number[]; data: Float32Array; dtype?: string }>) {
      list.push({ name, shape: t.shape, data: t.data, dtype: t.dtype });
    }
  } else {
    for (const t of tensors as Iterable<TensorToWrite>) list.push(t);
  }
  if (opts.dtype !== undefined && opts.dtype !== 'F32' && opts.dtype !== 'F16' && opts.dtype !== 'BF16') {
    throw new Error(`${path}: writeSafetensors: dtype must be F32, F16 or BF16, got ${JSON.stringify(opts.dtype)}`);
  }
  const seen = new Set<string>();
  const items: Planned[] = [];
  for (const t of list) {
    const where = `${path}: writeSafetensors: tensor ${q(String(t.name))}`;
    if (typeof t.name !== 'string' || t.name.length === 0) throw new Error(`${path}: writeSafetensors: tensor name must be a non-empty string, got ${JSON.stringify(t.name)}`);
    if (t.name === '__metadata__') throw new Error(`${where}: the name __metadata__ is reserved by the format`);
    if (seen.has(t.name)) throw new Error(`${where}: duplicate name`);
    seen.add(t.name);
    if (!(t.data instanceof Float32Array)) throw new Error(`${where}: data must be a Float32Array, got ${Object.prototype.toString.call(t.data)}`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(t.shape)}`);
    }
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length) throw new Error(`${where}: shape [${t.shape.join(', ')}] has ${numel} elements but data has ${t.data.length}`);
    let dtype: SafetensorsWriteDtype;
    if (opts.dtype) dtype = opts.dtype;
    else if (t.dtype === undefined || t.dtype === 'F32' || t.dtype === 'F16' || t.dtype === 'BF16') dtype = (t.dtype as SafetensorsWriteDtype | undefined) ?? 'F32';
    else throw new Error(`${where}: cannot write dtype ${t.dtype} (only F32, F16, BF16); pass opts.dtype to convert, or leave the tensor out`);
    items.push({ name: t.name, dtype, shape: t.shape, data: t.data, nbytes: numel * (dtype === 'F32' ? 4 : 2) });
  }
  // Reference order: descending dtype alignment, then name (byte order), so larger-aligned
  // tensors come first and every tensor stays aligned to its element size.
  items.sort((a, b) => DTYPE_RANK.get(b.dtype)! - DTYPE_RANK.get(a.dtype)! || compareUtf8(a.name, b.name));

  // JSON exactly as serde_json::to_string writes it: compact, __metadata__ first, then tensors
  // in data order; keys of an entry in struct order dtype, shape, data_offsets.
  let json = '{';
  let first = true;
  if (opts.metadata !== undefined) {
    const keys = Object.keys(opts.metadata).sort(compareUtf8);
    for (const k of keys) {
      if (typeof opts.metadata[k] !== 'string') throw new Error(`${path}: writeSafetensors: metadata[${q(k)}] must be a string, got ${JSON.stringify(opts.metadata[k])}`);
    }
    json += `"__metadata__":{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(opts.metadata![k])}`).join(',')}}`;
    first = false;
  }
  let offset = 0;
  for (const it of items) {
    if (!first) json += ',';
    first = false;
    json += `${JSON.stringify(it.name)}:{"dtype":"${it.dtype}","shape":[${it.shape.join(',')}],"data_offsets":[${offset},${offset + it.nbytes}]}`;
    offset += it.nbytes;
  }
  json += '}';
  const body = utf8.encode(json);
  const padded = Math.ceil(body.byteLength / 8) * 8;
  const header = new Uint8Array(8 + padded);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(body, 8);
  header.fill(0x20, 8 + body.byteLength);
  return { header, items };
}

/** Bytes of each tensor in storage dtype, in chunks of at most SCRATCH_BYTES. */
function* tensorChunks(items: Planned[]): Generator<Uint8Array> {
  assertLittleEndianHost();
  for (const it of items) {
    if (it.dtype === 'F32') {
      yield new Uint8Array(it.data.buffer, it.data.byteOffset, it.data.byteLength);
      continue;
    }
    const per = SCRATCH_BYTES / 2;
    for (let i = 0; i < it.data.length; i += per) {
      const src = it.data.subarray(i, Math.min(i + per, it.data.length));
      const bits = new Uint16Array(src.length);
      if (it.dtype === 'F16') encodeF16(src, bits);
      else encodeBF16(src, bits);
      yield new Uint8Array(bits.buffer);
    }
  }
}

/**
 * Write tensors as a .safetensors file, laid out exactly like the reference writer (header
 * JSON compact, tensors sorted by dtype alignment then name, header padded with spaces to a
 * multiple of 8), atomically (temp file + fsync + rename: a crash never leaves a half file).
 * F16/BF16 round to nearest even, like torch's `.half()` / `.bfloat16()`.
 */
export function writeSafetensors(path: string, tensors: TensorsToWrite, opts: WriteSafetensorsOptions = {}): void {
  const { header, items } = plan(path, tensors, opts);
  writeFileAtomic(
    path,
    (function* () {
      yield header;
      yield* tensorChunks(items);
    })(),
  );
}

/** The bytes `writeSafetensors` would write (for small tensors, tests, and in-memory use). */
export function serializeSafetensors(tensors: TensorsToWrite, opts: WriteSafetensorsOptions = {}): Uint8Array {
  const { header, items } = plan('<buffer>', tensors, opts);
  const parts = [header, ...tensorChunks(items)];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}
