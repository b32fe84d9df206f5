#!/usr/bin/python3
"""Fixtures for adaptext's torch checkpoint reader (test/io/torch-bin.test.ts).

Run with Debian's interpreter (torch 1.13):  /usr/bin/python3 tools/golden/torch_bin_fixtures.py
Writes (small, committed; CI never runs Python):

  test/fixtures/io/torch_state.bin          torch.save (zip format) of a state dict with F32, F16,
                                            BF16, F64, I64, I32, U8, BOOL tensors; a transposed
                                            (non-contiguous) view, a row slice with a storage
                                            offset, a strided column slice, a transposed F16 view,
                                            two keys sharing one tensor (tied weights), a scalar,
                                            an empty tensor, an nn.Parameter, `_metadata`
  test/fixtures/io/torch_state.json         for every key: dtype, shape and torch's float32 values
                                            (`t.float().flatten().tolist()`), plus the tied groups
  test/fixtures/io/torch_state_legacy.bin   the same dict, _use_new_zipfile_serialization=False
  test/fixtures/io/torch_hostile_system.bin a zip checkpoint whose pickle calls os.system (via
                                            __reduce__) to create /tmp/adaptext-pwned-by-torch-bin
  test/fixtures/io/torch_hostile_eval.bin   a zip checkpoint whose pickle calls builtins.eval
  test/fixtures/io/torch_huge_storage.bin   a FloatStorage that claims 2**40 elements (entry: 24 B)
  test/fixtures/io/torch_bad_view.bin       a view that reaches past the end of its storage
  test/fixtures/models/bert_tiny_bin/       test/fixtures/models/bert_tiny's weights as a sharded
                                            pytorch_model-0000N-of-00002.bin + index.json, with HF's
                                            ties (decoder weight = word embeddings, decoder bias =
                                            cls.predictions.bias) as shared storages and two weights
                                            saved as non-contiguous (transposed) views

Every hostile file is checked here to be refused by torch.load(weights_only=True) too.
"""
import collections
import io
import json
import os
import pickle
import shutil
import struct
import zipfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "test", "fixtures", "io")
MODELS = os.path.join(ROOT, "test", "fixtures", "models")
PWNED = "/tmp/adaptext-pwned-by-torch-bin"

DTYPE = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL",
}


def state_dict():
    g = torch.Generator().manual_seed(7)
    base = torch.randn(4, 6, generator=g)
    emb = torch.randn(5, 3, generator=g)
    h = (torch.randn(3, 4, generator=g) * 1e-3).half()
    h[0, 0] = 6.0e-8  # an F16 subnormal
    sd = collections.OrderedDict()
    sd["base"] = base
    sd["base_t"] = base.t()                       # stride (1, 6): non-contiguous
    sd["row_slice"] = base[2, 1:5]                # storage offset 13
    sd["col_stride"] = base[1:, ::2]              # offset 6, stride (6, 2)
    sd["emb.weight"] = emb
    sd["decoder.weight"] = emb                    # tied: same storage, same view
    sd["emb_row"] = emb[1]                        # another view of the tied storage
    sd["half"] = h
    sd["half_t"] = h.t()
    sd["bf16"] = (torch.randn(2, 5, generator=g) * 1e20).bfloat16()
    sd["f64"] = torch.randn(3, generator=g, dtype=torch.float64)
    sd["position_ids"] = torch.arange(8, dtype=torch.int64).reshape(1, 8)
    sd["i32"] = torch.tensor([-(2 ** 24), -1, 0, 9], dtype=torch.int32)
    sd["u8"] = torch.tensor([0, 7, 255], dtype=torch.uint8)
    sd["mask"] = torch.tensor([True, False, True])
    sd["scalar"] = torch.tensor(-2.75)
    sd["empty"] = torch.zeros(0, 3)
    sd["param"] = torch.nn.Parameter(torch.tensor([0.5, -1.5, 2.0]))
    sd._metadata = collections.OrderedDict([("", {"version": 1})])
    return sd


def expected(sd):
    tensors = {}
    for k, t in sd.items():
        t = t.detach()
        tensors[k] = {"dtype": DTYPE[t.dtype], "shape": list(t.shape), "values": t.float().flatten().tolist()}
    return {"tensors": tensors, "tied": [["emb.weight", "decoder.weight"]]}


class Hostile:
    """Unpickling this runs `fn(*args)`: what a malicious checkpoint does."""

    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


class FakeStorage:
    pass


class FakeTensor:
    """Pickles exactly like a tensor (torch._utils._rebuild_tensor_v2) over a FakeStorage."""

    def __init__(self, storage, offset, size, stride):
        self.a = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, self.a)


