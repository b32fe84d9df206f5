#!/usr/bin/python3
"""Golden fixtures for adaptext's safetensors reader/writer (test/io/safetensors.test.ts).

Run with Debian's interpreter:  /usr/bin/python3 tools/golden/safetensors_fixture.py
Writes (all small, committed; CI never runs Python):

  test/fixtures/io/reference_layout.safetensors
      F32/F16/BF16 tensors + __metadata__ {"format": "pt"}, laid out byte for byte as the
      reference Rust writer (safetensors/src/tensor.rs `prepare`) does: tensors sorted by
      descending dtype alignment then by name (bytes), compact serde_json header with
      __metadata__ first, padded with spaces to a multiple of 8.
  test/fixtures/io/reference_dtypes.safetensors
      F64/I64/I32/I16/I8/U8/BOOL tensors, same layout, to check the other dtypes convert.
  test/fixtures/io/reference_layout.json
      for every tensor of both files: dtype, shape and torch's float32 view of the values
      (`t.float().tolist()`), the expected output of readSafetensors.
  test/fixtures/io/float_conversions.safetensors
      f16_all            all 65536 F16 bit patterns (subnormals, infinities, NaNs)
      f16_all.as_f32     torch's `.float()` of them (exact decoding oracle)
      f32_inputs         tricky float32 values (ties, subnormal edges, overflow, NaN payloads)
                         + random values over many magnitudes + random bit patterns
      f32_inputs.f16     torch's `.half()` of f32_inputs   (rounding oracle for our writer)
      f32_inputs.bf16    torch's `.bfloat16()` of f32_inputs

The `safetensors` Python package is not installable here (no Debian package, no PyPI), so
the files are written by `write_reference_layout` below, which follows the reference writer
step by step. The TypeScript test additionally checks our writer against byte strings taken
from the reference implementation's own unit tests.
"""
import json
import os
import struct

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "test", "fixtures", "io")

# Reference `Dtype` enum order (increasing alignment); the writer sorts by it descending.
DTYPE_ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16",
               "I32", "U32", "F32", "F64", "I64", "U64"]
TORCH_DTYPE = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}
# A same-width integer view to get raw little-endian bytes (numpy has no bfloat16).
RAW_VIEW = {torch.float16: torch.int16, torch.bfloat16: torch.int16}


def raw_bytes(t):
    t = t.contiguous()
    if t.dtype in RAW_VIEW:
        t = t.view(RAW_VIEW[t.dtype])
    return t.numpy().tobytes()


def write_reference_layout(path, tensors, metadata=None):
    items = [(name, TORCH_DTYPE[t.dtype], t) for name, t in tensors.items()]
    items.sort(key=lambda x: (-DTYPE_ORDER.index(x[1]), x[0].encode("utf-8")))
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    blobs, offset = [], 0
    for name, dtype, t in items:
        b = raw_bytes(t)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def as_f32_list(t):
    return t.to(torch.float32).reshape(-1).tolist()


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(1234)

    layout = {
        # Names chosen so that name order, dtype order and insertion order all differ.
        "bert.embeddings.word_embeddings.weight": torch.randn(7, 5, generator=g),
        "bert.encoder.layer.0.attention.self.query.bias": torch.randn(5, generator=g).half(),
        "bert.pooler.dense.weight": torch.randn(5, 5, generator=g).bfloat16(),
        "a.scalar": torch.tensor(3.25),
        "zz.empty": torch.zeros(0, 4),
        "emb.\u4e2d\u6587.weight": torch.randn(3, generator=g),
        "b.half.matrix": (torch.randn(2, 3, generator=g) * 1e-5).half(),  # F16 subnormals
        "c.bf16.vector": (torch.randn(4, generator=g) * 1e20).bfloat16(),
    }
    write_reference_layout(os.path.join(OUT, "reference_layout.safetensors"), layout, {"format": "pt"})

    dtypes = {
        "f64": torch.randn(2, 2, generator=g, dtype=torch.float64),
        "position_ids": torch.arange(6, dtype=torch.int64).reshape(1, 6),
        "i32": torch.tensor([-(2 ** 24), -1, 0, 7, 2 ** 24], dtype=torch.int32),
        "i16": torch.tensor([-32768, -2, 32767], dtype=torch.int16),
        "i8": torch.tensor([-128, 0, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 1, 255], dtype=torch.uint8),
        "mask": torch.tensor([True, False, True]),
    }
    write_reference_layout(os.path.join(OUT, "reference_dtypes.safetensors"), dtypes)

    expected = {}
    for name, t in list(layout.items()) + list(dtypes.items()):
        expected[name] = {"dtype": TORCH_DTYPE[t.dtype], "shape": list(t.shape), "values": as_f32_list(t)}
    with open(os.path.join(OUT, "reference_layout.json"), "w") as f:
        json.dump({"metadata": {"format": "pt"}, "tensors": expected}, f, indent=1, ensure_ascii=False)
        f.write("\n")

    # --- conversions -------------------------------------------------------------------------
    f16_all = torch.arange(65536, dtype=torch.int32).to(torch.int16).view(torch.float16)

    def bits(u):
        return struct.unpack("<f", struct.pack("<I", u))[0]

    tricky_bits = [
        0x00000000, 0x80000000, 0x3F800000, 0xBF800000,
        0x7F800000, 0xFF800000,                          # +-inf
        0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF800001,  # NaNs: quiet/signalling, both signs
        0x7FA00000, 0x7FFFFFFF, 0x7F802000,              # NaN payloads
        0x7F7FFFFF, 0xFF7FFFFF,                          # max float32 (bf16 rounds to inf)
        0x00000001, 0x80000001, 0x007FFFFF,              # float32 subnormals
    ]
    values = [bits(u) for u in tricky_bits]
    h = 2.0 ** -24  # smallest F16 subnormal
    values += [
        65504.0, 65519.0, 65519.99, 65520.0, 65536.0, 1e6, -1e6,
        h, -h, h / 2, h / 2 * (1 + 2 ** -23), h / 2 * (1 - 2 ** -24), 1.5 * h, 2.5 * h, 3.5 * h,
        2.0 ** -14, 2.0 ** -14 - h / 2, 2.0 ** -14 - h, 2.0 ** -14 * (1 - 2 ** -12),
        1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -11 + 2 ** -20, 1 + 2 ** -8, 1 + 3 * 2 ** -8,
        1 + 2 ** -8 + 2 ** -20, 1 / 3, 3.141592653589793, -2.718281828459045, 0.1, 1e-8, 6e-8, 1e-30,
    ]
    rnd = torch.randn(4000, generator=g, dtype=torch.float64)
    scale = 10.0 ** (torch.rand(4000, generator=g, dtype=torch.float64) * 16 - 10)
    rnd_bits = torch.randint(-(2 ** 31), 2 ** 31, (4000,), generator=g, dtype=torch.int64).to(torch.int32)
    f32_inputs = torch.cat([
        torch.tensor(values, dtype=torch.float32),
        (rnd * scale).to(torch.float32),
        rnd_bits.view(torch.float32),
    ])
    conv = {
        "f16_all": f16_all,
        "f16_all.as_f32": f16_all.float(),
        "f32_inputs": f32_inputs,
        "f32_inputs.f16": f32_inputs.half(),
        "f32_inputs.bf16": f32_inputs.bfloat16(),
    }
    write_reference_layout(os.path.join(OUT, "float_conversions.safetensors"), conv)
    print("wrote", sorted(os.listdir(OUT)), "torch", torch.__version__)


if __name__ == "__main__":
    main()
