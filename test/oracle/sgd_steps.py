"""PyTorch oracle: trains a small sequential network for a few SGD steps and prints the losses
and final parameters as JSON, for netspec's tests to compare against.

stdin: {"layers": [["Flatten"], ["Linear", 784, 16], ["ReLU"], ...],
        "params": [[...flat values...], ...]  (in model order),
        "batches": [{"x": [...], "shape": [n, c, h, w], "labels": [...]}, ...],
        "optimizer": {"lr": 0.05, "momentum": 0.9, "dampening": 0, "weight_decay": 0, "nesterov": false}}
"""
import json
import sys

import torch

torch.set_default_dtype(torch.float32)


def build(layers):
    modules = []
    for kind, *args in layers:
        modules.append(getattr(torch.nn, kind)(*args))
    return torch.nn.Sequential(*modules)


def main():
    spec = json.load(sys.stdin)
    net = build(spec["layers"])
    with torch.no_grad():
        for p, values in zip(net.parameters(), spec["params"]):
            p.copy_(torch.tensor(values, dtype=torch.float32).reshape(p.shape))
    opt = torch.optim.SGD(net.parameters(), **spec["optimizer"])
    loss_fn = torch.nn.CrossEntropyLoss()
    losses = []
    for batch in spec["batches"]:
        x = torch.tensor(batch["x"], dtype=torch.float32).reshape(batch["shape"])
        y = torch.tensor(batch["labels"], dtype=torch.int64)
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    params = [p.detach().flatten().tolist() for p in net.parameters()]
    json.dump({"losses": losses, "params": params}, sys.stdout)


main()
