// pytorch_model.bin read without executing it (src/io/torch-checkpoint.ts, torch-pickle.ts,
// zip.ts): values equal torch's bit for bit (fixtures from tools/golden/torch_bin_fixtures.py,
// torch 1.13), views and shared storages, hostile pickles refused with nothing run, damaged
// archives refused with one line naming the file, zip64, and model folders holding only .bin.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { readTorchCheckpoint, readTorchCheckpointHeader } from '../../src/io/torch-checkpoint.js';
import { PyDict, unpickleTorch } from '../../src/io/torch-pickle.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { loadModel, modelWeightFiles, readModelTensors } from '../../src/models/load.js';
import { noGrad } from '../../src/tensor/index.js';
import { openModelFolder } from '../../src/tasks/model-folder.js';
import { tmp as tempFolder } from '../support/tmp.js';
import { FIXTURES, inputOf, readGolden } from '../models/helpers.js';

const IO = join(process.cwd(), 'test', 'fixtures', 'io');
const STATE = join(IO, 'torch_state.bin');
const PWNED = '/tmp/adaptext-pwned-by-torch-bin';

interface Expected {
  tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
  tied: string[][];
}
const EXPECTED = JSON.parse(readFileSync(join(IO, 'torch_state.json'), 'utf8')) as Expected;

function tmp(): string {
  return tempFolder('adaptext-torch-bin-');
}

/** The error `fn` throws, checked to be one line that starts with `path`. */
function errorOf(fn: () => unknown, path: string): string {
  let msg: string | null = null;
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof Error, `threw ${String(e)}`);
    msg = e.message;
  }
  assert.ok(msg !== null, 'expected an error');
  assert.ok(!msg.includes('\n'), `one line: ${msg}`);
  assert.ok(msg.startsWith(path), `names the file: ${msg}`);
  return msg;
}

/** Index of the first element whose bits differ (-1: identical). */
function firstDiff(got: Float32Array, want: number[]): number {
  if (got.length !== want.length) return Math.min(got.length, want.length);
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], Math.fround(want[i]!))) return i;
  return -1;
}

