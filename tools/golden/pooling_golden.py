#!/usr/bin/python3
"""Golden fixture for the classification-head poolings and the discriminator's confusion objective.

Run with Debian's torch:  /usr/bin/python3 tools/golden/pooling_golden.py
Writes test/fixtures/models/bert_pooling/ (committed; CI never runs Python), in the layout of
bert_golden.py (whose plain-torch BERT mirror, adapters and heads it reuses):
  heads  cls_pooler  Linear on the pooler output        (BertForSequenceClassification)
         cls_cls     Linear on h[:,0]                     (AdapterHub classification, layers 1, use_pooler False)
         cls_mean    Linear on the masked mean of h       (adaptext's `pooling: mean`)
         rob_mean    dense -> tanh -> Linear on the masked mean (roberta style, `pooling: mean`)
         domain      discriminator on the masked mean, adversary 'confusion' (Tzeng et al. 2015):
                     CE(D(sg(f)), domain) + lambda * mean_d CE(D_sg(params)(f), d)
Loss = sum of all five; outputs, the losses and every parameter gradient are stored.
"""
import json
import os

import torch
from torch import nn

import bert_golden as g

DTYPE = g.DTYPE


def masked_mean(seq, mask):
    m = mask.to(DTYPE).unsqueeze(-1)  # [B,T,1]
    return (seq * m).sum(1) / m.sum(1)


def mlp(head, x, fixed):
    """discriminator_head layout [Dropout, Linear, Act(relu), Dropout, Linear] in eval mode; fixed = parameters as constants."""
    lin1, lin2 = head[1], head[4]
    w = (lambda p: p.detach()) if fixed else (lambda p: p)
    x = nn.functional.relu(nn.functional.linear(x, w(lin1.weight), w(lin1.bias)))
    return nn.functional.linear(x, w(lin2.weight), w(lin2.bias))


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(2468)
    cfg = g.base_cfg(model_type="bert", num_hidden_layers=2, type_vocab_size=2, layer_norm_eps=1e-12,
                     pad_token_id=0, architecture="BertModel")
    H = cfg.hidden_size
    model = g.BertModel(cfg).to(DTYPE)
    g.randomize(model, gen)
    acfg = dict(g.SEQ_BN, reduction_factor=8, leave_out=[0])
    g.add_adapter(model, "target", acfg)
    for layer in model.encoder.layer:
        g.randomize(layer.attention.output.adapters, gen)
        g.randomize(layer.output.adapters, gen)
    g.set_active_adapter(model, "target")
    heads = nn.ModuleDict()
    heads["cls_pooler"] = g.classification_head(H, 2, 1, "tanh")
    heads["cls_cls"] = g.classification_head(H, 3, 1, "tanh")
    heads["cls_mean"] = g.classification_head(H, 2, 1, "tanh")
    heads["rob_mean"] = g.classification_head(H, 2, 2, "tanh")
    heads["domain"] = g.discriminator_head(H, 16, 2)
    g.randomize(heads, gen)
    model.eval()
    heads.eval()

    B, T = 3, 6
    ids = torch.randint(3, cfg.vocab_size, (B, T), generator=gen)
    lengths = [6, 4, 2]
    mask = torch.zeros(B, T, dtype=torch.long)
    for b, n in enumerate(lengths):
        mask[b, :n] = 1
        ids[b, n:] = 0
    ids[:, 0] = 2
    tt = torch.zeros(B, T, dtype=torch.long)
    labels = {"cls_pooler": [1, 0, 1], "cls_cls": [2, 0, 1], "cls_mean": [0, 1, 1], "rob_mean": [1, 1, 0], "domain": [0, 1, 1]}
    lam = 0.7

    seq, pooled = model(ids, mask, tt)
    mean = masked_mean(seq, mask)
    ce = nn.functional.cross_entropy
    L = {k: torch.tensor(v) for k, v in labels.items()}
    logits = {
        "cls_pooler": heads["cls_pooler"](pooled),
        "cls_cls": heads["cls_cls"](seq[:, 0, :]),
        "cls_mean": heads["cls_mean"](mean),
        "rob_mean": heads["rob_mean"](mean),
    }
    losses = {k: ce(v, L[k]) for k, v in logits.items()}
    dom_logits = mlp(heads["domain"], mean.detach(), fixed=False)
    dom_ce = ce(dom_logits, L["domain"])
    fixed_logits = mlp(heads["domain"], mean, fixed=True)
    confusion = sum(ce(fixed_logits, torch.full((B,), d, dtype=torch.long)) for d in range(2)) / 2
    losses["domain"] = dom_ce + lam * confusion
    loss = sum(losses.values())
    loss.backward()

    path = os.path.join(g.OUT, "bert_pooling")
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(g.config_json(cfg), f, indent=2, sort_keys=True)
    g.write_safetensors(os.path.join(path, "model.safetensors"),
                        {"bert." + k: v for k, v in model.state_dict().items() if ".adapters." not in k and not k.endswith("position_ids")})
    g.write_adapter_folder(os.path.join(path, "adapters", "target"), "target", acfg, model, "bert.", "BertAdapterModel", "bert")
    g.write_safetensors(os.path.join(path, "extras.safetensors"), {f"heads.{k}": v for k, v in heads.state_dict().items()})
    tensors = {"out.last_hidden_state": seq, "out.pooled": pooled, "out.logits.domain": dom_logits}
    for k, v in logits.items():
        tensors[f"out.logits.{k}"] = v
    for k, p in model.named_parameters():
        if p.grad is not None:
            tensors["grad.bert." + k] = p.grad
    for k, p in heads.named_parameters():
        tensors["grad.heads." + k] = p.grad
    g.write_safetensors(os.path.join(path, "golden.safetensors"), tensors)
    meta = {
        "note": "generated by tools/golden/pooling_golden.py (float64 reference, eval mode)",
        "input_ids": ids.tolist(), "attention_mask": mask.tolist(), "token_type_ids": tt.tolist(),
        "labels": labels, "grl_lambda": lam,
        "losses": {k: v.item() for k, v in losses.items()},
        "parts": {"domain": dom_ce.item(), "confusion": confusion.item()},
        "loss": loss.item(),
    }
    with open(os.path.join(path, "golden.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"pooling: loss {loss.item():.6f}, {sum(1 for k in tensors if k.startswith('grad.'))} gradients")


if __name__ == "__main__":
    main()
