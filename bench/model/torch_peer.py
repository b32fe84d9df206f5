#!/usr/bin/python3
"""PyTorch side of `npm run bench:model`: the same BERT + Pfeiffer adapter + classification
head as adaptext, in plain torch (transformers is not installed here), written to mirror
HF modeling_bert.py (eager attention) and AdapterHub's bottleneck adapter exactly.

Run with Debian's torch: /usr/bin/python3 bench/model/torch_peer.py --scenario a --threads 2
Prints ONE JSON line on stdout: per-step times, median, peak RSS (VmHWM) of this process.

Scenarios (all random weights, N(0, 0.02) like HF init; dropout on in training):
  a  full training step: forward + cross-entropy + backward + AdamW, every parameter trainable
  b  adapters (seq_bn, reduction 16, layers 6-11) + classification head trainable, the rest
     frozen (requires_grad=False), so autograd stops below layer 6
  c  inference: model.eval(), torch.no_grad(), logits only
  d  pretraining step of the bundled backbone (the architecture of --model-config, default
     models/adaptext-mini-en/config.json): the plain-torch BertForMaskedLM mirror of
     tools/golden/mlm_golden.py (decoder tied to the word embeddings), N(0, 0.02) init, batch
     32 x 128, the same labelled positions as adaptext-side.ts (mlm_batch), and the step of
     tools/parity/pretrain_torch.py: forward, MLM cross-entropy, zero_grad(set_to_none=True),
     backward, clip_grad_norm_(1.0), AdamW (betas 0.9/0.98, eps 1e-6, weight decay 0.01 except
     biases and LayerNorm), LambdaLR linear warm-up/decay. --mlm-decoder full (default) is HF
     BertForMaskedLM: the decoder over all B*T positions, loss over the labelled ones; masked
     (a what-if) computes logits only at the labelled positions, as adaptext and
     pretrain_torch.py do.
  e  stage-3 step on the bundled backbone (its weights): target adapter + head trainable, the rest
     frozen, batch 16 x 128 (torch_stage3.py)

Attention mask: inputs are full-length (no padding), so like adaptext (which passes no mask
when every position is real) no additive mask is built; that is what HF computes too, minus
a no-op add.
"""
import argparse
import contextlib
import json
import math
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', '..')


class Cfg:
    def __init__(self, args):
        self.hidden = args.hidden
        self.layers = args.layers
        self.heads = args.heads
        self.inter = args.intermediate
        self.vocab = args.vocab
        self.max_pos = 512
        self.type_vocab = 2
        self.eps = 1e-12
        self.drop = args.dropout
        self.init_range = 0.02


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab, c.hidden, padding_idx=0)
        self.position_embeddings = nn.Embedding(c.max_pos, c.hidden)
        self.token_type_embeddings = nn.Embedding(c.type_vocab, c.hidden)
        self.LayerNorm = nn.LayerNorm(c.hidden, eps=c.eps)
        self.dropout = nn.Dropout(c.drop)

    def forward(self, ids, token_type_ids):
        T = ids.shape[1]
        pos = torch.arange(T, dtype=torch.long, device=ids.device).unsqueeze(0)
        x = self.word_embeddings(ids) + self.token_type_embeddings(token_type_ids) + self.position_embeddings(pos)
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.nh = c.heads
        self.d = c.hidden // c.heads
        self.query = nn.Linear(c.hidden, c.hidden)
        self.key = nn.Linear(c.hidden, c.hidden)
        self.value = nn.Linear(c.hidden, c.hidden)
        self.dropout = nn.Dropout(c.drop)

    def split(self, x):  # [B,T,H] -> [B,nH,T,d]
        B, T, _ = x.shape
        return x.view(B, T, self.nh, self.d).permute(0, 2, 1, 3)

    def forward(self, x, ext_mask):
        q = self.split(self.query(x))
        k = self.split(self.key(x))
        v = self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d)
        if ext_mask is not None:
            scores = scores + ext_mask
        probs = self.dropout(F.softmax(scores, dim=-1))
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        B, T = ctx.shape[0], ctx.shape[1]
        return ctx.view(B, T, self.nh * self.d)


class Adapter(nn.Module):
    """AdapterHub bottleneck adapter with SeqBnConfig (Pfeiffer): original_ln_before=True,
    original_ln_after=True, residual_before_ln=True, relu, scaling 1, no extra LayerNorms."""

    def __init__(self, hidden, down):
        super().__init__()
        self.adapter_down = nn.Sequential(nn.Linear(hidden, down), nn.ReLU())
        self.adapter_up = nn.Linear(down, hidden)

    def forward(self, h, x, ln):
        residual = h  # residual_before_ln=True: the sub-block output before the LN
        h = ln(h + x)  # original_ln_before
        out = self.adapter_up(self.adapter_down(h)) + residual
        return ln(out + x)  # original_ln_after


class SelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden, c.hidden)
        self.LayerNorm = nn.LayerNorm(c.hidden, eps=c.eps)
        self.dropout = nn.Dropout(c.drop)

    def forward(self, h, x):
        return self.LayerNorm(self.dropout(self.dense(h)) + x)


class Output(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.inter, c.hidden)
        self.LayerNorm = nn.LayerNorm(c.hidden, eps=c.eps)
        self.dropout = nn.Dropout(c.drop)
        self.adapter = None

    def forward(self, h, x):
        h = self.dropout(self.dense(h))
        if self.adapter is not None:
            return self.adapter(h, x, self.LayerNorm)
        return self.LayerNorm(h + x)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention_self = SelfAttention(c)
        self.attention_output = SelfOutput(c)
        self.intermediate = nn.Linear(c.hidden, c.inter)
        self.output = Output(c)

    def forward(self, x, ext_mask):
        a = self.attention_output(self.attention_self(x, ext_mask), x)
        return self.output(F.gelu(self.intermediate(a)), a)  # exact (erf) GELU = HF "gelu"


class BertClassifier(nn.Module):
    def __init__(self, c, num_labels=2):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.layer = nn.ModuleList([Layer(c) for _ in range(c.layers)])
        self.pooler = nn.Linear(c.hidden, c.hidden)
        self.cls_dropout = nn.Dropout(c.drop)
        self.classifier = nn.Linear(c.hidden, num_labels)
        # what the head reads: the pooler output (HF BertForSequenceClassification) or the masked
        # mean of the last layer (adaptext's head on a checkpoint whose pooler was never trained)
        self.pooling = 'pooler'
        self.apply(lambda m: init_weights(m, c.init_range))

    def forward(self, ids, token_type_ids, attention_mask=None):
        ext = None
        if attention_mask is not None and not bool(attention_mask.all()):
            ext = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        h = self.embeddings(ids, token_type_ids)
        for l in self.layer:
            h = l(h, ext)
        pooled = torch.tanh(self.pooler(h[:, 0]))  # computed in either case, as BertModel does
        if self.pooling == 'mean':
            m = torch.ones(h.shape[:2], dtype=h.dtype) if attention_mask is None else attention_mask.to(h.dtype)
            pooled = (h * m[:, :, None]).sum(1) / m.sum(1, keepdim=True)
        return self.classifier(self.cls_dropout(pooled))


def init_weights(m, std):
    if isinstance(m, (nn.Linear, nn.Embedding)):
        m.weight.data.normal_(0.0, std)
        if isinstance(m, nn.Linear) and m.bias is not None:
            m.bias.data.zero_()
        if isinstance(m, nn.Embedding) and m.padding_idx is not None:
            m.weight.data[m.padding_idx].zero_()
    elif isinstance(m, nn.LayerNorm):
        m.weight.data.fill_(1.0)
        m.bias.data.zero_()


def hash32(seed, i):
    """murmur3 fmix32 of seed + (i+1)*golden ratio (adaptext-side.ts hash32)."""
    x = (seed + (i + 1) * 0x9e3779b9) & 0xFFFFFFFF
    x ^= x >> 16
    x = (x * 0x85EBCA6B) & 0xFFFFFFFF
    x ^= x >> 13
    x = (x * 0xC2B2AE35) & 0xFFFFFFFF
    x ^= x >> 16
    return x


def mlm_batch(B, T, V, p, seed=2024):
    """adaptext-side.ts mlmBatch: ids in [5, V), position i labelled when hash(2i+1) < p*2^32
    (label = its token, input = [MASK] id 4), -100 elsewhere."""
    ids, labels = [0] * (B * T), [-100] * (B * T)
    for i in range(B * T):
        tok = 5 + hash32(seed, 2 * i) % (V - 5)
        ids[i] = tok
        if hash32(seed, 2 * i + 1) < p * 4294967296:
            labels[i] = tok
            ids[i] = 4
    return torch.tensor(ids).view(B, T), torch.tensor(labels).view(B, T)


# pretraining's defaults (src/pretrain/options.ts), as adaptext-side.ts PRETRAIN
PRETRAIN = {'lr': 5e-4, 'warmup_steps': 500, 'total_steps': 10000, 'weight_decay': 0.01, 'clip': 1.0, 'mlm_probability': 0.15}


