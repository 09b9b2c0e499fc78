"""Writes the engine's lavin_tiny fixture weights in the ORIGINAL checkpoint layouts, for model-loader's
end-to-end import test: Meta LLaMA params.json + 2 tensor-parallel shards, the EAS adapter checkpoint
({'model': {'module.' + key: ...}}, Conv1d weights [out, in/groups, 1]) and an OpenAI-CLIP-style TorchScript archive.

    /usr/bin/python3 tools/reference/make_import_fixtures.py

Reads engine/src/test/resources/fixtures/lavin_tiny/weights.npz, writes model-loader/src/test/resources/import/lavin_tiny/.
Tensor values are copied exactly (fp32), so the imported model must reproduce the engine fixture's logits.
"""
import json
import os
from collections import OrderedDict

import numpy as np
import torch
from torch import nn

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SRC = os.path.join(ROOT, "engine/src/test/resources/fixtures/lavin_tiny")
OUT = os.path.join(ROOT, "model-loader/src/test/resources/import/lavin_tiny")

ROW_SPLIT = ("attention.wq.weight", "attention.wk.weight", "attention.wv.weight", "feed_forward.w1.weight",
             "feed_forward.w3.weight")  # tensor-parallel along dim 0
COL_SPLIT = ("attention.wo.weight", "feed_forward.w2.weight")  # along dim 1


def t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


def meta_shards(w, cfg):
    shards = [OrderedDict(), OrderedDict()]
    for name, a in w.items():
        if name.startswith(("layers.", "tok_embeddings", "norm.", "output.")) and ".adapter_attn." not in name \
                and ".replaced_adapter." not in name:
            if name == "output.weight" or name.endswith(ROW_SPLIT):
                parts = np.split(a, 2, axis=0)
            elif name == "tok_embeddings.weight" or name.endswith(COL_SPLIT):
                parts = np.split(a, 2, axis=1)
            else:
                parts = [a, a]  # norms are replicated
            for s, p in zip(shards, parts):
                s[name] = t(p).clone()
    half = cfg["dim"] // cfg["n_heads"] // 2
    for s in shards:
        s["rope.freqs"] = torch.arange(half, dtype=torch.float32)  # present in Meta's files, ignored on import
    return shards


def eas_adapter(w):
    model = OrderedDict()
    for name, a in w.items():
        if ".adapter_attn." in name or ".replaced_adapter." in name:
            if ".conv_" in name and name.endswith(".weight"):
                a = a[:, :, None]  # Conv1d weight [out, in/groups, 1]
            model["module." + name] = t(a).clone()
        elif name.startswith("adapter_proj.") or name == "adapter_modality_embedding.weight":
            model["module." + name] = t(a).clone()
    model["module.llama_unused.weight"] = torch.zeros(2)  # keys the import must ignore
    return {"model": model, "epoch": 5}


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads)
        self.ln_1 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(OrderedDict([("c_fc", nn.Linear(width, 4 * width)), ("c_proj", nn.Linear(4 * width, width))]))
        self.ln_2 = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # scripting needs one; the import reads only parameters
        return x


class Transformer(nn.Module):
    def __init__(self, width, layers, heads):
        super().__init__()
        self.resblocks = nn.Sequential(*[Block(width, heads) for _ in range(layers)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # scripting needs one; the import reads only parameters
        return x


class Visual(nn.Module):
    def __init__(self, v):
        super().__init__()
        w, p, grid = v["width"], v["patch_size"], v["image_size"] // v["patch_size"]
        self.conv1 = nn.Conv2d(3, w, p, p, bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(w))
        self.positional_embedding = nn.Parameter(torch.zeros(grid * grid + 1, w))
        self.ln_pre = nn.LayerNorm(w)
        self.transformer = Transformer(w, v["layers"], v["heads"])
        self.ln_post = nn.LayerNorm(w)
        self.proj = nn.Parameter(torch.ones(w, 8))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # scripting needs one; the import reads only parameters
        return x


class Clip(nn.Module):
    def __init__(self, v):
        super().__init__()
        self.visual = Visual(v)
        self.token_embedding = nn.Embedding(10, 8)  # the text tower: ignored on import

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.visual.class_embedding.sum()


def clip_archive(w, v):
    model = Clip(v)
    sd = model.state_dict()
    with torch.no_grad():
        for key in sd:
            native = "backbone." + key
            if native in w:
                sd[key].copy_(t(w[native]))
    return torch.jit.script(model.eval())


def main():
    cfg = json.load(open(os.path.join(SRC, "config.json")))
    w = dict(np.load(os.path.join(SRC, "weights.npz")))
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "params.json"), "w") as f:
        # FFN 128 = multiple_of · ceil(int(0.75 · int(2·4·64/3)) / multiple_of) as LLaMA's FeedForward computes it
        json.dump({"dim": cfg["dim"], "multiple_of": 128, "ffn_dim_multiplier": 0.75, "n_heads": cfg["n_heads"],
                   "n_layers": cfg["n_layers"], "norm_eps": cfg["norm_eps"], "vocab_size": -1}, f)
    for i, s in enumerate(meta_shards(w, cfg)):
        torch.save(s, os.path.join(OUT, "consolidated.%02d.pth" % i))
    torch.save(eas_adapter(w), os.path.join(OUT, "eas_adapter.pth"))
    torch.jit.save(clip_archive(w, cfg["vision"]), os.path.join(OUT, "clip_tiny.pt"))
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("wrote", OUT, total, "bytes")


if __name__ == "__main__":
    torch.manual_seed(0)
    main()
