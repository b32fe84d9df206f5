#!/usr/bin/python3
"""An independent cross-check of the hand-written torch mirror (tools/golden/bert_golden.py).

The model goldens in test/fixtures/models/ come from a plain-torch mirror of modeling_bert.py /
modeling_roberta.py / adapters' Adapter written for this project, so they share an author with
the code they check. This script is a second, minimal implementation of the same published
equations in NumPy float64 — no torch, no autograd, nothing imported from bert_golden.py — that
reads the *committed* fixture files (config.json, model.safetensors, adapter folders,
extras.safetensors, golden.json inputs and labels) and computes:

  outputs   last_hidden_state, pooled, every head's logits, the losses, the adapter-free
            ("plain") outputs, and the adapter-variant model's last_hidden_state and loss;
  gradients for every parameter tensor p with a golden gradient: the directional derivative
            along a fixed direction d_p (d_p[i] = sin(0.7 i + 1.3 k + 0.1), k = the tensor's
            index in the sorted list of golden gradient names) by central differences of this
            forward, split into the domain loss and the rest, because the golden gradients go
            through a gradient-reversal layer (λ = grl_lambda): for parameters below it the
            golden gradient is ∂(L - L_domain) - λ·∂L_domain, for the discriminator ∂L_domain.

It writes test/fixtures/models/crosscheck.json (committed; CI never runs Python), which
test/models/crosscheck.test.ts compares with the torch mirror's golden.safetensors.

Equations (transformers 4.40 modeling_bert.py, modeling_roberta.py; adapters 1.1
methods/modeling.py Adapter.pre_forward/forward/post_forward, methods/bottleneck.py):
  embeddings   LN(E_word[ids] + E_type[tt] + E_pos[pos]); RoBERTa pos = cumsum(ids != pad)·(ids != pad) + pad
  self-attn    softmax(Q K^T / sqrt(d) + (1 - mask)·finfo.min) V per head
  sub-layer    LN(dense(x) + residual), or with a bottleneck adapter:
               pre:  residual = h (residual_before_ln) ; h = LN(h + input) (original_ln_before)
               fwd:  up = W_up act(W_down LN_before?(h)) · scaling ; [+ residual] ; LN_after? ; [+ residual]
               post: LN(out + input) (original_ln_after)
  FFN          gelu(W_i x) (exact erf GELU)
  pooler       tanh(W_p h[:, 0])
  MLM head     LN(act(W_t h)) E_word^T + b
  heads        AdapterHub flex heads ([dropout, linear, act]… in eval mode), CE mean over labels != -100

Run:  /usr/bin/python3 tools/golden/bert_crosscheck.py
"""
import json
import math
import os
import struct

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FIX = os.path.join(ROOT, "test", "fixtures", "models")
F64_MIN = np.finfo(np.float64).min

# ----------------------------------------------------------------------------------------------


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        dt = {"F32": np.float32, "I64": np.int64}[v["dtype"]]
        out[k] = np.frombuffer(data[a:b], dtype=dt).reshape(v["shape"]).astype(np.float64 if dt == np.float32 else np.int64)
    return out


_erf = np.vectorize(math.erf)
ACT = {
    "gelu": lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))),
    "relu": lambda x: np.maximum(x, 0.0),
    "swish": lambda x: x / (1.0 + np.exp(-x)),
    "silu": lambda x: x / (1.0 + np.exp(-x)),
    "tanh": np.tanh,
}


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)  # biased, as torch
    return (x - mu) / np.sqrt(var + eps) * w + b


def linear(x, P, name):
    return x @ P[name + ".weight"].T + P[name + ".bias"]


def softmax(s):
    s = s - s.max(-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(-1, keepdims=True)


def cross_entropy(logits, labels):
    logits = logits.reshape(-1, logits.shape[-1])
    labels = np.asarray(labels).reshape(-1)
    keep = labels != -100
    z = logits[keep]
    lse = np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1)) + z.max(-1)
    return float((lse - z[np.arange(len(z)), labels[keep]]).mean())


# ----------------------------------------------------------------------------------------------


