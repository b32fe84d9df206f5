// A restricted unpickler for PyTorch state dicts: the same contract as Python's
// `torch.load(weights_only=True)`. It is an interpreter over pickle opcodes that builds plain
// data (dicts, lists, tuples, numbers, strings) and tensor *descriptions*; it never imports,
// calls or constructs anything named by the file. Only the opcodes `torch.save` emits for a
// state dict (pickle protocol 2, plus the protocol-4 framing/memo opcodes) and only these
// globals are understood:
//
//   collections.OrderedDict            -> an empty dict (REDUCE with no arguments)
//   torch._utils._rebuild_tensor_v2    -> a tensor view (storage, offset, size, stride, ...)
//   torch._utils._rebuild_tensor       -> the same, older form
//   torch._utils._rebuild_parameter    -> the wrapped tensor (nn.Parameter is just its data here)
//   torch.<Float|Half|BFloat16|Double|Long|Int|Short|Char|Byte|Bool>Storage
//                                      -> a storage type, only inside a persistent id
//
// Anything else (builtins.eval, os.system, posix.system, a class's __reduce__, INST/OBJ/NEWOBJ,
// EXT*, ...) stops the load with one line naming the file, the byte, the opcode or global, and
// that nothing was executed. Persistent ids must be ('storage', <StorageType>, key, location,
// numel): storages stay references; the caller checks them against the archive and reads them.
//
// What torch.save writes for one entry of an OrderedDict state dict (pickletools, torch 1.13):
//   X 'bert.pooler.dense.weight'
//   c 'torch._utils _rebuild_tensor_v2'  ( ( 'storage' c'torch FloatStorage' '0' 'cpu' 1024 t Q
//     0 (32, 32) (32, 1) False  c'collections OrderedDict' ) R  t R
// and the dict ends with a BUILD that sets its `_metadata` attribute (kept, never used).

import type { SafetensorsDtype } from './safetensors.js';

/** A Python dict or OrderedDict (keys are str or int in anything torch writes). */
export class PyDict {
  readonly items = new Map<string | number, unknown>();
  /** State set by BUILD (an OrderedDict's `_metadata`); never interpreted. */
  attrs: PyDict | null = null;
}

/** A Python list (mutable, unlike a tuple). */
export class PyList {
  readonly items: unknown[] = [];
}

/** A Python tuple. */
export class PyTuple {
  constructor(readonly items: readonly unknown[]) {}
}

/** A storage type global (`torch.FloatStorage`): what the bytes of a storage are. */
export class TorchStorageType {
  constructor(
    readonly name: string,
    readonly dtype: SafetensorsDtype,
    readonly itemBytes: number,
  ) {}
}

/** A persistent id ('storage', type, key, location, numel): bytes live in `data/<key>`. */
export class TorchStorageRef {
  constructor(
    readonly type: TorchStorageType,
    readonly key: string,
    readonly location: string,
    /** Number of elements the pickle claims (checked against the entry by the caller). */
    readonly numel: number,
  ) {}
}

