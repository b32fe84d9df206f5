#!/usr/bin/python3
"""Loads the `adaptext pretrain` output fixture (test/pretrain/fixtures/tiny-mlm) in plain PyTorch
as a Hugging Face BertForMaskedLM and writes the MLM logits it computes (golden.safetensors).

Run: /usr/bin/python3 test/pretrain/torch_golden.py   (after make_fixture.ts)

`transformers` is not installed here, so the model is the plain-torch mirror of modeling_bert.py
in tools/golden/bert_golden.py, wrapped with BertForMaskedLM's attribute names
(`bert.*`, `cls.predictions.transform.*`, `cls.predictions.bias`, decoder tied to the word
embeddings). Loading is strict: every tensor the model needs must be in the file under its HF
name with the right shape, and the file may hold nothing else except `bert.pooler.*` (which
HF's BertForMaskedLM, built without a pooling layer, reports as unused).
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "golden"))
import bert_golden as g  # noqa: E402
from mlm_golden import BertForMaskedLM, read_safetensors  # noqa: E402

FIX = os.path.join(HERE, "fixtures", "tiny-mlm")
DTYPE = torch.float64


def main():
    with open(os.path.join(FIX, "config.json")) as f:
        c = json.load(f)
    assert c["architectures"] == ["BertForMaskedLM"], c["architectures"]
    cfg = g.Cfg(**c)
    model = BertForMaskedLM(cfg).to(DTYPE)
    model.eval()
    sd = read_safetensors(os.path.join(FIX, "model.safetensors"))
    want = {k: v for k, v in model.state_dict().items() if not k.endswith("position_ids")}
    missing = [k for k in want if k not in sd]
    unexpected = [k for k in sd if k not in want]
    wrong = [f"{k} {list(sd[k].shape)} vs {list(v.shape)}" for k, v in want.items() if k in sd and sd[k].shape != v.shape]
    assert not missing and not wrong, (missing, wrong)
    assert all(k.startswith("bert.pooler.") for k in unexpected), unexpected
    model.load_state_dict({k: sd[k].to(DTYPE) for k in want}, strict=False)

    gen = torch.Generator().manual_seed(5)
    input_ids = torch.randint(5, c["vocab_size"], (2, 16), generator=gen)
    input_ids[:, 0] = 2  # [CLS]
    input_ids[0, 15] = 3  # [SEP]
    input_ids[1, 11] = 3
    input_ids[1, 12:] = 0  # [PAD]
    input_ids[0, 4] = 4  # [MASK]
    mask = (input_ids != 0).long()
    with torch.no_grad():
        logits = model(input_ids, mask)
    g.write_safetensors(os.path.join(FIX, "golden.safetensors"), {"logits": logits})
    with open(os.path.join(FIX, "golden.json"), "w") as f:
        json.dump({"input_ids": input_ids.tolist(), "attention_mask": mask.tolist(),
                   "ignored_by_hf": sorted(unexpected)}, f, indent=1)
    print(f"golden logits {list(logits.shape)} written; file tensors unused by BertForMaskedLM: {sorted(unexpected)}")


if __name__ == "__main__":
    main()
