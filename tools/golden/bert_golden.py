#!/usr/bin/python3
"""Golden fixtures for the BERT / RoBERTa model, adapters and heads.

Run with Debian's torch:  /usr/bin/python3 tools/golden/bert_golden.py
Writes test/fixtures/models/<variant>/ (committed; CI never runs Python):
  config.json, model.safetensors      a tiny random checkpoint in Hugging Face layout
  adapters/<name>/                     AdapterHub adapter folders (adapter_config.json + adapter.safetensors)
  extras.safetensors                   extra head weights under AdapterModel names (heads.<name>.<idx>.*)
  golden.json                          inputs, labels, scalar losses, which adapter/heads were used
  golden.safetensors                   outputs and EVERY parameter gradient (grad.<model param name>)

`transformers` and `adapters` are not installed here, so the reference is written in plain
torch, mirroring transformers/models/bert/modeling_bert.py, models/roberta/modeling_roberta.py
and adapters/methods/modeling.py (Adapter.pre_forward / forward / post_forward) line by line.
Computation is float64 (a better reference for our float32), eval mode (no dropout).
"""
import json
import math
import os
import struct
import sys

import torch
from torch import nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "test", "fixtures", "models")
DTYPE = torch.float64

# ----------------------------------------------------------------------------------------------
# safetensors writer (the `safetensors` package is not available here; the format is tiny)


