#!/usr/bin/python3
"""Writes training checkpoints as real training code saves them, for model-loader's pickle tests (issue 13).

    /usr/bin/python3 tools/reference/make_training_fixtures.py

Needs torch and numpy (Debian's python3-torch 1.13 and numpy 1.24 wrote the committed files). Writes into
model-loader/src/test/resources/import/lavin_tiny/:

- checkpoint-4.pth: exactly what LaVIN's util/misc.py::save_model writes,
  {'model': <adapter tensors>, 'optimizer': Adam.state_dict(), 'epoch': 4, 'scaler': <NativeScaler state>,
   'args': argparse.Namespace(...)}, with the adapter weights of the lavin_tiny fixture (the same values as
  eas_adapter.pth, so both must convert to the same bytes). Adam's state holds real tensors after one step.
- lightning.ckpt: a PyTorch Lightning checkpoint of the same shape as Lightning's dump_checkpoint writes it
  (state_dict, hyper_parameters, optimizer_states, lr_schedulers, callbacks, loops, epoch, global_step,
  pytorch-lightning_version), whose hyper_parameters is an AttributeDict holding an omegaconf DictConfig. Neither
  package is installed here: stand-in classes with Lightning's and omegaconf's module and class names pickle exactly
  as the real ones do (NEWOBJ of the class, then BUILD with its __dict__ / SETITEMS for a dict subclass).
and into model-loader/src/test/resources/pth/:
- plain_data.pth: one value of every plain-data class the reader reads inertly (OrderedDict, defaultdict,
  torch.Size, torch.device, torch dtypes, numpy scalars and arrays, PosixPath, datetime), plus one tensor.
"""
import argparse
import collections
import datetime
import os
import pathlib
import sys
import types
import typing

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SRC = os.path.join(ROOT, "engine/src/test/resources/fixtures/lavin_tiny")
OUT = os.path.join(ROOT, "model-loader/src/test/resources/import/lavin_tiny")
PTH = os.path.join(ROOT, "model-loader/src/test/resources/pth")


def adapter_state(w):
    """The adapter weights as LaVIN's model.state_dict() names them (no 'module.': save_model saves model_without_ddp)."""
    model = collections.OrderedDict()
    for name, a in w.items():
        if ".adapter_attn." in name or ".replaced_adapter." in name:
            if ".conv_" in name and name.endswith(".weight"):
                a = a[:, :, None]  # Conv1d weight [out, in/groups, 1]
            model[name] = torch.from_numpy(np.ascontiguousarray(a)).clone()
        elif name.startswith("adapter_proj.") or name == "adapter_modality_embedding.weight":
            model[name] = torch.from_numpy(np.ascontiguousarray(a)).clone()
    return model


def trained_optimizer(model):
    """Adam after one step over the adapter parameters: its state holds step, exp_avg and exp_avg_sq tensors."""
    params = [torch.nn.Parameter(t.clone()) for t in model.values()]
    opt = torch.optim.AdamW([{"params": params, "weight_decay": 0.02}], lr=9e-3, betas=(0.9, 0.95))
    for p in params:
        p.grad = torch.full_like(p, 1e-3)
    opt.step()
    return opt


def lavin_args():
    """The argparse.Namespace LaVIN's train.py passes to save_model: str, int, float, bool, list and None fields."""
    return argparse.Namespace(
        batch_size=4, accum_iter=1, epochs=20, llama_model_path="../data/weights/", llm_model="7B", use_vicuna=False,
        cpu_load=False, max_seq_len=512, adapter_type="attn", adapter_dim=8, hidden_proj=128, visual_adapter_type="router",
        temperature=10.0, adapter_scale=1.0, drop_path=0.0, max_words=512, weight_decay=0.02, lr=None, blr=9e-3,
        min_lr=0.0, gradient_checkpointing=False, warmup_epochs=2, data_path="../data/alpaca", output_dir="./LaVIN-7B/",
        log_dir="./output_dir", device="cuda", seed=0, resume="", start_epoch=0, num_workers=2, pin_mem=True,
        world_size=1, local_rank=-1, dist_on_itp=False, dist_url="env://", do_pretrain=False, prompt_format="QCM-ALE",
        options=["A", "B", "C", "D", "E"], caption_file="../data/captions.json", data_root="../data", n_prompt=6,
        eas_layers=[19, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31], rank=0, gpu=0, distributed=False)


def save_model_checkpoint(model):
    """util/misc.py::save_model: to_save = {'model', 'optimizer', 'epoch', 'scaler', 'args'}; torch.save(to_save, path)."""
    scaler = torch.cuda.amp.GradScaler(enabled=False)  # CPU: a disabled scaler's state_dict is {}; write the CUDA one's keys
    scaler_state = {"scale": 65536.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 2000,
                    "_growth_tracker": 0} if not scaler.is_enabled() else scaler.state_dict()
    return {"model": model, "optimizer": trained_optimizer(model).state_dict(), "epoch": 4, "scaler": scaler_state,
            "args": lavin_args()}


# ---------------------------------------------------------------------------- stand-ins for Lightning and omegaconf

