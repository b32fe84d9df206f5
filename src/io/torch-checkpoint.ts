// PyTorch checkpoints (`pytorch_model.bin`) read without executing them: the contract of
// `torch.load(path, map_location='cpu', weights_only=True)` for a state dict of tensors.
//
// Format (torch.save since 1.6): a ZIP archive of stored entries under one folder `<archive>/`
//   <archive>/data.pkl      pickle (protocol 2) of the state dict; each tensor is a view
//                           (storage offset, size, stride) of a storage named by a persistent id
//   <archive>/data/<key>    the storage's raw bytes, little-endian, numel x element size
//   <archive>/version       format version; `byteorder` ("little") from torch 1.13 on
// Storages may be shared: tied weights are two views of one storage; slices and transposes are
// views with an offset or non-contiguous strides, materialised here into fresh C-order arrays.
//
// Every tensor comes out as a Float32Array like the safetensors reader's (F16/BF16 exact, F64
// rounded, integer storages when exactly representable). Storage sizes and views are checked
// against the real entry sizes before anything is allocated. Peak memory is the output plus an
// 8 MiB scratch buffer, plus the viewed span for a non-contiguous tensor. Identical views of one
// storage (tied weights) share one Float32Array.
//
// The legacy format (torch.save before 1.6, or `_use_new_zipfile_serialization=False`: a bare
// pickle stream with storages appended) is refused with the conversion command.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { pickleConversionCommand } from './pickle.js';
import { decodeToFloat32, SafetensorsMap, type SafetensorsDtype } from './safetensors.js';
import { PyDict, TorchStorageRef, TorchTensorRef, unpickleTorch } from './torch-pickle.js';
import { readAt, readInto, readZipDirectory, storedEntryOffset, type ZipDirectory } from './zip.js';

/** data.pkl above this is refused (a state dict's pickle is ~200 bytes per tensor). */
export const MAX_TORCH_PICKLE_BYTES = 256 << 20;
const SCRATCH_BYTES = 8 << 20;

function fail(path: string, msg: string): never {
  throw new Error(`${path}: torch checkpoint: ${msg}`);
}

/** The refusal for a pre-1.6 (non-zip) torch.save file: one line with the conversion command. */
export function refuseLegacyTorch(path: string): never {
  throw new Error(
    `${path} is a PyTorch pickle in the legacy format (torch.save before 1.6, or _use_new_zipfile_serialization=False), ` +
      `which adaptext does not read (it reads the zip format without executing it and never executes pickles). ` +
      `Convert it to safetensors: ${pickleConversionCommand(path)}`,
  );
}