def write_safetensors(path, tensors, metadata=None):
    header = {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        if t.dtype in (torch.float64, torch.float32):
            t = t.to(torch.float32)
            dt = "F32"
        elif t.dtype == torch.int64:
            dt = "I64"
        else:
            raise ValueError(f"unsupported dtype {t.dtype} for {name}")
        b = t.numpy().tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    header["__metadata__"] = metadata or {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# ----------------------------------------------------------------------------------------------
# Reference model: modeling_bert.py / modeling_roberta.py (absolute positions, encoder only)


class Cfg:
    def __init__(self, **kw):
        self.__dict__.update(kw)


ACT2FN = {"gelu": nn.functional.gelu, "relu": nn.functional.relu, "swish": nn.functional.silu,
          "silu": nn.functional.silu, "tanh": torch.tanh}


class BertEmbeddings(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.register_buffer("position_ids", torch.arange(config.max_position_embeddings).expand((1, -1)))
        self.is_roberta = config.model_type == "roberta"
        self.padding_idx = config.pad_token_id

    def forward(self, input_ids, token_type_ids=None):
        input_shape = input_ids.size()
        seq_length = input_shape[1]
        if self.is_roberta:
            # RobertaEmbeddings: positions from create_position_ids_from_input_ids
            position_ids = create_position_ids_from_input_ids(input_ids, self.padding_idx, 0)
        else:
            position_ids = self.position_ids[:, 0:seq_length]
        if token_type_ids is None:
            token_type_ids = torch.zeros(input_shape, dtype=torch.long)
        inputs_embeds = self.word_embeddings(input_ids)
        token_type_embeddings = self.token_type_embeddings(token_type_ids)
        embeddings = inputs_embeds + token_type_embeddings
        position_embeddings = self.position_embeddings(position_ids)
        embeddings += position_embeddings
        embeddings = self.LayerNorm(embeddings)
        embeddings = self.dropout(embeddings)
        return embeddings


def create_position_ids_from_input_ids(input_ids, padding_idx, past_key_values_length=0):
    mask = input_ids.ne(padding_idx).int()
    incremental_indices = (torch.cumsum(mask, dim=1).type_as(mask) + past_key_values_length) * mask
    return incremental_indices.long() + padding_idx


class BertSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = int(config.hidden_size / config.num_attention_heads)
        self.all_head_size = self.num_attention_heads * self.attention_head_size
        self.query = nn.Linear(config.hidden_size, self.all_head_size)
        self.key = nn.Linear(config.hidden_size, self.all_head_size)
        self.value = nn.Linear(config.hidden_size, self.all_head_size)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def transpose_for_scores(self, x):
        new_x_shape = x.size()[:-1] + (self.num_attention_heads, self.attention_head_size)
        x = x.view(*new_x_shape)
        return x.permute(0, 2, 1, 3)

    def forward(self, hidden_states, attention_mask=None):
        mixed_query_layer = self.query(hidden_states)
        key_layer = self.transpose_for_scores(self.key(hidden_states))
        value_layer = self.transpose_for_scores(self.value(hidden_states))
        query_layer = self.transpose_for_scores(mixed_query_layer)
        attention_scores = torch.matmul(query_layer, key_layer.transpose(-1, -2))
        attention_scores = attention_scores / math.sqrt(self.attention_head_size)
        if attention_mask is not None:
            attention_scores = attention_scores + attention_mask
        attention_probs = nn.functional.softmax(attention_scores, dim=-1)
        attention_probs = self.dropout(attention_probs)
        context_layer = torch.matmul(attention_probs, value_layer)
        context_layer = context_layer.permute(0, 2, 1, 3).contiguous()
        new_context_layer_shape = context_layer.size()[:-2] + (self.all_head_size,)
        context_layer = context_layer.view(*new_context_layer_shape)
        return context_layer


class BottleneckLayer(nn.Module):
    """adapters/methods/bottleneck.py BottleneckLayer.bottleneck_layer_forward for a single active adapter."""

    def __init__(self):
        super().__init__()
        self.adapters = nn.ModuleDict()
        self.active = None

    def bottleneck_layer_forward(self, hidden_states, residual_input, layer_norm):
        if self.active is not None and self.active in self.adapters:
            adapter = self.adapters[self.active]
            input_hidden_states = hidden_states
            hidden_states, _, residual = adapter.pre_forward(hidden_states, residual_input, layer_norm)
            hidden_states, _, _ = adapter(hidden_states, residual_input=residual)
            hidden_states = adapter.post_forward(hidden_states, input_hidden_states, residual_input, layer_norm)
        else:
            hidden_states = layer_norm(hidden_states + residual_input)
        return hidden_states


class BertSelfOutput(BottleneckLayer):  # BertSelfOutputWithAdapters: location "mh_adapter"
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states, input_tensor):
        hidden_states = self.dense(hidden_states)
        hidden_states = self.dropout(hidden_states)
        hidden_states = self.bottleneck_layer_forward(hidden_states, input_tensor, self.LayerNorm)
        return hidden_states


class BertAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config)

    def forward(self, hidden_states, attention_mask=None):
        self_outputs = self.self(hidden_states, attention_mask)
        return self.output(self_outputs, hidden_states)


class BertIntermediate(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = ACT2FN[config.hidden_act]

    def forward(self, hidden_states):
        return self.intermediate_act_fn(self.dense(hidden_states))


class BertOutput(BottleneckLayer):  # BertOutputWithAdapters: location "output_adapter"
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states, input_tensor):
        hidden_states = self.dense(hidden_states)
        hidden_states = self.dropout(hidden_states)
        hidden_states = self.bottleneck_layer_forward(hidden_states, input_tensor, self.LayerNorm)
        return hidden_states


class BertLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)

    def forward(self, hidden_states, attention_mask=None):
        attention_output = self.attention(hidden_states, attention_mask)
        intermediate_output = self.intermediate(attention_output)
        return self.output(intermediate_output, attention_output)


class BertEncoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(config) for _ in range(config.num_hidden_layers)])

    def forward(self, hidden_states, attention_mask=None):
        for layer_module in self.layer:
            hidden_states = layer_module(hidden_states, attention_mask)
        return hidden_states


