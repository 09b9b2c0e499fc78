#!/usr/bin/python3
"""What the vision tower's class-token taps know about a picture (issue 14): linear probes on a tuned model.

    /usr/bin/python3 tools/reference/probe_vision_taps.py --model DIR --data SQA [--train 3000] [--test 1000]

Runs the float64 reference tower (lavin_eas_ref.py) of a model directory (fp16/fp32 safetensors, e.g. a tune's
DIR/model or `eas demo`'s demo/model) on the pictures of a generated benchmark (`eas gen-scienceqa`), reads each
picture's objects back from captions.json, and fits one logistic-regression probe per question ("is there a red
object?", "how many objects?", "is the centre cell occupied?") on the taps of --train training pictures; prints its
accuracy on --test test pictures next to the majority class's. The taps are what the decoder's adapter_proj reads, so
a fact no linear probe finds in them is, at best, hard for the decoder to use. Deterministic (one torch thread, fixed
seeds); a few minutes on one core.
"""

import argparse
import json
import os
import re
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lavin_eas_ref as ref  # noqa: E402
from make_tuned_fixtures import pixels, read_safetensors  # noqa: E402

CELLS = ["top left", "top centre", "top right", "middle left", "centre", "middle right", "bottom left",
         "bottom centre", "bottom right"]
SHAPES = ["circle", "square", "triangle"]
COLOURS = ["red", "orange", "yellow", "green", "blue", "purple"]
OBJECT = re.compile(r"An? (?:(small|large) )?(\w+) (\w+) at the (.+?)\.")


def objects(caption):
    """[(colour, shape, cell)] of a caption the generator wrote."""
    return [(m.group(2), m.group(3), CELLS.index(m.group(4))) for m in OBJECT.finditer(caption)]


def taps(model, cfg, data, split, n, captions, problems, pids):
    xs, ys = [], []
    for pid in [p for p in pids[split] if problems[p]["image"] and p in captions][:n]:
        with torch.no_grad():
            t, _ = model.vision(pixels(os.path.join(data, "images", split, pid, problems[pid]["image"]), cfg["vision"]))
        xs.append(t.reshape(-1).numpy())
        ys.append(objects(captions[pid]))
    return np.stack(xs), ys


def probe(xtr, ytr, xte, yte, classes):
    """Multinomial logistic regression (Adam, 400 full-batch steps, small L2) → (train acc, test acc, majority)."""
    torch.manual_seed(0)
    a = torch.tensor(xtr, dtype=torch.float32)
    b = torch.tensor(xte, dtype=torch.float32)
    ya = torch.tensor([classes.index(y) for y in ytr])
    yb = torch.tensor([classes.index(y) for y in yte])
    w = torch.zeros(a.shape[1], len(classes), requires_grad=True)
    bias = torch.zeros(len(classes), requires_grad=True)
    opt = torch.optim.Adam([w, bias], lr=0.01)
    for _ in range(400):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(a @ w + bias, ya) + 1e-4 * (w ** 2).sum()
        loss.backward()
        opt.step()
    with torch.no_grad():
        acc_tr = ((a @ w + bias).argmax(1) == ya).float().mean().item()
        acc_te = ((b @ w + bias).argmax(1) == yb).float().mean().item()
    majority = max((yb == c).float().mean().item() for c in range(len(classes)))
    return acc_tr, acc_te, majority


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--train", type=int, default=3000)
    ap.add_argument("--test", type=int, default=1000)
    args = ap.parse_args()
    torch.set_num_threads(1)
    with open(os.path.join(args.model, "config.json")) as fh:
        cfg = json.load(fh)
    model = ref.LavinEAS(cfg, read_safetensors(os.path.join(args.model, "model.safetensors")))
    with open(os.path.join(args.data, "captions.json")) as fh:
        captions = json.load(fh)["captions"]
    with open(os.path.join(args.data, "problems.json")) as fh:
        problems = json.load(fh)
    with open(os.path.join(args.data, "pid_splits.json")) as fh:
        pids = json.load(fh)
    xtr, otr = taps(model, cfg, args.data, "train", args.train, captions, problems, pids)
    xte, ote = taps(model, cfg, args.data, "test", args.test, captions, problems, pids)
    mu, sd = xtr.mean(0), xtr.std(0) + 1e-6  # standardised with the training pictures' statistics
    xtr, xte = (xtr - mu) / sd, (xte - mu) / sd
    questions = []
    for c in COLOURS:
        questions.append(("%s object present" % c, lambda o, c=c: str(any(x[0] == c for x in o)), ["False", "True"]))
    for s in SHAPES:
        questions.append(("%s present" % s, lambda o, s=s: str(any(x[1] == s for x in o)), ["False", "True"]))
    for c, s in [("red", "circle"), ("blue", "triangle"), ("green", "square")]:
        questions.append(("%s %s present" % (c, s), lambda o, c=c, s=s: str(any(x[:2] == (c, s) for x in o)), ["False", "True"]))
    questions.append(("how many objects (1-6)", lambda o: str(len(o)), [str(i) for i in range(1, 7)]))
    for cell in (0, 4, 8):
        questions.append(("%s cell occupied" % CELLS[cell], lambda o, cell=cell: str(any(x[2] == cell for x in o)),
                          ["False", "True"]))
        questions.append(("shape in the %s cell" % CELLS[cell],
                          lambda o, cell=cell: next((x[1] for x in o if x[2] == cell), "none"), SHAPES + ["none"]))
    print("| probe | train | test | majority class |")
    print("|---|---|---|---|")
    for name, label, classes in questions:
        tr, te, maj = probe(xtr, [label(o) for o in otr], xte, [label(o) for o in ote], classes)
        print("| %s | %.1f%% | %.1f%% | %.1f%% |" % (name, 100 * tr, 100 * te, 100 * maj))


if __name__ == "__main__":
    main()