def setup_pretrain_step(args):
    """Scenario d; returns (model, trainable params, step, B, T, extra result fields)."""
    sys.path.insert(0, os.path.join(ROOT, 'tools', 'golden'))
    import bert_golden as g  # noqa: E402
    from mlm_golden import BertForMaskedLM  # noqa: E402
    with open(args.model_config) as f:
        cfg_json = json.load(f)
    cfg_json['hidden_dropout_prob'] = args.dropout
    cfg_json['attention_probs_dropout_prob'] = args.dropout
    B = args.batch or 32
    T = args.seq
    assert T <= cfg_json['max_position_embeddings'], f"--seq {T} exceeds max_position_embeddings"
    model = BertForMaskedLM(g.Cfg(**cfg_json))
    model.apply(lambda m: init_weights(m, cfg_json.get('initializer_range', 0.02)))
    V = cfg_json['vocab_size']
    ids, labels = mlm_batch(B, T, V, PRETRAIN['mlm_probability'])
    mask = torch.ones_like(ids)
    named = list(model.named_parameters())
    no_decay = [p for n, p in named if n.endswith('bias') or 'LayerNorm' in n]
    decay = [p for n, p in named if not (n.endswith('bias') or 'LayerNorm' in n)]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': PRETRAIN['weight_decay']}, {'params': no_decay, 'weight_decay': 0.0}],
                            lr=PRETRAIN['lr'], betas=(0.9, 0.98), eps=1e-6)
    W, N = PRETRAIN['warmup_steps'], PRETRAIN['total_steps']
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: s / max(1, W) if s < W else max(0.0, (N - s) / max(1, N - W)))
    rows = (labels != -100).reshape(-1)
    last = {}

    def loss_full():
        # HF BertForMaskedLM: prediction_scores [B,T,V] for every position, CrossEntropyLoss over
        # the flattened labels (ignore_index -100)
        logits = model(ids, mask)
        return F.cross_entropy(logits.view(-1, V), labels.view(-1))

    def loss_masked():
        # tools/parity/pretrain_torch.py mlm_loss: transform + decoder only at the labelled rows
        seq, _ = model.bert(ids, mask)
        h = model.cls.predictions.transform(seq.reshape(-1, seq.shape[-1])[rows])
        logits = F.linear(h, model.bert.embeddings.word_embeddings.weight, model.cls.predictions.bias)
        return F.cross_entropy(logits, labels.reshape(-1)[rows])

    mlm_loss = loss_full if args.mlm_decoder == 'full' else loss_masked
    model.train()

    def step():
        with args.autocast():
            loss = mlm_loss()
        opt.zero_grad(set_to_none=args.zero_grad == 'none')
        loss.backward()
        gn = float(torch.nn.utils.clip_grad_norm_(model.parameters(), PRETRAIN['clip']))
        l = float(loss)
        if not (math.isfinite(l) and math.isfinite(gn)):
            raise RuntimeError(f'loss {l}, grad norm {gn}')
        opt.step()
        sched.step()
        last['lastLoss'] = l
        last['lastGradNorm'] = gn

    extra = {'modelConfig': os.path.abspath(args.model_config), 'mlmDecoder': args.mlm_decoder, 'labelledPositions': int(rows.sum()),
             'tokensPerStep': B * T, 'recipe': {**PRETRAIN, 'betas': [0.9, 0.98], 'eps': 1e-6}, 'last': last}
    return model, [p for p in model.parameters() if p.requires_grad], step, B, T, extra