/** A tensor view of a storage, as `_rebuild_tensor_v2` would build it. */
export class TorchTensorRef {
  constructor(
    readonly storage: TorchStorageRef,
    readonly offset: number,
    readonly size: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

/** The storage types we read, by their name in module `torch`. */
export const TORCH_STORAGE_TYPES: ReadonlyMap<string, TorchStorageType> = new Map(
  (
    [
      ['FloatStorage', 'F32', 4],
      ['HalfStorage', 'F16', 2],
      ['BFloat16Storage', 'BF16', 2],
      ['DoubleStorage', 'F64', 8],
      ['LongStorage', 'I64', 8],
      ['IntStorage', 'I32', 4],
      ['ShortStorage', 'I16', 2],
      ['CharStorage', 'I8', 1],
      ['ByteStorage', 'U8', 1],
      ['BoolStorage', 'BOOL', 1],
    ] as const
  ).map(([name, dtype, bytes]) => [name, new TorchStorageType(name, dtype, bytes)]),
);

/** A callable global we interpret (never call). */
class AllowedGlobal {
  constructor(readonly qualified: string) {}
}

const ALLOWED_CALLABLES = new Set(['collections.OrderedDict', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_tensor', 'torch._utils._rebuild_parameter']);

/** Names of every pickle opcode (protocols 0..5), for error messages. */
const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK',
  0x2e: 'STOP',
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x32: 'DUP',
  0x46: 'FLOAT',
  0x49: 'INT',
  0x4a: 'BININT',
  0x4b: 'BININT1',
  0x4c: 'LONG',
  0x4d: 'BININT2',
  0x4e: 'NONE',
  0x50: 'PERSID',
  0x51: 'BINPERSID',
  0x52: 'REDUCE',
  0x53: 'STRING',
  0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE',
  0x58: 'BINUNICODE',
  0x61: 'APPEND',
  0x62: 'BUILD',
  0x63: 'GLOBAL',
  0x64: 'DICT',
  0x7d: 'EMPTY_DICT',
  0x65: 'APPENDS',
  0x67: 'GET',
  0x68: 'BINGET',
  0x69: 'INST',
  0x6a: 'LONG_BINGET',
  0x6c: 'LIST',
  0x5d: 'EMPTY_LIST',
  0x6f: 'OBJ',
  0x70: 'PUT',
  0x71: 'BINPUT',
  0x72: 'LONG_BINPUT',
  0x73: 'SETITEM',
  0x74: 'TUPLE',
  0x29: 'EMPTY_TUPLE',
  0x75: 'SETITEMS',
  0x47: 'BINFLOAT',
  0x80: 'PROTO',
  0x81: 'NEWOBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x88: 'NEWTRUE',
  0x89: 'NEWFALSE',
  0x8a: 'LONG1',
  0x8b: 'LONG4',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE',
  0x95: 'FRAME',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

const NOTHING_RAN = 'nothing was executed';

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (v instanceof PyDict) return 'a dict';
  if (v instanceof PyList) return 'a list';
  if (v instanceof PyTuple) return `a ${v.items.length}-tuple`;
  if (v instanceof TorchTensorRef) return 'a tensor';
  if (v instanceof TorchStorageRef) return 'a storage';
  if (v instanceof TorchStorageType) return `torch.${v.name}`;
  if (v instanceof AllowedGlobal) return v.qualified;
  return typeof v;
}

/** Interpret the pickle `bytes` (the `data.pkl` of a torch archive; `source` names it in errors). */
export function unpickleTorch(bytes: Uint8Array, source: string): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  let at = 0; // byte of the current opcode
  let op = 0;

  const opName = (): string => `${OPCODE_NAMES[op] ?? 'unknown opcode'} (0x${op.toString(16).padStart(2, '0')})`;
  const fail = (msg: string): never => {
    throw new Error(`${source}: pickle byte ${at}: ${msg}`);
  };
  const refuse = (what: string): never => {
    throw new Error(`${source}: pickle byte ${at}: ${what} is not allowed in a weights-only checkpoint (only tensors and state dicts load); ${NOTHING_RAN}`);
  };
  const need = (n: number): number => {
    if (pos + n > bytes.byteLength) fail(`${opName()} runs past the end of the pickle (truncated?)`);
    const p = pos;
    pos += n;
    return p;
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail(`${opName()} on an empty stack`);
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail(`${opName()} on an empty stack`);
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = marks.pop();
    if (prev === undefined) fail(`${opName()} without a MARK`);
    stack = prev!;
    return items;
  };
  const str = (start: number, len: number): string => {
    try {
      return utf8.decode(bytes.subarray(start, start + len));
    } catch {
      return fail(`${opName()}: string is not valid UTF-8`);
    }
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0 || end - pos > 256) fail(`${opName()}: missing newline (truncated?)`);
    const s = str(pos, end - pos);
    pos = end + 1;
    return s;
  };
  const global = (module: string, name: string): unknown => {
    const q = `${module}.${name}`;
    if (module === 'torch' && TORCH_STORAGE_TYPES.has(name)) return TORCH_STORAGE_TYPES.get(name);
    if (ALLOWED_CALLABLES.has(q)) return new AllowedGlobal(q);
    if (module === 'torch' && name.endsWith('Storage')) return refuse(`storage type torch.${name} (supported: ${[...TORCH_STORAGE_TYPES.keys()].join(', ')})`);
    return refuse(`global ${q}`);
  };
  const setItem = (d: unknown, k: unknown, v: unknown): void => {
    if (!(d instanceof PyDict)) fail(`${opName()} on ${describe(d)}, expected a dict`);
    if (typeof k !== 'string' && typeof k !== 'number') fail(`${opName()}: dict key ${describe(k)} is not a str or int`);
    (d as PyDict).items.set(k as string | number, v);
  };

  for (;;) {
    at = pos;
    if (pos >= bytes.byteLength) fail('no STOP opcode (truncated pickle?)');
    op = bytes[pos++]!;
    switch (op) {
      case 0x80: {
        // PROTO
        const v = bytes[need(1)]!;
        if (v < 2 || v > 5) fail(`unsupported pickle protocol ${v}`);
        break;
      }
      case 0x95: // FRAME: the length of the next frame; we hold the whole pickle already
        need(8);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length !== 0) fail(`STOP with ${stack.length} values on the stack and ${marks.length} open MARKs`);
        return stack[0];
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push(new PyList());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x74: {
        // TUPLE (popMark replaces `stack`: take the items before naming the stack to push on)
        const items = popMark();
        stack.push(new PyTuple(items));
        break;
      }
      case 0x85: {
        // TUPLE1
        const a = pop();
        stack.push(new PyTuple([a]));
        break;
      }
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b, c]));
        break;
      }
      case 0x71: // BINPUT
        memo.set(bytes[need(1)]!, top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(view.getUint32(need(4), true), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const i = op === 0x68 ? bytes[need(1)]! : view.getUint32(need(4), true);
        if (!memo.has(i)) fail(`${opName()} ${i}: no such memo entry`);
        stack.push(memo.get(i));
        break;
      }
      case 0x4a: // BININT
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x4b: // BININT1
        stack.push(bytes[need(1)]!);
        break;
      case 0x4d: // BININT2
        stack.push(view.getUint16(need(2), true));
        break;
      case 0x8a: {
        // LONG1: n bytes of little-endian two's complement
        const n = bytes[need(1)]!;
        const p = need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[p + i]!);
        if (n > 0 && bytes[p + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x58: {
        // BINUNICODE
        const len = view.getUint32(need(4), true);
        stack.push(str(need(len), len));
        break;
      }
      case 0x8c: {
        // SHORT_BINUNICODE
        const len = bytes[need(1)]!;
        stack.push(str(need(len), len));
        break;
      }
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItem(top(), k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        if (items.length % 2 !== 0) fail(`SETITEMS with an odd number (${items.length}) of keys and values`);
        const d = top();
        for (let i = 0; i < items.length; i += 2) setItem(d, items[i], items[i + 1]);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        const l = top();
        if (!(l instanceof PyList)) fail(`APPEND to ${describe(l)}, expected a list`);
        (l as PyList).items.push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const l = top();
        if (!(l instanceof PyList)) fail(`APPENDS to ${describe(l)}, expected a list`);
        (l as PyList).items.push(...items);
        break;
      }
      case 0x63: {
        // GLOBAL 'module\nname\n'
        const module = line();
        const name = line();
        stack.push(global(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail(`STACK_GLOBAL needs two strings, got ${describe(module)} and ${describe(name)}`);
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x51: {
        // BINPERSID
        const ref = persistent(pop(), fail);
        stack.push(ref);
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        if (!(fn instanceof AllowedGlobal)) fail(`REDUCE calls ${describe(fn)}, which is not callable here; ${NOTHING_RAN}`);
        if (!(args instanceof PyTuple)) fail(`REDUCE arguments are ${describe(args)}, expected a tuple`);
        stack.push(reduce((fn as AllowedGlobal).qualified, (args as PyTuple).items, fail));
        break;
      }
      case 0x62: {
        // BUILD: only an OrderedDict's attribute dict (`_metadata`) is accepted, and kept inert
        const state = pop();
        const obj = top();
        if (!(obj instanceof PyDict) || !(state instanceof PyDict)) fail(`BUILD of ${describe(obj)} with ${describe(state)} is not allowed; ${NOTHING_RAN}`);
        (obj as PyDict).attrs = state as PyDict;
        break;
      }
      default:
        refuse(`opcode ${opName()}`);
    }
  }
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function indexTuple(v: unknown, what: string, fail: (m: string) => never): number[] {
  if (!(v instanceof PyTuple) || !v.items.every(isIndex)) fail(`${what} must be a tuple of non-negative integers, got ${describe(v)}`);
  return [...(v as PyTuple).items] as number[];
}

function persistent(pid: unknown, fail: (m: string) => never): TorchStorageRef {
  const it = pid instanceof PyTuple ? pid.items : null;
  if (it === null || it.length !== 5 || it[0] !== 'storage') {
    return fail(`persistent id ${describe(pid)} is not ('storage', type, key, location, numel); ${NOTHING_RAN}`);
  }
  const [, type, key, location, numel] = it;
  if (!(type instanceof TorchStorageType)) return fail(`persistent id names storage type ${describe(type)}, not a torch storage class`);
  if (typeof key !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(key) || key.startsWith('.')) return fail(`persistent id has storage key ${describe(key)}`);
  if (typeof location !== 'string') return fail(`persistent id has location ${describe(location)}`);
  if (!isIndex(numel)) return fail(`storage ${key} declares ${describe(numel)} elements`);
  return new TorchStorageRef(type, key, location, numel);
}

function reduce(fn: string, args: readonly unknown[], fail: (m: string) => never): unknown {
  const arity = (lo: number, hi: number): void => {
    if (args.length < lo || args.length > hi) fail(`${fn} takes ${lo === hi ? lo : `${lo}..${hi}`} arguments, got ${args.length}`);
  };
  switch (fn) {
    case 'collections.OrderedDict':
      arity(0, 0);
      return new PyDict();
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2': {
      // (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]])
      if (fn.endsWith('_v2')) arity(6, 7);
      else arity(4, 4);
      const [storage, offset, size, stride, requiresGrad, hooks, metadata] = args;
      if (!(storage instanceof TorchStorageRef)) return fail(`${fn}: storage is ${describe(storage)}`);
      if (!isIndex(offset)) return fail(`${fn}: storage offset ${describe(offset)} is not a non-negative integer`);
      const sz = indexTuple(size, `${fn}: size`, fail);
      const st = indexTuple(stride, `${fn}: stride`, fail);
      if (sz.length !== st.length) fail(`${fn}: size has ${sz.length} dims but stride has ${st.length}`);
      if (args.length >= 6) {
        if (typeof requiresGrad !== 'boolean') fail(`${fn}: requires_grad is ${describe(requiresGrad)}`);
        if (!(hooks instanceof PyDict) || hooks.items.size !== 0) fail(`${fn}: backward_hooks must be an empty OrderedDict, got ${describe(hooks)}`);
      }
      if (args.length === 7 && (!(metadata instanceof PyDict) || metadata.items.size !== 0)) fail(`${fn}: tensor metadata ${describe(metadata)} is not supported`);
      return new TorchTensorRef(storage, offset, sz, st);
    }
    case 'torch._utils._rebuild_parameter': {
      // (data, requires_grad, backward_hooks)
      arity(3, 3);
      if (!(args[0] instanceof TorchTensorRef)) return fail(`${fn}: data is ${describe(args[0])}, expected a tensor`);
      return args[0];
    }
    default:
      return fail(`${fn} is not callable here; ${NOTHING_RAN}`);
  }
}
