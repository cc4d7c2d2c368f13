"""PyTorch oracle for netspec's convolution tests. Builds a torch.nn.Sequential from layer
descriptions, loads the given initial parameters, and either

  mode "grads": returns the float64 loss and parameter gradients for one batch (autograd in
                double precision: the reference the float32 train step is compared with), or
  mode "sgd":   trains float32 for the given batches with torch.optim.SGD and returns the
                losses and final parameters.

stdin: {"mode": "grads" | "sgd",
        "layers": [["Conv2d", [1, 4, 3], {"stride": 2}], ["ReLU", [], {}], ...],
        "params": [[...flat values...], ...]  (in state_dict order),
        "batches": [{"x": [...], "shape": [n, c, h, w], "labels": [...]}, ...],
        "optimizer": {"lr": 0.05, "momentum": 0.9}}   (sgd only)
"""
import json
import sys

import torch


def build(layers, dtype):
    modules = [getattr(torch.nn, kind)(*args, **kwargs) for kind, args, kwargs in layers]
    return torch.nn.Sequential(*modules).to(dtype)


def load(net, params, dtype):
    with torch.no_grad():
        for p, values in zip(net.parameters(), params):
            p.copy_(torch.tensor(values, dtype=dtype).reshape(p.shape))


def batch_tensors(batch, dtype):
    x = torch.tensor(batch["x"], dtype=dtype).reshape(batch["shape"])
    return x, torch.tensor(batch["labels"], dtype=torch.int64)


def grads(spec):
    net = build(spec["layers"], torch.float64)
    load(net, spec["params"], torch.float64)
    x, y = batch_tensors(spec["batches"][0], torch.float64)
    loss = torch.nn.functional.cross_entropy(net(x), y)
    loss.backward()
    return {"loss": loss.item(), "grads": [p.grad.flatten().tolist() for p in net.parameters()]}


def sgd(spec):
    net = build(spec["layers"], torch.float32)
    load(net, spec["params"], torch.float32)
    opt = torch.optim.SGD(net.parameters(), **spec["optimizer"])
    losses = []
    for batch in spec["batches"]:
        x, y = batch_tensors(batch, torch.float32)
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return {"losses": losses, "params": [p.detach().flatten().tolist() for p in net.parameters()]}


spec = json.load(sys.stdin)
json.dump(grads(spec) if spec["mode"] == "grads" else sgd(spec), sys.stdout)