def vm_hwm_kb():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    return -1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--scenario', choices=['a', 'b', 'c', 'd', 'e'], required=True)
    ap.add_argument('--threads', default='default', help="1, 2, ... or 'default' (torch's own choice)")
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--iters', type=int, default=5)
    ap.add_argument('--batch', type=int, default=None, help='default 8 (a, b) / 32 (c)')
    ap.add_argument('--seq', type=int, default=128)
    ap.add_argument('--hidden', type=int, default=768)
    ap.add_argument('--layers', type=int, default=12)
    ap.add_argument('--heads', type=int, default=12)
    ap.add_argument('--intermediate', type=int, default=3072)
    ap.add_argument('--vocab', type=int, default=21128)
    ap.add_argument('--frozen-layers', type=int, default=6)
    ap.add_argument('--reduction', type=int, default=16)
    ap.add_argument('--dropout', type=float, default=0.1, help='hidden + attention dropout (what-if: 0)')
    ap.add_argument('--zero-grad', choices=['none', 'zero'], default='none',
                    help="none: zero_grad(set_to_none=True) (torch 2.x default); zero: keep the buffers, zero in place")
    ap.add_argument('--model-config', default=os.path.join(ROOT, 'models', 'adaptext-mini-en', 'config.json'), help='d: the architecture pretrained')
    ap.add_argument('--mlm-decoder', choices=['full', 'masked'], default='full',
                    help='d: full = HF BertForMaskedLM (logits at every position); masked = only at the labelled ones (what-if)')
    ap.add_argument('--precision', choices=['fp32', 'bf16'], default='fp32',
                    help='bf16: forward and loss under torch.autocast(cpu, bfloat16), backward outside it (the recipe of the autocast docs)')
    args = ap.parse_args()
    # PyTorch CPU autocast: mm/linear/matmul/bmm in bf16 (weights cast per op), the rest fp32;
    # fp32 master weights and optimizer state, as adaptext's precision: bf16
    args.autocast = (lambda: torch.autocast('cpu', dtype=torch.bfloat16)) if args.precision == 'bf16' else contextlib.nullcontext

    if args.threads != 'default':
        torch.set_num_threads(int(args.threads))
    torch.manual_seed(0)
    if args.scenario == 'd':
        model, trainable, step, B, T, extra = setup_pretrain_step(args)
    elif args.scenario == 'e':
        from torch_stage3 import setup_stage3_step
        model, trainable, step, B, T, extra = setup_stage3_step(args, ROOT, BertClassifier, Adapter, init_weights, hash32)
    else:
        model, trainable, step, B, T = setup_classifier_step(args)
        extra = {}

    if args.precision == 'bf16':
        # torch 1.13's CPU autocast leaves layer_norm out of its fp32 list, so a bf16 activation
        # meeting an fp32 LayerNorm weight fails (d's MLM transform); PyTorch 2.x autocasts
        # layer_norm to fp32 on CPU: do the same here (a no-op for fp32 inputs)
        for m in model.modules():
            if isinstance(m, torch.nn.LayerNorm):
                m.register_forward_pre_hook(lambda _m, inp: tuple(t.float() for t in inp))
    for _ in range(args.warmup):
        step()
    faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    times = []
    for _ in range(args.iters):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    last = extra.pop('last', {})
    print(json.dumps({
        'side': 'pytorch',
        'scenario': args.scenario,
        'precision': args.precision,
        'threads': args.threads,
        'zeroGrad': args.zero_grad,
        'dropout': args.dropout,
        'torchThreads': torch.get_num_threads(),
        'torchVersion': torch.__version__,
        'batch': B,
        'seq': T,
        'trainableParams': sum(p.numel() for p in trainable),
        'totalParams': sum(p.numel() for p in model.parameters()),
        'times': times,
        'median': statistics.median(times),
        'minorFaultsPerStep': (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0) / max(1, args.iters),
        'peakRssKB': vm_hwm_kb(),
        'cpuSeconds': time.process_time(),  # all threads, whole process (the driver's load accounting)
        **extra,
        **last,
    }))


def setup_classifier_step(args):
    """Scenarios a, b, c; returns (model, trainable params, step, B, T)."""
    c = Cfg(args)
    B = args.batch or (32 if args.scenario == 'c' else 8)
    T = args.seq
    model = BertClassifier(c)
    if args.scenario == 'b':
        # seq_bn adapters in the layers above the frozen ones, init N(0, 0.02) like AdapterHub 'bert'
        for i in range(args.frozen_layers, c.layers):
            ad = Adapter(c.hidden, c.hidden // args.reduction)
            ad.apply(lambda m: init_weights(m, c.init_range))
            model.layer[i].output.adapter = ad
        for n, p in model.named_parameters():
            p.requires_grad = '.adapter.' in n or n.startswith('classifier.')
    trainable = [p for p in model.parameters() if p.requires_grad]

    g = torch.Generator().manual_seed(1)
    ids = torch.randint(1, c.vocab, (B, T), generator=g)
    tt = torch.zeros(B, T, dtype=torch.long)
    mask = torch.ones(B, T, dtype=torch.long)
    labels = torch.randint(0, 2, (B,), generator=g)

    if args.scenario == 'c':
        model.eval()

        def step():
            with torch.no_grad(), args.autocast():
                model(ids, tt, mask)
    else:
        model.train()
        opt = torch.optim.AdamW(trainable, lr=1e-5, weight_decay=0.01)  # foreach: torch's default

        def step():
            opt.zero_grad(set_to_none=args.zero_grad == 'none')
            with args.autocast():
                loss = F.cross_entropy(model(ids, tt, mask), labels)
            loss.backward()
            opt.step()
    return model, trainable, step, B, T


if __name__ == '__main__':
    main()
