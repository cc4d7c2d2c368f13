# Writes two ONNX graphs of one Adam update over ResNet18's parameters (1-channel conv1, 10
# classes), for bench/adam-layout.ts: `per-tensor`, the 12 elementwise ops netspec's lowering
# emits for each parameter, and `flat`, the same 12 ops once over one buffer (weights and
# gradients concatenated, moments kept flat, weights split back). Usage:
#   python3 bench/adam_layout.py OUT_DIR
import sys

import onnx
import torch
import torchvision
from onnx import TensorProto
from onnx import helper as h

model = torchvision.models.resnet18(num_classes=10)
model.conv1 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False)
SIZES = [p.numel() for p in model.parameters()]


def constant(name, value):
    return h.make_node("Constant", [], [name], value=h.make_tensor(name, TensorProto.FLOAT, [], [value]))


def adam(nodes, w, g, m, v, tmp, out):
    def op(kind, inputs, output):
        nodes.append(h.make_node(kind, inputs, [output]))

    op("Mul", [m, "b1"], tmp + "m1")
    op("Mul", [g, "c1"], tmp + "m2")
    op("Add", [tmp + "m1", tmp + "m2"], out + ".m")
    op("Mul", [g, g], tmp + "g2")
    op("Mul", [v, "b2"], tmp + "v1")
    op("Mul", [tmp + "g2", "c2"], tmp + "v2")
    op("Add", [tmp + "v1", tmp + "v2"], out + ".v")
    op("Sqrt", [out + ".v"], tmp + "sq")
    op("Mul", [tmp + "sq", "a"], tmp + "d1")
    op("Add", [tmp + "d1", "eps"], tmp + "d2")
    op("Div", [out + ".m", tmp + "d2"], tmp + "u")
    op("Sub", [w, tmp + "u"], out + ".w")


def info(name, n):
    return h.make_tensor_value_info(name, TensorProto.FLOAT, [n])


def graph(flat):
    nodes = [constant(n, x) for n, x in [("b1", 0.9), ("c1", 0.1), ("b2", 0.999), ("c2", 0.001), ("a", 1.0), ("eps", 1e-8)]]
    inputs = [info(f"{k}{i}", n) for i, n in enumerate(SIZES) for k in "wg"]
    outputs = []
    total = sum(SIZES)
    if flat:
        inputs += [info("m", total), info("v", total)]
        nodes.append(h.make_node("Concat", [f"w{i}" for i in range(len(SIZES))], ["W"], axis=0))
        nodes.append(h.make_node("Concat", [f"g{i}" for i in range(len(SIZES))], ["G"], axis=0))
        adam(nodes, "W", "G", "m", "v", "f", "o")
        split = h.make_tensor("split", TensorProto.INT64, [len(SIZES)], SIZES)
        nodes.append(h.make_node("Constant", [], ["split"], value=split))
        nodes.append(h.make_node("Split", ["o.w", "split"], [f"o{i}.w" for i in range(len(SIZES))], axis=0))
        outputs = [info(f"o{i}.w", n) for i, n in enumerate(SIZES)] + [info("o.m", total), info("o.v", total)]
    else:
        for i, n in enumerate(SIZES):
            inputs += [info(f"m{i}", n), info(f"v{i}", n)]
            adam(nodes, f"w{i}", f"g{i}", f"m{i}", f"v{i}", f"s{i}", f"o{i}")
            outputs += [info(f"o{i}.{k}", n) for k in "wmv"]
    result = h.make_model(h.make_graph(nodes, "adam", inputs, outputs), opset_imports=[h.make_opsetid("", 17)])
    result.ir_version = 8
    onnx.checker.check_model(result)
    return result


out = sys.argv[1]
onnx.save(graph(False), f"{out}/adam-per-tensor.onnx")
onnx.save(graph(True), f"{out}/adam-flat.onnx")
with open(f"{out}/sizes.txt", "w") as f:
    f.write(",".join(map(str, SIZES)))
