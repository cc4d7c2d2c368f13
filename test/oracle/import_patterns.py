"""ONNX files with the patterns netspec's importer turns into layers: Clip (nn.ReLU6, nn.Hardtanh;
bounds as Constant inputs from opset 11, as attributes in opset 10), Reshape to [N, -1] (the
Shape → Gather → Unsqueeze → Concat chain of `x.reshape(x.size(0), -1)`, or a folded constant),
and MatMul followed by Add of a constant (`x @ W + b`).

Writes into the folder given as the first argument:
  input.f32 [2, 3, 8, 8], logits.f32 [2, 5]: PyTorch's output for it; conv-grad.f32: the
  gradient of the cross-entropy for labels [1, 3] by conv.weight
  torch13.onnx (opset 13, constant folding), torch13-unfolded.onnx, torch10.onnx (opset 10),
  static.onnx (fixed batch 2: the reshape target folds to the constant [2, -1]),
  helper.onnx (built with onnx.helper: Clip(min 0) alone, Clip(0, 6), Reshape to [-1, 144],
  Add(b, MatMul) with the operands swapped) and helper-logits.f32, its output for input.f32,
  bad.onnx (Reshape to a 3-D shape and Clip with a bound computed at run time: unsupported).
"""
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

out = sys.argv[1]
torch.manual_seed(5)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.act = nn.ReLU6()
        self.clamp = nn.Hardtanh(0.5, 2.5)
        self.w = nn.Parameter(torch.randn(4 * 6 * 6, 5) * 0.1)
        self.b = nn.Parameter(torch.randn(5))

    def forward(self, x):
        x = self.clamp(self.act(self.conv(x)))
        x = x.reshape(x.size(0), -1)
        return x @ self.w + self.b


net = Net().eval()
with torch.no_grad():  # large enough that every bound of ReLU6 and Hardtanh is reached
    net.conv.weight.mul_(4)
    net.conv.bias.mul_(4)
x = torch.randn(2, 3, 8, 8)
with torch.no_grad():
    y = net(x)
x.numpy().tofile(f"{out}/input.f32")
y.numpy().tofile(f"{out}/logits.f32")
# The gradient through ReLU6 and Hardtanh: cross-entropy with labels [1, 3], by conv.weight.
nn.functional.cross_entropy(net(x), torch.tensor([1, 3])).backward()
net.conv.weight.grad.numpy().tofile(f"{out}/conv-grad.f32")

dynamic = {"input": {0: "batch"}, "logits": {0: "batch"}}
common = dict(input_names=["input"], output_names=["logits"])
torch.onnx.export(net, x, f"{out}/torch13.onnx", opset_version=13, dynamic_axes=dynamic,
                  do_constant_folding=True, **common)
torch.onnx.export(net, x, f"{out}/torch13-unfolded.onnx", opset_version=13, dynamic_axes=dynamic,
                  do_constant_folding=False, **common)
torch.onnx.export(net, x, f"{out}/torch10.onnx", opset_version=10, dynamic_axes=dynamic,
                  do_constant_folding=True, **common)
torch.onnx.export(net, x, f"{out}/static.onnx", opset_version=13, do_constant_folding=True,
                  **common)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def graph_model(nodes, inits, name):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 5])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


f32 = np.float32
# Its Clip(0) is a ReLU and Clip(0, 6) a ReLU6 (the torch model's Hardtanh is left out).
weights = [
    const("conv.weight", net.conv.weight.detach().numpy()),
    const("conv.bias", net.conv.bias.detach().numpy()),
    const("zero", np.array(0, dtype=f32)),
    const("six", np.array(6, dtype=f32)),
    const("target", np.array([-1, 144], dtype=np.int64)),
    const("w", net.w.detach().numpy()),
    const("b", net.b.detach().numpy()),
]
nodes = [
    helper.make_node("Conv", ["input", "conv.weight", "conv.bias"], ["c"], name="/conv/Conv"),
    helper.make_node("Clip", ["c", "zero"], ["r"], name="/relu/Clip"),
    helper.make_node("Clip", ["r", "zero", "six"], ["r6"], name="/act/Clip"),
    helper.make_node("Reshape", ["r6", "target"], ["flat"], name="/Reshape"),
    helper.make_node("MatMul", ["flat", "w"], ["mm"], name="/fc/MatMul"),
    helper.make_node("Add", ["b", "mm"], ["logits"], name="/fc/Add"),
]
onnx.save(graph_model(nodes, weights, "helper"), f"{out}/helper.onnx")
with torch.no_grad():
    h = torch.clamp(net.conv(x), 0, 6).reshape(2, -1) @ net.w + net.b
h.numpy().tofile(f"{out}/helper-logits.f32")

bad = [
    helper.make_node("Conv", ["input", "conv.weight", "conv.bias"], ["c"], name="/conv/Conv"),
    helper.make_node("ReduceMax", ["c"], ["top"], name="/top/ReduceMax", keepdims=0),
    helper.make_node("Clip", ["c", "zero", "top"], ["r6"], name="/act/Clip"),
    helper.make_node("Reshape", ["r6", "target3"], ["flat"], name="/Reshape"),
    helper.make_node("Reshape", ["flat", "target"], ["flat2"], name="/Reshape_1"),
    helper.make_node("MatMul", ["flat2", "w"], ["logits"], name="/fc/MatMul"),
]
weights.append(const("target3", np.array([0, 4, 36], dtype=np.int64)))
onnx.save(graph_model(bad, weights, "bad"), f"{out}/bad.onnx")
