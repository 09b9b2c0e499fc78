#!/usr/bin/python3
"""Eager PyTorch speed baseline for the LaVIN-EAS text decoder (float32, CPU, no autograd).

Same math as lavin_eas_ref.py (DESIGN.md 1.3), written batched for speed:
  * kept layers: PIA adapter computed unmerged per row (low-rank, router weights per row),
    then MHA with RoPE and a KV cache, then SwiGLU FFN;
  * skipped layers: replaced adapter with the prompt mean m and router weights frozen at
    prefill, FFN on g_ffn * p, no attention and no KV cache.
Random seeded weights. Position 0 of every row is the modality-embedding token (never attended
by later positions); ``--prompt`` counts it, i.e. the prefill sequence has ``prompt`` positions.

Timing: prefill = one forward over batch x prompt positions, logits only for the last position
(what generation needs), then greedy argmax. Decode = ``new`` single-token steps, each feeding the
previously chosen token (consecutive positions) and taking argmax of the new logits; no early
stop. prefill_tok_s = batch*prompt / prefill time, decode_tok_s = batch*new / decode time, both
medians over ``--repeat`` runs after ``--warmup`` runs; prefill_s and decode_s are those median
seconds (answers/s = batch / (prefill_s + decode_s)).

Single-row products (batch-1 decode) use torch.mv unless --no-matvec (plain matmul, what nn.Linear
does; 2-4x slower with Debian's torch + OpenBLAS). OMP_WAIT_POLICY defaults to PASSIVE (see below).

--mode lavin: the original LaVIN serving style: a kept-style PIA before the attention of every
layer, no skipped layers, batch 1 (--plan and --batch are ignored).

Example:
  /usr/bin/python3 tools/reference/bench_reference.py --dim 1024 --layers 32 --heads 16 --ffn 2752 \\
      --vocab 32000 --plan "19,21-31" --batch 1 --prompt 64 --new 32 --threads 2
"""

import argparse
import json
import math
import os
import re
import statistics
import sys
import time

# Debian's torch runs GEMMs in OpenBLAS's own pthread pool and everything else in OpenMP; with
# OpenMP's default spin-waiting the two pools fight over the cores (measured here: prefill 3-15x
# slower). Unless the caller set it, make OpenMP threads sleep when idle. Must precede `import torch`.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402


def parse_plan(s):
    out = set()
    for part in s.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-")
            out.update(range(int(lo), int(hi) + 1))
        else:
            out.add(int(part))
    return sorted(out)


def blas_info():
    show = torch.__config__.show()
    m = re.search(r"BLAS_INFO=([^,\s]+)", show)
    return m.group(1) if m else "unknown"


