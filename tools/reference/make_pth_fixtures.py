#!/usr/bin/python3
"""Write the PyTorch checkpoint fixtures of model-loader/src/test/resources/pth (io.easspark.loader.pickle tests).

    /usr/bin/python3 tools/reference/make_pth_fixtures.py [--out DIR]

Needs torch (Debian's python3-torch 1.13 wrote the committed files). Tensor values come from seeded torch generators,
so every data.pkl, storage and sidecar is the same on every run; only vit_tiny.pt's code/ entries (TorchScript source,
never read by the Java side) may come out in a different order. For every checkpoint a sidecar
<file>.expected.json maps each tensor's flattened dotted name (dict keys, list/tuple indices, TorchScript attribute
names, joined with '.') to {"dtype", "shape", "values"} with the values in C order, exact: floats as the shortest repr
of the stored value (fp16/bf16 widened to float32 exactly), ints as ints, bools as 0/1.

Hostile files hold hand-written pickles inside a valid torch zip layout. None of them may ever run: each would
`touch` MARKER, which the Java tests delete first and check is still absent afterwards.
"""

import argparse
import collections
import json
import os
import pickle
import struct
import zipfile

import torch

SEED_TENSORS = 4101
SEED_ADAPTER = 4102
SEED_LLAMA = 4103
SEED_VIT = 4104

MARKER = "/tmp/eas_pickle_marker_DO_NOT_CREATE"
TOUCH = "touch " + MARKER

DTYPE_NAMES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
}


# ---------------------------------------------------------------------------- expected values

def flatten(value, path, out):
    """Mirror of TorchCheckpoint's walk: dotted names for dict keys and list/tuple indices."""
    if isinstance(value, torch.Tensor):
        assert path not in out, path
        out[path] = value
    elif isinstance(value, dict):
        for k, v in value.items():
            flatten(v, child(path, "True" if k is True else "False" if k is False else str(k)), out)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            flatten(v, child(path, str(i)), out)
    return out


def child(path, key):
    return key if path == "" else path + "." + key


def expected(tensors):
    out = {}
    for name, t in tensors.items():
        t = t.detach()
        dtype = DTYPE_NAMES[t.dtype]
        if t.dtype in (torch.float16, torch.bfloat16):
            values = t.float().flatten().tolist()
        elif t.dtype == torch.bool:
            values = [int(v) for v in t.flatten().tolist()]
        else:
            values = t.flatten().tolist()
        out[name] = {"dtype": dtype, "shape": list(t.shape), "values": values}
    return out


def write_json(path, obj):
    """One line per top-level key, so the sidecars stay small and diffable."""
    with open(path, "w") as f:
        f.write("{\n" + ",\n".join(json.dumps(k) + ": " + json.dumps(v) for k, v in obj.items()) + "\n}\n")


def save(obj, path, tensors=None):
    torch.save(obj, path)
    write_json(path + ".expected.json", expected(tensors if tensors is not None else flatten(obj, "", {})))


# ---------------------------------------------------------------------------- (1) every dtype and container