class Model:
    """Parameters under AdapterModel names (the golden gradient names without 'grad.')."""

    def __init__(self, cfg, P, prefix, adapter=None):
        self.cfg = cfg
        self.P = P
        self.px = prefix  # 'bert.' / 'roberta.' / '' (un-prefixed variant folders use 'bert.' after renaming)
        self.adapter = adapter  # None or (name, adapter config dict)
        self.eps = cfg["layer_norm_eps"]

    def bottleneck(self, h, inp, ln_name, location, layer):
        """BottleneckLayer.bottleneck_layer_forward for the active adapter, else LN(h + inp)."""
        P = self.P
        ln = lambda x: layer_norm(x, P[ln_name + ".weight"], P[ln_name + ".bias"], self.eps)
        if self.adapter is None:
            return ln(h + inp)
        name, c = self.adapter
        if layer in c["leave_out"] or not c[location]:
            return ln(h + inp)
        site = ln_name.rsplit(".", 1)[0] + f".adapters.{name}."
        # pre_forward
        if c["residual_before_ln"] is True:
            residual = h
        if c["original_ln_before"]:
            h = h + inp
            if c["residual_before_ln"] == "post_add":
                residual = h
            h = ln(h)
        if not c["residual_before_ln"]:
            residual = h
        # forward
        x = h
        i = 0
        if c["ln_before"]:
            x = layer_norm(x, P[site + "adapter_norm_before.weight"], P[site + "adapter_norm_before.bias"], 1e-5)
            i = 1
        down = ACT[c["non_linearity"].lower()](linear(x, P, site + f"adapter_down.{i}"))
        up = linear(down, P, site + "adapter_up") * c["scaling"]
        out = up
        if c["adapter_residual_before_ln"]:
            out = out + residual
        if c["ln_after"]:
            out = layer_norm(out, P[site + "adapter_norm_after.weight"], P[site + "adapter_norm_after.bias"], 1e-5)
        if not c["adapter_residual_before_ln"]:
            out = out + residual
        # post_forward
        if c["original_ln_after"]:
            out = ln(out + inp)
        return out

    def encode(self, ids, mask, tt):
        cfg, P, px = self.cfg, self.P, self.px
        ids = np.asarray(ids)
        mask = np.asarray(mask, dtype=np.float64)
        B, T = ids.shape
        H = cfg["hidden_size"]
        nH = cfg["num_attention_heads"]
        d = H // nH
        if cfg["model_type"] == "roberta":
            pad = cfg["pad_token_id"]
            m = (ids != pad).astype(np.int64)
            pos = np.cumsum(m, axis=1) * m + pad
        else:
            pos = np.broadcast_to(np.arange(T), (B, T))
        tt = np.zeros((B, T), dtype=np.int64) if tt is None else np.asarray(tt)
        e = P[px + "embeddings.word_embeddings.weight"][ids] + P[px + "embeddings.token_type_embeddings.weight"][tt] + P[px + "embeddings.position_embeddings.weight"][pos]
        x = layer_norm(e, P[px + "embeddings.LayerNorm.weight"], P[px + "embeddings.LayerNorm.bias"], self.eps)
        ext = (1.0 - mask)[:, None, None, :] * F64_MIN
        for l in range(cfg["num_hidden_layers"]):
            n = f"{px}encoder.layer.{l}."
            heads = lambda t: t.reshape(B, T, nH, d).transpose(0, 2, 1, 3)
            q, k, v = (heads(linear(x, P, n + f"attention.self.{w}")) for w in ("query", "key", "value"))
            p = softmax(q @ k.transpose(0, 1, 3, 2) / math.sqrt(d) + ext)
            ctx = (p @ v).transpose(0, 2, 1, 3).reshape(B, T, H)
            a = self.bottleneck(linear(ctx, P, n + "attention.output.dense"), x, n + "attention.output.LayerNorm", "mh_adapter", l)
            inter = ACT[cfg["hidden_act"]](linear(a, P, n + "intermediate.dense"))
            x = self.bottleneck(linear(inter, P, n + "output.dense"), a, n + "output.LayerNorm", "output_adapter", l)
        pooled = np.tanh(linear(x[:, 0], P, px + "pooler.dense"))
        return x, pooled

    def mlm(self, seq):
        P = self.P
        act = ACT["gelu"] if self.cfg["model_type"] == "roberta" else ACT[self.cfg["hidden_act"]]
        h = layer_norm(act(linear(seq, P, "heads.mlm.0")), P["heads.mlm.2.weight"], P["heads.mlm.2.bias"], self.eps)
        return h @ P[self.px + "embeddings.word_embeddings.weight"].T + P["heads.mlm.3.bias"]


