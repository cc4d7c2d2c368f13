"""Generates netspec's golden PyTorch fixtures (test/golden/*.json), read by test/golden.test.ts
without Python.

    python3 test/oracle/make_golden.py [--out DIR]      (default: test/golden next to this file)

Everything is deterministic: weights, inputs and labels come from Python's own Mersenne Twister
(random.Random with fixed seeds; only random() is used, so the values are the same on every
platform), and every PyTorch computation runs in float64. Fixtures whose netspec graph runs in
float32 (the CNN: onnxruntime's CPU provider has no float64 Conv; the MLP with exact GELU: no
float64 Erf) get weights and inputs rounded to float32, so both sides start from the same
numbers and PyTorch's float64 autograd is the exact reference for netspec's float32 graph.

Each fixture names one network as netspec chain text (PyTorch modules in an nn.Sequential whose
children carry netspec's names, so state_dict keys are netspec's parameter names) and holds:
  initial     state_dict name -> {"shape", "values"} (buffers included)
  batches     [{"shape", "x", "labels"}, ...]
  gradients   loss and every parameter's gradient of mean cross-entropy on batches[0] in train
              mode, and the buffers after that forward pass        (optional)
  runs        optimizer configurations trained for len(batches) steps: torch.optim with
              weight_decay, clip_grad_norm_/clip_grad_value_ before optimizer.step(); the loss
              and pre-clipping gradient norm of every step, the final parameters and buffers
"""
import argparse
import json
import os
import random
from collections import OrderedDict

import torch
from torch import nn

torch.set_default_dtype(torch.float64)

COMMAND = "python3 test/oracle/make_golden.py"


# ---------------------------------------------------------------------------- networks

