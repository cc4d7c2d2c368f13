"""PyTorch oracle for frozen batch norms (netspec's `freeze *, batch_stats: true` and plain
`freeze *`): a small conv net with every parameter frozen (requires_grad=False) but the
classifier `fc`, trained by SGD for two steps on fixed batches.

- "batch_stats": model.train(): frozen batch norms normalize with batch statistics and update
  their running statistics (what PyTorch does with requires_grad=False alone).
- "running_stats": the batch norms are put in eval(): running statistics, left unchanged.

Writes model.onnx (exported in eval mode, batch norm kept as BatchNormalization, module-path
names) and expected.json ({"batches": [...], "cases": {name: {"losses", "state"}}}) into the
folder given as the first argument.
"""
import json
import sys

import torch
from torch import nn

out = sys.argv[1]
torch.manual_seed(11)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 6, 3)
        self.bn2 = nn.BatchNorm2d(6, momentum=0.3)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn2(self.conv2(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


def make():
    torch.manual_seed(11)
    net = Net()
    with torch.no_grad():  # running statistics far from any batch's, so the two modes differ
        for m in (net.bn1, net.bn2):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.2, 0.2)
    return net


net = make().eval()
torch.onnx.export(
    net, torch.randn(1, 3, 8, 8), f"{out}/model.onnx", opset_version=13,
    input_names=["input"], output_names=["logits"],
    dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
    training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False,
)

gen = torch.Generator().manual_seed(3)
batches = [
    {"x": torch.randn(4, 3, 8, 8, generator=gen), "labels": torch.randint(0, 3, (4,), generator=gen)}
    for _ in range(2)
]

cases = {}
for case in ("batch_stats", "running_stats"):
    net = make().train()
    for name, p in net.named_parameters():
        p.requires_grad_(name.startswith("fc."))
    if case == "running_stats":
        net.bn1.eval()
        net.bn2.eval()
    opt = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.1)
    losses = []
    for batch in batches:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(batch["x"]), batch["labels"])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    state = {k: v.detach().double().flatten().tolist() for k, v in net.state_dict().items()}
    cases[case] = {"losses": losses, "state": state}

json.dump(
    {
        "batches": [
            {"x": b["x"].flatten().tolist(), "shape": list(b["x"].shape), "labels": b["labels"].tolist()}
            for b in batches
        ],
        "cases": cases,
    },
    open(f"{out}/expected.json", "w"),
)
