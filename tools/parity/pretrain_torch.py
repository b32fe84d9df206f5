#!/usr/bin/python3
"""PyTorch parity of `adaptext pretrain`, step 2: the same recipe in plain PyTorch.

Reads what tools/parity/pretrain-batches.ts wrote into DIR (the starting weights DIR/init, the
exact training batches and held-out batches adaptext draws) and trains the plain-torch
BertForMaskedLM mirror (tools/golden/mlm_golden.py, float32, dropout as configured) with the
recipe of tools/pretrain-backbone.sh: torch.optim.AdamW (betas 0.9/0.98, eps 1e-6, weight decay
0.01 except biases and LayerNorm), linear warm-up then linear decay to 0 at --total-steps
(LambdaLR, as transformers' get_linear_schedule_with_warmup), global grad-norm clip, mean MLM
cross-entropy over the masked positions (logits computed only there, as adaptext does). Held-out loss every --eval-every steps, in eval mode, as
a mean over all masked positions of each held-out set (adaptext's heldoutLoss). One JSON line per
event in DIR/torch/log.jsonl (DIR/NAME with --name), in adaptext's run-log schema (src/engine/run-log.ts: type step/heldout, Unix time in seconds).

  /usr/bin/python3 tools/parity/pretrain_torch.py DIR [--threads 1] [--warmup-steps 300]
      [--total-steps 8000] [--eval-every 50] [--log-every 10] [--seed 42] [--max-steps N] [--name torch]
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "golden"))
import bert_golden as g  # noqa: E402
from mlm_golden import BertForMaskedLM, read_safetensors  # noqa: E402


def load_i16(path, shape):
    a = np.fromfile(path, dtype="<i2")
    n = int(np.prod(shape[1:]))
    assert a.size % n == 0, f"{path}: {a.size} values is not a multiple of {shape[1:]}"
    return torch.from_numpy(a.astype(np.int64).reshape((-1,) + tuple(shape[1:])))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup-steps", type=int, default=300)
    ap.add_argument("--total-steps", type=int, default=8000)
    ap.add_argument("--eval-every", type=int, default=50)
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--max-steps", type=int, default=0)
    ap.add_argument("--name", default="torch", help="output folder under DIR (a second dropout seed: --seed 7 --name torch-s7)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    meta = json.load(open(os.path.join(a.dir, "meta.json")))
    B, T, r = meta["batch_size"], meta["seq_len"], meta["recipe"]
    steps = meta["steps"] if a.max_steps == 0 else min(a.max_steps, meta["steps"])

    cfg_json = json.load(open(os.path.join(a.dir, "init", "config.json")))
    model = BertForMaskedLM(g.Cfg(**cfg_json))
    sd = read_safetensors(os.path.join(a.dir, "init", "model.safetensors"))
    want = {k for k in model.state_dict() if not k.endswith("position_ids")}
    missing = sorted(want - set(sd))
    assert not missing, f"init weights miss {missing}"
    model.load_state_dict({k: sd[k] for k in want}, strict=False)

    named = list(model.named_parameters())
    no_decay = [p for n, p in named if n.endswith("bias") or "LayerNorm" in n]
    decay = [p for n, p in named if not (n.endswith("bias") or "LayerNorm" in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": r["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=r["lr"], betas=tuple(r["betas"]), eps=r["eps"])
    W, N = a.warmup_steps, a.total_steps
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: s / max(1, W) if s < W else max(0.0, (N - s) / max(1, N - W)))

    ids = load_i16(os.path.join(a.dir, "train.ids.i16"), (0, B, T))
    labels = load_i16(os.path.join(a.dir, "train.labels.i16"), (0, B, T))
    held = [(h["file"], load_i16(os.path.join(a.dir, f"heldout-{k}.ids.i16"), (0, T)), load_i16(os.path.join(a.dir, f"heldout-{k}.labels.i16"), (0, T)))
            for k, h in enumerate(meta["heldout"])]
    out = os.path.join(a.dir, a.name)
    os.makedirs(out, exist_ok=True)
    log = open(os.path.join(out, "log.jsonl"), "w")
    ce = torch.nn.CrossEntropyLoss()

    def mlm_loss(x, y):
        # Logits only at the masked positions, as adaptext's masked_lm head computes them: the loss
        # and every gradient are the same as HF's full [B,T,V] logits, at a fraction of the cost.
        seq, _ = model.bert(x, torch.ones_like(x))
        rows = (y != -100).reshape(-1)
        h = model.cls.predictions.transform(seq.reshape(-1, seq.shape[-1])[rows])
        logits = torch.nn.functional.linear(h, model.bert.embeddings.word_embeddings.weight, model.cls.predictions.bias)
        return ce(logits, y.reshape(-1)[rows]), int(rows.sum())

    def emit(obj):
        log.write(json.dumps({**obj, "time": time.time()}) + "\n")
        log.flush()

    def evaluate(step):
        model.eval()
        with torch.no_grad():
            for f, hi, hl in held:
                total, count = 0.0, 0
                for s in range(0, hi.shape[0], B):
                    x, y = hi[s:s + B], hl[s:s + B]
                    if int((y != -100).sum()) == 0:
                        continue
                    loss, n = mlm_loss(x, y)
                    total += float(loss) * n
                    count += n
                emit({"type": "heldout", "stage": "pretrain", "step": step, "tokens": step * B * T, "file": f, "loss": total / count, "predictions": count})
                print(f"eval step {step}: {os.path.basename(f)} loss {total / count:.4f}", flush=True)
        model.train()

    emit({"type": "start", "stage": "pretrain", "step": 0, "torch": torch.__version__, "threads": a.threads, "steps": steps})
    evaluate(0)
    model.train()
    t0 = time.time()
    win_loss, win_n, win_t = 0.0, 0, time.time()
    for step in range(1, steps + 1):
        x, y = ids[step - 1], labels[step - 1]
        loss, _ = mlm_loss(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = float(torch.nn.utils.clip_grad_norm_(model.parameters(), r["clip"]))
        lr = sched.get_last_lr()[0]
        opt.step()
        sched.step()
        win_loss += float(loss)
        win_n += 1
        if step % a.log_every == 0:
            secs = time.time() - win_t
            emit({"type": "step", "stage": "pretrain", "step": step, "tokens": step * B * T, "loss": win_loss / win_n, "steps": win_n, "lr": lr,
                  "gradNorm": gn, "tokensPerSecond": win_n * B * T / secs, "elapsedSeconds": time.time() - t0})
            win_loss, win_n, win_t = 0.0, 0, time.time()
        te = time.time()
        if step % a.eval_every == 0:
            evaluate(step)
        win_t += time.time() - te
    emit({"type": "stop", "stage": "pretrain", "step": steps, "elapsedSeconds": time.time() - t0})


if __name__ == "__main__":
    main()