def save_crafted(path, obj, storages):
    """A torch-style zip archive whose persistent ids we choose: storages maps a FakeStorage to
    (storage class, key, declared numel, bytes)."""

    class P(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, FakeStorage):
                cls, key, numel, _ = storages[o]
                return ("storage", cls, key, "cpu", numel)
            return None

    buf = io.BytesIO()
    P(buf, protocol=2).dump(obj)
    name = os.path.splitext(os.path.basename(path))[0]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{name}/data.pkl", buf.getvalue())
        for cls, key, numel, data in storages.values():
            z.writestr(f"{name}/data/{key}", data)
        z.writestr(f"{name}/version", "3\n")


def refused_by_torch(path):
    try:
        torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - any refusal will do
        return True
    return False


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dt = {"F32": torch.float32, "I64": torch.int64}
    out = collections.OrderedDict()
    for k, v in header.items():
        if k == "__metadata__":
            continue
        b, e = v["data_offsets"]
        out[k] = torch.frombuffer(bytearray(data[b:e]), dtype=dt[v["dtype"]]).reshape(v["shape"]).clone()
    return out


def bert_tiny_bin():
    src = os.path.join(MODELS, "bert_tiny")
    dst = os.path.join(MODELS, "bert_tiny_bin")
    shutil.rmtree(dst, ignore_errors=True)
    os.makedirs(dst)
    shutil.copy(os.path.join(src, "config.json"), dst)
    sd = read_safetensors(os.path.join(src, "model.safetensors"))
    # HF's ties are shared storages in pytorch_model.bin.
    ties = [("cls.predictions.decoder.weight", "bert.embeddings.word_embeddings.weight"),
            ("cls.predictions.decoder.bias", "cls.predictions.bias")]
    for a, b in ties:
        assert torch.equal(sd[a], sd[b]), (a, b)
        sd[a] = sd[b]
    # Two weights as transposed views of a [in, out] buffer (torch.save keeps the strides).
    for k in ["bert.encoder.layer.0.attention.self.query.weight", "bert.encoder.layer.2.intermediate.dense.weight"]:
        sd[k] = sd[k].t().contiguous().t()
        assert not sd[k].is_contiguous()
    keys = list(sd)
    half = keys.index("bert.encoder.layer.2.attention.self.query.weight")
    shards = [keys[:half], keys[half:]]
    weight_map = {}
    for i, ks in enumerate(shards):
        fname = f"pytorch_model-{i + 1:05d}-of-{len(shards):05d}.bin"
        torch.save(collections.OrderedDict((k, sd[k]) for k in ks), os.path.join(dst, fname))
        weight_map.update({k: fname for k in ks})
    with open(os.path.join(dst, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": sum(t.numel() * t.element_size() for t in sd.values())}, "weight_map": weight_map}, f, indent=2)
        f.write("\n")
    # Check: torch reads back exactly the safetensors values.
    back = {}
    for fname in sorted(set(weight_map.values())):
        back.update(torch.load(os.path.join(dst, fname), map_location="cpu", weights_only=True))
    ref = read_safetensors(os.path.join(src, "model.safetensors"))
    assert list(back) != [] and all(torch.equal(back[k], ref[k]) for k in ref) and set(back) == set(ref)


def main():
    os.makedirs(OUT, exist_ok=True)
    sd = state_dict()
    torch.save(sd, os.path.join(OUT, "torch_state.bin"))
    torch.save(sd, os.path.join(OUT, "torch_state_legacy.bin"), _use_new_zipfile_serialization=False)
    with open(os.path.join(OUT, "torch_state.json"), "w") as f:
        json.dump(expected(sd), f)
        f.write("\n")
    back = torch.load(os.path.join(OUT, "torch_state.bin"), map_location="cpu", weights_only=True)
    assert all(torch.equal(back[k], sd[k]) for k in sd)

    hostile_system = os.path.join(OUT, "torch_hostile_system.bin")
    torch.save({"w": torch.ones(2), "x": Hostile(os.system, (f"touch {PWNED}",))}, hostile_system)
    hostile_eval = os.path.join(OUT, "torch_hostile_eval.bin")
    torch.save({"w": Hostile(eval, ("__import__('os').getpid()",))}, hostile_eval)

    s = FakeStorage()
    six = struct.pack("<6f", 1, 2, 3, 4, 5, 6)
    huge = os.path.join(OUT, "torch_huge_storage.bin")
    save_crafted(huge, collections.OrderedDict(w=FakeTensor(s, 0, (2, 3), (3, 1))), {s: (torch.FloatStorage, "0", 2 ** 40, six)})
    bad_view = os.path.join(OUT, "torch_bad_view.bin")
    save_crafted(bad_view, collections.OrderedDict(w=FakeTensor(s, 2, (2, 3), (3, 1))), {s: (torch.FloatStorage, "0", 6, six)})

    for p in [hostile_system, hostile_eval]:
        assert refused_by_torch(p), p
    assert not os.path.exists(PWNED)
    bert_tiny_bin()
    for p in sorted(os.listdir(OUT)):
        if p.startswith("torch_"):
            print(p, os.path.getsize(os.path.join(OUT, p)))


if __name__ == "__main__":
    main()