def flex_head(x, P, name, layers, act):
    """PredictionHead: [Dropout, Linear, Act] × (layers-1), Dropout, Linear (eval: dropout off)."""
    idx = 0
    for l_id in range(layers):
        idx += 1  # dropout
        x = linear(x, P, f"heads.{name}.{idx}")
        idx += 1
        if l_id < layers - 1:
            x = ACT[act](x)
            idx += 1
    return x


# ----------------------------------------------------------------------------------------------


def direction(n, k):
    return np.sin(0.7 * np.arange(n) + 1.3 * k + 0.1)


def full(kind):
    path = os.path.join(FIX, f"{kind}_tiny")
    cfg = json.load(open(os.path.join(path, "config.json")))
    meta = json.load(open(os.path.join(path, "golden.json")))
    roberta = kind == "roberta"
    px = "roberta." if roberta else "bert."
    ckpt = read_safetensors(os.path.join(path, "model.safetensors"))
    P = {k: v for k, v in ckpt.items() if k.startswith(px) and not k.endswith("position_ids")}
    lm = ({"lm_head.dense": "0", "lm_head.layer_norm": "2"} if roberta else
          {"cls.predictions.transform.dense": "0", "cls.predictions.transform.LayerNorm": "2"})
    for src, dst in lm.items():
        for w in ("weight", "bias"):
            P[f"heads.mlm.{dst}.{w}"] = ckpt[f"{src}.{w}"]
    P["heads.mlm.3.bias"] = ckpt["lm_head.bias" if roberta else "cls.predictions.bias"]
    P.update(read_safetensors(os.path.join(path, "adapters", "target", "adapter.safetensors")))
    P.update(read_safetensors(os.path.join(path, "extras.safetensors")))
    acfg = json.load(open(os.path.join(path, "adapters", "target", "adapter_config.json")))["config"]
    model = Model(cfg, P, px, ("target", acfg))
    labels = meta["labels"]
    lam = meta["grl_lambda"]

    def run(params):
        model.P = params
        seq, pooled = model.encode(meta["input_ids"], meta["attention_mask"], meta["token_type_ids"])
        logits = {"mlm": model.mlm(seq)}
        if roberta:
            logits["topic"] = flex_head(seq[:, 0], params, "topic", 2, "tanh")
            logits["ner"] = flex_head(seq, params, "ner", 1, "tanh")
        else:
            logits["sentiment"] = flex_head(pooled, params, "sentiment", 1, "tanh")
        logits["domain"] = flex_head(pooled, params, "domain", 2, "relu")
        losses = {h: cross_entropy(z, labels[h]) for h, z in logits.items()}
        return seq, pooled, logits, losses

    seq, pooled, logits, losses = run(P)
    total = sum(losses.values())
    model.adapter = None
    seq_plain, pooled_plain = model.encode(meta["input_ids"], meta["attention_mask"], meta["token_type_ids"])
    model.adapter = ("target", acfg)

    golden = read_safetensors(os.path.join(path, "golden.safetensors"))
    names = sorted(k[len("grad."):] for k in golden if k.startswith("grad."))
    grads = []
    eps = 1e-6
    for k, name in enumerate(names):
        d = direction(P[name].size, k).reshape(P[name].shape)
        res = []
        for s in (1, -1):
            Q = dict(P)
            Q[name] = P[name] + s * eps * d
            ls = run(Q)[3]
            res.append((ls["domain"], sum(v for h, v in ls.items() if h != "domain")))
        d_dom = (res[0][0] - res[1][0]) / (2 * eps)
        d_rest = (res[0][1] - res[1][1]) / (2 * eps)
        factor = 1.0 if name.startswith("heads.domain.") else -lam
        grads.append({"name": name, "k": k, "d_rest": d_rest, "d_domain": d_dom, "domain_factor": factor,
                      "expected": d_rest + factor * d_dom})
    outs = {"out.last_hidden_state": seq, "out.pooled": pooled, "out.plain.last_hidden_state": seq_plain,
            "out.plain.pooled": pooled_plain}
    for h, z in logits.items():
        outs[f"out.logits.{h}"] = z
    return {
        "outputs": {k: v.reshape(-1).tolist() for k, v in outs.items()},
        "losses": losses,
        "loss": total,
        "gradients": grads,
    }


