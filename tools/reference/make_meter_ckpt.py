#!/usr/bin/python3
"""Write a tiny METER-EAS PyTorch Lightning .ckpt for the convert tests (jobs/src/test/resources/meter/).

    /usr/bin/python3 tools/reference/make_meter_ckpt.py [--out DIR]

The layout PL 1.3.2's dump_checkpoint writes (DESIGN-METER.md section 6): epoch, global_step,
pytorch-lightning_version, state_dict, optimizer_states, lr_schedulers, hparams_name, hyper_parameters
({config, trainable, random: tensor[24]}). The state_dict holds the original names and Conv1d [out, in/g, 1]
shapes, a VQA head of 5 answers and no NLVR2 head; its vocabulary (381 rows) is that of the committed tiny
tokenizer (engine/src/test/resources/fixtures/meter_tokenizer/tokenizer.json), so the converted directory is
complete. Deterministic (fixed seed); values are random, only the layout matters here.
"""

import argparse
import collections
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_meter_fixtures as mmf  # noqa: E402

CKPT_CFG = dict(mmf.IMPORT_CFG, vocab_size=381, max_positions=16, max_text_len=12)
SEED = 4404


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.normpath(os.path.join(here, "..", "..", "jobs", "src", "test",
                                                                   "resources", "meter")))
    args = ap.parse_args()
    cfg = CKPT_CFG
    w = mmf.init_weights(cfg, SEED)
    sd = collections.OrderedDict()
    for name in sorted(w):
        if name.startswith("nlvr2_classifier."):
            continue
        a = torch.from_numpy(np.ascontiguousarray(w[name], dtype=np.float32))
        if ".conv_" in name and name.endswith(".weight"):
            a = a.unsqueeze(-1)
        sd[name] = a
    sd["text_transformer.embeddings.position_ids"] = torch.arange(cfg["max_positions"]).unsqueeze(0)
    ckpt = {
        "epoch": 9, "global_step": 1234, "pytorch-lightning_version": "1.3.2", "state_dict": sd,
        "callbacks": {}, "optimizer_states": [], "lr_schedulers": [], "hparams_name": "kwargs",
        "hyper_parameters": {"config": {"task": "vqa", "max_text_len": cfg["max_text_len"]},
                             "trainable": ["classifier", "adapter"], "random": torch.zeros(24)},
    }
    os.makedirs(args.out, exist_ok=True)
    torch.save(ckpt, os.path.join(args.out, "meter_tiny.ckpt"))
    with open(os.path.join(args.out, "label2ans.json"), "w") as f:
        f.write('{"yes": 0, "no": 1, "2": 2, "red": 3, "cat": 4}\n')


if __name__ == "__main__":
    main()