def literal(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return repr(value)


def netspec_call(layer):
    kind, args, kwargs = layer[:3]
    parts = [literal(a) for a in args] + [f"{k}: {literal(v)}" for k, v in kwargs.items()]
    return f"{kind}({', '.join(parts)})" if parts else kind


def torch_module(layer):
    kind, args, kwargs = layer[:3]
    torch_kind = layer[3] if len(layer) > 3 else kind
    return getattr(nn, torch_kind)(*args, **kwargs)


def build(layers):
    """nn.Sequential whose children are named as netspec names layers: <kind><k>, per kind."""
    counts, children = {}, OrderedDict()
    for layer in layers:
        key = layer[0].lower()
        counts[key] = counts.get(key, 0) + 1
        children[f"{key}{counts[key]}"] = torch_module(layer)
    return nn.Sequential(children)


# ---------------------------------------------------------------------------- numbers

class Numbers:
    """Uniform numbers from random.Random: identical on every platform and Python 3 version."""

    def __init__(self, seed, float32):
        self.rng = random.Random(seed)
        self.float32 = float32

    def tensor(self, shape, low, high):
        n = 1
        for d in shape:
            n *= d
        values = torch.tensor([low + (high - low) * self.rng.random() for _ in range(n)])
        values = values.reshape(shape)
        return values.float().double() if self.float32 else values

    def labels(self, n, classes):
        return torch.tensor([self.rng.randrange(classes) for _ in range(n)], dtype=torch.int64)


def initialize(net, numbers, gain):
    """Weights uniform in ±gain·√3/√fan_in, biases ±0.2; norm scales near 1; running stats set."""
    with torch.no_grad():
        for name, t in net.state_dict().items():
            if name.endswith("num_batches_tracked"):
                t.fill_(3)
            elif name.endswith("running_mean"):
                t.copy_(numbers.tensor(t.shape, -0.3, 0.3))
            elif name.endswith("running_var"):
                t.copy_(numbers.tensor(t.shape, 0.5, 1.5))
            elif name.split(".")[0].startswith("batchnorm") and name.endswith("weight"):
                t.copy_(numbers.tensor(t.shape, 0.7, 1.3))
            elif name.endswith("bias"):
                t.copy_(numbers.tensor(t.shape, -0.2, 0.2))
            else:
                fan_in = t[0].numel()
                bound = gain * 3 ** 0.5 / fan_in ** 0.5
                t.copy_(numbers.tensor(t.shape, -bound, bound))


def flat(t):
    return [float(v) for v in t.detach().double().flatten().tolist()]


def state_of(net):
    return {name: {"shape": list(t.shape), "values": flat(t)} for name, t in net.state_dict().items()}


def load(net, state):
    net.load_state_dict({name: torch.tensor(s["values"]).reshape(s["shape"])
                         for name, s in state.items()})


# ---------------------------------------------------------------------------- computations

def batch_tensors(batch):
    return torch.tensor(batch["x"]).reshape(batch["shape"]), torch.tensor(batch["labels"])


def gradients(layers, state, batch):
    net = build(layers)
    load(net, state)
    net.train()
    x, y = batch_tensors(batch)
    loss = nn.functional.cross_entropy(net(x), y)
    loss.backward()
    return {
        "loss": loss.item(),
        "grads": {n: flat(p.grad) for n, p in net.named_parameters()},
        "buffers": {n: flat(b) for n, b in net.named_buffers()},
    }


def global_norm(tensors):
    return torch.norm(torch.stack([torch.norm(t.detach(), 2.0) for t in tensors]), 2.0).item()


def train(layers, state, batches, run):
    net = build(layers)
    load(net, state)
    net.train()
    params = list(net.parameters())
    torch_opt = run["torch"]
    args = dict(torch_opt["args"])
    if "betas" in args:
        args["betas"] = tuple(args["betas"])
    opt = getattr(torch.optim, torch_opt["name"])(params, **args)
    clip = run["torch"].get("clip")
    losses, norms, clipped = [], [], []
    for batch in batches:
        x, y = batch_tensors(batch)
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
        losses.append(loss.item())
        norm = global_norm([p.grad for p in params])
        norms.append(norm)
        if clip and clip["kind"] == "grad_norm":
            nn.utils.clip_grad_norm_(params, clip["max_norm"])
            clipped.append(norm > clip["max_norm"])
        if clip and clip["kind"] == "grad_value":
            over = any(bool((p.grad.abs() > clip["clip_value"]).any()) for p in params)
            nn.utils.clip_grad_value_(params, clip["clip_value"])
            clipped.append(over)
        opt.step()
    # A clipping configuration must clip on every step, or the fixture would not test it.
    if clip and not all(clipped):
        raise SystemExit(f"{run['name']}: clipping inactive on steps {clipped}")
    return {
        **run,
        "losses": losses,
        "grad_norms": norms,
        "params": {n: flat(p) for n, p in net.named_parameters()},
        "buffers": {n: flat(b) for n, b in net.named_buffers()},
    }


# ---------------------------------------------------------------------------- fixtures

def make_batches(numbers, input_shape, sizes, classes):
    batches = []
    for n in sizes:
        shape = [n, *input_shape]
        batches.append({
            "shape": shape,
            "x": flat(numbers.tensor(shape, -1.5, 1.5)),
            "labels": numbers.labels(n, classes).tolist(),
        })
    return batches


def fixture(description, layers, input_shape, classes, dtype, seed, gain, sizes,
            with_gradients, runs):
    float32 = dtype == "float32"
    numbers = Numbers(seed, float32)
    net = build(layers)
    initialize(net, numbers, gain)
    state = state_of(net)
    batches = make_batches(numbers, input_shape, sizes, classes)
    out = {
        "_generated": {
            "by": COMMAND,
            "torch": torch.__version__,
            "note": "generated file, do not edit; PyTorch computed every expected value in float64",
        },
        "description": description,
        "network": " -> ".join(netspec_call(layer) for layer in layers),
        "input": list(input_shape),
        "classes": classes,
        "dtype": dtype,
        "initial": state,
        "batches": batches,
    }
    if with_gradients:
        out["gradients"] = gradients(layers, state, batches[0])
    out["runs"] = [train(layers, state, batches, run) for run in runs]
    return out


def optimizer_runs(configs, clips):
    """Every optimizer configuration with each clipping setting (None: no clipping)."""
    runs = []
    for name, netspec, torch_name, args in configs:
        for clip in clips:
            run = {"name": name, "optimizer": netspec, "settings": "",
                   "torch": {"name": torch_name, "args": args}}
            if clip and clip["kind"] == "grad_norm":
                run["name"] += f" + clip grad_norm({clip['max_norm']})"
                run["settings"] = f"clip = grad_norm({clip['max_norm']})"
                run["torch"]["clip"] = clip
            if clip and clip["kind"] == "grad_value":
                run["name"] += f" + clip grad_value({clip['clip_value']})"
                run["settings"] = f"clip = grad_value({clip['clip_value']})"
                run["torch"]["clip"] = clip
            runs.append(run)
    return runs


def netspec_args(args):
    return ", ".join(f"{k}: {literal(v)}" for k, v in args.items())


def optimizer(name, torch_name, **args):
    return name, f"{torch_name}({netspec_args(args)})", torch_name, args


# Every optimizer rule, each with weight decay (torch.optim's weight_decay: L2 added to the
# gradient; decoupled for AdamW).
OPTIMIZERS = [
    optimizer("SGD", "SGD", lr=0.2, weight_decay=0.01),
    optimizer("SGD momentum", "SGD", lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    optimizer("SGD Nesterov", "SGD", lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    optimizer("Adagrad", "Adagrad", lr=0.1, lr_decay=0.01, weight_decay=0.01,
              initial_accumulator_value=0.1, eps=1e-8),
    optimizer("RMSprop", "RMSprop", lr=0.01, alpha=0.9, weight_decay=0.01),
    optimizer("RMSprop momentum", "RMSprop", lr=0.01, alpha=0.9, momentum=0.8, weight_decay=0.01),
    optimizer("RMSprop centered", "RMSprop", lr=0.01, alpha=0.9, centered=True, weight_decay=0.01),
    optimizer("RMSprop centered momentum", "RMSprop", lr=0.01, momentum=0.5, centered=True,
              weight_decay=0.01),
    optimizer("Adam", "Adam", lr=0.02, betas=[0.8, 0.95], weight_decay=0.01),
    optimizer("Adam amsgrad", "Adam", lr=0.02, weight_decay=0.01, amsgrad=True),
    optimizer("AdamW", "AdamW", lr=0.02, betas=[0.8, 0.95], weight_decay=0.1),
]
CLIPS = [None, {"kind": "grad_norm", "max_norm": 0.3}, {"kind": "grad_value", "clip_value": 0.05}]

# conv2d1's bias feeds batch norm, so its exact gradient is zero (the test allows float32 noise);
# conv2d2 is followed by ReLU before its batch norm, so its bias has a real gradient.
CNN = [
    ["Conv2d", [1, 4, 3], {"padding": 1}],
    ["BatchNorm2d", [4], {"momentum": 0.2}],
    ["ReLU", [], {}],
    ["MaxPool2d", [2], {}],
    ["Conv2d", [4, 6, 3], {"stride": 2, "padding": 1}],
    ["ReLU", [], {}],
    ["BatchNorm2d", [6], {}],
    ["Dropout", [0.0], {}],
    ["Flatten", [], {}],
    ["Linear", [24, 5], {}],
]


def activations_mlp(gelu, slope, alpha):
    width = 6
    chain = [["Sigmoid", [], {}], ["Tanh", [], {}], ["Softplus", [], {"beta": 2.0}],
             ["ReLU", [], {}], ["LeakyReLU", [slope], {}], ["ELU", [], {"alpha": alpha}],
             ["Swish", [], {}, "SiLU"], ["SiLU", [], {}], gelu]
    layers = [["Flatten", [], {}], ["Linear", [8, width], {}]]
    for activation in chain:
        layers += [activation, ["Linear", [width, width], {}]]
    layers[-1] = ["Linear", [width, 3], {}]
    return layers


OPTIM_MLP = [
    ["Flatten", [], {}],
    ["Linear", [8, 6], {}],
    ["Tanh", [], {}],
    ["Linear", [6, 5], {}],
    ["ReLU", [], {}],
    ["Linear", [5, 3], {}],
]

TEN = [4] * 9 + [3]   # ten steps, the last batch short (drop_last=False)


def fixtures():
    yield "cnn.json", fixture(
        "CNN: conv, batch norm in train mode (running statistics updated), max pool, dropout "
        "with p = 0, linear; float32 graph against float64 autograd; ten steps of SGD with "
        "momentum, weight decay and clipping",
        CNN, [1, 8, 8], 5, "float32", 1, 1.0, TEN, True,
        optimizer_runs([optimizer("SGD momentum", "SGD", lr=0.05, momentum=0.9,
                                  weight_decay=0.01)],
                       [{"kind": "grad_norm", "max_norm": 0.5}]))
    yield "mlp-activations.json", fixture(
        "MLP through every activation, exact (erf) GELU: float32 graph (onnxruntime has no "
        "float64 Erf) against float64 autograd",
        activations_mlp(["GELU", [], {}], 0.1, 0.7), [1, 2, 4], 3, "float32", 2, 1.6, [4], True, [])
    # LeakyReLU's and ELU's slopes are ONNX float attributes, float32 even in a float64 graph:
    # this fixture uses slopes that float32 holds exactly, so float64 agreement stays ~1e-15.
    yield "mlp-activations-f64.json", fixture(
        "MLP through every activation, tanh GELU, LeakyReLU and ELU slopes exact in float32 "
        "(ONNX attributes are float32): float64 graph against float64 autograd",
        activations_mlp(["GELU", [], {"approximate": "tanh"}], 0.125, 0.75), [1, 2, 4], 3, "float64", 3, 1.6,
        [4], True, [])
    yield "optimizers.json", fixture(
        "Ten steps of every optimizer with weight decay, without clipping, with "
        "clip_grad_norm_ and with clip_grad_value_: float64 graph against torch.optim in float64",
        OPTIM_MLP, [1, 2, 4], 3, "float64", 4, 1.2, TEN, False, optimizer_runs(OPTIMIZERS, CLIPS))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--out", default=os.path.join(here, "..", "golden"))
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    for name, data in fixtures():
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            json.dump(data, f, separators=(",", ":"))
            f.write("\n")


main()