function openTorch(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${path}: file not found`, { cause: e });
    throw new Error(`${path}: cannot open (${code ?? (e as Error).message})`, { cause: e });
  }
}

interface Storage {
  readonly ref: TorchStorageRef;
  /** Byte offset of element 0 in the file. */
  readonly start: number;
}

/** Find `<archive>/data.pkl`; every other entry the reader uses sits under the same folder. */
function archivePrefix(dir: ZipDirectory): string {
  const pkls = [...dir.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length !== 1) {
    const hint = dir.entries.has('data.pkl') || [...dir.entries.keys()].some((n) => n.endsWith('/constants.pkl')) ? ' (a TorchScript archive?)' : '';
    fail(dir.path, `expected one <archive>/data.pkl entry, found ${pkls.length === 0 ? 'none' : pkls.join(', ')}${hint}; is this a torch.save file?`);
  }
  return pkls[0]!.slice(0, -'data.pkl'.length);
}

function viewKey(t: TorchTensorRef): string {
  return `${t.storage.key}|${t.offset}|${t.size.join(',')}|${t.stride.join(',')}`;
}

function contiguousStrides(size: readonly number[]): number[] {
  const s = new Array<number>(size.length);
  let acc = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= size[d]!;
  }
  return s;
}

/**
 * Decode elements [first, first + count) of a storage into `out[outOff..]`, in chunks through
 * `scratch` (F32 goes straight into `out`).
 */
function decodeRange(fd: number, path: string, st: Storage, first: number, count: number, out: Float32Array, outOff: number, scratch: () => Uint8Array, where: string): void {
  const { dtype, itemBytes } = st.ref.type;
  const pos = st.start + first * itemBytes;
  if (dtype === 'F32') {
    readInto(fd, path, new Uint8Array(out.buffer, out.byteOffset + outOff * 4, count * 4), pos);
    return;
  }
  const per = Math.floor(SCRATCH_BYTES / itemBytes);
  const buf = scratch();
  for (let done = 0; done < count; done += per) {
    const n = Math.min(per, count - done);
    const chunk = buf.subarray(0, n * itemBytes);
    readInto(fd, path, chunk, pos + done * itemBytes);
    decodeToFloat32(dtype, chunk, n, out, outOff + done, where);
  }
}

/**
 * Check the view `t` against its storage (all in safe integers, before anything is allocated)
 * and return its element count. A view may overlap itself (stride 0, as `expand` makes) but may
 * not hold more elements than its storage: a file cannot make us allocate more than it stores.
 */
function checkView(path: string, name: string, t: TorchTensorRef): number {
  const { size, stride, offset } = t;
  const cap = t.storage.numel;
  const where = `tensor ${JSON.stringify(name)}`;
  const view = `view (offset ${offset}, size (${size.join(', ')}), stride (${stride.join(', ')}))`;
  let numel = 1;
  for (const d of size) numel *= d;
  if (!Number.isSafeInteger(numel)) fail(path, `${where}: size (${size.join(', ')}) overflows`);
  if (numel === 0) {
    if (offset > cap) fail(path, `${where}: storage offset ${offset} is past the end of storage ${t.storage.key} (${cap} elements)`);
    return 0;
  }
  let last = offset;
  for (let d = 0; d < size.length; d++) last += (size[d]! - 1) * stride[d]!;
  if (!Number.isSafeInteger(last) || last >= cap) fail(path, `${where}: ${view} reaches element ${last} of storage ${t.storage.key}, which has ${cap} elements`);
  if (numel > cap) fail(path, `${where}: ${view} has ${numel} elements, more than its storage ${t.storage.key} holds (${cap}); re-save it with .contiguous()`);
  return numel;
}

/** The tensor `t` (checked by checkView) as a fresh C-order Float32Array. */
function materialise(fd: number, path: string, name: string, t: TorchTensorRef, numel: number, st: Storage, scratch: () => Uint8Array): Float32Array {
  const where = `${path}: torch checkpoint: tensor ${JSON.stringify(name)}`;
  const { size, stride, offset } = t;
  if (numel === 0) return new Float32Array(0);
  let last = offset;
  for (let d = 0; d < size.length; d++) last += (size[d]! - 1) * stride[d]!;
  const out = new Float32Array(numel);
  const want = contiguousStrides(size);
  if (size.every((n, d) => n === 1 || stride[d] === want[d])) {
    decodeRange(fd, path, st, offset, numel, out, 0, scratch, where);
    return out;
  }
  // Non-contiguous (a transpose, a strided slice): decode the span the view touches, then gather.
  const span = new Float32Array(last - offset + 1);
  decodeRange(fd, path, st, offset, span.length, span, 0, scratch, where);
  const nd = size.length;
  const idx = new Array<number>(nd).fill(0);
  let src = 0;
  for (let i = 0; i < numel; i++) {
    out[i] = span[src]!;
    for (let d = nd - 1; d >= 0; d--) {
      src += stride[d]!;
      if (++idx[d]! < size[d]!) break;
      src -= stride[d]! * size[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** A checked checkpoint: storages located, views validated, nothing read but data.pkl. */
interface Plan {
  readonly storages: ReadonlyMap<string, Storage>;
  readonly tensors: readonly (readonly [string, TorchTensorRef])[];
  /** Element count by view key (identical views are materialised once). */
  readonly numels: ReadonlyMap<string, number>;
  readonly fileBytes: number;
}

function plan(fd: number, path: string): Plan {
  const st = fstatSync(fd);
  if (st.isDirectory()) throw new Error(`${path}: is a directory, expected a pytorch_model.bin file`);
  const magic = new Uint8Array(4);
  const got = readSync(fd, magic, 0, 4, 0);
  if (got >= 2 && magic[0] === 0x80 && magic[1]! >= 2 && magic[1]! <= 5) refuseLegacyTorch(path);
  if (got < 4 || magic[0] !== 0x50 || magic[1] !== 0x4b || magic[2] !== 0x03 || magic[3] !== 0x04) {
    fail(path, `not a torch.save zip archive (first bytes ${[...magic.subarray(0, got)].map((b) => b.toString(16).padStart(2, '0')).join(' ') || 'none: empty file'})`);
  }
  const dir = readZipDirectory(fd, path);
  const prefix = archivePrefix(dir);
  const order = dir.entries.get(`${prefix}byteorder`);
  if (order !== undefined) {
    if (order.size > 16) fail(path, `byteorder entry of ${order.size} bytes`);
    const text = new TextDecoder().decode(readAt(fd, path, storedEntryOffset(fd, dir, order), order.size));
    if (text !== 'little') fail(path, `byteorder is ${JSON.stringify(text)}; only little-endian checkpoints are supported`);
  }
  const pklEntry = dir.entries.get(`${prefix}data.pkl`)!;
  if (pklEntry.size > MAX_TORCH_PICKLE_BYTES) fail(path, `data.pkl of ${pklEntry.size} bytes is over the ${MAX_TORCH_PICKLE_BYTES}-byte limit`);
  const pkl = readAt(fd, path, storedEntryOffset(fd, dir, pklEntry), pklEntry.size);
  const root = unpickleTorch(pkl, `${path} (${prefix}data.pkl)`);
  if (!(root instanceof PyDict)) fail(path, `data.pkl holds ${root === null ? 'None' : typeof root === 'object' ? root.constructor.name : typeof root}, not a state dict (a dict of tensors)`);

  // Every key and storage, checked against the archive's entries.
  const storages = new Map<string, Storage>();
  const tensors: [string, TorchTensorRef][] = [];
  for (const [k, v] of root.items) {
    if (typeof k !== 'string') fail(path, `state dict key ${k} is not a string`);
    if (!(v instanceof TorchTensorRef)) {
      const what = v instanceof PyDict ? 'a dict (a training checkpoint? save model.state_dict() instead)' : v === null ? 'None' : typeof v === 'object' ? v.constructor.name : typeof v;
      fail(path, `state dict entry ${JSON.stringify(k)} is ${what}, not a tensor`);
    }
    const ref = v.storage;
    const seen = storages.get(ref.key);
    if (seen !== undefined) {
      if (seen.ref.type !== ref.type || seen.ref.numel !== ref.numel) {
        fail(path, `storage ${ref.key} is declared as ${seen.ref.numel} x ${seen.ref.type.name} and as ${ref.numel} x ${ref.type.name}`);
      }
    } else {
      const entry = dir.entries.get(`${prefix}data/${ref.key}`);
      if (entry === undefined) fail(path, `tensor ${JSON.stringify(k)}: storage ${ref.key} has no entry ${prefix}data/${ref.key}`);
      const bytes = ref.numel * ref.type.itemBytes;
      if (!Number.isSafeInteger(bytes) || bytes !== entry.size) {
        fail(path, `tensor ${JSON.stringify(k)}: storage ${ref.key} declares ${ref.numel} x ${ref.type.name} (${bytes} bytes) but its entry holds ${entry.size} bytes`);
      }
      storages.set(ref.key, { ref, start: storedEntryOffset(fd, dir, entry) });
    }
    tensors.push([k, v]);
  }
  // Views, and the total to materialise (identical views share one array).
  const numels = new Map<string, number>();
  let total = 0;
  let stored = 0;
  for (const s of storages.values()) stored += s.ref.numel;
  for (const [k, t] of tensors) {
    const key = viewKey(t);
    if (numels.has(key)) continue;
    const n = checkView(path, k, t);
    numels.set(key, n);
    total += n;
  }
  if (total > 4 * stored + 1024) {
    fail(path, `its ${tensors.length} tensors are ${total} elements, over 4 times the ${stored} elements its storages hold; refusing to materialise overlapping views`);
  }
  return { storages, tensors, numels, fileBytes: st.size };
}

/** One tensor as the checkpoint describes it (no data). */
export interface TorchTensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
}

/**
 * Read and check a `torch.save` checkpoint's pickle, storages and views, but no tensor data:
 * names, dtypes and shapes in key order (for `inspect`), with the same refusals as
 * readTorchCheckpoint.
 */
export function readTorchCheckpointHeader(path: string): { path: string; fileBytes: number; tensors: TorchTensorInfo[] } {
  const fd = openTorch(path);
  try {
    const p = plan(fd, path);
    return { path, fileBytes: p.fileBytes, tensors: p.tensors.map(([name, t]) => ({ name, dtype: t.storage.type.dtype, shape: [...t.size] })) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Read a `torch.save` state dict (zip format) into name -> {dtype, shape, data: Float32Array},
 * in the pickle's key order, without executing anything: only tensors, OrderedDict and the
 * storage types in TORCH_STORAGE_TYPES are understood, every other global or opcode is refused
 * with one line naming the file. The legacy non-zip format is refused with the conversion
 * command. `dtype` is the storage's dtype in safetensors terms (F32, F16, BF16, I64, ...).
 * Everything (storage sizes against entry sizes, views against storages) is checked before
 * the first tensor is allocated.
 */
export function readTorchCheckpoint(path: string): SafetensorsMap {
  if (endianness() !== 'LE') throw new Error(`${path}: torch checkpoint: big-endian hosts are not supported`);
  const fd = openTorch(path);
  try {
    const { storages, tensors, numels } = plan(fd, path);
    const out = new SafetensorsMap();
    const shared = new Map<string, Float32Array>();
    let scratchBuf: Uint8Array | null = null;
    const scratch = (): Uint8Array => (scratchBuf ??= new Uint8Array(new ArrayBuffer(SCRATCH_BYTES)));
    for (const [name, t] of tensors) {
      const st = storages.get(t.storage.key)!;
      const key = viewKey(t);
      let data = shared.get(key);
      if (data === undefined) {
        data = materialise(fd, path, name, t, numels.get(key)!, st, scratch);
        shared.set(key, data);
      }
      out.set(name, { dtype: st.ref.type.dtype, shape: [...t.size], data });
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
