#!/usr/bin/python3
"""Regenerate every test fixture of engine/src/test/resources/fixtures bit for bit.

    /usr/bin/python3 tools/reference/make_fixtures.py [--out DIR]

All randomness comes from numpy PCG64 generators with the fixed seeds below; the .npz files
are written by hand (zip members STORED, fixed timestamps, sorted member order) so a re-run
gives byte-identical files.  The script checks its own consistency (cached decode == full
recompute for every greedy step, merged_exact == unmerged, greedy margins) and fails if not.
"""

import argparse
import io
import json
import os
import sys
import zipfile

import numpy as np
import torch
from PIL import Image, ImageDraw

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lavin_eas_ref as ref  # noqa: E402

# ---------------------------------------------------------------------------- seeds
SEED_LAVIN_WEIGHTS = 1022
SEED_LAVIN_INPUTS = 2001
SEED_PINNED_WEIGHTS = 1004
SEED_PINNED_INPUTS = 2002
SEED_IMAGES = 3001

MIN_MARGIN = 1e-3           # required top1 - top2 logit gap at every greedy step (float64)
MAX_NEW = 8

LAVIN_CFG = {
    "dim": 64, "n_layers": 4, "n_heads": 4, "ffn_hidden": 128, "vocab_size": 256, "norm_eps": 1e-6,
    "rope_theta": 10000.0, "max_seq_len": 64,
    "adapter": {"kept_rank": 8, "skipped_rank": 32, "groups": 2, "scale": 1.0, "router_temperature": 10.0},
    "vision": {"image_size": 56, "patch_size": 14, "width": 32, "layers": 8, "heads": 2, "ln_eps": 1e-5,
               "adapter_rank": 8, "adapter_groups": 2, "adapter_scale": 1.0, "router_temperature": 10.0,
               "tap_every": 4, "proj_hidden": 16, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
    "n_visual_tokens": 2,
}

# Text-only model with a pinned router (every expert_weights.weight exactly zero).
PINNED_CFG = {
    "dim": 64, "n_layers": 3, "n_heads": 4, "ffn_hidden": 32, "vocab_size": 64, "norm_eps": 1e-6,
    "rope_theta": 10000.0, "max_seq_len": 64,
    "adapter": {"kept_rank": 8, "skipped_rank": 32, "groups": 2, "scale": 1.0, "router_temperature": 10.0},
    "vision": None,
    "n_visual_tokens": 0,
}
# pinned router biases: (kept adapter_attn bias, skipped replaced_adapter bias) per layer
PINNED_BIASES = [([4.0, -3.0], [-2.5, 3.5]),
                 ([-3.5, 2.0], [5.0, -1.0]),
                 ([2.5, -4.5], [-4.0, 2.0])]

LAVIN_PLANS = {"none": [], "some": [1, 3], "allbutone": [0, 1, 2], "all": [0, 1, 2, 3]}
PINNED_PLANS = {"none": [], "some": [1], "allbutone": [0, 2]}

# rows: (has_image, suffix length)
LAVIN_ROWS = [(1, 9), (0, 5), (1, 14), (0, 11)]
PINNED_ROWS = [(0, 7), (0, 12)]

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406])
IMAGENET_STD = np.array([0.229, 0.224, 0.225])
# Size of the normalized-pixels fixture down_{NORM_SIZE}_norm: 224 as the engine's tests expect
# (602 KB of float32). NORM_SIZE = 56 (lavin_tiny's image_size, 38 KB) would bring the fixtures
# under 4,000,000 bytes.
NORM_SIZE = 224
MAX_TOTAL_BYTES = 4600000


# ---------------------------------------------------------------------------- deterministic npz

