"""Exports a small residual network the way PyTorch 2.9 and later export by default
(`torch.onnx.export(net, (x,), "model.onnx")`, the torch.export-based exporter): batch norm
folded into the convolutions, ReduceMean for the adaptive average pool, a Reshape for the
flatten, a fixed batch of 1 (no dynamic axes asked for) and the weights in an external file,
model.onnx.data, beside the graph. PyTorch older than 2.9 cannot run this; the files it wrote
are in test/fixtures/torch-export/. Writes model.onnx, model.onnx.data,
input.f32 [1, 3, 32, 32] and logits.f32 [1, 10] into the folder given as the first argument,
and prints the graph's operators."""
import collections
import sys

import onnx
import torch
from torchvision.models.resnet import BasicBlock

from batch_norms import randomize_batch_norms

out = sys.argv[1]
torch.manual_seed(11)


class SmallResNet(torch.nn.Module):
    """ResNet18's stem, one block of each kind and its head, at a width of 8 and 16 channels."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(8)
        self.relu = torch.nn.ReLU(inplace=True)
        self.maxpool = torch.nn.MaxPool2d(3, 2, 1)
        self.layer1 = torch.nn.Sequential(BasicBlock(8, 8))
        down = torch.nn.Sequential(
            torch.nn.Conv2d(8, 16, 1, stride=2, bias=False), torch.nn.BatchNorm2d(16)
        )
        self.layer2 = torch.nn.Sequential(BasicBlock(8, 16, 2, down))
        self.avgpool = torch.nn.AdaptiveAvgPool2d((1, 1))
        self.fc = torch.nn.Linear(16, 10)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


net = SmallResNet().eval()
randomize_batch_norms(net)
x = torch.randn(1, 3, 32, 32)
torch.onnx.export(net, (x,), f"{out}/model.onnx")
x.numpy().tofile(f"{out}/input.f32")
net(x).detach().numpy().tofile(f"{out}/logits.f32")
graph = onnx.load(f"{out}/model.onnx", load_external_data=False).graph
print(torch.__version__, collections.Counter(n.op_type for n in graph.node))