class Bench:
    def __init__(self, a, plan):
        g = torch.Generator().manual_seed(a.seed)
        D, F, V, H = a.dim, a.ffn, a.vocab, a.heads
        r, R = a.kept_rank, a.skipped_rank
        self.D, self.H, self.hd, self.L = D, H, D // H, a.layers
        self.plan = set(plan)
        self.eps, self.temp, self.s, self.groups = 1e-6, 10.0, 1.0, 2
        self.matvec = getattr(a, "matvec", False)

        def rn(*shape, std=1.0, mean=0.0):
            return torch.randn(*shape, generator=g) * std + mean

        self.tok = rn(V, D)
        self.mod = rn(2, D)
        self.out = rn(V, D, std=D ** -0.5)
        self.norm = rn(D, std=0.1, mean=1.0)
        self.layers = []
        for i in range(a.layers):
            ly = {"attn_norm": rn(D, std=0.1, mean=1.0), "ffn_norm": rn(D, std=0.1, mean=1.0),
                  "w13": rn(2 * F, D, std=D ** -0.5), "w2": rn(D, F, std=F ** -0.5)}
            rank = R if i in self.plan else r
            ly["A"] = rn(rank, D, std=D ** -0.5)
            ly["bA"] = rn(rank, std=0.5)
            # grouped B/D kept as [groups, D/groups, rank/groups] for a batched block-diagonal product
            ly["B"] = rn(D, rank // 2, std=0.6 * (rank // 2) ** -0.5).reshape(2, D // 2, rank // 2)
            ly["bB"] = rn(D, std=0.2)
            ly["Dm"] = rn(D, rank // 2, std=0.6 * (rank // 2) ** -0.5).reshape(2, D // 2, rank // 2)
            ly["bD"] = rn(D, std=0.2)
            ly["E"] = rn(2, D, std=1.5)
            ly["bE"] = rn(2, std=2.0)
            if i in self.plan:
                ly["C"] = rn(R, D, std=D ** -0.5)
                ly["bC"] = rn(R, std=0.5)
            else:
                ly["wqkv"] = rn(3 * D, D, std=D ** -0.5)
                ly["wo"] = rn(D, D, std=D ** -0.5)
            self.layers.append(ly)
        hd = self.hd
        freqs = 1.0 / (10000.0 ** (torch.arange(0, hd, 2).float() / hd))
        t = torch.arange(a.prompt + a.new + 1).float()
        self.cis = torch.polar(torch.ones(len(t), hd // 2), torch.outer(t, freqs))   # complex64

    def lin(self, x, W):
        """x [..., in] @ W.T. Unless --no-matvec, a single-row product uses torch.mv: Debian's torch
        1.13 sends a 1-row matmul through GEMM, several times slower than its GEMV path."""
        if self.matvec and x.numel() == x.shape[-1]:
            return torch.mv(W, x.reshape(-1)).reshape(*x.shape[:-1], W.shape[0])
        return x @ W.T

    def rms(self, x, g):
        return g * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))

    def rope(self, x, pos0):
        # x [B, T, H, hd], positions pos0 .. pos0+T-1, Meta interleaved pairs
        B, T, H, hd = x.shape
        xc = torch.view_as_complex(x.reshape(B, T, H, hd // 2, 2))
        return torch.view_as_real(xc * self.cis[pos0:pos0 + T][None, :, None, :]).reshape(B, T, H, hd)

    def grouped(self, h, W):
        # h [B, T, rank] -> [B, T, D], output half g reads input half g
        B, T, rk = h.shape
        return torch.einsum("btgi,goi->btgo", h.reshape(B, T, 2, rk // 2), W).reshape(B, T, self.D)

    def adapter(self, ly, a, u, w):
        # a + s (w0 B + w1 D) u + s (w0 bB + w1 bD), w [B, 2]
        w0, w1 = w[:, 0, None, None], w[:, 1, None, None]
        return a + self.s * (w0 * self.grouped(u, ly["B"]) + w1 * self.grouped(u, ly["Dm"])
                             + w0 * ly["bB"] + w1 * ly["bD"])

    def ffn(self, ly, u):
        g1, u3 = self.lin(u, ly["w13"]).chunk(2, -1)
        return self.lin(torch.nn.functional.silu(g1) * u3, ly["w2"])

    def prefill(self, ids, max_len):
        B, T = ids.shape
        x = torch.cat([self.mod[0].expand(B, 1, self.D), self.tok[ids[:, 1:]]], 1)
        allowed = torch.ones(T, T, dtype=torch.bool).tril()
        allowed[1:, 0] = False
        mask = torch.zeros(T, T).masked_fill(~allowed, float("-inf"))
        state, cache = [], []
        for i, ly in enumerate(self.layers):
            a = self.rms(x, ly["attn_norm"])
            w = torch.softmax((a[:, 1:].mean(1) @ ly["E"].T + ly["bE"]) / self.temp, -1)
            if i in self.plan:
                hA = a @ ly["A"].T + ly["bA"]
                m = hA.mean(1)
                p = self.adapter(ly, a, 0.5 * (a @ ly["C"].T + ly["bC"] + m[:, None]), w)
                x = x + self.ffn(ly, ly["ffn_norm"] * p)
                state.append((w, m))
                cache.append(None)
            else:
                a2 = self.adapter(ly, a, a @ ly["A"].T + ly["bA"], w)
                q, k, v = self.lin(a2, ly["wqkv"]).view(B, T, 3, self.H, self.hd).unbind(2)
                q, k = self.rope(q, 0), self.rope(k, 0)
                kc = torch.empty(B, self.H, max_len, self.hd)
                vc = torch.empty(B, self.H, max_len, self.hd)
                kc[:, :, :T] = k.transpose(1, 2)
                vc[:, :, :T] = v.transpose(1, 2)
                sc = q.transpose(1, 2) @ k.permute(0, 2, 3, 1) / math.sqrt(self.hd) + mask
                o = (torch.softmax(sc, -1) @ v.transpose(1, 2)).transpose(1, 2).reshape(B, T, self.D)
                h = x + self.lin(o, ly["wo"])
                x = h + self.ffn(ly, self.rms(h, ly["ffn_norm"]))
                state.append((w, None))
                cache.append((kc, vc))
        logits = self.lin(self.rms(x[:, -1], self.norm), self.out)
        return logits, state, cache

    def decode(self, tok, pos, state, cache):
        B = tok.shape[0]
        x = self.tok[tok][:, None]
        for i, ly in enumerate(self.layers):
            a = self.rms(x, ly["attn_norm"])
            w, m = state[i]
            if i in self.plan:
                p = self.adapter(ly, a, 0.5 * (a @ ly["C"].T + ly["bC"] + m[:, None]), w)
                x = x + self.ffn(ly, ly["ffn_norm"] * p)
            else:
                a2 = self.adapter(ly, a, a @ ly["A"].T + ly["bA"], w)
                q, k, v = self.lin(a2, ly["wqkv"]).view(B, 1, 3, self.H, self.hd).unbind(2)
                q, k = self.rope(q, pos), self.rope(k, pos)
                kc, vc = cache[i]
                kc[:, :, pos] = k[:, 0]
                vc[:, :, pos] = v[:, 0]
                K, Vv = kc[:, :, 1:pos + 1], vc[:, :, 1:pos + 1]          # never attend position 0
                sc = q.transpose(1, 2) @ K.transpose(2, 3) / math.sqrt(self.hd)
                o = (torch.softmax(sc, -1) @ Vv).transpose(1, 2).reshape(B, 1, self.D)
                h = x + self.lin(o, ly["wo"])
                x = h + self.ffn(ly, self.rms(h, ly["ffn_norm"]))
        return self.lin(self.rms(x[:, 0], self.norm), self.out)

    def run(self, ids, new):
        B, T = ids.shape
        t0 = time.perf_counter()
        logits, state, cache = self.prefill(ids, T + new)
        tok = logits.argmax(-1)
        t1 = time.perf_counter()
        for k in range(new):
            logits = self.decode(tok, T + k, state, cache)
            tok = logits.argmax(-1)
        t2 = time.perf_counter()
        return t1 - t0, t2 - t1


def self_check():
    """Compare this batched float32 code with the float64 reference (lavin_eas_ref) on a tiny model."""
    import numpy as np
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import lavin_eas_ref as ref
    a = argparse.Namespace(dim=64, layers=4, heads=4, ffn=96, vocab=200, prompt=12, new=6, kept_rank=8,
                           skipped_rank=32, seed=5)
    worst = 0.0
    for plan in ([], [1, 3], [0, 1, 2, 3]):
        m = Bench(a, plan)
        F = a.ffn
        W = {"tok_embeddings.weight": m.tok, "adapter_modality_embedding.weight": m.mod,
             "output.weight": m.out, "norm.weight": m.norm}
        for i, ly in enumerate(m.layers):
            p = "layers.%d." % i
            W[p + "attention_norm.weight"] = ly["attn_norm"]
            W[p + "ffn_norm.weight"] = ly["ffn_norm"]
            W[p + "feed_forward.w1.weight"] = ly["w13"][:F]
            W[p + "feed_forward.w3.weight"] = ly["w13"][F:]
            W[p + "feed_forward.w2.weight"] = ly["w2"]
            ad = p + ("replaced_adapter." if i in plan else "adapter_attn.")
            for n, k in (("conv_A", "A"), ("conv_B", "B"), ("conv_D", "Dm"), ("expert_weights", "E")):
                W[ad + n + ".weight"] = ly[k].reshape(ly[k].shape[0] * ly[k].shape[1], -1) if ly[k].dim() == 3 \
                    else ly[k]
            for n, k in (("conv_A", "bA"), ("conv_B", "bB"), ("conv_D", "bD"), ("expert_weights", "bE")):
                W[ad + n + ".bias"] = ly[k]
            if i in plan:
                W[ad + "conv_C.weight"], W[ad + "conv_C.bias"] = ly["C"], ly["bC"]
            else:
                q, k, v = ly["wqkv"].chunk(3, 0)
                W[p + "attention.wq.weight"], W[p + "attention.wk.weight"] = q, k
                W[p + "attention.wv.weight"], W[p + "attention.wo.weight"] = v, ly["wo"]
        cfg = {"dim": a.dim, "n_layers": a.layers, "n_heads": a.heads, "ffn_hidden": F, "vocab_size": a.vocab,
               "norm_eps": 1e-6, "rope_theta": 10000.0,
               "adapter": {"kept_rank": 8, "skipped_rank": 32, "groups": 2, "scale": 1.0,
                           "router_temperature": 10.0}, "vision": None, "n_visual_tokens": 0}
        rm = ref.LavinEAS(cfg, {k: v.numpy() for k, v in W.items()})
        g = torch.Generator().manual_seed(7)
        all_ids = torch.randint(3, a.vocab, (3, a.prompt), generator=g)
        all_ids[:, 1] = 1
        for matvec, ids in ((False, all_ids), (True, all_ids[:1])):
            m.matvec = matvec
            logits, state, cache = m.prefill(ids, a.prompt + a.new)
            steps = [logits]
            tok = logits.argmax(-1)
            toks = [tok]
            for k in range(a.new - 1):
                logits = m.decode(tok, a.prompt + k, state, cache)
                tok = logits.argmax(-1)
                steps.append(logits)
                toks.append(tok)
            for b in range(ids.shape[0]):
                E, _ = rm.embed_row(ids[b, 1:].numpy(), np.zeros(0, np.int64), 0)
                rt, rl, _ = rm.generate(E, plan, max_new=a.new, check_recompute=False)
                mine = [int(t[b]) for t in toks][:len(rt)]
                assert mine == rt, (plan, b, mine, rt)
                for k in range(len(rt)):
                    worst = max(worst, float((steps[k][b].double() - rl[k]).abs().max()))
    assert worst < 1e-3, worst
    print(json.dumps({"self_check": "ok", "max_abs_logit_diff_vs_float64_reference": worst}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dim", type=int, default=1024)
    ap.add_argument("--layers", type=int, default=32)
    ap.add_argument("--heads", type=int, default=16)
    ap.add_argument("--ffn", type=int, default=2752)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--plan", default="19,21-31")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--prompt", type=int, default=64)
    ap.add_argument("--new", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--mode", choices=["eas", "lavin"], default="eas")
    ap.add_argument("--kept-rank", type=int, default=8)
    ap.add_argument("--skipped-rank", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-matvec", dest="matvec", action="store_false",
                    help="single-row products (batch-1 decode) through plain matmul/GEMM like nn.Linear, "
                         "instead of torch.mv (default: torch.mv, 2-4x faster with Debian's torch)")
    ap.add_argument("--self-check", action="store_true",
                    help="compare with lavin_eas_ref.py on a tiny model and exit")
    a = ap.parse_args()
    if a.self_check:
        with torch.inference_mode():
            self_check()
        return
    torch.set_num_threads(a.threads)
    plan = parse_plan(a.plan)
    if a.mode == "lavin":
        plan, a.batch = [], 1
    assert all(0 <= i < a.layers for i in plan), "plan outside 0..layers-1"
    assert a.dim % a.heads == 0 and (a.dim // a.heads) % 2 == 0 and a.dim % 2 == 0
    with torch.inference_mode():
        model = Bench(a, plan)
        g = torch.Generator().manual_seed(a.seed + 1)
        ids = torch.randint(3, a.vocab, (a.batch, a.prompt), generator=g)
        ids[:, 1] = 1                                           # BOS right after the modality token
        for _ in range(a.warmup):
            model.run(ids, a.new)
        pre, dec = [], []
        for _ in range(a.repeat):
            p, d = model.run(ids, a.new)
            pre.append(p)
            dec.append(d)
    p, d = statistics.median(pre), statistics.median(dec)
    blas_lib = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    print(json.dumps({
        "mode": a.mode, "matvec": a.matvec, "dim": a.dim, "layers": a.layers, "plan": plan, "batch": a.batch,
        "prompt": a.prompt, "new": a.new, "threads": a.threads,
        "prefill_tok_s": round(a.batch * a.prompt / p, 2),
        "decode_tok_s": round(a.batch * a.new / d, 2) if a.new else None,
        "prefill_s": round(p, 6), "decode_s": round(d, 6),
        "torch": torch.__version__, "blas": blas_info(),
        "blas_lib": blas_lib if os.path.exists(blas_lib) else None,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }))


if __name__ == "__main__":
    main()
