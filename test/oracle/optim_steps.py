"""PyTorch oracle for netspec's optimizers and losses. One process answers a list of cases, so
a test file pays torch's start-up once.

stdin: a JSON list of cases, each one of
  {"kind": "train",
   "layers": [["Flatten"], ["Linear", 30, 16], ["ReLU"], ...],
   "params": [[...flat values...], ...]            (in model order),
   "batches": [{"x": [...], "shape": [n, c, h, w], "labels": [...]}, ...],
   "optimizer": {"name": "Adam", "args": {"lr": 0.01, "betas": [0.9, 0.99]}},
   "loss": {"name": "cross_entropy", "args": {}}}
      -> {"losses": [...], "params": [[...], ...]}   after one optimizer step per batch;
  {"kind": "loss", "logits": [...], "shape": [n, c], "labels": [...],
   "loss": {"name": "mse", "args": {}}, "dtype": "float64"}
      -> {"loss": value, "grad": [...d loss / d logits, flat...]}.
stdout: the JSON list of answers, in order.

netspec's loss names map to torch.nn losses; mse, l1 and bce_with_logits compare the outputs
with F.one_hot(labels) as floats.
"""
import json
import sys

import torch
import torch.nn.functional as F

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def loss_function(spec):
    name, args = spec["name"], spec.get("args", {})
    if name == "cross_entropy":
        return torch.nn.CrossEntropyLoss(**args)
    if name == "nll":
        return torch.nn.NLLLoss(**args)
    elementwise = {"mse": torch.nn.MSELoss, "l1": torch.nn.L1Loss,
                   "bce_with_logits": torch.nn.BCEWithLogitsLoss}[name](**args)
    return lambda out, y: elementwise(out, F.one_hot(y, out.shape[1]).to(out.dtype))


def build(layers):
    return torch.nn.Sequential(*(getattr(torch.nn, kind)(*args) for kind, *args in layers))


def optimizer(spec, params):
    args = dict(spec.get("args", {}))
    if "betas" in args:
        args["betas"] = tuple(args["betas"])
    return getattr(torch.optim, spec["name"])(params, **args)


def train(case):
    net = build(case["layers"])
    with torch.no_grad():
        for p, values in zip(net.parameters(), case["params"]):
            p.copy_(torch.tensor(values, dtype=torch.float32).reshape(p.shape))
    opt = optimizer(case["optimizer"], net.parameters())
    loss_fn = loss_function(case["loss"])
    losses = []
    for batch in case["batches"]:
        x = torch.tensor(batch["x"], dtype=torch.float32).reshape(batch["shape"])
        y = torch.tensor(batch["labels"], dtype=torch.int64)
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return {"losses": losses, "params": [p.detach().flatten().tolist() for p in net.parameters()]}


def loss_value(case):
    dtype = DTYPES[case.get("dtype", "float32")]
    logits = torch.tensor(case["logits"], dtype=dtype).reshape(case["shape"]).requires_grad_()
    labels = torch.tensor(case["labels"], dtype=torch.int64)
    loss = loss_function(case["loss"])(logits, labels)
    loss.backward()
    return {"loss": loss.item(), "grad": logits.grad.flatten().tolist()}


def main():
    cases = json.load(sys.stdin)
    answers = [train(c) if c["kind"] == "train" else loss_value(c) for c in cases]
    json.dump(answers, sys.stdout)


main()
