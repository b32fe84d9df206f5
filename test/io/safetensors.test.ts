// safetensors reader/writer: golden files laid out like the reference writer (written by
// tools/golden/safetensors_fixture.py with torch doing every float conversion), byte strings
// from the reference implementation's own unit tests, conversion edge cases, and one test per
// kind of corrupted header (each must be a one-line error naming the file and the tensor).
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseSafetensors, readSafetensors, readSafetensorsHeader, serializeSafetensors, writeSafetensors, SafetensorsMap } from '../../src/io/safetensors.js';
import { decodeF16, encodeBF16, encodeF16, f16BitsToF32Bits, f8e4m3Table } from '../../src/io/float16.js';
import { refusePickle } from '../../src/io/pickle.js';
import { tmp as tempFolder } from '../support/tmp.js';

const FIX = 'test/fixtures/io';
let tmp: string;
before(() => {
  tmp = tempFolder('adaptext-st-');
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/** Index of the first differing 32-bit pattern, or -1. */
function firstBitDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  const x = bits(a);
  const y = bits(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** A raw safetensors file from a header (object or literal JSON text) and data bytes. */
function craft(header: unknown, data: Uint8Array | number = 0): Uint8Array {
  const json = typeof header === 'string' ? header : JSON.stringify(header);
  const h = Buffer.from(json, 'utf8');
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

function writeTmp(name: string, bytes: Uint8Array): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}

/** Assert reading `bytes` (as file `name`) fails with a one-line message matching all `parts`. */
function assertCorrupt(name: string, bytes: Uint8Array, ...parts: RegExp[]): void {
  const p = writeTmp(name, bytes);
  assert.throws(
    () => readSafetensors(p),
    (e: Error) => {
      assert.ok(!e.message.includes('\n'), `multi-line error: ${e.message}`);
      assert.ok(e.message.startsWith(p), `error does not name the file: ${e.message}`);
      for (const r of parts) assert.match(e.message, r);
      return true;
    },
  );
}

interface Expected {
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
}
const expected = JSON.parse(readFileSync(join(FIX, 'reference_layout.json'), 'utf8')) as Expected;

// What each golden file holds (tools/golden/safetensors_fixture.py): every tensor must be read,
// so a dtype the reader dropped (or a file it read short) shows up as a missing name.
const FILE_DTYPES: Record<string, string[]> = {
  'reference_layout.safetensors': ['BF16', 'F16', 'F32'],
  'reference_dtypes.safetensors': ['BOOL', 'F64', 'I16', 'I32', 'I64', 'I8', 'U8'],
};

describe('safetensors: golden files (reference layout, torch conversions)', () => {
  it('the two golden files together hold every tensor of reference_layout.json, once', () => {
    const names = Object.keys(FILE_DTYPES).flatMap((f) => [...readSafetensors(join(FIX, f)).keys()]);
    assert.equal(names.length, 15);
    assert.deepEqual([...names].sort(), Object.keys(expected.tensors).sort());
  });

  for (const file of ['reference_layout.safetensors', 'reference_dtypes.safetensors']) {
    it(`reads ${file}: dtypes, shapes and float32 values exactly as torch .float() gives them`, () => {
      const m = readSafetensors(join(FIX, file));
      assert.ok(m instanceof Map);
      const want = Object.entries(expected.tensors)
        .filter(([, e]) => FILE_DTYPES[file]!.includes(e.dtype))
        .map(([n]) => n);
      assert.equal(m.size, file === 'reference_layout.safetensors' ? 8 : 7);
      assert.deepEqual([...m.keys()].sort(), want.sort(), `${file}: every tensor of its dtypes is read`);
      assert.deepEqual([...new Set([...m.values()].map((t) => t.dtype))].sort(), FILE_DTYPES[file]);
      for (const [name, t] of m) {
        const e = expected.tensors[name];
        assert.ok(e, `unexpected tensor ${name}`);
        assert.equal(t.dtype, e.dtype, name);
        assert.deepEqual(t.shape, e.shape, name);
        assert.ok(t.data instanceof Float32Array);
        assert.equal(t.data.length, e.values.length, name);
        // Each tensor owns its buffer (no 440 MB file kept alive by one small view).
        assert.equal(t.data.buffer.byteLength, t.data.byteLength, name);
        for (let i = 0; i < e.values.length; i++) assert.equal(t.data[i], e.values[i], `${name}[${i}]`);
      }
    });
  }

  it('returns __metadata__ and keeps file order', () => {
    const m = readSafetensors(join(FIX, 'reference_layout.safetensors'));
    assert.deepEqual(m.metadata, { format: 'pt' });
    const names = [...m.keys()];
    assert.deepEqual(names.slice(0, 2), ['a.scalar', 'bert.embeddings.word_embeddings.weight']);
    assert.equal(names.at(-1), 'bert.encoder.layer.0.attention.self.query.bias');
    assert.deepEqual(readSafetensors(join(FIX, 'reference_dtypes.safetensors')).metadata, {});
  });

  it('writer output is byte-identical to the reference layout (mixed dtypes, UTF-8 name, empty tensor, metadata)', () => {
    const ref = readFileSync(join(FIX, 'reference_layout.safetensors'));
    const entries = Object.entries(expected.tensors)
      .filter(([, e]) => ['F32', 'F16', 'BF16'].includes(e.dtype))
      .map(([name, e]) => ({ name, shape: e.shape, dtype: e.dtype, data: Float32Array.from(e.values) }));
    assert.equal(entries.length, 8);
    const p = join(tmp, 'ours.safetensors');
    writeSafetensors(p, entries, { metadata: { format: 'pt' } });
    const ours = readFileSync(p);
    assert.equal(Buffer.compare(ours, ref), 0, `first differing byte ${ours.findIndex((b, i) => b !== ref[i])}`);
    assert.equal(Buffer.compare(Buffer.from(serializeSafetensors(entries, { metadata: { format: 'pt' } })), ref), 0);
  });

  it('decodes all 65536 F16 bit patterns exactly like torch (subnormals, inf, NaN payloads, sNaN quieted)', () => {
    const m = readSafetensors(join(FIX, 'float_conversions.safetensors'));
    const ours = m.get('f16_all')!.data;
    const torchF32 = m.get('f16_all.as_f32')!.data;
    assert.equal(ours.length, 65536);
    const i = firstBitDiff(ours, torchF32);
    assert.equal(i, -1, i >= 0 ? `F16 0x${i.toString(16)}: ours 0x${bits(ours)[i]!.toString(16)} torch 0x${bits(torchF32)[i]!.toString(16)}` : '');
  });

  for (const [dtype, enc] of [
    ['f16', encodeF16],
    ['bf16', encodeBF16],
  ] as const) {
    it(`encodes float32 -> ${dtype.toUpperCase()} with the same rounding as torch (ties, subnormal edges, overflow, NaN)`, () => {
      const m = readSafetensors(join(FIX, 'float_conversions.safetensors'));
      const input = m.get('f32_inputs')!.data;
      const torchOut = m.get(`f32_inputs.${dtype}`)!.data; // decoded exactly (tested above)
      assert.ok(input.length > 8000, `${input.length} inputs`);
      // Encode with ours, decode (an injective map), compare bit patterns.
      const h = new Uint16Array(input.length);
      enc(input, h);
      const back = new Float32Array(input.length);
      if (dtype === 'f16') decodeF16(h, back);
      else bits(back).set(Array.from(h, (x) => x << 16));
      const i = firstBitDiff(back, torchOut);
      assert.equal(i, -1, i >= 0 ? `input 0x${bits(input)[i]!.toString(16)} (${input[i]}): ours ${back[i]} torch ${torchOut[i]}` : '');
    });
  }
});

describe('safetensors: reference implementation test vectors', () => {
  // From safetensors/src/tensor.rs unit tests (test_serialization, test_serialization_forced_alignement,
  // test_empty): the exact bytes the reference serialises for these inputs.
  const le = (n: number) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
    return b;
  };
  const cat = (...parts: (Uint8Array | string)[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
  const f32 = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);

  it('attn.0 [1,2,3] F32: 64-byte header, no padding', () => {
    const out = serializeSafetensors([{ name: 'attn.0', shape: [1, 2, 3], data: Float32Array.from([0, 1, 2, 3, 4, 5]) }]);
    const want = cat(le(64), '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}', f32(0, 1, 2, 3, 4, 5));
    assert.equal(Buffer.compare(Buffer.from(out), want), 0);
  });

  it('attn0 [1,1,2,3] F32: header padded with 7 spaces to 72 bytes', () => {
    const out = serializeSafetensors([{ name: 'attn0', shape: [1, 1, 2, 3], data: Float32Array.from([0, 1, 2, 3, 4, 5]) }]);
    const want = cat(le(72), '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}', '       ', f32(0, 1, 2, 3, 4, 5));
    assert.equal(Buffer.compare(Buffer.from(out), want), 0);
  });

  it('no tensors, with and without metadata', () => {
    assert.equal(Buffer.compare(Buffer.from(serializeSafetensors([])), cat(le(8), '{}      ')), 0);
    const withMeta = serializeSafetensors([], { metadata: { framework: 'pt' } });
    assert.equal(Buffer.compare(Buffer.from(withMeta), cat(le(40), '{"__metadata__":{"framework":"pt"}}     ')), 0);
    assert.equal(parseSafetensors(withMeta).size, 0);
  });
});

describe('safetensors: F16/BF16/F8 conversions from the format definitions', () => {
  it('F16 bit patterns decode to the IEEE 754 binary16 values', () => {
    const cases: [number, number][] = [
      [0x0000, 0],
      [0x0001, 2 ** -24], // smallest subnormal
      [0x0002, 2 ** -23],
      [0x03ff, 1023 * 2 ** -24], // largest subnormal
      [0x0400, 2 ** -14], // smallest normal
      [0x3c00, 1],
      [0x3555, 0.333251953125],
      [0xc000, -2],
      [0x7bff, 65504],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
      [0x8001, -(2 ** -24)],
    ];
    for (const [h, v] of cases) {
      const f = new Float32Array(new Uint32Array([f16BitsToF32Bits(h)]).buffer)[0]!;
      assert.equal(f, v, `0x${h.toString(16)}`);
    }
    const negZero = new Float32Array(new Uint32Array([f16BitsToF32Bits(0x8000)]).buffer)[0]!;
    assert.ok(Object.is(negZero, -0));
    for (const h of [0x7c01, 0x7e00, 0xfe00, 0x7fff]) {
      const u = f16BitsToF32Bits(h);
      assert.ok(Number.isNaN(new Float32Array(new Uint32Array([u]).buffer)[0]), `0x${h.toString(16)} is NaN`);
      assert.equal(u >>> 31, h >>> 15, 'NaN sign kept');
    }
  });

  it('F16 and BF16 values round-trip bit-exactly through the writer and reader (all 65536 patterns, NaN stays NaN)', () => {
    for (const dtype of ['F16', 'BF16'] as const) {
      const f = new Float32Array(65536);
      const h = new Uint16Array(65536).map((_, i) => i);
      if (dtype === 'F16') decodeF16(h, f);
      else bits(f).set(Array.from(h, (x) => x << 16));
      const p = join(tmp, `rt-${dtype}.safetensors`);
      writeSafetensors(p, [{ name: 'all', shape: [256, 256], data: f }], { dtype });
      // Stored bits are the original patterns, except NaNs, which are canonicalised like torch does.
      const raw = new Uint16Array(readFileSync(p).buffer.slice(readFileSync(p).length - 131072));
      const back = readSafetensors(p).get('all')!;
      assert.equal(back.dtype, dtype);
      let nans = 0;
      for (let i = 0; i < 65536; i++) {
        if (Number.isNaN(f[i])) {
          nans++;
          assert.ok(Number.isNaN(back.data[i]), `${dtype} 0x${i.toString(16)} NaN`);
          continue;
        }
        assert.equal(raw[i], i, `${dtype} stored bits of 0x${i.toString(16)}`);
        assert.equal(bits(back.data)[i], bits(f)[i], `${dtype} 0x${i.toString(16)}`);
      }
      assert.equal(nans, dtype === 'F16' ? 2046 : 254);
    }
  });

  it('F32 round-trips bit-exactly (random bit patterns, NaN payloads included)', () => {
    const n = 10007;
    const f = new Float32Array(n);
    const u = bits(f);
    let s = 12345;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      u[i] = (s ^ (s << 7)) >>> 0;
    }
    const p = join(tmp, 'rt-f32.safetensors');
    writeSafetensors(p, new Map([['w', { shape: [n], data: f }]]), { metadata: { note: 'x' } });
    const m = readSafetensors(p);
    assert.equal(firstBitDiff(m.get('w')!.data, f), -1);
    assert.deepEqual(m.metadata, { note: 'x' });
  });

  it('F8_E4M3 (fn) decodes per the OCP FP8 definition', () => {
    const t = f8e4m3Table();
    assert.equal(t[0x7e], 448); // max normal
    assert.equal(t[0x01], 2 ** -9); // min subnormal
    assert.equal(t[0x08], 2 ** -6); // min normal
    assert.equal(t[0x38], 1);
    assert.equal(t[0xb8], -1);
    assert.ok(Number.isNaN(t[0x7f]) && Number.isNaN(t[0xff]));
  });

  it('reads F8_E5M2 and a file whose header keys are not in offset order', () => {
    const data = new Uint8Array([0x3c, 0x7c, 0x01, 0x00, 0x00, 0x80, 0x3f]);
    const p = writeTmp(
      'order.safetensors',
      craft(
        {
          b: { dtype: 'U8', shape: [1], data_offsets: [6, 7] },
          a: { dtype: 'F8_E5M2', shape: [3], data_offsets: [0, 3] },
          c: { dtype: 'F32', shape: [0], data_offsets: [3, 3] },
          d: { dtype: 'U8', shape: [3], data_offsets: [3, 6] },
        },
        data,
      ),
    );
    const m = readSafetensors(p);
    assert.deepEqual([...m.keys()], ['a', 'c', 'd', 'b']);
    assert.deepEqual(Array.from(m.get('a')!.data), [1, Infinity, 2 ** -16]);
    assert.deepEqual(Array.from(m.get('b')!.data), [0x3f]);
  });
});

describe('safetensors: corrupted files give one-line errors naming file and tensor', () => {
  const good = () =>
    serializeSafetensors([
      { name: 'encoder.weight', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      { name: 'encoder.bias', shape: [3], data: Float32Array.from([7, 8, 9]) },
    ]);

  it('a valid file reads (control)', () => {
    const p = writeTmp('good.safetensors', good());
    assert.deepEqual(Array.from(readSafetensors(p).get('encoder.weight')!.data), [1, 2, 3, 4, 5, 6]);
  });

  it('truncated data section', () => {
    const b = good();
    assertCorrupt('trunc.safetensors', b.subarray(0, b.length - 1), /"encoder\.weight"/, /truncated/);
  });

  it('truncated inside the header', () => assertCorrupt('trunc-h.safetensors', good().subarray(0, 40), /header length \d+ is impossible/, /truncated/));

  it('shorter than 8 bytes', () => assertCorrupt('tiny.safetensors', new Uint8Array(5), /too short/));

  it('absurd header length', () => {
    const b = good();
    new DataView(b.buffer).setBigUint64(0, 1n << 60n, true);
    assertCorrupt('huge.safetensors', b, /header length/, /limit/);
  });

  it('header is not JSON', () => assertCorrupt('badjson.safetensors', craft('{"w": {"dtype": "F32",   '), /not valid JSON/));

  it('header is not valid UTF-8', () => {
    const b = craft('{"w":{}}');
    b[10] = 0xff;
    assertCorrupt('utf8.safetensors', b, /not valid UTF-8/);
  });

  it('header is a JSON array', () => assertCorrupt('array.safetensors', craft('[1,2]'), /must be a JSON object/));

  it('offsets out of range', () =>
    assertCorrupt('range.safetensors', craft({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8), /"w"/, /\[0, 16\] run past the end of the data section \(8 bytes/));

  it('byte size does not match shape x dtype', () =>
    assertCorrupt('size.safetensors', craft({ w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, 20), /"w"/, /hold 20 bytes but F32 shape \[2, 3\] needs 24/));

  it('overlapping tensors', () =>
    assertCorrupt('overlap.safetensors', craft({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12), /"b"/, /overlap tensor "a"/));

  it('gap between tensors', () =>
    assertCorrupt(
      'gap.safetensors',
      craft({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, 12),
      /"b"/,
      /gap of 4 bytes after tensor "a"/,
    ));

  it('trailing bytes after the last tensor', () => assertCorrupt('trail.safetensors', craft({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 9), /5 trailing bytes/, /"a"/));

  it('unsupported dtype, bad shape, bad offsets, bad metadata', () => {
    assertCorrupt('dt.safetensors', craft({ w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, 8), /"w"/, /unsupported dtype "C64"/);
    assertCorrupt('shape.safetensors', craft({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /"w"/, /shape/);
    assertCorrupt('offs.safetensors', craft({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 4), /"w"/, /data_offsets/);
    assertCorrupt('meta.safetensors', craft({ __metadata__: { step: 3 } }), /__metadata__\["step"\] must be a string/);
  });

  it('integer values not representable in float32 are refused, naming the tensor', () => {
    const d = new Uint8Array(new BigInt64Array([1n, (1n << 24n) + 1n]).buffer);
    assertCorrupt('i64.safetensors', craft({ ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, d), /"ids"/, /16777217/, /not exactly representable/);
  });

  it('a missing file and a directory are named', () => {
    assert.throws(() => readSafetensors(join(tmp, 'nope.safetensors')), /nope\.safetensors: file not found/);
    assert.throws(() => readSafetensors(tmp), /is a directory/);
  });
});

describe('safetensors: pickles are refused, never executed', () => {
  for (const name of ['pytorch_model.bin', 'model.pt', 'last.ckpt']) {
    it(`refuses ${name} by name with a conversion one-liner`, () => {
      const p = writeTmp(name, new Uint8Array([0x80, 0x02, 0x7d, 0x71, 0x00]));
      assert.throws(
        () => readSafetensors(p),
        (e: Error) => {
          assert.ok(!e.message.includes('\n'));
          assert.ok(e.message.startsWith(`${p} is a PyTorch pickle; adaptext never executes pickles. Convert it to safetensors: python -c "`));
          assert.match(e.message, /torch\.load\(p, map_location='cpu', weights_only=True\)/);
          assert.match(e.message, /save_file\(\{k: v\.clone\(\)\.contiguous\(\) for k, v in sd\.items\(\)\}, os\.path\.join\(os\.path\.dirname\(p\), 'model\.safetensors'\)/);
          assert.ok(e.message.endsWith(` '${p}'`), 'the path is the one shell-quoted argument');
          return true;
        },
      );
    });
  }

  it('refuses pickle or zip content behind a .safetensors name', () => {
    const pk = writeTmp('zip.safetensors', new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4, 5, 6, 7, 8]));
    assert.throws(() => readSafetensors(pk), /is a PyTorch pickle/);
    const pickle = writeTmp('pkl.safetensors', new Uint8Array([0x80, 0x04, 0x95, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x7d, 0x94]));
    assert.throws(() => readSafetensors(pickle), /is a PyTorch pickle/);
  });

  it('does not mistake a safetensors file whose header length starts 0x80 0x02 for a pickle', () => {
    // Header length 0x280 = 640 bytes: first bytes 80 02 00 00 00 00 00 00 then '{'.
    const base = '{"__metadata__":{"pad":""},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    const json = base.replace('"pad":""', `"pad":"${'x'.repeat(640 - base.length)}"`);
    const b = craft(json, new Uint8Array(Float32Array.from([2.5]).buffer));
    assert.deepEqual(Array.from(b.subarray(0, 3)), [0x80, 0x02, 0x00]);
    assert.equal(readSafetensors(writeTmp('x80.safetensors', b)).get('w')!.data[0], 2.5);
  });

  it('refusePickle shell-quotes awkward paths', () => {
    assert.throws(
      () => refusePickle("/m/it's/pytorch_model.bin"),
      (e: Error) => e.message.endsWith(`" '/m/it'\\''s/pytorch_model.bin'`),
    );
  });
});

describe('safetensors: writer and reader API', () => {
  it('validates writer input, naming the tensor', () => {
    const p = join(tmp, 'bad.safetensors');
    const d = new Float32Array(6);
    assert.throws(() => writeSafetensors(p, [{ name: 'w', shape: [2, 2], data: d }]), /tensor "w": shape \[2, 2\] has 4 elements but data has 6/);
    assert.throws(
      () =>
        writeSafetensors(p, [
          { name: 'w', shape: [6], data: d },
          { name: 'w', shape: [6], data: d },
        ]),
      /"w": duplicate name/,
    );
    assert.throws(() => writeSafetensors(p, [{ name: '__metadata__', shape: [6], data: d }]), /reserved/);
    assert.throws(() => writeSafetensors(p, [{ name: 'w', shape: [6], data: new Float64Array(6) as unknown as Float32Array }]), /must be a Float32Array/);
    assert.throws(() => writeSafetensors(p, [{ name: 'ids', shape: [6], data: d, dtype: 'I64' }]), /"ids": cannot write dtype I64/);
    assert.throws(() => writeSafetensors(p, [], { metadata: { a: 1 as unknown as string } }), /metadata\["a"\] must be a string/);
    assert.deepEqual(
      readdirSync(tmp).filter((f) => f.startsWith('.bad')),
      [],
      'no temp files left',
    );
  });

  it('opts.dtype overrides per-entry dtypes; a read map can be written back', () => {
    const src = readSafetensors(join(FIX, 'reference_layout.safetensors'));
    const p = join(tmp, 'again.safetensors');
    writeSafetensors(p, src, { metadata: src.metadata });
    assert.equal(Buffer.compare(readFileSync(p), readFileSync(join(FIX, 'reference_layout.safetensors'))), 0);
    writeSafetensors(p, src, { dtype: 'BF16' });
    const m = readSafetensors(p);
    for (const t of m.values()) assert.equal(t.dtype, 'BF16');
  });

  it('select loads a subset; readSafetensorsHeader reads no data', () => {
    const f = join(FIX, 'reference_layout.safetensors');
    const m = readSafetensors(f, { select: (n) => n.startsWith('bert.') });
    assert.deepEqual([...m.keys()].sort(), ['bert.embeddings.word_embeddings.weight', 'bert.encoder.layer.0.attention.self.query.bias', 'bert.pooler.dense.weight']);
    const h = readSafetensorsHeader(f);
    assert.equal(h.tensors.length, 8);
    assert.equal(h.dataStart % 8, 0);
    assert.equal(h.fileBytes, readFileSync(f).length);
    assert.deepEqual(
      h.tensors.find((t) => t.name === 'bert.pooler.dense.weight'),
      { name: 'bert.pooler.dense.weight', dtype: 'BF16', shape: [5, 5], begin: 156, end: 206 },
    );
  });

  it('parseSafetensors reads a buffer with an unaligned byteOffset', () => {
    const bytes = serializeSafetensors([{ name: 'h', shape: [3], data: Float32Array.from([1, -2, 0.5]) }], { dtype: 'F16' });
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const m = parseSafetensors(shifted.subarray(1), 'mem');
    assert.ok(m instanceof SafetensorsMap);
    assert.deepEqual(Array.from(m.get('h')!.data), [1, -2, 0.5]);
  });

  it('reads and writes a multi-chunk F16 tensor (larger than the 8 MiB scratch buffer)', () => {
    const n = 5_000_000; // 10 MB in F16
    const f = new Float32Array(n);
    for (let i = 0; i < n; i++) f[i] = ((i % 2048) - 1024) / 8; // exactly representable in F16
    const p = join(tmp, 'big.safetensors');
    writeSafetensors(p, [{ name: 'big', shape: [n], data: f }], { dtype: 'F16' });
    const back = readSafetensors(p).get('big')!.data;
    assert.equal(firstBitDiff(back, f), -1);
  });
});

describe('safetensors: conversion one-liners are valid Python', () => {
  it('a real shell passes the path through literally (no code from the folder name runs), and the code compiles with python3', async (t) => {
    const { pickleConversionCommand } = await import('../../src/io/pickle.js');
    const { spawnSync } = await import('node:child_process');
    const dir = tempFolder('adaptext-quote-');
    const hostile = [join(dir, "it's", 'p$(touch pwned)x`touch pwned2`"\\n', 'pytorch_model.bin'), join(dir, 'x y', 'pytorch_model.bin.index.json')];
    for (const path of hostile) {
      const cmd = pickleConversionCommand(path);
      assert.ok(!cmd.includes('\n'));
      assert.ok(cmd.startsWith('python -c "'));
      // The shell sees exactly two arguments after `python -c`: the code and the path, verbatim.
      const r = spawnSync('sh', ['-c', cmd.replace(/^python -c /, "printf '%s\\0' ")], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const [code, arg, rest] = r.stdout.split('\0');
      assert.equal(arg, path);
      assert.equal(rest, '');
      assert.ok(!code!.includes(dir), 'the path is not part of the Python code');
      assert.deepEqual(
        readdirSync(dir).filter((f) => f.startsWith('pwned')),
        [],
        'nothing in the path was executed',
      );
      const c = spawnSync('python3', ['-c', 'import sys; compile(sys.argv[1], "<cmd>", "exec")', code!], { encoding: 'utf8' });
      if (c.error) {
        // no python3 on this machine: nothing to compile against — say so instead of passing
        t.skip(`python3 is not available (${(c.error as NodeJS.ErrnoException).code ?? c.error.message}): the commands were not compiled`);
        return;
      }
      assert.equal(c.status, 0, c.stderr);
    }
  });
});