def make_tensors(out):
    g = torch.Generator().manual_seed(SEED_TENSORS)
    base = torch.randn(3, 4, generator=g)
    linear = torch.nn.Linear(2, 3)
    with torch.no_grad():
        linear.weight.copy_(torch.randn(3, 2, generator=g))
        linear.bias.copy_(torch.randn(3, generator=g))
    obj = {
        "f32": torch.randn(2, 3, generator=g),
        "f16": torch.tensor([1.0, -2.5, 65504.0, 6.0e-8, -0.0, 0.333251953125], dtype=torch.float16),
        "bf16": torch.randn(2, 2, generator=g).bfloat16(),
        "f64": torch.randn(3, generator=g, dtype=torch.float64),
        "i64": torch.tensor([[-3, 0, 2 ** 62 + 1], [-(2 ** 63), 2 ** 63 - 1, 7]], dtype=torch.int64),
        "i32": torch.tensor([1, -2, 2 ** 31 - 1], dtype=torch.int32),
        "i16": torch.tensor([-300, 300], dtype=torch.int16),
        "i8": torch.tensor([-128, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 7, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "transposed": base.t(),          # stride (1, 4): read by gathering
        "sliced": base[1:, ::2],         # same storage as transposed, storage offset 4, stride (4, 2)
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 3),
        "param": torch.nn.Parameter(torch.randn(2, generator=g)),
        "nested": {"inner": {"w": torch.randn(2, 2, generator=g)}, "n": 3},
        "ordered": collections.OrderedDict([("b", torch.randn(1, generator=g)), ("a", 1.5)]),
        "state_dict": linear.state_dict(),  # an OrderedDict whose _metadata arrives through BUILD
        "list": [torch.ones(2), "text", 7, None, True],
        "tuple": (1, 2.5, torch.full((2,), -1.0)),
        "int_keys": {0: torch.zeros(1), 1: "x"},
        "big": 2 ** 70,
        "neg": -5,
        "float": 0.1,
    }
    save(obj, os.path.join(out, "tensors.pth"))


# ---------------------------------------------------------------------------- (2) EAS adapter checkpoint

def make_adapter(out):
    g = torch.Generator().manual_seed(SEED_ADAPTER)
    dim, hidden, groups, experts = 16, 8, 2, 2
    model = collections.OrderedDict()
    for layer in (0, 1):
        p = "module.layers.%d.adapter_attn." % layer
        model[p + "conv_A.weight"] = torch.randn(hidden, dim, 1, generator=g)      # Conv1d [out, in/groups, 1]
        model[p + "conv_A.bias"] = torch.randn(hidden, generator=g)
        model[p + "conv_B.weight"] = torch.randn(dim, hidden // groups, 1, generator=g)
        model[p + "conv_B.bias"] = torch.randn(dim, generator=g)
        model[p + "expert_weights.weight"] = torch.randn(experts, dim, generator=g)
        model[p + "expert_weights.bias"] = torch.randn(experts, generator=g)
    model["module.adapter_proj.conv_A.weight"] = torch.randn(hidden, 12, generator=g)  # a Linear despite the name
    model["module.adapter_modality_embedding.weight"] = torch.randn(2, dim, generator=g).half()
    save({"model": model}, os.path.join(out, "eas_adapter.pth"))


# ---------------------------------------------------------------------------- (3) Meta LLaMA, two tensor-parallel shards

def make_meta_shards(out):
    g = torch.Generator().manual_seed(SEED_LLAMA)
    dim, n_heads, vocab, hidden, shards = 8, 2, 16, 24, 2
    head_dim = dim // n_heads
    full = collections.OrderedDict()
    full["tok_embeddings.weight"] = torch.randn(vocab, dim, generator=g)
    full["norm.weight"] = torch.randn(dim, generator=g)
    full["output.weight"] = torch.randn(vocab, dim, generator=g)
    p = "layers.0."
    for w in ("wq", "wk", "wv", "wo"):
        full[p + "attention." + w + ".weight"] = torch.randn(dim, dim, generator=g)
    full[p + "feed_forward.w1.weight"] = torch.randn(hidden, dim, generator=g)
    full[p + "feed_forward.w2.weight"] = torch.randn(dim, hidden, generator=g)
    full[p + "feed_forward.w3.weight"] = torch.randn(hidden, dim, generator=g)
    full[p + "attention_norm.weight"] = torch.randn(dim, generator=g)
    full[p + "ffn_norm.weight"] = torch.randn(dim, generator=g)
    full = collections.OrderedDict((k, v.half()) for k, v in full.items())  # Meta's consolidated files are fp16
    rope = 1.0 / (10000.0 ** (torch.arange(0, head_dim, 2).float() / head_dim))
    # DESIGN.md section 3: concatenated along dim 0 / dim 1; norms replicated
    dim1 = ("attention.wo.weight", "feed_forward.w2.weight", "tok_embeddings.weight")
    dim0 = ("attention.wq.weight", "attention.wk.weight", "attention.wv.weight", "feed_forward.w1.weight",
            "feed_forward.w3.weight", "output.weight")
    d = os.path.join(out, "meta_shards")
    os.makedirs(d, exist_ok=True)
    for s in range(shards):
        shard = collections.OrderedDict()
        for k, v in full.items():
            if k.endswith(dim1):
                shard[k] = v.chunk(shards, dim=1)[s].clone()
            elif k.endswith(dim0):
                shard[k] = v.chunk(shards, dim=0)[s].clone()
            else:
                shard[k] = v.clone()
        shard["rope.freqs"] = rope.half()
        save(shard, os.path.join(d, "consolidated.%02d.pth" % s))
    write_json(os.path.join(d, "full.expected.json"), expected(full))
    write_json(os.path.join(d, "params.json"),
               {"dim": dim, "multiple_of": 8, "n_heads": n_heads, "n_layers": 1, "norm_eps": 1e-06, "vocab_size": -1})


# ---------------------------------------------------------------------------- (4) a tiny CLIP-like TorchScript archive

class ResidualAttentionBlock(torch.nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.attn = torch.nn.MultiheadAttention(width, heads)
        self.ln_1 = torch.nn.LayerNorm(width)
        self.mlp = torch.nn.Sequential(collections.OrderedDict([
            ("c_fc", torch.nn.Linear(width, width * 4)),
            ("gelu", torch.nn.GELU()),
            ("c_proj", torch.nn.Linear(width * 4, width)),
        ]))
        self.ln_2 = torch.nn.LayerNorm(width)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x), self.ln_1(x), self.ln_1(x), need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(torch.nn.Module):
    def __init__(self, width, layers, heads):
        super().__init__()
        self.resblocks = torch.nn.Sequential(*[ResidualAttentionBlock(width, heads) for _ in range(layers)])

    def forward(self, x):
        return self.resblocks(x)


class VisionTransformer(torch.nn.Module):
    def __init__(self, patch, width, layers, heads, grid, out_dim):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, width, kernel_size=patch, stride=patch, bias=False)
        self.class_embedding = torch.nn.Parameter(torch.randn(width))
        self.positional_embedding = torch.nn.Parameter(torch.randn(grid * grid + 1, width))
        self.ln_pre = torch.nn.LayerNorm(width)
        self.transformer = Transformer(width, layers, heads)
        self.ln_post = torch.nn.LayerNorm(width)
        self.proj = torch.nn.Parameter(torch.randn(width, out_dim))

    def forward(self, x):
        x = self.conv1(x).flatten(2).permute(0, 2, 1)
        cls = self.class_embedding.unsqueeze(0).unsqueeze(0).expand(x.shape[0], 1, x.shape[2])
        x = torch.cat([cls, x], dim=1) + self.positional_embedding
        x = self.transformer(self.ln_pre(x).permute(1, 0, 2)).permute(1, 0, 2)
        return self.ln_post(x[:, 0, :]) @ self.proj


class Clip(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.visual = VisionTransformer(patch=2, width=8, layers=2, heads=2, grid=2, out_dim=4)
        self.token_embedding = torch.nn.Embedding(10, 8)
        self.logit_scale = torch.nn.Parameter(torch.ones([]) * 2.0)

    def forward(self, image):
        return self.visual(image) * self.logit_scale.exp()


def make_vit(out):
    torch.manual_seed(SEED_VIT)
    model = Clip().eval()
    # CLIP's convert_weights: conv, linear and attention weights in fp16; embeddings and LayerNorms stay fp32
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            m.weight.data = m.weight.data.half()
            if m.bias is not None:
                m.bias.data = m.bias.data.half()
        if isinstance(m, torch.nn.MultiheadAttention):
            m.in_proj_weight.data = m.in_proj_weight.data.half()
            m.in_proj_bias.data = m.in_proj_bias.data.half()
    model.visual.proj.data = model.visual.proj.data.half()
    scripted = torch.jit.script(model)  # compiles without running, so the mixed fp16/fp32 weights need no CPU kernels
    path = os.path.join(out, "vit_tiny.pt")
    torch.jit.save(scripted, path)
    write_json(path + ".expected.json", expected(collections.OrderedDict(scripted.state_dict())))


# ---------------------------------------------------------------------------- (5) hostile pickles, (6) broken zips

def torch_zip(path, pickle_bytes):
    """A torch.save layout (archive/data.pkl, archive/version) around any pickle bytes."""
    def entry(name):
        return zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # fixed, so re-runs give identical bytes

    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(entry("archive/data.pkl"), pickle_bytes)
        z.writestr(entry("archive/version"), "3\n")


def binunicode(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


class SystemCall:
    """Pickles as os.system(TOUCH), the classic payload; the pickler writes GLOBAL 'posix system' on Linux."""

    def __reduce__(self):
        return (os.system, (TOUCH,))


def make_hostile(out):
    d = os.path.join(out, "hostile")
    os.makedirs(d, exist_ok=True)
    call1 = binunicode(TOUCH) + b"\x85R."  # (arg,) REDUCE STOP
    torch_zip(os.path.join(d, "os_system.pth"), b"\x80\x02cos\nsystem\nq\x00" + call1)
    torch_zip(os.path.join(d, "builtins_eval.pth"),
              b"\x80\x02cbuiltins\neval\n" + binunicode("__import__('os').system('%s')" % TOUCH) + b"\x85R.")
    torch_zip(os.path.join(d, "builtin_exec.pth"),
              b"\x80\x02c__builtin__\nexec\n" + binunicode("import os; os.system('%s')" % TOUCH) + b"\x85R.")
    torch_zip(os.path.join(d, "subprocess_popen.pth"),
              b"\x80\x02csubprocess\nPopen\n]q\x00(" + binunicode("touch") + binunicode(MARKER) + b"e\x85R.")
    # protocol 4 spelling: FRAME, SHORT_BINUNICODE module and name, STACK_GLOBAL, MEMOIZE
    body = (b"\x8c\x05posix\x94\x8c\x06system\x94\x93\x94" + binunicode(TOUCH) + b"\x85R.")
    torch_zip(os.path.join(d, "posix_system_stack_global.pth"),
              b"\x80\x04\x95" + struct.pack("<Q", len(body)) + body)
    nested = pickle.dumps(SystemCall(), protocol=2)
    torch_zip(os.path.join(d, "load_from_bytes.pth"),
              b"\x80\x02ctorch.storage\n_load_from_bytes\nB" + struct.pack("<I", len(nested)) + nested + b"\x85R.")
    torch_zip(os.path.join(d, "inst_opcode.pth"), b"\x80\x02(" + binunicode(TOUCH) + b"ios\nsystem\n.")
    torch_zip(os.path.join(d, "unknown_opcode.pth"), b"\x80\x02}q\x00\xfe.")
    # a genuine torch.save file whose dict holds a real tensor and then the payload
    g = torch.Generator().manual_seed(SEED_TENSORS)
    torch.save({"weight": torch.randn(2, generator=g), "evil": SystemCall()}, os.path.join(d, "tensor_then_system.pth"))


def make_broken(out):
    with open(os.path.join(out, "tensors.pth"), "rb") as f:
        good = f.read()
    with open(os.path.join(out, "truncated.pth"), "wb") as f:
        f.write(good[: len(good) // 2])
    # central directory entry of tensors/data/0 pointing its local header past the end of the file
    buf = bytearray(good)
    eocd = buf.rindex(b"PK\x05\x06")
    at = struct.unpack_from("<I", buf, eocd + 16)[0]  # central directory offset
    while True:
        assert buf[at:at + 4] == b"PK\x01\x02"
        n, extra, comment = struct.unpack_from("<HHH", buf, at + 28)
        if bytes(buf[at + 46: at + 46 + n]) == b"tensors/data/0":
            break
        at += 46 + n + extra + comment
    struct.pack_into("<I", buf, at + 42, len(buf) + 1000)
    with open(os.path.join(out, "entry_past_eof.pth"), "wb") as f:
        f.write(buf)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "..", "model-loader", "src", "test", "resources", "pth")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=default)
    out = os.path.normpath(ap.parse_args().out)
    os.makedirs(out, exist_ok=True)
    make_tensors(out)
    make_adapter(out)
    make_meta_shards(out)
    make_vit(out)
    make_hostile(out)
    make_broken(out)
    assert not os.path.exists(MARKER), "a fixture ran its payload while being written"
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(out) for f in fs)
    print("wrote %s (%d bytes)" % (out, total))


if __name__ == "__main__":
    main()
