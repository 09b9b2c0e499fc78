#!/usr/bin/python3
"""Reference values for the shipped EAS-tuned demo model (issue 14): the engine's exactness proof, run on trained
weights instead of random ones.

    /usr/bin/python3 tools/reference/make_tuned_fixtures.py [--model DIR] [--out DIR]

Reads the committed model (jobs/src/main/resources/io/easspark/jobs/demo/tuned/: fp16 safetensors, config.json) and
one picture of the demo's test split (committed next to the fixture), runs the float64 reference (lavin_eas_ref.py)
on three demo prompts (an IMG, a TXT and a NO question) with no skip and with the model's own plan, and writes
jobs/src/test/resources/fixtures/tuned_demo/expected.npz: the prompt ids and pixels, the first layers' outputs,
the last position's logits, the router weights of every layer, and the greedy answer (tokens and the logit that chose
each). TunedReferenceTest compares the engine with it. fp16 weights are widened exactly, so the reference and the
engine run the same numbers. Deterministic (one torch thread, npz written as make_fixtures.py writes it); fails if
a greedy step's top-1 minus top-2 margin is under 1e-3, where fp32 rounding could flip a token.
"""

import argparse
import json
import os
import struct
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lavin_eas_ref as ref  # noqa: E402
from make_fixtures import f32, write_json, write_npz  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DEFAULT_MODEL = os.path.join(ROOT, "jobs", "src", "main", "resources", "io", "easspark", "jobs", "demo", "tuned")
DEFAULT_OUT = os.path.join(ROOT, "jobs", "src", "test", "resources", "fixtures", "tuned_demo")

MIN_MARGIN = 1e-3
MAX_NEW = 24          # the EA answers ("The smaller object is the red circle. The answer is A.") end in ~20 tokens
FIRST_LAYERS = 2      # hidden states kept for the first layers only (size); the logits cover the rest

# Demo test problems 96 (IMG), 65 (TXT) and 57 (NO) of gen-scienceqa's seed-14 benchmark, encoded by the engine's
# PromptEncoder (QCM, the demo tokenizer): prefix = BOS + the image/no-image prefix, suffix = the prompt.
#   96: Question: Which object is smaller?\nContext: N/A\nOptions: (A) the red circle (B) the yellow triangle\nResponse:
#   65: Question: Which object is heaviest?\nContext: The melon weighs 4 kilograms. The brick weighs 2 kilograms.\n
#       Options: (A) the brick (B) the melon\nResponse:
#   57: Question: What is the capital of Vermont?\nContext: N/A\nOptions: (A) Denver (B) Montpelier (C) Cheyenne
#       (D) Honolulu (E) Des Moines\nResponse:
ROWS = [
    ("96", [1, 270, 942, 934],
     [302, 942, 316, 387, 274, 640, 968, 13, 956, 298, 942, 273, 959, 951, 13, 962, 283, 268, 942, 260, 951, 950, 279,
      398, 372, 260, 960, 950, 279, 412, 373, 13, 967, 289, 292, 942], "image-96.png"),
    ("65", [1, 270, 942, 273, 959, 951],
     [302, 942, 316, 387, 274, 600, 968, 13, 956, 298, 942, 278, 587, 342, 463, 343, 953, 278, 553, 342, 473, 343, 953,
      13, 962, 283, 268, 942, 260, 951, 950, 279, 553, 260, 960, 950, 279, 587, 13, 967, 289, 292, 942], None),
    ("57", [1, 270, 942, 273, 959, 951],
     [302, 942, 353, 274, 279, 457, 362, 882, 968, 13, 956, 298, 942, 273, 959, 951, 13, 962, 283, 268, 942, 260, 951,
      950, 690, 260, 960, 950, 741, 260, 956, 950, 740, 260, 973, 950, 697, 260, 977, 950, 772, 774, 13, 967, 289, 292,
      942], None),
]


def read_safetensors(path):
    """fp16/fp32 safetensors -> {name: float32 array}, bounds-checked."""
    with open(path, "rb") as fh:
        data = fh.read()
    n = struct.unpack("<Q", data[:8])[0]
    assert 8 + n <= len(data), "header past the end of the file"
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        dtype = {"F16": np.float16, "F32": np.float32}[t["dtype"]]
        a, b = t["data_offsets"]
        assert 0 <= a <= b <= len(body), name
        out[name] = np.frombuffer(body[a:b], dtype=dtype).reshape(t["shape"]).astype(np.float32)
    return out


def pixels(png, vis):
    """The picture as the vision tower sees it: RGB / 255, normalized by the config's mean and std, [3, S, S]."""
    img = np.asarray(Image.open(png).convert("RGB"), dtype=np.float64) / 255.0
    s = vis["image_size"]
    assert img.shape == (s, s, 3), "demo pictures are %d px already (no resize): %s" % (s, img.shape)
    x = (img - np.array(vis["mean"])) / np.array(vis["std"])
    return np.ascontiguousarray(x.transpose(2, 0, 1).astype(np.float32))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    torch.set_num_threads(1)
    with open(os.path.join(args.model, "config.json")) as fh:
        cfg = json.load(fh)
    plan = [int(x) for x in cfg["skip_plan"].replace(" ", "").split(",")] if cfg.get("skip_plan") else []
    assert all("-" not in str(x) for x in plan)
    model = ref.LavinEAS(cfg, read_safetensors(os.path.join(args.model, "model.safetensors")))
    exp = {}
    margin = float("inf")
    answers = {}
    for r, (pid, prefix, suffix, png) in enumerate(ROWS):
        px = pixels(os.path.join(args.out, png), cfg["vision"]) if png else None
        exp["r%d_prefix" % r] = np.array(prefix, dtype=np.int64)
        exp["r%d_suffix" % r] = np.array(suffix, dtype=np.int64)
        exp["r%d_has_image" % r] = np.array(1 if png else 0, dtype=np.int64)
        E, vis = model.embed_row(np.array(prefix), np.array(suffix), png is not None, px)
        if png:
            exp["r%d_pixels" % r] = px
            exp["r%d_visual" % r] = f32(vis["visual"])
        for pname, p in (("none", []), ("plan", plan)):
            key = "%s_r%d" % (pname, r)
            out = model.forward(E, np.arange(E.shape[0]), p)
            exp[key + "_hidden"] = f32(out["hidden"][:FIRST_LAYERS])
            exp[key + "_last_logits"] = f32(out["logits"][-1])
            exp[key + "_router"] = f32(out["router"])
            toks, lg, mg = model.generate(E, p, MAX_NEW)
            margin = min(margin, mg)
            exp[key + "_greedy"] = np.array(toks, dtype=np.int64)
            exp[key + "_greedy_chosen"] = f32(lg.gather(1, torch.as_tensor(toks)[:, None])[:, 0])
            answers[key + " (pid %s)" % pid] = toks
    exp["plan"] = np.array(plan, dtype=np.int64)
    assert margin > MIN_MARGIN, "greedy margin %g too small for an fp32 comparison" % margin
    write_npz(os.path.join(args.out, "expected.npz"), exp)
    write_json(os.path.join(args.out, "README.json"), {
        "made_by": "tools/reference/make_tuned_fixtures.py", "model": "the shipped demo model (jar resource demo/tuned)",
        "plan": plan, "rows": [pid for pid, _, _, _ in ROWS], "first_layers": FIRST_LAYERS, "max_new": MAX_NEW})
    print("min greedy top1-top2 margin (float64): %.4g" % margin)
    for k, v in answers.items():
        print(k, v)


if __name__ == "__main__":
    main()
