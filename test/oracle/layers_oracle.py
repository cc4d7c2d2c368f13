"""PyTorch oracle for single layers: runs a torch.nn module on given inputs in train mode for a
few steps (no optimizer: only buffers change), then once in eval mode, and prints for each run
the output, the gradient of sum(v * output) by the input and by each parameter, and the buffers
after the run.

stdin: [{"module": "BatchNorm1d(4, momentum=0.3)", "state": {"weight": [...], ...},
         "runs": [{"mode": "train", "x": [...], "shape": [...], "v": [...]}, ...]}, ...]
stdout: [[{"y": [...], "x_grad": [...], "grads": {name: [...]}, "buffers": {name: [...]}}, ...], ...]
"""
import json
import sys

import torch
from torch import nn

torch.set_default_dtype(torch.float32)


def flat(t):
    return t.detach().flatten().tolist()


def load(module, state):
    current = module.state_dict()
    values = {}
    for name, data in state.items():
        # num_batches_tracked is int64 in torch and float32 in netspec; load_state_dict casts.
        values[name] = torch.tensor(data, dtype=torch.float32).reshape(current[name].shape)
    module.load_state_dict(values)


def run(module, spec):
    module.train(spec["mode"] == "train")
    x = torch.tensor(spec["x"], dtype=torch.float32).reshape(spec["shape"]).requires_grad_()
    module.zero_grad()
    y = module(x)
    v = torch.tensor(spec["v"], dtype=torch.float32).reshape(y.shape)
    (y * v).sum().backward()
    return {
        "y": flat(y),
        "x_grad": flat(x.grad),
        "grads": {n: flat(p.grad) for n, p in module.named_parameters()},
        "buffers": {n: flat(b.float()) for n, b in module.named_buffers()},
    }


def main():
    results = []
    for case in json.load(sys.stdin):
        torch.manual_seed(0)
        module = eval("nn." + case["module"])
        load(module, case["state"])
        results.append([run(module, spec) for spec in case["runs"]])
    json.dump(results, sys.stdout)


main()
