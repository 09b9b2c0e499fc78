"""Independent float64 PyTorch reference of METER-EAS inference, written from DESIGN-METER.md.

Plain eager torch, no autograd, no nn.Module, every computation in float64 (weights are
float32 arrays widened on load). One row at a time: each function takes a single row, so the
engine's batching is checked against something that cannot batch.

Weight names are the original METER-EAS state_dict names (DESIGN-METER.md section 6), with
Conv1d weights squeezed from [out, in/groups, 1] to [out, in/groups]; Linear weights [out, in].

Skip sets: a set of module names "t{i}s", "t{i}c", "i{i}s", "i{i}c" (text/image, self/cross,
fusion layer i). `modules_of(indices, original_mapping)` turns the 24 candidate indices into
modules: 0-5 text self, 6-11 text cross, 12-17 image self, 18-23 image cross (intended) or
image self again (the original's bug, section 3.4).
"""

import math

import torch

DT = torch.float64
PAD = 1
N_FUSION = 6


def t(w, name):
    return torch.as_tensor(w[name], dtype=DT)


def layernorm(x, w, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


def linear(w, prefix, x):
    return x @ t(w, prefix + ".weight").T + t(w, prefix + ".bias")


def ln(w, prefix, x, eps):
    return layernorm(x, t(w, prefix + ".weight"), t(w, prefix + ".bias"), eps)


def grouped(w, prefix, x, groups):
    """1x1 conv with groups: output block g reads the contiguous input block g."""
    W = t(w, prefix + ".weight")                     # [out, in/groups]
    out, inn = W.shape[0] // groups, W.shape[1]
    parts = [x[..., g * inn:(g + 1) * inn] @ W[g * out:(g + 1) * out].T for g in range(groups)]
    return torch.cat(parts, -1) + t(w, prefix + ".bias")


def attention(q, k, v, key_mask, heads):
    """q [T, d], k/v [S, d]; key_mask [S] of 0/1 -> additive (1 - m) * -10000 (BERT)."""
    T, d = q.shape
    S = k.shape[0]
    dh = d // heads
    qh = q.view(T, heads, dh).transpose(0, 1)
    kh = k.view(S, heads, dh).transpose(0, 1)
    vh = v.view(S, heads, dh).transpose(0, 1)
    s = qh @ kh.transpose(1, 2) / math.sqrt(dh)
    if key_mask is not None:
        s = s + (1.0 - key_mask)[None, None, :] * -10000.0
    p = torch.softmax(s, -1)
    return (p @ vh).transpose(0, 1).reshape(T, d)


# ----------------------------------------------------------------------------- encoders

def roberta(w, cfg, ids):
    """ids [L] (pads = 1) -> [L, d] (section 2)."""
    p = "text_transformer."
    mask = (ids != PAD).to(DT)
    pos = torch.cumsum((ids != PAD).long(), 0) * (ids != PAD).long() + PAD
    e = t(w, p + "embeddings.word_embeddings.weight")[ids] + t(w, p + "embeddings.position_embeddings.weight")[pos] \
        + t(w, p + "embeddings.token_type_embeddings.weight")[0]
    h = ln(w, p + "embeddings.LayerNorm", e, cfg["text_ln_eps"])
    for i in range(cfg["text_layers"]):
        q = p + "encoder.layer.%d." % i
        a = attention(linear(w, q + "attention.self.query", h), linear(w, q + "attention.self.key", h),
                      linear(w, q + "attention.self.value", h), mask, cfg["heads"])
        h = ln(w, q + "attention.output.LayerNorm", h + linear(w, q + "attention.output.dense", a), cfg["text_ln_eps"])
        f = linear(w, q + "output.dense", gelu(linear(w, q + "intermediate.dense", h)))
        h = ln(w, q + "output.LayerNorm", h + f, cfg["text_ln_eps"])
    return h


def vit(w, cfg, pixels):
    """pixels [3, S, S] normalised -> [(S/p)^2 + 1, W] after ln_post (section 2)."""
    p = "vit_model.visual."
    P = cfg["patch_size"]
    conv = t(w, p + "conv1.weight")                 # [W, 3, P, P]
    G = cfg["image_size"] // P
    W = conv.shape[0]
    patches = pixels.view(3, G, P, G, P).permute(1, 3, 0, 2, 4).reshape(G * G, 3 * P * P)
    x = patches @ conv.reshape(W, -1).T
    x = torch.cat([t(w, p + "class_embedding")[None], x], 0) + t(w, p + "positional_embedding")
    x = ln(w, p + "ln_pre", x, cfg["vit_ln_eps"])
    for j in range(cfg["vit_blocks"]):
        b = p + "transformer.resblocks.%d." % j
        z = ln(w, b + "ln_1", x, cfg["vit_ln_eps"])
        qkv = z @ t(w, b + "attn.in_proj_weight").T + t(w, b + "attn.in_proj_bias")
        a = attention(qkv[:, :W], qkv[:, W:2 * W], qkv[:, 2 * W:], None, cfg["vit_heads"])
        x = x + linear(w, b + "attn.out_proj", a)
        z = ln(w, b + "ln_2", x, cfg["vit_ln_eps"])
        x = x + linear(w, b + "mlp.c_proj", quick_gelu(linear(w, b + "mlp.c_fc", z)))
    return ln(w, p + "ln_post", x, cfg["vit_ln_eps"])


# ----------------------------------------------------------------------------- fusion

def kept_adapter(w, prefix, z, groups):
    """Ad(z) = z + B(C z + bC) + bB (section 3.2)."""
    return z + grouped(w, prefix + ".conv_B", linear(w, prefix + ".conv_C", z), groups)


def pia(w, prefix, x0, x1, groups):
    """PIA(x0, x1) = B(0.5 (C x0 + bC + mean_n(A x1_n + bA))) + bB, mean over all tokens (section 3.3)."""
    m = linear(w, prefix + ".conv_A", x1).mean(0, keepdim=True)
    return grouped(w, prefix + ".conv_B", 0.5 * (linear(w, prefix + ".conv_C", x0) + m), groups)


def co_layer(w, cfg, prefix, h, o, m, m_o, skip_self, skip_cross):
    """One co-attention layer of one stream (section 3.2/3.3). h own stream, o other stream."""
    g, eps, H = cfg["adapter_groups"], cfg["fusion_ln_eps"], cfg["heads"]
    a = prefix + "attention."
    if skip_self:
        h1 = ln(w, a + "output.LayerNorm", h + pia(w, prefix + "adapter_self_attn", h, h, g), eps)
    else:
        u = kept_adapter(w, a + "adapter", h, g)
        att = attention(linear(w, a + "self.query", u), linear(w, a + "self.key", u), linear(w, a + "self.value", u),
                        m, H)
        h1 = ln(w, a + "output.LayerNorm", h + linear(w, a + "output.dense", att), eps)
    c = prefix + "crossattention."
    if skip_cross:
        h2 = ln(w, c + "output.LayerNorm", h1 + pia(w, prefix + "adapter_cross_attn", h, o, g), eps)
    else:
        u = kept_adapter(w, c + "adapter", h1, g)
        att = attention(linear(w, c + "self.query", u), linear(w, c + "self.key", o), linear(w, c + "self.value", o),
                        m_o, H)
        h2 = ln(w, c + "output.LayerNorm", h1 + linear(w, c + "output.dense", att), eps)
    u = kept_adapter(w, prefix + "intermediate.adapter", h2, g)
    f = linear(w, prefix + "output.dense", gelu(linear(w, prefix + "intermediate.dense", u)))
    return ln(w, prefix + "output.LayerNorm", h2 + f, eps)


def modules_of(indices, original_mapping):
    names = []
    for k in indices:
        layer = k % N_FUSION
        kind = ["ts", "tc", "is", "ic"][k // N_FUSION]
        if kind == "ic" and original_mapping:
            kind = "is"                              # apply_flag's bug: 18-23 skip image self-attention
        names.append("%s%d%s" % (kind[0], layer, kind[1]))
    return set(names)


def fuse(w, cfg, ids, pixels, image_type, skipped):
    """One row, one image -> (per-layer text [L, d] and image [Tv, d] streams, pooled cls [2d])."""
    mask_t = (ids != PAD).to(DT)
    x = linear(w, "cross_modal_text_transform", roberta(w, cfg, ids))
    x = torch.cat([t(w, "token4classifier")[0], x[1:]], 0)
    x = x + t(w, "token_type_embeddings.weight")[0]
    y = linear(w, "cross_modal_image_transform", vit(w, cfg, pixels)) + t(w, "token_type_embeddings.weight")[image_type]
    mask_v = torch.ones(y.shape[0], dtype=DT)
    texts, images = [], []
    for i in range(N_FUSION):
        x2 = co_layer(w, cfg, "cross_modal_text_layers.%d." % i, x, y, mask_t, mask_v,
                      "t%ds" % i in skipped, "t%dc" % i in skipped)
        y2 = co_layer(w, cfg, "cross_modal_image_layers.%d." % i, y, x, mask_v, mask_t,
                      "i%ds" % i in skipped, "i%dc" % i in skipped)
        x, y = x2, y2
        texts.append(x)
        images.append(y)
    pt = torch.tanh(linear(w, "cross_modal_text_pooler.dense", x[0]))
    pv = torch.tanh(linear(w, "cross_modal_image_pooler.dense", y[0]))
    return texts, images, torch.cat([pt, pv])


def head(w, prefix, z):
    """Linear -> LayerNorm(1e-5) -> GELU(erf) -> Linear (section 4)."""
    return linear(w, prefix + ".3", gelu(ln(w, prefix + ".1", linear(w, prefix + ".0", z), 1e-5)))


def vqa_logits(w, cls):
    return head(w, "vqa_classifier", cls)


def nlvr2_logits(w, cls0, cls1):
    return head(w, "nlvr2_classifier", torch.cat([cls0, cls1]))


def itm_score(w, cls):
    return linear(w, "rank_output", cls)