def variant():
    path = os.path.join(FIX, "bert_adapter_variant")
    cfg = json.load(open(os.path.join(path, "config.json")))
    meta = json.load(open(os.path.join(path, "golden.json")))
    P = {"bert." + k: v for k, v in read_safetensors(os.path.join(path, "model.safetensors")).items()}
    P.update({"bert." + k: v for k, v in read_safetensors(os.path.join(path, "adapters", "variant", "adapter.safetensors")).items()})
    acfg = json.load(open(os.path.join(path, "adapters", "variant", "adapter_config.json")))["config"]
    golden = read_safetensors(os.path.join(path, "golden.safetensors"))
    R = golden["in.R"]
    model = Model(cfg, P, "bert.", ("variant", acfg))

    def loss(params):
        model.P = params
        seq, _ = model.encode(meta["input_ids"], meta["attention_mask"], None)
        return seq, float((seq * R).sum())

    seq, total = loss(P)
    names = sorted(k[len("grad."):] for k in golden if k.startswith("grad."))
    grads = []
    eps = 1e-6
    for k, name in enumerate(names):
        d = direction(P[name].size, k).reshape(P[name].shape)
        Qp, Qm = dict(P), dict(P)
        Qp[name] = P[name] + eps * d
        Qm[name] = P[name] - eps * d
        dd = (loss(Qp)[1] - loss(Qm)[1]) / (2 * eps)
        grads.append({"name": name, "k": k, "d_rest": dd, "d_domain": 0.0, "domain_factor": 0.0, "expected": dd})
    return {"outputs": {"out.last_hidden_state": seq.reshape(-1).tolist()}, "losses": {}, "loss": total, "gradients": grads}


if __name__ == "__main__":
    result = {
        "note": "generated by tools/golden/bert_crosscheck.py: NumPy float64 re-implementation of the published "
                "equations, independent of the torch mirror; directions d[i] = sin(0.7 i + 1.3 k + 0.1)",
        "numpy": np.__version__,
        "bert_tiny": full("bert"),
        "roberta_tiny": full("roberta"),
        "bert_adapter_variant": variant(),
    }
    # the mirror's own outputs, compared here too (the TypeScript test repeats this in CI)
    for name, r in [("bert_tiny", result["bert_tiny"]), ("roberta_tiny", result["roberta_tiny"]), ("bert_adapter_variant", result["bert_adapter_variant"])]:
        golden = read_safetensors(os.path.join(FIX, name, "golden.safetensors"))
        worst = 0.0
        for k, v in r["outputs"].items():
            g = golden[k].reshape(-1)
            worst = max(worst, float(np.abs(np.asarray(v) - g).max() / max(1.0, np.abs(g).max())))
        gw = 0.0
        for gr in r["gradients"]:
            g = golden["grad." + gr["name"]]
            dot = float((g * direction(g.size, gr["k"]).reshape(g.shape)).sum())
            gw = max(gw, abs(dot - gr["expected"]) / max(1e-6, float(np.abs(g * direction(g.size, gr["k"]).reshape(g.shape)).sum())))
        print(f"{name}: {len(r['outputs'])} outputs (worst scale-relative diff vs the torch mirror {worst:.2e}), "
              f"{len(r['gradients'])} directional derivatives (worst relative diff {gw:.2e})")
    with open(os.path.join(FIX, "crosscheck.json"), "w") as f:
        json.dump(result, f, separators=(",", ":"))
    print("wrote", os.path.join(FIX, "crosscheck.json"))
