"""PyTorch oracle for `full_grad_norm` (runtime/full-gradient.ts): the notes' gradient magnitude
||grad f(theta)|| over a whole training set, f = mean cross entropy + lambda * sum ||theta||^2,
in evaluation mode (net.eval(): no dropout).

stdin: {"layers": [[kind, *args], ...], "params": [[...], ...], "x": [...], "shape": [...],
        "labels": [...], "lambda": float}
stdout: {"norm": float, "train_mode_norm": float} (the second with dropout active, to show the
mode matters)
"""
import json
import sys

import torch

case = json.load(sys.stdin)
net = torch.nn.Sequential(*(getattr(torch.nn, kind)(*args) for kind, *args in case["layers"]))
params = list(net.parameters())
with torch.no_grad():
    for p, values in zip(params, case["params"]):
        p.copy_(torch.tensor(values, dtype=torch.float32).reshape(p.shape))
x = torch.tensor(case["x"], dtype=torch.float32).reshape(case["shape"])
y = torch.tensor(case["labels"], dtype=torch.int64)


def norm():
    net.zero_grad()
    loss = torch.nn.functional.cross_entropy(net(x), y)
    loss = loss + case["lambda"] * sum((p * p).sum() for p in params)
    loss.backward()
    return sum((p.grad.double() ** 2).sum().item() for p in params) ** 0.5


net.eval()
full = norm()
net.train()
torch.manual_seed(0)
json.dump({"norm": full, "train_mode_norm": norm()}, sys.stdout)
