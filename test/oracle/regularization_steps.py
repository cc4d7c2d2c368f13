"""PyTorch oracle for netspec's regularization settings (compiler/build/regularize.ts).

stdin: a JSON list of cases
  {"layers": [...], "params": [[...], ...], "batches": [{"x", "shape", "labels"}, ...],
   "optimizer": {"name": "SGD", "args": {...}},
   "weight_decay": {"lambda": 5e-4, "exclude": ["bias"]} | null,
   "clip": {"kind": "grad_norm", "max": 1.0} | {"kind": "grad_value", "value": 0.5} | null,
   "sam": {"rho": 0.05} | null,
   "names": [netspec parameter paths, in order], "groups": [{"pattern": "linear1.*", "options": {...}}],
   "variance": true}    (also "variances": ||g_A - g_B||^2 / 4 of the two half batches' gradients)
stdout: per case {"losses", "penalties", "sam_losses", "params", "grad_norms", "param_norms"}
after one step per batch: "losses" are the data losses (cross entropy alone), "penalties" the
lambda * sum ||theta||^2 at the step's start, "sam_losses" the data loss at SAM's ascent point.

The penalty is lambda * sum ||theta||^2 added to the loss (gradient + 2*lambda*theta), over the
parameters whose torch name contains none of the `exclude` words. SAM follows the reference
implementation (Foret et al.; davda54/sam): e = rho * g / (||g|| + 1e-12), gradient at theta + e,
theta restored from a saved copy, then the base optimizer steps. Clipping uses
torch.nn.utils.clip_grad_norm_ / clip_grad_value_ on the gradient the optimizer receives.
Groups become torch param_groups: a parameter joins the first group whose fnmatch pattern
matches its netspec path; the rest form the default group.
"""
import fnmatch
import json
import sys

import torch


def build(layers):
    return torch.nn.Sequential(*(getattr(torch.nn, kind)(*args) for kind, *args in layers))


def global_norm(tensors):
    return torch.norm(torch.stack([torch.norm(t.detach(), 2.0) for t in tensors]), 2.0).item()


def param_groups(case, params):
    groups = case.get("groups") or []
    members = [[] for _ in groups] + [[]]
    for name, p in zip(case.get("names", []), params):
        k = next((i for i, g in enumerate(groups) if fnmatch.fnmatchcase(name, g["pattern"])),
                 len(groups))
        members[k].append(p)
    if not groups:
        return params
    out = [dict(g["options"], params=m) for g, m in zip(groups, members) if m]
    return out + ([{"params": members[-1]}] if members[-1] else [])


def half_variance(net, params, objective, x, y, buffers):
    """||g_A - g_B||^2 / 4, halves split at n // 2; the halves' buffer updates are undone."""
    half = x.shape[0] // 2
    grads = []
    for part in (slice(0, half), slice(half, None)):
        net.zero_grad()
        objective(x[part], y[part]).backward()
        grads.append([p.grad.clone() for p in params])
    with torch.no_grad():
        for t, old in zip(net.buffers(), buffers):
            t.copy_(old)
    return sum(((a - b) ** 2).sum().item() for a, b in zip(*grads)) / 4


def run(case):
    net = build(case["layers"])
    named = list(net.named_parameters())
    params = [p for _, p in named]
    with torch.no_grad():
        for p, values in zip(params, case["params"]):
            p.copy_(torch.tensor(values, dtype=torch.float32).reshape(p.shape))
    opt = getattr(torch.optim, case["optimizer"]["name"])(param_groups(case, params),
                                                          **case["optimizer"]["args"])
    wd, clip, sam = case.get("weight_decay"), case.get("clip"), case.get("sam")
    decayed = [p for n, p in named if wd and not any(w in n for w in wd["exclude"])]
    ce = torch.nn.CrossEntropyLoss()

    def penalty():
        return wd["lambda"] * sum((p * p).sum() for p in decayed) if decayed else None

    def objective(x, y):
        loss = ce(net(x), y)
        objective.data_loss = loss.item()
        return loss + penalty() if decayed else loss

    out = {"losses": [], "penalties": [], "sam_losses": [], "grad_norms": [], "param_norms": [],
           "variances": []}
    for batch in case["batches"]:
        x = torch.tensor(batch["x"], dtype=torch.float32).reshape(batch["shape"])
        y = torch.tensor(batch["labels"], dtype=torch.int64)
        buffers = [t.detach().clone() for t in net.buffers()]
        if case.get("variance"):
            out["variances"].append(half_variance(net, params, objective, x, y, buffers))
        opt.zero_grad()
        loss = objective(x, y)
        loss.backward()
        norm = global_norm([p.grad for p in params])
        out["losses"].append(objective.data_loss)
        if decayed:
            out["penalties"].append(penalty().item())
        out["grad_norms"].append(norm)
        out["param_norms"].append(global_norm(params))
        if sam:
            # netspec keeps the first pass's batch-norm statistics: save them for after the second.
            buffers = [t.detach().clone() for t in net.buffers()]
            saved = [p.detach().clone() for p in params]
            scale = sam["rho"] / (norm + 1e-12)
            with torch.no_grad():
                for p in params:
                    p.add_(p.grad * scale)
            opt.zero_grad()
            objective(x, y).backward()
            out["sam_losses"].append(objective.data_loss)
            with torch.no_grad():
                for p, old in zip(params, saved):
                    p.copy_(old)
                for t, old in zip(net.buffers(), buffers):
                    t.copy_(old)
        if clip and clip["kind"] == "grad_norm":
            torch.nn.utils.clip_grad_norm_(params, clip["max"])
        if clip and clip["kind"] == "grad_value":
            torch.nn.utils.clip_grad_value_(params, clip["value"])
        opt.step()
    out["params"] = [p.detach().flatten().tolist() for p in params]
    return out


json.dump([run(c) for c in json.load(sys.stdin)], sys.stdout)
