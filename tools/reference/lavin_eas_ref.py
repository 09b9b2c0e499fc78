"""Independent float64 PyTorch reference of LaVIN-EAS, written from DESIGN.md section 1.

Plain eager torch, no autograd, one row at a time, every computation in float64
(the weights are float32 arrays that are widened to float64 on load).

Weight names (a flat dict name -> array; conv1d weights already squeezed to 2-D
``[out, in/groups]``, Linear weights ``[out, in]``, ``y = W x``):

text, i = layer index
    tok_embeddings.weight [V, D]   norm.weight [D]   output.weight [V, D]
    layers.i.attention_norm.weight [D]   layers.i.ffn_norm.weight [D]
    layers.i.attention.{wq,wk,wv,wo}.weight [D, D]
    layers.i.feed_forward.w1.weight [F, D] (gate)  w3 [F, D] (up)  w2 [D, F]
    layers.i.adapter_attn.{conv_A [r, D], conv_B [D, r/g], conv_D [D, r/g], expert_weights [2, D]}.{weight,bias}
    layers.i.replaced_adapter.{conv_A [R, D], conv_C [R, D], conv_B [D, R/g], conv_D [D, R/g], expert_weights [2, D]}.{weight,bias}
    adapter_modality_embedding.weight [2, D]  (row 1 = image, row 0 = no image)
    adapter_proj.conv_A.{weight [P, W], bias}  adapter_proj.conv_B.{weight [D, P], bias}
vision (prefix backbone.visual.), j = block
    conv1.weight [W, 3, p, p]  class_embedding [W]  positional_embedding [(S/p)^2+1, W]
    ln_pre.{weight,bias}
    transformer.resblocks.j.{ln_1,ln_2}.{weight,bias}
    transformer.resblocks.j.attn.in_proj_weight [3W, W], in_proj_bias [3W]
    transformer.resblocks.j.attn.out_proj.{weight [W, W], bias}
    transformer.resblocks.j.mlp.c_fc.{weight [4W, W], bias}  mlp.c_proj.{weight [W, 4W], bias}
    transformer.resblocks.j.adapter_attn.{conv_A,conv_B,conv_D,expert_weights}.{weight,bias}

Grouped 1x1 convolutions (groups g): output block k (rows k*out/g .. (k+1)*out/g) reads
the contiguous input block k.
"""

import json
import math

import numpy as np
import torch

DT = torch.float64
BOS = 1
EOS = 2


# ----------------------------------------------------------------------------- helpers

def rmsnorm(x, g, eps):
    return g * (x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps))


