"""Plain-PyTorch BertForMaskedLM with Hugging Face names (`bert.*`, `cls.predictions.transform.*`,
`cls.predictions.bias`, decoder tied to the word embeddings) on top of the modeling_bert.py mirror in
bert_golden.py (`transformers` is not installed here), and a strict F32 safetensors reader.
Used by test/pretrain/torch_golden.py (golden logits) and tools/parity/pretrain_torch.py (training parity).
"""
import json
import struct

import torch
from torch import nn

import bert_golden as g


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] == "F32", f"{k}: {v['dtype']}"
        a, b = v["data_offsets"]
        out[k] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(v["shape"]).clone()
    return out


class Transform(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.LayerNorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.act = g.ACT2FN[cfg.hidden_act]

    def forward(self, x):
        return self.LayerNorm(self.act(self.dense(x)))


class Predictions(nn.Module):  # BertLMPredictionHead
    def __init__(self, cfg):
        super().__init__()
        self.transform = Transform(cfg)
        self.bias = nn.Parameter(torch.zeros(cfg.vocab_size))


class Cls(nn.Module):  # BertOnlyMLMHead
    def __init__(self, cfg):
        super().__init__()
        self.predictions = Predictions(cfg)


class BertForMaskedLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.bert = g.BertModel(cfg)
        self.cls = Cls(cfg)

    def forward(self, input_ids, attention_mask):
        seq, _ = self.bert(input_ids, attention_mask)
        h = self.cls.predictions.transform(seq)
        # decoder tied to the input embeddings, decoder.bias is cls.predictions.bias (HF _tie_weights)
        return nn.functional.linear(h, self.bert.embeddings.word_embeddings.weight, self.cls.predictions.bias)
