"""Scenario e of bench:model, PyTorch side (adaptext side: stage3-step.ts): one stage-3 step on the
bundled backbone models/adaptext-mini-en, its own F16 weights read from model.safetensors (no
safetensors package on Debian: the format is an 8-byte header length, a JSON header and raw data).

As adaptext's pipeline builds it: seq_bn adapter (reduction 16) in the layers above floor(L/2),
a 2-label classification head on the masked mean of the last layer (the checkpoint's pooler was
never trained; the pooler is still computed, as BertModel does), everything but the adapter and
the head frozen (requires_grad=False). AdamW groups adapters lr 5e-4 / head 2e-5, weight decay
0.01 except biases and LayerNorm, betas 0.9/0.999, eps 1e-8, LambdaLR linear warm-up 32 of 320
steps, clip_grad_norm_ 1.0 over the trainable parameters, batch 16 x 128 from hash32 (the same
ids and labels as stage3Batch in stage3-step.ts).
"""
import json
import math
import os
import struct

import torch
import torch.nn.functional as F

STAGE3 = {'batch': 16, 'seq': 128, 'reduction': 16, 'weight_decay': 0.01, 'betas': (0.9, 0.999), 'eps': 1e-8,
          'warmup_ratio': 0.1, 'total_steps': 320, 'clip': 1.0, 'data_seed': 3003, 'lr_adapters': 5e-4, 'lr_heads': 2e-5}


def read_safetensors(path):
    dtypes = {'F16': torch.float16, 'F32': torch.float32, 'BF16': torch.bfloat16}
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == '__metadata__':
            continue
        a, b = v['data_offsets']
        out[k] = torch.frombuffer(bytearray(data[a:b]), dtype=dtypes[v['dtype']]).reshape(v['shape']).float()
    return out


def peer_key(k):
    """HF BertForMaskedLM key -> torch_peer.BertClassifier key (None: not part of the encoder)."""
    if not k.startswith('bert.'):
        return None
    k = k[len('bert.'):].replace('encoder.layer.', 'layer.').replace('.attention.self.', '.attention_self.')
    k = k.replace('.attention.output.', '.attention_output.').replace('.intermediate.dense.', '.intermediate.')
    return k.replace('pooler.dense.', 'pooler.')


class MiniCfg:
    def __init__(self, c, drop):
        self.hidden = c['hidden_size']
        self.layers = c['num_hidden_layers']
        self.heads = c['num_attention_heads']
        self.inter = c['intermediate_size']
        self.vocab = c['vocab_size']
        self.max_pos = c['max_position_embeddings']
        self.type_vocab = c['type_vocab_size']
        self.eps = c.get('layer_norm_eps', 1e-12)
        self.drop = drop
        self.init_range = c.get('initializer_range', 0.02)


def stage3_batch(B, T, V, hash32, seed=STAGE3['data_seed']):
    ids = torch.tensor([5 + hash32(seed, i) % (V - 5) for i in range(B * T)]).view(B, T)
    labels = torch.tensor([hash32(seed, B * T + i) & 1 for i in range(B)])
    return ids, labels


def setup_stage3_step(args, root, BertClassifier, Adapter, init_weights, hash32):
    """Returns (model, trainable params, step, B, T, extra result fields)."""
    d = os.path.join(root, 'models', 'adaptext-mini-en')
    with open(os.path.join(d, 'config.json')) as f:
        cj = json.load(f)
    if args.dropout != cj['hidden_dropout_prob'] or args.dropout != cj['attention_probs_dropout_prob']:
        raise SystemExit(f"torch_stage3: scenario e trains with the bundled model's dropout; --dropout {args.dropout} is not supported")
    c = MiniCfg(cj, args.dropout)
    B = args.batch or STAGE3['batch']
    T = args.seq
    assert T <= c.max_pos, f'--seq {T} exceeds max_position_embeddings {c.max_pos}'
    model = BertClassifier(c)
    model.pooling = 'mean'
    state = model.state_dict()
    loaded = set()
    for k, t in read_safetensors(os.path.join(d, 'model.safetensors')).items():
        pk = peer_key(k)
        if pk is None:
            continue
        if pk not in state or state[pk].shape != t.shape:
            raise SystemExit(f'torch_stage3: {k} -> {pk} does not fit the peer model')
        state[pk].copy_(t)
        loaded.add(pk)
    missing = [k for k in state if k not in loaded and not k.startswith('classifier.')]
    if missing:
        raise SystemExit(f'torch_stage3: not in the bundled weights: {missing}')
    frozen_layers = c.layers // 2
    for i in range(frozen_layers, c.layers):
        ad = Adapter(c.hidden, c.hidden // STAGE3['reduction'])
        ad.apply(lambda m: init_weights(m, c.init_range))
        model.layer[i].output.adapter = ad
    named = []
    for n, p in model.named_parameters():
        p.requires_grad = '.adapter.' in n or n.startswith('classifier.')
        if p.requires_grad:
            named.append((n, p))
    trainable = [p for _, p in named]

    def group(pred, lr):
        ps = [(n, p) for n, p in named if pred(n)]
        nd = lambda n: n.endswith('bias') or 'LayerNorm' in n  # noqa: E731
        return [{'params': [p for n, p in ps if not nd(n)], 'lr': lr, 'weight_decay': STAGE3['weight_decay']},
                {'params': [p for n, p in ps if nd(n)], 'lr': lr, 'weight_decay': 0.0}]
    groups = group(lambda n: '.adapter.' in n, STAGE3['lr_adapters']) + group(lambda n: n.startswith('classifier.'), STAGE3['lr_heads'])
    opt = torch.optim.AdamW([g for g in groups if g['params']], betas=STAGE3['betas'], eps=STAGE3['eps'])
    N = STAGE3['total_steps']
    W = math.ceil(STAGE3['warmup_ratio'] * N)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: s / max(1, W) if s < W else max(0.0, (N - s) / max(1, N - W)))
    ids, labels = stage3_batch(B, T, c.vocab, hash32)
    tt = torch.zeros(B, T, dtype=torch.long)
    mask = torch.ones(B, T, dtype=torch.long)
    model.train()
    last = {}

    def step():
        opt.zero_grad(set_to_none=True)
        with args.autocast():
            loss = F.cross_entropy(model(ids, tt, mask), labels)
        loss.backward()
        gn = float(torch.nn.utils.clip_grad_norm_(trainable, STAGE3['clip']))
        opt.step()
        sched.step()
        last['lastLoss'] = float(loss)
        last['lastGradNorm'] = gn

    extra = {'modelDir': os.path.abspath(d), 'frozenLayers': frozen_layers, 'pooling': 'mean', 'tokensPerStep': B * T,
             'batchChecksum': [int(ids.sum()), int(labels.sum())],
             'recipe': {**STAGE3, 'betas': list(STAGE3['betas'])}, 'last': last}
    return model, trainable, step, B, T, extra
