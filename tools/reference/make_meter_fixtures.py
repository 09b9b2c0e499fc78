#!/usr/bin/python3
"""Regenerate engine/src/test/resources/fixtures/meter_tiny bit for bit.

    /usr/bin/python3 tools/reference/make_meter_fixtures.py [--out DIR]

Tiny random METER-EAS-shaped weights (PCG64, fixed seed, original state_dict names), three
text rows of different padding, two images per row, and the float64 reference's outputs
(meter_eas_ref.py) for the skip sets none, the paper's default 10-of-24 and all 24 (intended
index mapping), plus the default set under the original's 18-23 mapping. Writes config.json,
weights.npz and expected.npz deterministically (make_fixtures.npz_bytes).
"""

import argparse
import os
import sys

import collections
import hashlib

import numpy as np
import torch
from PIL import Image
from torchvision import transforms

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402  (deterministic npz/json writers)
import meter_eas_ref as ref  # noqa: E402

SEED_WEIGHTS = 4101
SEED_INPUTS = 4202
MAX_TOTAL_BYTES = 2_000_000

CFG = {
    "family": "meter",
    "hidden": 32, "heads": 2, "intermediate": 64,
    "vocab_size": 64, "max_positions": 16, "text_layers": 2, "text_ln_eps": 1e-5,
    "image_size": 48, "patch_size": 16, "vit_width": 24, "vit_heads": 2, "vit_blocks": 2, "vit_ln_eps": 1e-5,
    "fusion_layers": 6, "fusion_ln_eps": 1e-12,
    "adapter_hidden": 8, "pia_hidden": 12, "adapter_groups": 2,
    "vqa_labels": 10, "max_text_len": 12,
}
# the paper's default set (nonas.py:274) and all 24 candidates
SETS = {"none": [], "default": [13, 8, 17, 4, 6, 12, 23, 2, 1, 0], "all": list(range(24))}
ROW_LENGTHS = [12, 7, 4]
# Pixel parity: the original's clip_transform(S) (torchvision Resize(S, BICUBIC), CenterCrop(S), ToTensor, CLIP
# Normalize) on the committed test images. Odd sizes make (w' - S) / 2 land on .5 (round half to even); 288 and
# 384 are METER's real sizes, stored as SHA-256 of the 8-bit crop to keep the fixtures small.
IMAGES = ["down", "up", "nonsquare", "gray", "alpha"]
SMALL_SIZES = [40, 57]
NORM_SIZE = 40
HASHED_SIZES = [288, 384]
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)          # real tokens per row (incl. <s> and </s>); the rest is <pad> = 1