class BertPooler(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = nn.Tanh()

    def forward(self, hidden_states):
        first_token_tensor = hidden_states[:, 0]
        return self.activation(self.dense(first_token_tensor))


def get_extended_attention_mask(attention_mask, dtype):
    # modeling_utils.ModuleUtilsMixin.get_extended_attention_mask (encoder case)
    extended_attention_mask = attention_mask[:, None, None, :]
    extended_attention_mask = extended_attention_mask.to(dtype=dtype)
    extended_attention_mask = (1.0 - extended_attention_mask) * torch.finfo(dtype).min
    return extended_attention_mask


class BertModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config)

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        extended = get_extended_attention_mask(attention_mask, self.embeddings.word_embeddings.weight.dtype)
        embedding_output = self.embeddings(input_ids, token_type_ids)
        sequence_output = self.encoder(embedding_output, extended)
        pooled_output = self.pooler(sequence_output)
        return sequence_output, pooled_output


# ----------------------------------------------------------------------------------------------
# AdapterHub bottleneck adapter (adapters/methods/modeling.py `Adapter`), BnConfig subset


class Adapter(nn.Module):
    def __init__(self, input_size, down_sample, config):
        super().__init__()
        self.add_layer_norm_before = config["ln_before"]
        self.add_layer_norm_after = config["ln_after"]
        self.adapter_residual_before_ln = config["adapter_residual_before_ln"]
        self.residual_before_ln = config["residual_before_ln"]
        self.original_ln_before = config["original_ln_before"]
        self.original_ln_after = config["original_ln_after"]
        seq_list = []
        if self.add_layer_norm_before:
            self.adapter_norm_before = nn.LayerNorm(input_size)
            seq_list.append(self.adapter_norm_before)
        seq_list.append(nn.Linear(input_size, down_sample))
        act = config["non_linearity"].lower()
        self.non_linearity_fn = ACT2FN[act]
        seq_list.append(Act(self.non_linearity_fn))
        self.adapter_down = nn.Sequential(*seq_list)
        self.adapter_up = nn.Linear(down_sample, input_size)
        self.scaling = config["scaling"]
        if self.add_layer_norm_after:
            self.adapter_norm_after = nn.LayerNorm(input_size)

    def pre_forward(self, hidden_states, input_tensor, layer_norm):
        if self.residual_before_ln is True:
            residual = hidden_states
        if self.original_ln_before:
            if layer_norm:
                hidden_states = hidden_states + input_tensor
                if self.residual_before_ln == "post_add":
                    residual = hidden_states
                hidden_states = layer_norm(hidden_states)
            else:
                hidden_states = hidden_states + input_tensor
        if not self.residual_before_ln:
            residual = hidden_states
        return hidden_states, None, residual

    def forward(self, x, residual_input):
        down = self.adapter_down(x)
        up = self.adapter_up(down)
        up = up * self.scaling
        output = up  # dropout(p=0.0)
        if self.adapter_residual_before_ln:
            output = output + residual_input
        if self.add_layer_norm_after:
            output = self.adapter_norm_after(output)
        if not self.adapter_residual_before_ln:
            output = output + residual_input
        return output, down, up

    def post_forward(self, hidden_states, input_hidden_states, input_tensor, layer_norm):
        if self.original_ln_after:
            if layer_norm:
                hidden_states = layer_norm(hidden_states + input_tensor)
            else:
                hidden_states = hidden_states + input_tensor
        return hidden_states