def stand_in(module, cls):
    """Registers cls as module.<name> so pickle writes GLOBAL '<module> <name>', the name a real install would give."""
    parts = module.split(".")
    for i in range(1, len(parts) + 1):  # pickle imports the package chain before it looks the class up
        sys.modules.setdefault(".".join(parts[:i]), types.ModuleType(".".join(parts[:i])))
    mod = sys.modules[module]
    cls.__module__ = module
    setattr(mod, cls.__name__, cls)
    return cls


class AttributeDict(dict):
    """pytorch_lightning.utilities.parsing.AttributeDict: a dict subclass (pickles as NEWOBJ + SETITEMS)."""


class ContainerMetadata:
    """omegaconf.base.ContainerMetadata, a dataclass (NEWOBJ + BUILD of its __dict__)."""


class AnyNode:
    """omegaconf.nodes.AnyNode: a leaf value (NEWOBJ + BUILD of its __dict__)."""


class DictConfig:
    """omegaconf.dictconfig.DictConfig: pickles its __dict__ (__getstate__) with _metadata, _parent, _content."""


stand_in("pytorch_lightning.utilities.parsing", AttributeDict)
stand_in("omegaconf.base", ContainerMetadata)
stand_in("omegaconf.nodes", AnyNode)
stand_in("omegaconf.dictconfig", DictConfig)


def metadata(object_type):
    m = ContainerMetadata()
    m.__dict__.update(ref_type=typing.Any, object_type=object_type, optional=True, key=None, flags={},
                      flags_root=False, resolver_cache=collections.defaultdict(dict), key_type=typing.Any,
                      element_type=typing.Any)
    return m


def dict_config(values):
    c = DictConfig()
    content = {}
    for k, v in values.items():
        node = AnyNode()
        node.__dict__.update(_val=v, _metadata=metadata(None), _parent=None, _flags_cache=None)
        content[k] = node
    c.__dict__.update(_metadata=metadata(dict), _parent=None, _flags_cache=None, _content=content)
    return c


def lightning_checkpoint(model):
    """Lightning's CheckpointConnector.dump_checkpoint of a LightningModule whose .model is LaVIN (keys 'model.')."""
    opt = trained_optimizer(model)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0)
    hparams = AttributeDict(config=dict_config({"exp_name": "meter_eas", "seed": 0, "learning_rate": 1e-5,
                                                  "max_epoch": 10, "skip_layers": [4, 6, 8], "resume_from": None,
                                                  "test_only": False}))
    state = collections.OrderedDict(("model." + k, v) for k, v in model.items())
    state._metadata = collections.OrderedDict([("", {"version": 1}), ("model", {"version": 1})])
    return {
        "epoch": 3,
        "global_step": 1200,
        "pytorch-lightning_version": "1.3.2",
        "state_dict": state,
        "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"total": {"ready": 4, "completed": 3}}}},
        "callbacks": {"ModelCheckpoint{'monitor': 'val/the_metric', 'mode': 'max', 'every_n_train_steps': 0}": {
            "monitor": "val/the_metric", "best_model_score": torch.tensor(0.8125), "best_model_path": "result/epoch=2.ckpt",
            "current_score": torch.tensor(0.8125), "dirpath": "result/", "best_k_models": {"result/epoch=2.ckpt": torch.tensor(0.8125)},
            "kth_best_model_path": "result/epoch=2.ckpt", "kth_value": torch.tensor(0.8125), "last_model_path": ""}},
        "optimizer_states": [opt.state_dict()],
        "lr_schedulers": [sched.state_dict()],
        "hparams_name": "config",
        "hyper_parameters": hparams,
    }


def plain_data():
    """One of each plain-data class a training checkpoint carries besides tensors."""
    dd = collections.defaultdict(list)
    dd["acc"].append(0.5)
    dd["loss"].extend([1.25, 0.75])
    return {
        "ordered": collections.OrderedDict([("z", 1), ("a", 2)]),
        "defaultdict": dd,
        "size": torch.Size([2, 3]),
        "device": torch.device("cuda", 1),
        "cpu": torch.device("cpu"),
        "dtype": torch.float16,
        "np_float": np.float64(0.25),
        "np_int": np.int64(-7),
        "np_array": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
        "path": pathlib.PosixPath("/data/run/checkpoint-4.pth"),
        "when": datetime.datetime(2023, 5, 17, 12, 30, 45, 123456),
        "day": datetime.date(2023, 5, 17),
        "took": datetime.timedelta(days=1, seconds=5, microseconds=7),
        "weight": torch.arange(4, dtype=torch.float32),
    }


def main():
    torch.manual_seed(0)
    w = dict(np.load(os.path.join(SRC, "weights.npz")))
    model = adapter_state(w)
    torch.save(save_model_checkpoint(model), os.path.join(OUT, "checkpoint-4.pth"))
    torch.save(lightning_checkpoint(model), os.path.join(OUT, "lightning.ckpt"))
    torch.save(plain_data(), os.path.join(PTH, "plain_data.pth"))
    for f in (os.path.join(OUT, "checkpoint-4.pth"), os.path.join(OUT, "lightning.ckpt"), os.path.join(PTH, "plain_data.pth")):
        size = os.path.getsize(f)
        assert size < 1 << 20, (f, size)
        print("wrote", f, size, "bytes")


if __name__ == "__main__":
    main()