def init_weights(cfg, seed):
    rng = np.random.default_rng(seed)
    W = {}
    d, f, v = cfg["hidden"], cfg["intermediate"], cfg["vit_width"]

    def lin(name, out, inn, bias=True):
        W[name + ".weight"] = (rng.standard_normal((out, inn)) / np.sqrt(inn)).astype(np.float32)
        if bias:
            W[name + ".bias"] = (0.1 * rng.standard_normal(out)).astype(np.float32)

    def conv(name, out, inn):                      # squeezed [out, in/groups] like lin
        lin(name, out, inn)

    def norm(name, n):
        W[name + ".weight"] = (1.0 + 0.1 * rng.standard_normal(n)).astype(np.float32)
        W[name + ".bias"] = (0.1 * rng.standard_normal(n)).astype(np.float32)

    def emb(name, rows, n):
        W[name] = (0.5 * rng.standard_normal((rows, n))).astype(np.float32)

    # RoBERTa
    p = "text_transformer."
    emb(p + "embeddings.word_embeddings.weight", cfg["vocab_size"], d)
    emb(p + "embeddings.position_embeddings.weight", cfg["max_positions"], d)
    emb(p + "embeddings.token_type_embeddings.weight", 1, d)
    norm(p + "embeddings.LayerNorm", d)
    for i in range(cfg["text_layers"]):
        q = p + "encoder.layer.%d." % i
        for n in ("query", "key", "value"):
            lin(q + "attention.self." + n, d, d)
        lin(q + "attention.output.dense", d, d)
        norm(q + "attention.output.LayerNorm", d)
        lin(q + "intermediate.dense", f, d)
        lin(q + "output.dense", d, f)
        norm(q + "output.LayerNorm", d)
    # CLIP ViT
    p = "vit_model.visual."
    P, G = cfg["patch_size"], cfg["image_size"] // cfg["patch_size"]
    W[p + "conv1.weight"] = (rng.standard_normal((v, 3, P, P)) / np.sqrt(3 * P * P)).astype(np.float32)
    W[p + "class_embedding"] = (0.5 * rng.standard_normal(v)).astype(np.float32)
    W[p + "positional_embedding"] = (0.5 * rng.standard_normal((G * G + 1, v))).astype(np.float32)
    norm(p + "ln_pre", v)
    for j in range(cfg["vit_blocks"]):
        b = p + "transformer.resblocks.%d." % j
        norm(b + "ln_1", v)
        W[b + "attn.in_proj_weight"] = (rng.standard_normal((3 * v, v)) / np.sqrt(v)).astype(np.float32)
        W[b + "attn.in_proj_bias"] = (0.1 * rng.standard_normal(3 * v)).astype(np.float32)
        lin(b + "attn.out_proj", v, v)
        norm(b + "ln_2", v)
        lin(b + "mlp.c_fc", 4 * v, v)
        lin(b + "mlp.c_proj", v, 4 * v)
    norm(p + "ln_post", v)
    # fusion setup
    lin("cross_modal_text_transform", d, d)
    lin("cross_modal_image_transform", d, v)
    emb("token_type_embeddings.weight", 3, d)
    W["token4classifier"] = (0.5 * rng.standard_normal((1, 1, d))).astype(np.float32)
    r, R, g = cfg["adapter_hidden"], cfg["pia_hidden"], cfg["adapter_groups"]
    for stream in ("text", "image"):
        for i in range(cfg["fusion_layers"]):
            q = "cross_modal_%s_layers.%d." % (stream, i)
            for a in ("attention.", "crossattention."):
                for n in ("query", "key", "value"):
                    lin(q + a + "self." + n, d, d)
                lin(q + a + "output.dense", d, d)
                norm(q + a + "output.LayerNorm", d)
                conv(q + a + "adapter.conv_C", r, d)
                conv(q + a + "adapter.conv_B", d, r // g)
            lin(q + "intermediate.dense", f, d)
            conv(q + "intermediate.adapter.conv_C", r, d)
            conv(q + "intermediate.adapter.conv_B", d, r // g)
            lin(q + "output.dense", d, f)
            norm(q + "output.LayerNorm", d)
            for a in ("adapter_self_attn.", "adapter_cross_attn."):
                conv(q + a + "conv_A", R, d)
                conv(q + a + "conv_C", R, d)
                conv(q + a + "conv_B", d, R // g)
        lin("cross_modal_%s_pooler.dense" % stream, d, d)
    # heads
    lin("vqa_classifier.0", 2 * d, 2 * d)
    norm("vqa_classifier.1", 2 * d)
    lin("vqa_classifier.3", cfg["vqa_labels"], 2 * d)
    lin("nlvr2_classifier.0", 2 * d, 4 * d)
    norm("nlvr2_classifier.1", 2 * d)
    lin("nlvr2_classifier.3", 2, 2 * d)
    lin("rank_output", 1, 2 * d)
    return W


def make_inputs(cfg, seed):
    rng = np.random.default_rng(seed)
    L = cfg["max_text_len"]
    ids = np.full((len(ROW_LENGTHS), L), ref.PAD, dtype=np.int64)
    for r, n in enumerate(ROW_LENGTHS):
        ids[r, 0] = 0
        ids[r, 1:n - 1] = rng.integers(3, cfg["vocab_size"], n - 2)
        ids[r, n - 1] = 2
    S = cfg["image_size"]
    pix0 = rng.standard_normal((len(ROW_LENGTHS), 3, S, S)).astype(np.float32)
    pix1 = rng.standard_normal((len(ROW_LENGTHS), 3, S, S)).astype(np.float32)
    return ids, pix0, pix1


def run_set(cfg, w, ids, pix0, pix1, indices, original_mapping):
    skipped = ref.modules_of(indices, original_mapping)
    out = {k: [] for k in ("text", "image", "pooled", "pooled1", "vqa", "itm", "nlvr2", "roberta", "vit")}
    for r in range(ids.shape[0]):
        row_ids = torch.as_tensor(ids[r])
        p0 = torch.as_tensor(pix0[r], dtype=ref.DT)
        p1 = torch.as_tensor(pix1[r], dtype=ref.DT)
        texts, images, cls0 = ref.fuse(w, cfg, row_ids, p0, 1, skipped)
        _, _, cls1 = ref.fuse(w, cfg, row_ids, p1, 2, skipped)
        out["text"].append(torch.stack(texts))
        out["image"].append(torch.stack(images))
        out["pooled"].append(cls0)
        out["pooled1"].append(cls1)
        out["vqa"].append(ref.vqa_logits(w, cls0))
        out["itm"].append(ref.itm_score(w, cls0))
        out["nlvr2"].append(ref.nlvr2_logits(w, cls0, cls1))
        out["roberta"].append(ref.roberta(w, cfg, row_ids))
        out["vit"].append(ref.vit(w, cfg, p0))
    res = {}
    for k, v in out.items():
        a = torch.stack(v)
        if k in ("text", "image"):
            a = a.transpose(0, 1)                   # [layers, B, T, d]
        res[k] = a.numpy().astype(np.float32)
    return res, sorted(skipped)


def clip_crop(size):
    return transforms.Compose([transforms.Resize(size, interpolation=transforms.InterpolationMode.BICUBIC),
                               transforms.CenterCrop(size)])


def clip_transform(size):
    return transforms.Compose([clip_crop(size), transforms.ToTensor(), transforms.Normalize(CLIP_MEAN, CLIP_STD)])


def make_pixels(images_dir, out_path):
    """RGB first (the engine's decoder drops alpha as convert('RGB')); for opaque images that equals the original's
    order (convert after crop)."""
    px = {}
    for name in IMAGES:
        im = Image.open(os.path.join(images_dir, name + ".png")).convert("RGB")
        for size in SMALL_SIZES:
            px["%s_%d" % (name, size)] = np.asarray(clip_crop(size)(im)).copy()
        for size in HASHED_SIZES:
            crop = np.ascontiguousarray(np.asarray(clip_crop(size)(im)))
            px["%s_%d_sha256" % (name, size)] = np.frombuffer(hashlib.sha256(crop.tobytes()).digest(), dtype=np.uint8)
        px["%s_%d_norm" % (name, NORM_SIZE)] = clip_transform(NORM_SIZE)(im).numpy().astype(np.float32)
    mf.write_npz(out_path, px)


# A METER-EAS state_dict as torch.save writes it (plain dict, the original's names and Conv1d [out, in/g, 1] shapes,
# plus tensors the engine never reads), for the model-loader import test: tiny, with VQA and retrieval heads only.
IMPORT_CFG = dict(CFG, hidden=16, intermediate=32, vocab_size=24, max_positions=10, text_layers=1, image_size=32,
                  vit_width=16, vit_blocks=1, adapter_hidden=4, pia_hidden=6, vqa_labels=5, max_text_len=6)
SEED_IMPORT = 4303


def write_state_dict(outdir):
    cfg = IMPORT_CFG
    w = init_weights(cfg, SEED_IMPORT)
    del w["nlvr2_classifier.0.weight"], w["nlvr2_classifier.0.bias"], w["nlvr2_classifier.1.weight"]
    del w["nlvr2_classifier.1.bias"], w["nlvr2_classifier.3.weight"], w["nlvr2_classifier.3.bias"]
    rng = np.random.default_rng(SEED_IMPORT + 1)
    sd = collections.OrderedDict()
    d = cfg["hidden"]
    for name in sorted(w):
        a = torch.from_numpy(w[name].copy())
        if ".conv_" in name and name.endswith(".weight"):
            a = a.unsqueeze(-1)                      # Conv1d weight [out, in/groups, 1]
        sd[name] = a
        if name.endswith("conv_B.weight"):          # unused by inference: conv_D and the routers
            base = name[:-len("conv_B.weight")]
            sd[base + "conv_D.weight"] = torch.from_numpy(rng.standard_normal(tuple(a.shape)).astype(np.float32))
            sd[base + "conv_D.bias"] = torch.zeros(d)
            sd[base + "expert_weights.weight"] = torch.zeros(2, d)
            sd[base + "expert_weights.bias"] = torch.zeros(2)
    sd["text_transformer.embeddings.position_ids"] = torch.arange(cfg["max_positions"]).unsqueeze(0)
    sd["text_transformer.pooler.dense.weight"] = torch.zeros(d, d)
    sd["text_transformer.pooler.dense.bias"] = torch.zeros(d)
    sd["vit_model.ln_final.weight"] = torch.ones(cfg["vit_width"])
    sd["itm_score.fc.weight"] = torch.zeros(2, 2 * d)
    os.makedirs(outdir, exist_ok=True)
    torch.save(sd, os.path.join(outdir, "meter_state_dict.pth"))
    # the reference's VQA logits and ITM score for two rows, no skip and the default set
    ids = np.full((2, cfg["max_text_len"]), ref.PAD, dtype=np.int64)
    ids[0, :6] = [0, 5, 9, 13, 7, 2]
    ids[1, :4] = [0, 11, 4, 2]
    pix = np.random.default_rng(SEED_IMPORT + 2).standard_normal((2, 3, cfg["image_size"], cfg["image_size"]))
    pix = pix.astype(np.float32)
    exp = {"ids": ids, "pixels": pix}
    for set_name, idx in (("none", []), ("default", SETS["default"])):
        vqa, itm = [], []
        for r in range(2):
            _, _, cls = ref.fuse(w, cfg, torch.as_tensor(ids[r]), torch.as_tensor(pix[r], dtype=ref.DT), 1,
                                 ref.modules_of(idx, False))
            vqa.append(ref.vqa_logits(w, cls))
            itm.append(ref.itm_score(w, cls))
        exp[set_name + "_vqa"] = torch.stack(vqa).numpy().astype(np.float32)
        exp[set_name + "_itm"] = torch.stack(itm).numpy().astype(np.float32)
    mf.write_npz(os.path.join(outdir, "meter_state_dict.expected.npz"), exp)
    mf.write_json(os.path.join(outdir, "meter_state_dict.config.json"), dict(cfg, vqa_labels=cfg["vqa_labels"]))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.normpath(os.path.join(here, "..", "..", "engine", "src", "test", "resources", "fixtures",
                                                "meter_tiny"))
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=default_out)
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = CFG
    w = init_weights(cfg, SEED_WEIGHTS)
    ids, pix0, pix1 = make_inputs(cfg, SEED_INPUTS)
    exp = {"ids": ids, "pixels0": pix0, "pixels1": pix1}
    runs = [(name, idx, False) for name, idx in SETS.items()] + [("default_original", SETS["default"], True)]
    for name, idx, orig in runs:
        res, skipped = run_set(cfg, w, ids, pix0, pix1, idx, orig)
        exp[name + "_indices"] = np.array(idx, dtype=np.int64)
        for k, v in res.items():
            if k in ("roberta", "vit") and name != "none":
                continue
            exp[name + "_" + k] = v
        print("%s: %d modules skipped: %s" % (name, len(skipped), " ".join(skipped)))
    mf.write_json(os.path.join(args.out, "config.json"), cfg)
    mf.write_npz(os.path.join(args.out, "weights.npz"), w)
    mf.write_npz(os.path.join(args.out, "expected.npz"), exp)
    write_state_dict(os.path.normpath(os.path.join(args.out, "..", "..", "..", "..", "..", "..", "model-loader", "src",
                                                   "test", "resources", "meter")))
    make_pixels(os.path.join(os.path.dirname(args.out), "images"), os.path.join(args.out, "pixels.npz"))
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print("total fixture bytes: %d" % total)
    assert total < MAX_TOTAL_BYTES, "fixtures too large: %d bytes" % total


if __name__ == "__main__":
    main()