def layernorm(x, w, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def silu(x):
    return x * torch.sigmoid(x)


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


def grouped_dense(w, groups):
    """[out, in/groups] grouped 1x1 conv weight -> the equivalent block-diagonal [out, in]."""
    out, inpg = w.shape
    opg = out // groups
    full = torch.zeros(out, inpg * groups, dtype=w.dtype)
    for g in range(groups):
        full[g * opg:(g + 1) * opg, g * inpg:(g + 1) * inpg] = w[g * opg:(g + 1) * opg]
    return full


def grouped_apply(h, w, groups):
    """Grouped 1x1 conv without bias: h [..., in] -> [..., out]."""
    out, inpg = w.shape
    opg = out // groups
    parts = [h[..., g * inpg:(g + 1) * inpg] @ w[g * opg:(g + 1) * opg].T for g in range(groups)]
    return torch.cat(parts, -1)


def router_weights(E, bE, mean_vec, temperature):
    """w = softmax((E . mean + b_E) / T), shape [2]."""
    return torch.softmax((E @ mean_vec + bE) / temperature, -1)


def rope(x, positions, theta):
    """Meta interleaved-pair rotary embedding. x [T, H, hd], positions [T] (float64)."""
    hd = x.shape[-1]
    i = torch.arange(0, hd, 2, dtype=DT)
    freqs = 1.0 / (theta ** (i / hd))                        # theta^(-2i/hd), i = pair index
    ang = positions.to(DT)[:, None] * freqs[None, :]         # [T, hd/2]
    cos = torch.cos(ang)[:, None, :]
    sin = torch.sin(ang)[:, None, :]
    x0 = x[..., 0::2]
    x1 = x[..., 1::2]
    out = torch.empty_like(x)
    out[..., 0::2] = x0 * cos - x1 * sin
    out[..., 1::2] = x0 * sin + x1 * cos
    return out


# ----------------------------------------------------------------------------- model

class LavinEAS:
    """Float64 reference model. ``weights``: dict name -> numpy/torch array; ``cfg``: config.json dict."""

    def __init__(self, cfg, weights):
        self.cfg = cfg
        self.W = {k: torch.as_tensor(np.asarray(v)).to(DT) for k, v in weights.items()}
        self.D = cfg["dim"]
        self.L = cfg["n_layers"]
        self.H = cfg["n_heads"]
        self.hd = self.D // self.H
        self.eps = cfg["norm_eps"]
        self.theta = cfg["rope_theta"]
        ad = cfg["adapter"]
        self.groups = ad["groups"]
        self.s = ad["scale"]
        self.temp = ad["router_temperature"]
        self.vis = cfg.get("vision")
        self.nv = cfg.get("n_visual_tokens", 0)

    def w(self, name):
        return self.W[name]

    # ------------------------------------------------------------------ vision
    def vision(self, pixels):
        """pixels [3, S, S] (already normalized). Returns (taps [nv, W], visual [nv, D])."""
        v = self.vis
        pre = "backbone.visual."
        Wd, p, heads = v["width"], v["patch_size"], v["heads"]
        x = torch.as_tensor(np.asarray(pixels)).to(DT)[None]
        x = torch.nn.functional.conv2d(x, self.w(pre + "conv1.weight"), stride=p)   # [1, W, g, g]
        x = x.reshape(Wd, -1).T                                                     # [g*g, W], row-major patches
        x = torch.cat([self.w(pre + "class_embedding")[None], x], 0)
        x = x + self.w(pre + "positional_embedding")
        x = layernorm(x, self.w(pre + "ln_pre.weight"), self.w(pre + "ln_pre.bias"), v["ln_eps"])
        taps = []
        for j in range(v["layers"]):
            b = pre + "transformer.resblocks.%d." % j
            z = layernorm(x, self.w(b + "ln_1.weight"), self.w(b + "ln_1.bias"), v["ln_eps"])
            # PIAv: router from the mean over patch tokens (class token excluded)
            wr = router_weights(self.w(b + "adapter_attn.expert_weights.weight"),
                                self.w(b + "adapter_attn.expert_weights.bias"),
                                z[1:].mean(0), v["router_temperature"])
            z = self._pia(z, b + "adapter_attn.", wr, v["adapter_scale"], v["adapter_groups"])
            # standard MHA, no mask
            x = x + _vit_attention(z, self.w(b + "attn.in_proj_weight"), self.w(b + "attn.in_proj_bias"),
                                   self.w(b + "attn.out_proj.weight"), self.w(b + "attn.out_proj.bias"), heads)
            y = layernorm(x, self.w(b + "ln_2.weight"), self.w(b + "ln_2.bias"), v["ln_eps"])
            y = quick_gelu(y @ self.w(b + "mlp.c_fc.weight").T + self.w(b + "mlp.c_fc.bias"))
            y = y @ self.w(b + "mlp.c_proj.weight").T + self.w(b + "mlp.c_proj.bias")
            x = x + y
            if (j + 1) % v["tap_every"] == 0:
                taps.append(x[0])
        taps = torch.stack(taps)
        hproj = silu(taps @ self.w("adapter_proj.conv_A.weight").T + self.w("adapter_proj.conv_A.bias"))
        visual = hproj @ self.w("adapter_proj.conv_B.weight").T + self.w("adapter_proj.conv_B.bias")
        return taps, visual

    # ------------------------------------------------------------------ adapters
    def _pia(self, a, prefix, wr, s, groups):
        """Kept-style PIA: a + s(w0 B + w1 D)(A a + bA) + s(w0 bB + w1 bD)."""
        h = a @ self.w(prefix + "conv_A.weight").T + self.w(prefix + "conv_A.bias")
        u = wr[0] * grouped_apply(h, self.w(prefix + "conv_B.weight"), groups) \
            + wr[1] * grouped_apply(h, self.w(prefix + "conv_D.weight"), groups)
        bias = wr[0] * self.w(prefix + "conv_B.bias") + wr[1] * self.w(prefix + "conv_D.bias")
        return a + s * u + s * bias

    def _skipped_pia(self, a, prefix, wr, m):
        """p = a + U_w(0.5 (C a + bC + m)) + s(w0 bB + w1 bD), U_w = s(w0 B + w1 D)."""
        s, groups = self.s, self.groups
        h = 0.5 * (a @ self.w(prefix + "conv_C.weight").T + self.w(prefix + "conv_C.bias") + m)
        u = wr[0] * grouped_apply(h, self.w(prefix + "conv_B.weight"), groups) \
            + wr[1] * grouped_apply(h, self.w(prefix + "conv_D.weight"), groups)
        bias = wr[0] * self.w(prefix + "conv_B.bias") + wr[1] * self.w(prefix + "conv_D.bias")
        return a + s * u + s * bias

    def _U(self, prefix, wr):
        """Dense U_w = s (w0 B + w1 D) as a [D, rank] matrix (block diagonal)."""
        g = self.groups
        return self.s * (wr[0] * grouped_dense(self.w(prefix + "conv_B.weight"), g)
                         + wr[1] * grouped_dense(self.w(prefix + "conv_D.weight"), g))

    def _ffn(self, i, u, b1=None, b3=None, W1=None, W3=None):
        p = "layers.%d.feed_forward." % i
        W1 = self.w(p + "w1.weight") if W1 is None else W1
        W3 = self.w(p + "w3.weight") if W3 is None else W3
        g1 = u @ W1.T
        u3 = u @ W3.T
        if b1 is not None:
            g1 = g1 + b1
            u3 = u3 + b3
        return (silu(g1) * u3) @ self.w(p + "w2.weight").T

    # ------------------------------------------------------------------ embeddings
    def embed_row(self, prefix, suffix, has_image, pixels=None):
        """[modality] ++ tok(prefix) ++ visual (if image) ++ tok(suffix). Returns (E [T, D], vision dict)."""
        emb = self.w("tok_embeddings.weight")
        parts = [self.w("adapter_modality_embedding.weight")[1 if has_image else 0][None],
                 emb[torch.as_tensor(np.asarray(prefix, dtype=np.int64))]]
        vis = {}
        if has_image:
            taps, visual = self.vision(pixels)
            vis = {"taps": taps, "visual": visual}
            parts.append(visual)
        parts.append(emb[torch.as_tensor(np.asarray(suffix, dtype=np.int64))])
        return torch.cat(parts, 0), vis

    def token_embedding(self, tok):
        return self.w("tok_embeddings.weight")[int(tok)]

    # ------------------------------------------------------------------ decoder
    def _mask(self, Tq, Tk, q_offset):
        """Allowed[iq, jk]: causal by index, and no query index >= 1 attends key index 0."""
        qi = torch.arange(Tq)[:, None] + q_offset
        kj = torch.arange(Tk)[None, :]
        return (kj <= qi) & ((kj >= 1) | (qi == 0))

    def forward(self, E, positions, plan, frozen=None, fold=None, cache=None):
        """Full-sequence forward of one row.

        E [T, D] input embeddings, positions [T] ints, plan = set of skipped layer indices.
        frozen: per-layer dict {"w": router weights, "m": skipped mean} to use instead of computing
                them from this sequence (generation by full recompute).
        fold: None (low-rank, unmerged), "exact" or "bug" (DESIGN 1.4, batch-1 weight folding;
              router weights and m taken from this sequence's own stream at that layer).
        cache: if a dict is given, kept layers' post-RoPE K and V are stored in it.
        Returns dict(hidden [L, T, D], logits [T, V], router [L, 2], state list).
        """
        plan = set(plan)
        positions = torch.as_tensor(np.asarray(positions)).to(DT)
        x = E
        T = x.shape[0]
        hidden, routers, state = [], [], []
        mask = self._mask(T, T, 0)
        for i in range(self.L):
            pre = "layers.%d." % i
            a = rmsnorm(x, self.w(pre + "attention_norm.weight"), self.eps)
            if i not in plan:
                ap = pre + "adapter_attn."
                if frozen is None:
                    wr = router_weights(self.w(ap + "expert_weights.weight"), self.w(ap + "expert_weights.bias"),
                                        a[1:].mean(0), self.temp)
                else:
                    wr = frozen[i]["w"]
                st = {"w": wr, "m": None}
                Wq, Wk, Wv = (self.w(pre + "attention.%s.weight" % n) for n in ("wq", "wk", "wv"))
                if fold is None:
                    a2 = self._pia(a, ap, wr, self.s, self.groups)
                    q, k, v = a2 @ Wq.T, a2 @ Wk.T, a2 @ Wv.T
                else:
                    U = self._U(ap, wr)
                    M = torch.eye(self.D, dtype=DT) + U @ self.w(ap + "conv_A.weight")
                    c = U @ self.w(ap + "conv_A.bias") + self.s * (
                        wr[0] * self.w(ap + "conv_B.bias") + wr[1] * self.w(ap + "conv_D.bias"))
                    outs = []
                    for Wx in (Wq, Wk, Wv):
                        Wf = Wx @ M
                        bf = Wx @ c if fold == "exact" else Wf @ c
                        outs.append(a @ Wf.T + bf)
                    q, k, v = outs
                q = rope(q.reshape(T, self.H, self.hd), positions, self.theta)
                k = rope(k.reshape(T, self.H, self.hd), positions, self.theta)
                v = v.reshape(T, self.H, self.hd)
                if cache is not None:
                    cache[i] = {"k": k.clone(), "v": v.clone()}
                o = self._attend(q, k, v, mask)
                h = x + o @ self.w(pre + "attention.wo.weight").T
                out = h + self._ffn(i, rmsnorm(h, self.w(pre + "ffn_norm.weight"), self.eps))
            else:
                rp = pre + "replaced_adapter."
                if frozen is None:
                    wr = router_weights(self.w(rp + "expert_weights.weight"), self.w(rp + "expert_weights.bias"),
                                        a[1:].mean(0), self.temp)
                    m = (a @ self.w(rp + "conv_A.weight").T + self.w(rp + "conv_A.bias")).mean(0)
                else:
                    wr, m = frozen[i]["w"], frozen[i]["m"]
                st = {"w": wr, "m": m}
                g = self.w(pre + "ffn_norm.weight")
                if fold is None:
                    p = self._skipped_pia(a, rp, wr, m)
                    out = x + self._ffn(i, g * p)
                else:
                    U = self._U(rp, wr)
                    M = torch.eye(self.D, dtype=DT) + 0.5 * U @ self.w(rp + "conv_C.weight")
                    c = U @ (0.5 * (self.w(rp + "conv_C.bias") + m)) + self.s * (
                        wr[0] * self.w(rp + "conv_B.bias") + wr[1] * self.w(rp + "conv_D.bias"))
                    fp = "layers.%d.feed_forward." % i
                    W1, W3 = self.w(fp + "w1.weight"), self.w(fp + "w3.weight")
                    W1f = W1 @ torch.diag(g) @ M
                    W3f = W3 @ torch.diag(g) @ M
                    gc = g * c
                    if fold == "exact":
                        b1, b3 = W1 @ gc, W3 @ gc
                    else:
                        b1, b3 = W1f @ gc, W3f @ gc
                    out = x + self._ffn(i, a, b1=b1, b3=b3, W1=W1f, W3=W3f)
            state.append(st)
            routers.append(wr)
            hidden.append(out)
            x = out
        logits = rmsnorm(x, self.w("norm.weight"), self.eps) @ self.w("output.weight").T
        return {"hidden": torch.stack(hidden), "logits": logits, "router": torch.stack(routers), "state": state}

    def _attend(self, q, k, v, mask):
        """q [Tq, H, hd], k/v [Tk, H, hd], mask [Tq, Tk] bool -> [Tq, D]."""
        sc = torch.einsum("qhd,khd->hqk", q, k) / math.sqrt(self.hd)
        sc = sc.masked_fill(~mask[None], float("-inf"))
        att = torch.softmax(sc, -1)
        o = torch.einsum("hqk,khd->qhd", att, v)
        return o.reshape(q.shape[0], self.D)

    def decode_step(self, e, pos, plan, state, cache):
        """One generated token through the decoder with a KV cache (kept layers only).

        e [D] token embedding, pos its RoPE position, state = frozen router weights / m from prefill.
        Returns logits [V]; appends this token's K/V to the cache.
        """
        plan = set(plan)
        x = e[None]
        posv = torch.tensor([float(pos)], dtype=DT)
        for i in range(self.L):
            pre = "layers.%d." % i
            a = rmsnorm(x, self.w(pre + "attention_norm.weight"), self.eps)
            wr = state[i]["w"]
            if i not in plan:
                a2 = self._pia(a, pre + "adapter_attn.", wr, self.s, self.groups)
                q = rope((a2 @ self.w(pre + "attention.wq.weight").T).reshape(1, self.H, self.hd), posv, self.theta)
                k = rope((a2 @ self.w(pre + "attention.wk.weight").T).reshape(1, self.H, self.hd), posv, self.theta)
                v = (a2 @ self.w(pre + "attention.wv.weight").T).reshape(1, self.H, self.hd)
                cache[i]["k"] = torch.cat([cache[i]["k"], k], 0)
                cache[i]["v"] = torch.cat([cache[i]["v"], v], 0)
                K, V = cache[i]["k"][1:], cache[i]["v"][1:]          # never attend index 0 (modality)
                mask = torch.ones(1, K.shape[0], dtype=torch.bool)
                o = self._attend(q, K, V, mask)
                h = x + o @ self.w(pre + "attention.wo.weight").T
                x = h + self._ffn(i, rmsnorm(h, self.w(pre + "ffn_norm.weight"), self.eps))
            else:
                p = self._skipped_pia(a, pre + "replaced_adapter.", wr, state[i]["m"])
                x = x + self._ffn(i, self.w(pre + "ffn_norm.weight") * p)
        return (rmsnorm(x, self.w("norm.weight"), self.eps) @ self.w("output.weight").T)[0]

    def generate(self, E, plan, max_new=8, origpos=False, check_recompute=True, tol=1e-9):
        """Greedy generation. The k-th generated token (k = 0 first) is fed back at position
        T + k (consecutive) or T + k - 1 (origpos). Stops after emitting EOS (included).

        Returns (tokens list, logits [n, V] that chose each token, min top1-top2 margin).
        If check_recompute, every cached decode step is compared with a full recompute of the
        whole sequence (same positions, frozen router weights / m)."""
        T = E.shape[0]
        cache = {}
        pf = self.forward(E, np.arange(T), plan, cache=cache)
        state = pf["state"]
        cur = pf["logits"][-1]
        toks, logits, margin = [], [], float("inf")
        seq = [E]
        positions = list(range(T))
        for k in range(max_new):
            top2 = torch.topk(cur, 2).values
            margin = min(margin, float(top2[0] - top2[1]))
            tok = int(torch.argmax(cur))
            toks.append(tok)
            logits.append(cur)
            if tok == EOS or k == max_new - 1:
                break
            pos = T + k - (1 if origpos else 0)
            e = self.token_embedding(tok)
            cur = self.decode_step(e, pos, plan, state, cache)
            if check_recompute:
                seq.append(e[None])
                positions.append(pos)
                full = self.forward(torch.cat(seq, 0), np.array(positions), plan, frozen=state)
                diff = float((full["logits"][-1] - cur).abs().max())
                assert diff < tol, "cached decode != full recompute: %g" % diff
        return toks, torch.stack(logits), margin


# ----------------------------------------------------------------------------- self checks

def self_check(seed=0):
    """Cross-check the hand-written pieces against independent torch primitives."""
    g = torch.Generator().manual_seed(seed)
    F = torch.nn.functional
    # grouped 1x1 conv == nn.functional.conv1d(groups=2) on the unsqueezed [out, in/groups, 1] weight
    h = torch.randn(5, 32, generator=g, dtype=DT)
    wB = torch.randn(64, 16, generator=g, dtype=DT)
    ref_conv = F.conv1d(h.T[None], wB[:, :, None], groups=2)[0].T
    assert torch.allclose(grouped_apply(h, wB, 2), ref_conv, atol=1e-12)
    assert torch.allclose(h @ grouped_dense(wB, 2).T, ref_conv, atol=1e-12)
    # interleaved RoPE == Meta's complex multiplication (freqs_cis = polar(1, pos * theta^(-2i/hd)))
    x = torch.randn(7, 3, 16, generator=g, dtype=DT)
    pos = torch.arange(7, dtype=DT) + 3.0
    freqs = 1.0 / (10000.0 ** (torch.arange(0, 16, 2, dtype=DT) / 16))
    cis = torch.polar(torch.ones(7, 8, dtype=DT), torch.outer(pos, freqs))
    xc = torch.view_as_complex(x.reshape(7, 3, 8, 2).contiguous())
    meta = torch.view_as_real(xc * cis[:, None, :]).reshape(7, 3, 16)
    assert torch.allclose(rope(x, pos, 10000.0), meta, atol=1e-12)
    # layernorm == F.layer_norm
    y = torch.randn(4, 32, generator=g, dtype=DT)
    w, b = torch.randn(32, generator=g, dtype=DT), torch.randn(32, generator=g, dtype=DT)
    assert torch.allclose(layernorm(y, w, b, 1e-5), F.layer_norm(y, (32,), w, b, 1e-5), atol=1e-12)
    # ViT attention block math == F.multi_head_attention_forward
    N, Wd, heads = 6, 32, 2
    z = torch.randn(N, Wd, generator=g, dtype=DT)
    inw = torch.randn(3 * Wd, Wd, generator=g, dtype=DT) / Wd ** 0.5
    inb = torch.randn(3 * Wd, generator=g, dtype=DT)
    ow = torch.randn(Wd, Wd, generator=g, dtype=DT) / Wd ** 0.5
    ob = torch.randn(Wd, generator=g, dtype=DT)
    mine = _vit_attention(z, inw, inb, ow, ob, heads)
    theirs, _ = F.multi_head_attention_forward(z[:, None], z[:, None], z[:, None], Wd, heads, inw, inb,
                                               None, None, False, 0.0, ow, ob, training=False,
                                               need_weights=False)
    assert torch.allclose(mine, theirs[:, 0], atol=1e-10)
    return True


def _vit_attention(z, in_w, in_b, out_w, out_b, heads):
    N, Wd = z.shape
    hd = Wd // heads
    qkv = z @ in_w.T + in_b
    q, k, v = qkv.split(Wd, -1)
    q = q.reshape(N, heads, hd).transpose(0, 1)
    k = k.reshape(N, heads, hd).transpose(0, 1)
    v = v.reshape(N, heads, hd).transpose(0, 1)
    att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(hd), -1)
    o = (att @ v).transpose(0, 1).reshape(N, Wd)
    return o @ out_w.T + out_b


# ----------------------------------------------------------------------------- io helpers

def load_npz(path):
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def load_model(model_dir):
    with open(model_dir + "/config.json") as f:
        cfg = json.load(f)
    return LavinEAS(cfg, load_npz(model_dir + "/weights.npz"))
