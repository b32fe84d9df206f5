#!/usr/bin/python3
"""Golden values for the tensor-core composite test (test/tensor/golden-composite.test.ts).

Builds a tiny 2-layer BERT-style encoder + classifier in plain PyTorch, written to mirror
Hugging Face modeling_bert.py (BertEmbeddings without token types, BertSelfAttention with the
extended additive mask (1 - mask) * finfo(float32).min, BertSelfOutput, BertIntermediate (exact
GELU), BertOutput, BertPooler (CLS -> dense -> tanh)), followed by a linear classifier and
F.cross_entropy with one ignored row (-100). Eval mode: no dropout, so the result is exact.

Writes test/fixtures/golden/composite.json: config, inputs (ids, mask, targets), every
parameter (HF names, PyTorch [out, in] layout), the outputs (last hidden state, logits),
the loss and the gradient of every parameter. Float32 values printed with 9 significant
digits (enough to round-trip float32).

Run: /usr/bin/python3 tools/golden/composite.py   (Debian python3-torch; CI never runs it)
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.manual_seed(20241128)
DTYPE = torch.float32

CFG = dict(
    vocab_size=23,
    hidden_size=16,
    num_attention_heads=2,
    intermediate_size=32,
    num_hidden_layers=2,
    max_position_embeddings=8,
    layer_norm_eps=1e-12,
    num_labels=3,
)
B, T = 3, 7
H = CFG["hidden_size"]
NH = CFG["num_attention_heads"]
D = H // NH
I = CFG["intermediate_size"]


def param(shape, std=0.2):
    return (torch.randn(*shape, dtype=DTYPE) * std).requires_grad_(True)


def ln_param(n):
    # Not the identity, so gamma/beta gradients and scaling are really exercised.
    w = (1.0 + 0.1 * torch.randn(n, dtype=DTYPE)).requires_grad_(True)
    b = (0.1 * torch.randn(n, dtype=DTYPE)).requires_grad_(True)
    return w, b


params = {}
params["embeddings.word_embeddings.weight"] = param((CFG["vocab_size"], H), 0.5)
params["embeddings.position_embeddings.weight"] = param((CFG["max_position_embeddings"], H), 0.5)
params["embeddings.LayerNorm.weight"], params["embeddings.LayerNorm.bias"] = ln_param(H)
for l in range(CFG["num_hidden_layers"]):
    p = f"encoder.layer.{l}."
    for n in ("query", "key", "value"):
        params[p + f"attention.self.{n}.weight"] = param((H, H), 0.4)
        params[p + f"attention.self.{n}.bias"] = param((H,), 0.1)
    params[p + "attention.output.dense.weight"] = param((H, H))
    params[p + "attention.output.dense.bias"] = param((H,), 0.1)
    params[p + "attention.output.LayerNorm.weight"], params[p + "attention.output.LayerNorm.bias"] = ln_param(H)
    params[p + "intermediate.dense.weight"] = param((I, H), 0.3)
    params[p + "intermediate.dense.bias"] = param((I,), 0.1)
    params[p + "output.dense.weight"] = param((H, I))
    params[p + "output.dense.bias"] = param((H,), 0.1)
    params[p + "output.LayerNorm.weight"], params[p + "output.LayerNorm.bias"] = ln_param(H)
params["pooler.dense.weight"] = param((H, H), 0.3)
params["pooler.dense.bias"] = param((H,), 0.1)
params["classifier.weight"] = param((CFG["num_labels"], H), 0.5)
params["classifier.bias"] = param((CFG["num_labels"],), 0.1)

# Inputs: right padding (pad id 0), one full row, one short row; one ignored target.
lengths = [7, 4, 2]
input_ids = torch.randint(1, CFG["vocab_size"], (B, T))
attention_mask = torch.zeros(B, T, dtype=torch.long)
for b, n in enumerate(lengths):
    attention_mask[b, :n] = 1
    input_ids[b, n:] = 0
targets = torch.tensor([2, -100, 0])


def linear(x, name):
    return F.linear(x, params[name + ".weight"], params[name + ".bias"])


def layer_norm(x, name):
    return F.layer_norm(x, (H,), params[name + ".weight"], params[name + ".bias"], CFG["layer_norm_eps"])


def self_attention(hidden, ext_mask, p):
    # BertSelfAttention.forward (eager path), absolute position embeddings, no cache.
    def shape(x):  # transpose_for_scores: [B,T,H] -> [B,nH,T,d]
        return x.view(B, T, NH, D).permute(0, 2, 1, 3)

    q = shape(linear(hidden, p + "attention.self.query"))
    k = shape(linear(hidden, p + "attention.self.key"))
    v = shape(linear(hidden, p + "attention.self.value"))
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(D)
    scores = scores + ext_mask
    probs = F.softmax(scores, dim=-1)
    ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous().view(B, T, H)
    return ctx


def forward():
    pos = torch.arange(T).unsqueeze(0).expand(B, T)
    emb = F.embedding(input_ids, params["embeddings.word_embeddings.weight"]) + F.embedding(
        pos, params["embeddings.position_embeddings.weight"]
    )
    hidden = layer_norm(emb, "embeddings.LayerNorm")
    # get_extended_attention_mask: [B,1,1,T], (1 - mask) * finfo.min
    ext = (1.0 - attention_mask[:, None, None, :].to(DTYPE)) * torch.finfo(DTYPE).min
    for l in range(CFG["num_hidden_layers"]):
        p = f"encoder.layer.{l}."
        ctx = self_attention(hidden, ext, p)
        attn_out = layer_norm(linear(ctx, p + "attention.output.dense") + hidden, p + "attention.output.LayerNorm")
        inter = F.gelu(linear(attn_out, p + "intermediate.dense"))  # exact erf GELU, HF "gelu"
        hidden = layer_norm(linear(inter, p + "output.dense") + attn_out, p + "output.LayerNorm")
    pooled = torch.tanh(linear(hidden[:, 0], "pooler.dense"))
    logits = linear(pooled, "classifier")
    loss = F.cross_entropy(logits, targets, ignore_index=-100)
    return hidden, logits, loss


hidden, logits, loss = forward()
loss.backward()


def flat(t):
    return [float("%.9g" % v) for v in t.detach().to(torch.float32).reshape(-1).tolist()]


out = {
    "about": "tools/golden/composite.py: 2-layer BERT-style block in plain torch %s" % torch.__version__,
    "config": dict(CFG, batch=B, tokens=T),
    "inputs": {
        "input_ids": input_ids.reshape(-1).tolist(),
        "attention_mask": attention_mask.reshape(-1).tolist(),
        "targets": targets.tolist(),
    },
    "params": {k: {"shape": list(v.shape), "data": flat(v)} for k, v in params.items()},
    "outputs": {
        "last_hidden_state": {"shape": list(hidden.shape), "data": flat(hidden)},
        "logits": {"shape": list(logits.shape), "data": flat(logits)},
        "loss": float("%.9g" % loss.item()),
    },
    "grads": {k: {"shape": list(v.shape), "data": flat(v.grad)} for k, v in params.items()},
}
here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "..", "test", "fixtures", "golden", "composite.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
    f.write("\n")
print("wrote", os.path.normpath(path), os.path.getsize(path), "bytes; loss", loss.item())