def npz_bytes(arrays):
    """A .npz (zip, members STORED, fixed date_time, sorted names) as bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in sorted(arrays):
            a = np.asarray(arrays[name])
            if not a.flags.c_contiguous:
                a = a.copy(order="C")           # (np.ascontiguousarray would turn 0-d into 1-d)
            member = io.BytesIO()
            np.lib.format.write_array(member, a, version=(1, 0), allow_pickle=False)
            zi = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_STORED
            zi.create_system = 3
            zi.external_attr = 0o644 << 16
            zf.writestr(zi, member.getvalue())
    return buf.getvalue()


def write_bytes(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def write_npz(path, arrays):
    write_bytes(path, npz_bytes(arrays))


def write_json(path, obj):
    write_bytes(path, (json.dumps(obj, indent=None) + "\n").encode("utf-8"))


# ---------------------------------------------------------------------------- weights

def init_weights(cfg, seed, pinned_biases=None):
    """Seeded float32 weights, names as in lavin_eas_ref's docstring, generated in a fixed order."""
    rng = np.random.default_rng(seed)
    W = {}

    def normal(name, shape, std, mean=0.0):
        W[name] = (mean + std * rng.standard_normal(shape)).astype(np.float32)

    D, L, F, V = cfg["dim"], cfg["n_layers"], cfg["ffn_hidden"], cfg["vocab_size"]
    ad = cfg["adapter"]
    r, R, g = ad["kept_rank"], ad["skipped_rank"], ad["groups"]
    normal("tok_embeddings.weight", (V, D), 1.0)
    normal("adapter_modality_embedding.weight", (2, D), 1.0)
    for i in range(L):
        p = "layers.%d." % i
        normal(p + "attention_norm.weight", (D,), 0.1, 1.0)
        normal(p + "ffn_norm.weight", (D,), 0.1, 1.0)
        for n in ("wq", "wk", "wv", "wo"):
            normal(p + "attention.%s.weight" % n, (D, D), D ** -0.5)
        normal(p + "feed_forward.w1.weight", (F, D), D ** -0.5)
        normal(p + "feed_forward.w3.weight", (F, D), D ** -0.5)
        normal(p + "feed_forward.w2.weight", (D, F), F ** -0.5)
        # kept-layer PIA
        a = p + "adapter_attn."
        normal(a + "conv_A.weight", (r, D), D ** -0.5)
        normal(a + "conv_A.bias", (r,), 0.5)
        normal(a + "conv_B.weight", (D, r // g), 0.6 * (r // g) ** -0.5)
        normal(a + "conv_B.bias", (D,), 0.2)
        normal(a + "conv_D.weight", (D, r // g), 0.6 * (r // g) ** -0.5)
        normal(a + "conv_D.bias", (D,), 0.2)
        normal(a + "expert_weights.weight", (2, D), 1.5)
        normal(a + "expert_weights.bias", (2,), 2.0)
        # skipped-layer PIA
        s = p + "replaced_adapter."
        normal(s + "conv_A.weight", (R, D), D ** -0.5)
        normal(s + "conv_A.bias", (R,), 0.5)
        normal(s + "conv_C.weight", (R, D), D ** -0.5)
        normal(s + "conv_C.bias", (R,), 0.5)
        normal(s + "conv_B.weight", (D, R // g), 0.6 * (R // g) ** -0.5)
        normal(s + "conv_B.bias", (D,), 0.2)
        normal(s + "conv_D.weight", (D, R // g), 0.6 * (R // g) ** -0.5)
        normal(s + "conv_D.bias", (D,), 0.2)
        normal(s + "expert_weights.weight", (2, D), 1.5)
        normal(s + "expert_weights.bias", (2,), 2.0)
        if pinned_biases is not None:
            kb, sb = pinned_biases[i]
            W[a + "expert_weights.weight"] = np.zeros((2, D), np.float32)
            W[a + "expert_weights.bias"] = np.array(kb, np.float32)
            W[s + "expert_weights.weight"] = np.zeros((2, D), np.float32)
            W[s + "expert_weights.bias"] = np.array(sb, np.float32)
    normal("norm.weight", (D,), 0.1, 1.0)
    normal("output.weight", (V, D), 2.5 * D ** -0.5)
    v = cfg.get("vision")
    if v:
        Wd, P, pt = v["width"], v["proj_hidden"], v["patch_size"]
        vr, vg = v["adapter_rank"], v["adapter_groups"]
        ntok = (v["image_size"] // pt) ** 2 + 1
        pre = "backbone.visual."
        normal(pre + "conv1.weight", (Wd, 3, pt, pt), (3 * pt * pt) ** -0.5)
        normal(pre + "class_embedding", (Wd,), 1.0)
        normal(pre + "positional_embedding", (ntok, Wd), 0.5)
        normal(pre + "ln_pre.weight", (Wd,), 0.1, 1.0)
        normal(pre + "ln_pre.bias", (Wd,), 0.1)
        for j in range(v["layers"]):
            b = pre + "transformer.resblocks.%d." % j
            normal(b + "ln_1.weight", (Wd,), 0.1, 1.0)
            normal(b + "ln_1.bias", (Wd,), 0.1)
            normal(b + "attn.in_proj_weight", (3 * Wd, Wd), Wd ** -0.5)
            normal(b + "attn.in_proj_bias", (3 * Wd,), 0.1)
            normal(b + "attn.out_proj.weight", (Wd, Wd), Wd ** -0.5)
            normal(b + "attn.out_proj.bias", (Wd,), 0.1)
            normal(b + "ln_2.weight", (Wd,), 0.1, 1.0)
            normal(b + "ln_2.bias", (Wd,), 0.1)
            normal(b + "mlp.c_fc.weight", (4 * Wd, Wd), Wd ** -0.5)
            normal(b + "mlp.c_fc.bias", (4 * Wd,), 0.1)
            normal(b + "mlp.c_proj.weight", (Wd, 4 * Wd), (4 * Wd) ** -0.5)
            normal(b + "mlp.c_proj.bias", (Wd,), 0.1)
            a = b + "adapter_attn."
            normal(a + "conv_A.weight", (vr, Wd), Wd ** -0.5)
            normal(a + "conv_A.bias", (vr,), 0.5)
            normal(a + "conv_B.weight", (Wd, vr // vg), 0.6 * (vr // vg) ** -0.5)
            normal(a + "conv_B.bias", (Wd,), 0.2)
            normal(a + "conv_D.weight", (Wd, vr // vg), 0.6 * (vr // vg) ** -0.5)
            normal(a + "conv_D.bias", (Wd,), 0.2)
            normal(a + "expert_weights.weight", (2, Wd), 1.5)
            normal(a + "expert_weights.bias", (2,), 2.0)
        normal("adapter_proj.conv_A.weight", (P, Wd), Wd ** -0.5)
        normal("adapter_proj.conv_A.bias", (P,), 0.1)
        normal("adapter_proj.conv_B.weight", (D, P), P ** -0.5)
        normal("adapter_proj.conv_B.bias", (D,), 0.1)
    return W


# ---------------------------------------------------------------------------- model fixtures

def make_inputs(cfg, rows, seed):
    rng = np.random.default_rng(seed)
    V = cfg["vocab_size"]
    out = []
    for has_image, slen in rows:
        plen = 3 if has_image else 4            # [1, a, b, c] / [1, a, b, c, d]
        prefix = np.concatenate([[ref.BOS], rng.integers(3, V, plen)]).astype(np.int64)
        suffix = rng.integers(3, V, slen).astype(np.int64)
        pixels = None
        if has_image:
            S = cfg["vision"]["image_size"]
            pixels = rng.standard_normal((3, S, S)).astype(np.float32)
        out.append((prefix, suffix, has_image, pixels))
    return out


def f32(t):
    return np.ascontiguousarray(t.detach().numpy().astype(np.float32))


def build_model_fixture(name, cfg, weights, inputs, plans, outdir, merged_row=None, report=None):
    model = ref.LavinEAS(cfg, weights)
    exp = {}
    embeds = []
    for r, (prefix, suffix, has_image, pixels) in enumerate(inputs):
        exp["r%d_prefix" % r] = prefix
        exp["r%d_suffix" % r] = suffix
        exp["r%d_has_image" % r] = np.array(has_image, dtype=np.int64)
        E, vis = model.embed_row(prefix, suffix, has_image, pixels)
        if has_image:
            exp["r%d_pixels" % r] = pixels
            exp["r%d_vit_taps" % r] = f32(vis["taps"])
            exp["r%d_visual" % r] = f32(vis["visual"])
        embeds.append(E)
    margin = float("inf")
    routers = []
    eos_hits = []
    adapter_effect = 0.0
    for pname, plan in plans.items():
        for r, E in enumerate(embeds):
            T = E.shape[0]
            out = model.forward(E, np.arange(T), plan)
            key = "%s_r%d" % (pname, r)
            exp[key + "_hidden"] = f32(out["hidden"])
            exp[key + "_logits"] = f32(out["logits"])
            exp[key + "_router"] = f32(out["router"])
            routers.append(out["router"])
            for conv, suffix in ((False, ""), (True, "_origpos")):
                toks, lg, mg = model.generate(E, plan, MAX_NEW, origpos=conv)
                margin = min(margin, mg)
                if ref.EOS in toks:
                    eos_hits.append(key + suffix)
                exp[key + "_greedy" + suffix] = np.array(toks, dtype=np.int64)
                exp[key + "_greedy" + suffix + "_logits"] = f32(lg)
                # greedy step 0 comes from the prefill logits
                assert float((lg[0] - out["logits"][-1]).abs().max()) == 0.0
            if merged_row is not None and pname == merged_row[0] and r == merged_row[1]:
                ex = model.forward(E, np.arange(T), plan, fold="exact")
                bug = model.forward(E, np.arange(T), plan, fold="bug")
                d_exact = float((ex["logits"] - out["logits"]).abs().max())
                d_bug = float((bug["logits"] - ex["logits"]).abs().max())
                assert d_exact < 1e-9, "merged_exact != unmerged: %g" % d_exact
                assert d_bug > 1e-2, "merged_bug does not differ: %g" % d_bug
                exp[key + "_logits_merged_exact"] = f32(ex["logits"])
                exp[key + "_logits_merged_bug"] = f32(bug["logits"])
                report["%s merged_exact vs unmerged max|dlogit| (float64)" % name] = d_exact
                report["%s merged_bug vs exact max|dlogit| (float64)" % name] = d_bug
        if pname == "none":
            # how much the adapters move the hidden states (sanity: adapters are not trivial)
            for r, E in enumerate(embeds):
                T = E.shape[0]
                a = ref.rmsnorm(E, model.w("layers.0.attention_norm.weight"), model.eps)
                wr = model.forward(E, np.arange(T), plan)["router"][0]
                a2 = model._pia(a, "layers.0.adapter_attn.", wr, model.s, model.groups)
                adapter_effect = max(adapter_effect, float(((a2 - a).norm(dim=-1) / a.norm(dim=-1)).mean()))
    assert margin > MIN_MARGIN, "%s: greedy margin %g too small; change a seed" % (name, margin)
    rt = torch.stack(routers)
    report["%s min greedy top1-top2 margin" % name] = margin
    report["%s router weight w0 range" % name] = [float(rt[..., 0].min()), float(rt[..., 0].max())]
    report["%s rows/plans that emitted EOS" % name] = eos_hits
    report["%s layer-0 kept adapter relative change |a'-a|/|a|" % name] = adapter_effect
    d = os.path.join(outdir, name)
    write_json(os.path.join(d, "config.json"), cfg)
    write_npz(os.path.join(d, "weights.npz"), weights)
    write_npz(os.path.join(d, "expected.npz"), exp)
    return model


# ---------------------------------------------------------------------------- images

def _scene(rng, w, h):
    """Smooth gradients + a few flat shapes + sparse noise (compresses well as PNG)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.stack([255 * xx / max(w - 1, 1),
                    255 * yy / max(h - 1, 1),
                    127.5 + 127.5 * np.sin(2 * np.pi * (xx + yy) / (0.7 * max(w, h)))], -1)
    im = Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8), "RGB")
    dr = ImageDraw.Draw(im)
    for _ in range(6):
        x0, y0 = int(rng.integers(0, w - 8)), int(rng.integers(0, h - 8))
        x1, y1 = x0 + int(rng.integers(6, max(7, w // 3))), y0 + int(rng.integers(6, max(7, h // 3)))
        col = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.integers(0, 2):
            dr.rectangle([x0, y0, x1, y1], fill=col)
        else:
            dr.ellipse([x0, y0, x1, y1], fill=col, outline=(0, 0, 0))
    dr.line([0, 0, w - 1, h - 1], fill=(255, 255, 255), width=2)
    a = np.asarray(im).astype(np.int16)
    # sparse salt-and-pepper-ish noise on ~1.5% of the pixels
    sel = rng.random((h, w)) < 0.015
    a[sel] = rng.integers(0, 256, (int(sel.sum()), 3))
    return np.clip(a, 0, 255).astype(np.uint8)


def make_images(outdir, report):
    rng = np.random.default_rng(SEED_IMAGES)
    d = os.path.join(outdir, "images")
    ims = {}
    ims["down"] = Image.fromarray(_scene(rng, 400, 300), "RGB")
    ims["up"] = Image.fromarray(_scene(rng, 90, 70), "RGB")
    ims["nonsquare"] = Image.fromarray(_scene(rng, 300, 120), "RGB")
    g = _scene(rng, 150, 200).astype(np.float64)
    ims["gray"] = Image.fromarray(np.rint(g @ [0.299, 0.587, 0.114]).clip(0, 255).astype(np.uint8), "L")
    rgb = _scene(rng, 180, 180)
    yy, xx = np.mgrid[0:180, 0:180]
    alpha = np.clip(np.rint(255 * (0.5 + 0.5 * np.cos(np.hypot(xx - 90, yy - 90) / 18.0))), 0, 255)
    alpha[:, :20] = 0                     # fully transparent strip
    alpha[:, -20:] = 255                  # fully opaque strip
    ims["alpha"] = Image.fromarray(np.dstack([rgb, alpha.astype(np.uint8)]), "RGBA")
    px = {}
    for name, im in ims.items():
        buf = io.BytesIO()
        im.save(buf, format="PNG", optimize=False, compress_level=9)
        path = os.path.join(d, name + ".png")
        write_bytes(path, buf.getvalue())
        src = Image.open(path)
        rgbim = src.convert("RGB")
        px[name + "_224"] = np.asarray(rgbim.resize((224, 224), Image.BICUBIC)).copy()
        px[name + "_56"] = np.asarray(rgbim.resize((56, 56), Image.BICUBIC)).copy()
    # normalized ViT input (channel-first), computed in float64 and rounded to float32
    x = px["down_%d" % NORM_SIZE].astype(np.float64) / 255.0
    px["down_%d_norm" % NORM_SIZE] = ((x - IMAGENET_MEAN) / IMAGENET_STD).transpose(2, 0, 1).astype(np.float32)
    write_npz(os.path.join(outdir, "pixels.npz"), px)
    report["PIL version"] = Image.__version__ if hasattr(Image, "__version__") else "?"


# ---------------------------------------------------------------------------- main

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.normpath(os.path.join(here, "..", "..", "engine", "src", "test", "resources", "fixtures"))
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=default_out)
    args = ap.parse_args()
    torch.set_num_threads(1)              # deterministic reduction order
    assert ref.self_check()
    report = {}

    w = init_weights(LAVIN_CFG, SEED_LAVIN_WEIGHTS)
    inputs = make_inputs(LAVIN_CFG, LAVIN_ROWS, SEED_LAVIN_INPUTS)
    build_model_fixture("lavin_tiny", LAVIN_CFG, w, inputs, LAVIN_PLANS, args.out,
                        merged_row=("some", 0), report=report)

    w = init_weights(PINNED_CFG, SEED_PINNED_WEIGHTS, pinned_biases=PINNED_BIASES)
    inputs = make_inputs(PINNED_CFG, PINNED_ROWS, SEED_PINNED_INPUTS)
    build_model_fixture("pinned_tiny", PINNED_CFG, w, inputs, PINNED_PLANS, args.out, report=report)

    make_images(args.out, report)

    total = 0
    for root, _, files in os.walk(args.out):
        for f in sorted(files):
            total += os.path.getsize(os.path.join(root, f))
    report["total fixture bytes"] = total
    for k, v in report.items():
        print("%s: %s" % (k, v))
    assert total < MAX_TOTAL_BYTES, "fixtures too large: %d bytes" % total


if __name__ == "__main__":
    main()