class Act(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return self.f(x)


SEQ_BN = dict(  # SeqBnConfig (Pfeiffer) + BnConfig defaults
    mh_adapter=False, output_adapter=True, reduction_factor=16, non_linearity="relu",
    original_ln_before=True, original_ln_after=True, ln_before=False, ln_after=False, init_weights="bert",
    is_parallel=False, scaling=1.0, use_gating=False, residual_before_ln=True, adapter_residual_before_ln=False,
    inv_adapter=None, inv_adapter_reduction_factor=None, cross_adapter=False, leave_out=[], dropout=0.0,
    phm_layer=False, phm_dim=4, factorized_phm_W=True, shared_W_phm=False, shared_phm_rule=True,
    factorized_phm_rule=False, phm_c_init="normal", phm_init_range=0.0001, learn_phm=True,
    hypercomplex_nonlinearity="glorot-uniform", phm_rank=1, phm_bias=True, stochastic_depth=0.0,
)
DOUBLE_SEQ_BN = dict(SEQ_BN, mh_adapter=True, output_adapter=True, non_linearity="swish", original_ln_before=False)


def add_adapter(model, name, config):
    H = model.config.hidden_size
    for i, layer in enumerate(model.encoder.layer):
        if i in config["leave_out"]:
            continue
        down = max(1, int(H // config["reduction_factor"]))
        if config["mh_adapter"]:
            layer.attention.output.adapters[name] = Adapter(H, down, config).to(DTYPE)
        if config["output_adapter"]:
            layer.output.adapters[name] = Adapter(H, down, config).to(DTYPE)


def set_active_adapter(model, name):
    for layer in model.encoder.layer:
        layer.attention.output.active = name
        layer.output.active = name


# ----------------------------------------------------------------------------------------------
# Heads (AdapterHub flex-head layouts; math equal to the HF *For* classes)


class Seq(nn.Sequential):
    pass


def classification_head(H, num_labels, layers, act):
    # adapters/heads/base.py PredictionHead.build: [Dropout, Linear, Act, Dropout, Linear] for layers=2
    mods = []
    for l_id in range(layers):
        mods.append(nn.Dropout(0.1))
        if l_id < layers - 1:
            mods.append(nn.Linear(H, H))
            mods.append(Act(ACT2FN[act]))
        else:
            mods.append(nn.Linear(H, num_labels))
    return Seq(*mods).to(DTYPE)


def discriminator_head(H, hidden, num_domains):
    return Seq(nn.Dropout(0.1), nn.Linear(H, hidden), Act(nn.functional.relu), nn.Dropout(0.1),
               nn.Linear(hidden, num_domains)).to(DTYPE)


class GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lam):
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return -ctx.lam * g, None


class BertLMHead(nn.Module):  # BertLMPredictionHead (decoder tied to word embeddings)
    def __init__(self, config, word_embeddings):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.word_embeddings = word_embeddings
        self.act = ACT2FN[config.hidden_act]

    def forward(self, x):
        x = self.LayerNorm(self.act(self.dense(x)))
        return nn.functional.linear(x, self.word_embeddings.weight, self.bias)


class RobertaLMHead(nn.Module):
    def __init__(self, config, word_embeddings):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.word_embeddings = word_embeddings

    def forward(self, features):
        x = self.dense(features)
        x = nn.functional.gelu(x)
        x = self.layer_norm(x)
        return nn.functional.linear(x, self.word_embeddings.weight, self.bias)


# ----------------------------------------------------------------------------------------------


def randomize(module, gen, std=0.1):
    """Random weights everywhere (LayerNorm weight around 1) so every path carries signal."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("LayerNorm.weight") or name.endswith("layer_norm.weight") or "norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=gen, dtype=DTYPE))
            else:
                p.copy_(std * torch.randn(p.shape, generator=gen, dtype=DTYPE))


def config_json(cfg):
    d = {
        "architectures": [cfg.architecture],
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": cfg.hidden_act,
        "hidden_dropout_prob": 0.1,
        "hidden_size": cfg.hidden_size,
        "initializer_range": 0.02,
        "intermediate_size": cfg.intermediate_size,
        "layer_norm_eps": cfg.layer_norm_eps,
        "max_position_embeddings": cfg.max_position_embeddings,
        "model_type": cfg.model_type,
        "num_attention_heads": cfg.num_attention_heads,
        "num_hidden_layers": cfg.num_hidden_layers,
        "pad_token_id": cfg.pad_token_id,
        "position_embedding_type": "absolute",
        "type_vocab_size": cfg.type_vocab_size,
        "vocab_size": cfg.vocab_size,
        "transformers_version": "4.40.0",
    }
    if cfg.model_type == "roberta":
        d["bos_token_id"] = 0
        d["eos_token_id"] = 2
    return d


def write_adapter_folder(path, name, config, model, prefix, model_class, model_type):
    os.makedirs(path, exist_ok=True)
    sd = {}
    for k, v in model.state_dict().items():
        if f".adapters.{name}." in k:
            sd[prefix + k] = v
    write_safetensors(os.path.join(path, "adapter.safetensors"), sd)
    cfg = {
        "config": config,
        "hidden_size": model.config.hidden_size,
        "model_class": model_class,
        "model_name": None,
        "model_type": model_type,
        "name": name,
        "version": "adapters.1.1.0",
    }
    with open(os.path.join(path, "adapter_config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)


def base_cfg(**kw):
    d = dict(hidden_size=32, num_attention_heads=4, intermediate_size=64, hidden_act="gelu",
             hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, max_position_embeddings=40,
             vocab_size=100)
    d.update(kw)
    return Cfg(**d)


def plain_variant(dirname, key_fn, seed, input_ids, attention_mask, token_type_ids, note):
    """A checkpoint whose keys are renamed by key_fn (un-prefixed BertModel, legacy gamma/beta), plain forward only."""
    gen = torch.Generator().manual_seed(seed)
    cfg = base_cfg(model_type="bert", num_hidden_layers=2, type_vocab_size=2, layer_norm_eps=1e-12, pad_token_id=0,
                   architecture="BertModel")
    model = BertModel(cfg).to(DTYPE)
    randomize(model, gen)
    model.eval()
    path = os.path.join(OUT, dirname)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(config_json(cfg), f, indent=2, sort_keys=True)
    sd = {key_fn(k): v for k, v in model.state_dict().items() if not k.endswith("position_ids")}
    write_safetensors(os.path.join(path, "model.safetensors"), sd)
    with torch.no_grad():
        seq, pooled = model(input_ids, attention_mask, token_type_ids)
    write_safetensors(os.path.join(path, "golden.safetensors"), {"out.last_hidden_state": seq, "out.pooled": pooled})
    with open(os.path.join(path, "golden.json"), "w") as f:
        json.dump({"note": note, "input_ids": input_ids.tolist(), "attention_mask": attention_mask.tolist(),
                   "token_type_ids": token_type_ids.tolist()}, f, indent=1)


def full_variant(kind, seed):
    """Full scenario: checkpoint with LM head, two adapters (one active), several heads, GRL loss, all grads."""
    gen = torch.Generator().manual_seed(seed)
    roberta = kind == "roberta"
    if roberta:
        cfg = base_cfg(model_type="roberta", num_hidden_layers=2, type_vocab_size=1, layer_norm_eps=1e-5,
                       pad_token_id=1, architecture="RobertaForMaskedLM")
    else:
        cfg = base_cfg(model_type="bert", num_hidden_layers=3, type_vocab_size=2, layer_norm_eps=1e-12,
                       pad_token_id=0, architecture="BertForPreTraining")
    H = cfg.hidden_size
    model = BertModel(cfg).to(DTYPE)
    lm = (RobertaLMHead if roberta else BertLMHead)(cfg, model.embeddings.word_embeddings).to(DTYPE)
    randomize(model, gen)
    randomize(lm, gen)

    # Adapters: the active target adapter and an inactive source one (its grads must stay empty)
    if roberta:
        acfg = dict(DOUBLE_SEQ_BN, reduction_factor=4, leave_out=[0])  # Houlsby, swish
        acfg_other = dict(DOUBLE_SEQ_BN, reduction_factor=8, leave_out=[0])
    else:
        acfg = dict(SEQ_BN, reduction_factor=8, leave_out=[0])  # Pfeiffer, relu, layers 1..2
        acfg_other = dict(SEQ_BN, reduction_factor=8, leave_out=[0])
    add_adapter(model, "target", acfg)
    add_adapter(model, "source", acfg_other)
    for layer in model.encoder.layer:
        randomize(layer.attention.output.adapters, gen)
        randomize(layer.output.adapters, gen)
    set_active_adapter(model, "target")

    # Heads
    heads = nn.ModuleDict()
    if roberta:
        heads["topic"] = classification_head(H, 3, 2, "tanh")  # RobertaClassificationHead on <s>
        heads["ner"] = classification_head(H, 5, 1, "tanh")  # token classification
    else:
        heads["sentiment"] = classification_head(H, 2, 1, "tanh")  # BertForSequenceClassification on pooled
    heads["domain"] = discriminator_head(H, 16, 2)
    randomize(heads, gen)

    model.eval()
    lm.eval()
    heads.eval()

    # Inputs with padding (row 0 full, rows 1-2 padded at the end)
    B, T = 3, 7
    pad = cfg.pad_token_id
    ids = torch.randint(3, cfg.vocab_size, (B, T), generator=gen)
    lengths = [7, 5, 3]
    attention_mask = torch.zeros(B, T, dtype=torch.long)
    for b, n in enumerate(lengths):
        attention_mask[b, :n] = 1
        ids[b, n:] = pad
    ids[:, 0] = 0 if roberta else 2  # <s> / [CLS]-like
    token_type_ids = torch.zeros(B, T, dtype=torch.long)
    if not roberta:
        token_type_ids[0, 4:] = 1
        token_type_ids[1, 3:5] = 1
    mlm_labels = torch.full((B, T), -100, dtype=torch.long)
    mlm_labels[0, 2] = 17
    mlm_labels[1, 1] = 42
    mlm_labels[2, 2] = 5
    mlm_labels[0, 5] = 99
    domain_labels = torch.tensor([0, 1, 1])
    grl_lambda = 0.3

    seq, pooled = model(ids, attention_mask, token_type_ids if not roberta else None)
    mlm_logits = lm(seq)
    ce = nn.functional.cross_entropy
    losses = {"mlm": ce(mlm_logits.view(-1, cfg.vocab_size), mlm_labels.view(-1))}
    outs = {"out.last_hidden_state": seq, "out.pooled": pooled, "out.logits.mlm": mlm_logits}
    labels = {"mlm": mlm_labels.tolist(), "domain": domain_labels.tolist()}
    if roberta:
        topic_logits = heads["topic"](seq[:, 0, :])
        topic_labels = torch.tensor([2, 0, 1])
        ner_logits = heads["ner"](seq)
        ner_labels = torch.randint(0, 5, (B, T), generator=gen)
        ner_labels[attention_mask == 0] = -100
        ner_labels[0, 3] = -100  # a non-first sub-token
        losses["topic"] = ce(topic_logits, topic_labels)
        losses["ner"] = ce(ner_logits.view(-1, 5), ner_labels.view(-1))
        outs["out.logits.topic"] = topic_logits
        outs["out.logits.ner"] = ner_logits
        labels["topic"] = topic_labels.tolist()
        labels["ner"] = ner_labels.tolist()
    else:
        sent_logits = heads["sentiment"](pooled)
        sent_labels = torch.tensor([1, 0, 1])
        losses["sentiment"] = ce(sent_logits, sent_labels)
        outs["out.logits.sentiment"] = sent_logits
        labels["sentiment"] = sent_labels.tolist()
    dom_logits = heads["domain"](GradReverse.apply(pooled, grl_lambda))
    losses["domain"] = ce(dom_logits, domain_labels)
    outs["out.logits.domain"] = dom_logits
    loss = sum(losses.values())
    loss.backward()

    # Plain forward without any active adapter (the vanilla model)
    set_active_adapter(model, None)
    with torch.no_grad():
        seq_plain, pooled_plain = model(ids, attention_mask, token_type_ids if not roberta else None)
    outs["out.plain.last_hidden_state"] = seq_plain
    outs["out.plain.pooled"] = pooled_plain

    prefix = "roberta." if roberta else "bert."
    path = os.path.join(OUT, f"{kind}_tiny")
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(config_json(cfg), f, indent=2, sort_keys=True)

    # Checkpoint in HF layout: backbone + LM head (+ NSP for BERT, + position_ids buffer)
    ckpt = {}
    for k, v in model.state_dict().items():
        if ".adapters." in k:
            continue
        ckpt[prefix + k] = v
    wte = model.embeddings.word_embeddings.weight
    if roberta:
        ckpt["lm_head.dense.weight"] = lm.dense.weight
        ckpt["lm_head.dense.bias"] = lm.dense.bias
        ckpt["lm_head.layer_norm.weight"] = lm.layer_norm.weight
        ckpt["lm_head.layer_norm.bias"] = lm.layer_norm.bias
        ckpt["lm_head.decoder.weight"] = wte  # stored tied copy
        ckpt["lm_head.bias"] = lm.bias
    else:
        ckpt["cls.predictions.transform.dense.weight"] = lm.dense.weight
        ckpt["cls.predictions.transform.dense.bias"] = lm.dense.bias
        ckpt["cls.predictions.transform.LayerNorm.weight"] = lm.LayerNorm.weight
        ckpt["cls.predictions.transform.LayerNorm.bias"] = lm.LayerNorm.bias
        ckpt["cls.predictions.decoder.weight"] = wte  # stored tied copy
        ckpt["cls.predictions.bias"] = lm.bias
        ckpt["cls.predictions.decoder.bias"] = lm.bias
        ckpt["cls.seq_relationship.weight"] = 0.1 * torch.randn(2, H, generator=gen, dtype=DTYPE)
        ckpt["cls.seq_relationship.bias"] = torch.zeros(2, dtype=DTYPE)
    write_safetensors(os.path.join(path, "model.safetensors"), ckpt)

    model_class = "RobertaAdapterModel" if roberta else "BertAdapterModel"
    write_adapter_folder(os.path.join(path, "adapters", "target"), "target", acfg, model, prefix, model_class, cfg.model_type)
    write_adapter_folder(os.path.join(path, "adapters", "source"), "source", acfg_other, model, prefix, model_class, cfg.model_type)

    extras = {f"heads.{k}": v for k, v in heads.state_dict().items()}
    write_safetensors(os.path.join(path, "extras.safetensors"), extras)

    # Gradients under AdapterModel names: <prefix>backbone, heads.<name>.<idx>, heads.mlm.* (flex layout)
    grads = {}
    for k, p in model.named_parameters():
        if p.grad is not None:
            grads["grad." + prefix + k] = p.grad
    if roberta:
        lm_names = {"dense.weight": "0.weight", "dense.bias": "0.bias", "layer_norm.weight": "2.weight",
                    "layer_norm.bias": "2.bias", "bias": "3.bias"}
    else:
        lm_names = {"dense.weight": "0.weight", "dense.bias": "0.bias", "LayerNorm.weight": "2.weight",
                    "LayerNorm.bias": "2.bias", "bias": "3.bias"}
    for k, p in lm.named_parameters():
        if k.startswith("word_embeddings"):
            continue
        grads["grad.heads.mlm." + lm_names[k]] = p.grad
    for k, p in heads.named_parameters():
        grads["grad.heads." + k] = p.grad
    inactive = sorted(prefix + k for k, p in model.named_parameters() if ".adapters.source." in k)
    assert all(p.grad is None for k, p in model.named_parameters() if ".adapters.source." in k)

    tensors = dict(outs)
    tensors.update(grads)
    write_safetensors(os.path.join(path, "golden.safetensors"), tensors)
    meta = {
        "note": "generated by tools/golden/bert_golden.py (float64 reference, eval mode)",
        "input_ids": ids.tolist(),
        "attention_mask": attention_mask.tolist(),
        "token_type_ids": token_type_ids.tolist() if not roberta else None,
        "labels": labels,
        "losses": {k: v.item() for k, v in losses.items()},
        "loss": loss.item(),
        "grl_lambda": grl_lambda,
        "active_adapter": "target",
        "inactive_adapter_params": inactive,
        "heads": {
            "mlm": {"type": "masked_lm"},
            **({"topic": {"type": "sequence_classification", "num_labels": 3, "style": "roberta"},
                "ner": {"type": "token_classification", "num_labels": 5}} if roberta else
               {"sentiment": {"type": "sequence_classification", "num_labels": 2, "style": "bert"}}),
            "domain": {"type": "domain_discriminator", "num_domains": 2, "hidden_sizes": [16]},
        },
    }
    with open(os.path.join(path, "golden.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"{kind}: loss {loss.item():.6f}, {len(grads)} gradients, outputs {list(outs)}")
    return ids, attention_mask, token_type_ids


def adapter_variant(seed):
    """Non-default BnConfig options: ln_before (stored twice by AdapterHub), ln_after, adapter_residual_before_ln,
    residual_before_ln=False, scaling, gelu; loss = sum(last_hidden_state * R) with a stored random R."""
    gen = torch.Generator().manual_seed(seed)
    cfg = base_cfg(model_type="bert", num_hidden_layers=2, type_vocab_size=2, layer_norm_eps=1e-12, pad_token_id=0,
                   architecture="BertModel")
    model = BertModel(cfg).to(DTYPE)
    randomize(model, gen)
    acfg = dict(SEQ_BN, mh_adapter=True, reduction_factor=4, non_linearity="gelu", ln_before=True, ln_after=True,
                adapter_residual_before_ln=True, residual_before_ln=False, scaling=0.5, init_weights="houlsby",
                leave_out=[])
    add_adapter(model, "variant", acfg)
    for layer in model.encoder.layer:
        randomize(layer.attention.output.adapters, gen)
        randomize(layer.output.adapters, gen)
    set_active_adapter(model, "variant")
    model.eval()
    B, T = 2, 6
    ids = torch.randint(3, cfg.vocab_size, (B, T), generator=gen)
    mask = torch.ones(B, T, dtype=torch.long)
    mask[1, 4:] = 0
    ids[1, 4:] = 0
    R = torch.randn(B, T, cfg.hidden_size, generator=gen, dtype=DTYPE)
    seq, pooled = model(ids, mask, None)
    loss = (seq * R).sum()
    loss.backward()
    path = os.path.join(OUT, "bert_adapter_variant")
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(config_json(cfg), f, indent=2, sort_keys=True)
    write_safetensors(os.path.join(path, "model.safetensors"),
                      {k: v for k, v in model.state_dict().items() if ".adapters." not in k and not k.endswith("position_ids")})
    write_adapter_folder(os.path.join(path, "adapters", "variant"), "variant", acfg, model, "", "BertModel", "bert")
    tensors = {"out.last_hidden_state": seq, "in.R": R}
    for k, p in model.named_parameters():
        if ".adapters." in k:
            tensors["grad.bert." + k] = p.grad
    write_safetensors(os.path.join(path, "golden.safetensors"), tensors)
    with open(os.path.join(path, "golden.json"), "w") as f:
        json.dump({"note": "adapter config variants; adapter tensors saved without prefix (BertModel + adapters)",
                   "input_ids": ids.tolist(), "attention_mask": mask.tolist(), "token_type_ids": None,
                   "loss": loss.item()}, f, indent=1)
    print(f"adapter variant: loss {loss.item():.6f}")


def main():
    torch.manual_seed(0)
    adapter_variant(99)
    ids, mask, tt = full_variant("bert", 1234)
    full_variant("roberta", 4321)
    plain_variant("bert_unprefixed", lambda k: k, 77, ids, mask, tt,
                  "BertModel checkpoint without the bert. prefix")

    def gamma_beta(k):
        k = "bert." + k
        if "LayerNorm.weight" in k:
            return k.replace("LayerNorm.weight", "LayerNorm.gamma")
        if "LayerNorm.bias" in k:
            return k.replace("LayerNorm.bias", "LayerNorm.beta")
        return k

    plain_variant("bert_gamma_beta", gamma_beta, 78, ids, mask, tt, "legacy LayerNorm gamma/beta names, bert. prefix")
    for root, _, files in os.walk(OUT):
        for fn in files:
            p = os.path.join(root, fn)
            size = os.path.getsize(p)
            if size > 1_000_000:
                sys.exit(f"fixture too large: {p} ({size} bytes)")


if __name__ == "__main__":
    main()
