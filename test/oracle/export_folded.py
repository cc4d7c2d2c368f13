"""Exports torchvision's resnet18 (seeded random weights, eval mode) the other way users do:
batch norm folded into the convolutions by constant folding, generated initializer names
(onnx::Conv_193), opset 13. Writes model.onnx, input.f32 [1, 3, 32, 32] and logits.f32 into the
folder given as the first argument. With `fresh` as the second, batch norm keeps its
initialization, so folding gives equal (zero) biases, which the exporter stores once and aliases
with Identity nodes; it prints how many."""
import sys

import onnx
import torch
import torchvision

from batch_norms import randomize_batch_norms

out = sys.argv[1]
fresh = sys.argv[2:] == ["fresh"]
torch.manual_seed(7)
net = torchvision.models.resnet18(num_classes=1000).eval()
if not fresh:
    randomize_batch_norms(net)
x = torch.randn(1, 3, 32, 32)
torch.onnx.export(
    net, x, f"{out}/model.onnx", opset_version=13, input_names=["input"], output_names=["logits"],
    dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
    training=torch.onnx.TrainingMode.EVAL, do_constant_folding=True,
)
x.numpy().tofile(f"{out}/input.f32")
net(x).detach().numpy().tofile(f"{out}/logits.f32")
print(sum(n.op_type == "Identity" for n in onnx.load(f"{out}/model.onnx").graph.node))