describe('torch checkpoint: values, views and shared storages', () => {
  const m = readTorchCheckpoint(STATE);

  it('every tensor equals torch.load(weights_only=True) bit for bit, in the pickle key order, with its dtype and shape', () => {
    assert.deepEqual([...m.keys()], Object.keys(EXPECTED.tensors));
    for (const [k, e] of Object.entries(EXPECTED.tensors)) {
      const t = m.get(k)!;
      assert.equal(t.dtype, e.dtype, k);
      assert.deepEqual(t.shape, e.shape, k);
      const i = firstDiff(t.data, e.values);
      assert.equal(i, -1, `${k}: element ${i} is ${t.data[i]}, torch has ${e.values[i]}`);
    }
  });

  it('non-contiguous views are materialised in C order (transpose, strided slice, offset slice, F16 transpose)', () => {
    const base = m.get('base')!.data; // [4, 6]
    const at = (r: number, c: number): number => base[r * 6 + c]!;
    const bt = m.get('base_t')!;
    assert.deepEqual(bt.shape, [6, 4]);
    for (let r = 0; r < 6; r++) for (let c = 0; c < 4; c++) assert.equal(bt.data[r * 4 + c], at(c, r));
    assert.deepEqual(Array.from(m.get('row_slice')!.data), [at(2, 1), at(2, 2), at(2, 3), at(2, 4)]);
    assert.deepEqual(
      Array.from(m.get('col_stride')!.data),
      [1, 2, 3].flatMap((r) => [at(r, 0), at(r, 2), at(r, 4)]),
    );
    const h = m.get('half')!.data; // [3, 4]
    const ht = m.get('half_t')!;
    assert.deepEqual(ht.shape, [4, 3]);
    assert.deepEqual(
      Array.from(ht.data),
      [0, 1, 2, 3].flatMap((c) => [h[c]!, h[4 + c]!, h[8 + c]!]),
    );
    assert.equal(h[0], 5.960464477539063e-8, 'the F16 subnormal decodes exactly');
  });

  it('tied weights (one storage, same view) share one array; another view of that storage is its own copy', () => {
    for (const [a, b] of EXPECTED.tied) assert.equal(m.get(a)!.data, m.get(b)!.data, `${a} / ${b}`);
    const emb = m.get('emb.weight')!.data;
    const row = m.get('emb_row')!.data;
    assert.notEqual(row.buffer, emb.buffer);
    assert.deepEqual(Array.from(row), Array.from(emb.subarray(3, 6)));
  });

  it('readTorchCheckpointHeader gives names, dtypes and shapes without reading tensor data', () => {
    const h = readTorchCheckpointHeader(STATE);
    assert.equal(h.fileBytes, statSync(STATE).size);
    assert.deepEqual(
      h.tensors.map((t) => [t.name, t.dtype, t.shape]),
      Object.entries(EXPECTED.tensors).map(([k, e]) => [k, e.dtype, e.shape]),
    );
    assert.throws(() => readTorchCheckpointHeader(join(IO, 'torch_huge_storage.bin')), /declares 1099511627776 x FloatStorage/);
  });

  it('scalar, empty, parameter and integer tensors', () => {
    assert.deepEqual(m.get('scalar')!.shape, []);
    assert.deepEqual(Array.from(m.get('scalar')!.data), [-2.75]);
    assert.deepEqual(m.get('empty')!.shape, [0, 3]);
    assert.equal(m.get('empty')!.data.length, 0);
    assert.deepEqual(Array.from(m.get('param')!.data), [0.5, -1.5, 2]);
    assert.deepEqual(Array.from(m.get('position_ids')!.data), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(Array.from(m.get('i32')!.data), [-16777216, -1, 0, 9]);
    assert.deepEqual(Array.from(m.get('u8')!.data), [0, 7, 255]);
    assert.deepEqual(Array.from(m.get('mask')!.data), [1, 0, 1]);
  });
});

describe('torch checkpoint: hostile and unsupported files are refused, nothing is executed', () => {
  it('a __reduce__ calling os.system is refused at its global; the command never runs', () => {
    rmSync(PWNED, { force: true });
    const p = join(IO, 'torch_hostile_system.bin');
    const msg = errorOf(() => readTorchCheckpoint(p), p);
    assert.match(msg, /global posix\.system is not allowed/);
    assert.match(msg, /nothing was executed/);
    assert.equal(existsSync(PWNED), false, 'the side-effect file was not created');
  });

  it('an unknown global (builtins.eval) is refused', () => {
    const p = join(IO, 'torch_hostile_eval.bin');
    assert.match(
      errorOf(() => readTorchCheckpoint(p), p),
      /global __builtin__\.eval is not allowed in a weights-only checkpoint .*; nothing was executed$/,
    );
  });

  it('a storage claiming 2^40 elements is refused against its real entry size, before allocating', () => {
    const p = join(IO, 'torch_huge_storage.bin');
    assert.match(
      errorOf(() => readTorchCheckpoint(p), p),
      /tensor "w": storage 0 declares 1099511627776 x FloatStorage \(4398046511104 bytes\) but its entry holds 24 bytes$/,
    );
  });

  it('a view past the end of its storage is refused', () => {
    const p = join(IO, 'torch_bad_view.bin');
    assert.match(
      errorOf(() => readTorchCheckpoint(p), p),
      /tensor "w": view \(offset 2, size \(2, 3\), stride \(3, 1\)\) reaches element 7 of storage 0, which has 6 elements$/,
    );
  });

  it('the legacy (non-zip) format is refused with the conversion command', () => {
    const p = join(IO, 'torch_state_legacy.bin');
    const msg = errorOf(() => readTorchCheckpoint(p), p);
    assert.ok(msg.startsWith(`${p} is a PyTorch pickle in the legacy format`), msg);
    assert.match(msg, /Convert it to safetensors: python -c ".*torch\.load\(p, map_location='cpu', weights_only=True\)/);
    assert.ok(msg.endsWith(` '${p}'`));
  });

  it('a file that is neither zip nor pickle, and a missing file', () => {
    const dir = tmp();
    const p = join(dir, 'pytorch_model.bin');
    writeFileSync(p, '{"not": "torch"}');
    assert.match(
      errorOf(() => readTorchCheckpoint(p), p),
      /not a torch\.save zip archive \(first bytes 7b 22 6e 6f\)/,
    );
    assert.match(
      errorOf(() => readTorchCheckpoint(join(dir, 'nope.bin')), join(dir, 'nope.bin')),
      /file not found/,
    );
  });

  it('truncated archives are refused with one line naming the file', () => {
    const bytes = readFileSync(STATE);
    const dir = tmp();
    for (const n of [0, 3, 4, 100, 1000, bytes.length >> 1, bytes.length - 200, bytes.length - 23, bytes.length - 1]) {
      const p = join(dir, `cut${n}.bin`);
      writeFileSync(p, bytes.subarray(0, n));
      const msg = errorOf(() => readTorchCheckpoint(p), p);
      assert.match(msg, /truncated|not a torch\.save zip archive|end-of-central-directory/, `cut at ${n}: ${msg}`);
    }
  });

  it('single-byte corruptions anywhere either load or fail with one line naming the file (never an internal error)', () => {
    const bytes = readFileSync(STATE);
    const dir = tmp();
    const p = join(dir, 'flip.bin');
    let s = 12345;
    let refused = 0;
    for (let trial = 0; trial < 400; trial++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      const at = s % bytes.length;
      const b = Buffer.from(bytes);
      b[at] = b[at]! ^ (1 + (s % 255));
      writeFileSync(p, b);
      try {
        readTorchCheckpoint(p);
      } catch (e) {
        assert.ok(e instanceof Error);
        assert.ok(e.message.startsWith(p) && !e.message.includes('\n'), `byte ${at}: ${e.message}`);
        refused++;
      }
    }
    assert.ok(refused > 20, `${refused} of 400 corruptions were noticed`);
  });

  it('a compressed entry is refused', () => {
    const b = Buffer.from(readFileSync(STATE));
    // method field (offset 10) of the first central directory record (data.pkl)
    const cd = b.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    b.writeUInt16LE(8, cd + 10);
    const p = join(tmp(), 'deflated.bin');
    writeFileSync(p, b);
    assert.match(
      errorOf(() => readTorchCheckpoint(p), p),
      /entry "torch_state\/data\.pkl" is compressed \(method 8\)/,
    );
  });
});

/** Rewrite a stored zip with every size and offset in zip64 form (as torch writes files > 4 GB). */
function toZip64(src: Buffer): Buffer {
  const entries: { name: Buffer; data: Buffer }[] = [];
  const eocd = src.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let p = src.readUInt32LE(eocd + 16);
  for (let k = 0; k < src.readUInt16LE(eocd + 10); k++) {
    const nameLen = src.readUInt16LE(p + 28);
    const name = src.subarray(p + 46, p + 46 + nameLen);
    const size = src.readUInt32LE(p + 24);
    const lho = src.readUInt32LE(p + 42);
    const start = lho + 30 + src.readUInt16LE(lho + 26) + src.readUInt16LE(lho + 28);
    entries.push({ name, data: src.subarray(start, start + size) });
    p += 46 + nameLen + src.readUInt16LE(p + 30) + src.readUInt16LE(p + 32);
  }
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let off = 0;
  for (const { name, data } of entries) {
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30 + name.length + 20);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(45, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(0xffffffff, 18);
    local.writeUInt32LE(0xffffffff, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(20, 28);
    name.copy(local, 30);
    local.writeUInt16LE(1, 30 + name.length);
    local.writeUInt16LE(16, 32 + name.length);
    local.writeBigUInt64LE(BigInt(data.length), 34 + name.length);
    local.writeBigUInt64LE(BigInt(data.length), 42 + name.length);
    const c = Buffer.alloc(46 + name.length + 28);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(45, 4);
    c.writeUInt16LE(45, 6);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(0xffffffff, 20);
    c.writeUInt32LE(0xffffffff, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt16LE(28, 30);
    c.writeUInt32LE(0xffffffff, 42);
    name.copy(c, 46);
    c.writeUInt16LE(1, 46 + name.length);
    c.writeUInt16LE(24, 48 + name.length);
    c.writeBigUInt64LE(BigInt(data.length), 50 + name.length); // size
    c.writeBigUInt64LE(BigInt(data.length), 58 + name.length); // compressed size
    c.writeBigUInt64LE(BigInt(off), 66 + name.length); // local header offset
    parts.push(local, data);
    central.push(c);
    off += local.length + data.length;
  }
  const cd = Buffer.concat(central);
  const rec = Buffer.alloc(56);
  rec.writeUInt32LE(0x06064b50, 0);
  rec.writeBigUInt64LE(44n, 4);
  rec.writeUInt16LE(45, 12);
  rec.writeUInt16LE(45, 14);
  rec.writeBigUInt64LE(BigInt(entries.length), 24);
  rec.writeBigUInt64LE(BigInt(entries.length), 32);
  rec.writeBigUInt64LE(BigInt(cd.length), 40);
  rec.writeBigUInt64LE(BigInt(off), 48);
  const loc = Buffer.alloc(20);
  loc.writeUInt32LE(0x07064b50, 0);
  loc.writeBigUInt64LE(BigInt(off + cd.length), 8);
  loc.writeUInt32LE(1, 16);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0xffff, 8);
  end.writeUInt16LE(0xffff, 10);
  end.writeUInt32LE(0xffffffff, 12);
  end.writeUInt32LE(0xffffffff, 16);
  return Buffer.concat([...parts, cd, rec, loc, end]);
}

describe('torch checkpoint: zip64 and the pickle interpreter', () => {
  it('a zip64 archive (sizes and offsets in zip64 extra fields and end record) reads the same tensors', () => {
    const p = join(tmp(), 'zip64.bin');
    writeFileSync(p, toZip64(readFileSync(STATE)));
    const a = readTorchCheckpoint(STATE);
    const b = readTorchCheckpoint(p);
    assert.deepEqual([...b.keys()], [...a.keys()]);
    for (const [k, t] of a) assert.deepEqual(b.get(k), t, k);
  });

  const P = (...parts: (number[] | string)[]): Uint8Array => Uint8Array.from(parts.flatMap((x) => (typeof x === 'string' ? [...Buffer.from(x, 'latin1')] : x)));

  it('protocol 4 framing, MEMOIZE, SHORT_BINUNICODE and STACK_GLOBAL of an allowed global', () => {
    // {'a': 5, 'b': OrderedDict()} with the OrderedDict named by STACK_GLOBAL
    const v = unpickleTorch(
      P(
        [0x80, 4, 0x95, 40, 0, 0, 0, 0, 0, 0, 0],
        [0x7d, 0x94, 0x28],
        [0x8c, 1],
        'a',
        [0x94, 0x4b, 5],
        [0x8c, 1],
        'b',
        [0x8c, 11],
        'collections',
        [0x8c, 11],
        'OrderedDict',
        [0x93, 0x29, 0x52, 0x75, 0x2e],
      ),
      'mem',
    );
    assert.ok(v instanceof PyDict);
    assert.equal(v.items.get('a'), 5);
    assert.ok(v.items.get('b') instanceof PyDict);
  });

  const refusals: [string, Uint8Array, RegExp][] = [
    ['STACK_GLOBAL os.system', P([0x80, 4, 0x8c, 2], 'os', [0x8c, 6], 'system', [0x93]), /global os\.system is not allowed/],
    ['GLOBAL torch.load', P([0x80, 2], 'ctorch\nload\n'), /global torch\.load is not allowed/],
    ['a quantized storage type', P([0x80, 2], 'ctorch\nQInt8Storage\n'), /storage type torch\.QInt8Storage \(supported: FloatStorage, HalfStorage, BFloat16Storage/],
    ['INST', P([0x80, 2, 0x28], 'ios\nsystem\n'), /opcode INST \(0x69\) is not allowed/],
    ['NEWOBJ', P([0x80, 2, 0x29, 0x29, 0x81]), /opcode NEWOBJ \(0x81\) is not allowed/],
    ['EXT1', P([0x80, 2, 0x82, 1]), /opcode EXT1 \(0x82\) is not allowed/],
    ['REDUCE of a storage type', P([0x80, 2], 'ctorch\nFloatStorage\n', [0x29, 0x52]), /REDUCE calls torch\.FloatStorage, which is not callable here; nothing was executed/],
    ['BUILD on a list', P([0x80, 2, 0x5d, 0x7d, 0x62]), /BUILD of a list with a dict is not allowed; nothing was executed/],
    ['a persistent id that is not a storage', P([0x80, 2], 'X', [3, 0, 0, 0], 'abc', [0x51]), /persistent id "abc" is not \('storage', type, key, location, numel\)/],
    ['a truncated pickle', P([0x80, 2, 0x7d, 0x58, 9, 0, 0, 0], 'ab'), /BINUNICODE \(0x58\) runs past the end of the pickle/],
    ['a missing memo entry', P([0x80, 2, 0x68, 3]), /BINGET \(0x68\) 3: no such memo entry/],
  ];
  for (const [what, bytes, re] of refusals) {
    it(`refuses ${what}, naming the source and byte`, () => {
      assert.match(
        errorOf(() => unpickleTorch(bytes, 'x/data.pkl'), 'x/data.pkl: pickle byte '),
        re,
      );
    });
  }
});

describe('model folders with pytorch_model.bin', () => {
  it('a tiny BERT saved only as sharded pytorch_model-*.bin (tied storages, transposed views) loads like its safetensors and gives the same outputs', () => {
    const bin = join(FIXTURES, 'bert_tiny_bin');
    assert.deepEqual(
      modelWeightFiles(bin).map((f) => f.slice(bin.length + 1)),
      ['pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin'],
    );
    const want = readSafetensors(join(FIXTURES, 'bert_tiny', 'model.safetensors'));
    const got = readModelTensors(bin);
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
    for (const [k, t] of want) {
      assert.deepEqual(got.get(k)!.shape, t.shape, k);
      assert.deepEqual(got.get(k)!.data, t.data, k);
    }
    const a = loadModel(join(FIXTURES, 'bert_tiny')).model;
    const b = loadModel(bin).model;
    a.eval();
    b.eval();
    const input = inputOf(readGolden('bert_tiny').meta);
    const heads = [...a.headNames()];
    assert.ok(heads.length > 0);
    const oa = noGrad(() => a.forward(input, { heads }));
    const ob = noGrad(() => b.forward(input, { heads }));
    assert.deepEqual(ob.lastHiddenState.data, oa.lastHiddenState.data);
    assert.deepEqual(ob.pooledOutput.data, oa.pooledOutput.data);
    for (const h of heads) assert.deepEqual(ob.heads[h]!.logits.data, oa.heads[h]!.logits.data, h);
  });

  it("openModelFolder (inspect, encode) reports the .bin shards' dtypes and bytes", () => {
    const bin = join(FIXTURES, 'bert_tiny_bin');
    const o = openModelFolder(bin);
    assert.equal(o.kind, 'hf');
    assert.deepEqual(o.dtypes, { F32: 64, I64: 1 });
    assert.equal(o.weightBytes, statSync(join(bin, 'pytorch_model-00001-of-00002.bin')).size + statSync(join(bin, 'pytorch_model-00002-of-00002.bin')).size);
  });

  it('a single pytorch_model.bin is read; model.safetensors is preferred over it', () => {
    const dir = tmp();
    copyFileSync(STATE, join(dir, 'pytorch_model.bin'));
    assert.deepEqual(modelWeightFiles(dir), [join(dir, 'pytorch_model.bin')]);
    assert.deepEqual([...readModelTensors(dir).keys()], Object.keys(EXPECTED.tensors));

    const both = join(tmp(), 'm');
    cpSync(join(FIXTURES, 'bert_tiny'), both, { recursive: true });
    rmSync(PWNED, { force: true });
    copyFileSync(join(IO, 'torch_hostile_system.bin'), join(both, 'pytorch_model.bin'));
    assert.deepEqual(modelWeightFiles(both), [join(both, 'model.safetensors')]);
    loadModel(both);
    assert.equal(existsSync(PWNED), false);
  });

  it('a hostile pytorch_model.bin in a model folder is refused by loadModel; model.pt is still refused', () => {
    const dir = tmp();
    copyFileSync(join(FIXTURES, 'bert_tiny', 'config.json'), join(dir, 'config.json'));
    copyFileSync(join(IO, 'torch_hostile_system.bin'), join(dir, 'pytorch_model.bin'));
    rmSync(PWNED, { force: true });
    assert.match(
      errorOf(() => loadModel(dir), join(dir, 'pytorch_model.bin')),
      /posix\.system is not allowed.*nothing was executed/,
    );
    assert.equal(existsSync(PWNED), false);
    const pt = tmp();
    copyFileSync(join(FIXTURES, 'bert_tiny', 'config.json'), join(pt, 'config.json'));
    copyFileSync(STATE, join(pt, 'model.pt'));
    assert.match(
      errorOf(() => loadModel(pt), join(pt, 'model.pt')),
      /is a PyTorch pickle; adaptext never executes pickles/,
    );
  });

  it('an index whose weight_map leaves the folder is refused', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'pytorch_model.bin.index.json'), JSON.stringify({ weight_map: { w: '../pytorch_model.bin' } }));
    assert.throws(() => modelWeightFiles(dir), /weight_map names shard "\.\.\/pytorch_model\.bin", expected a file name in the same folder/);
  });
});
