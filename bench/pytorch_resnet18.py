"""The peer measurement for `npm run bench`: PyTorch (Debian's python3-torch) training
torchvision's ResNet18 from scratch for 1-channel 28×28 Fashion-MNIST and 10 classes (conv1
with one input channel, as specs/resnet18.net's `Scratch` recipe), batch 64, shuffled, Adam
lr 1e-3, on this machine's threads, for the first `images` training images. Prints the training
images/s as JSON."""
import json
import sys
import time

import torch
import torchvision

from fashion_data import training_set

ROOT = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
LIMIT = int(sys.argv[3]) if len(sys.argv) > 3 else None
torch.manual_seed(42)

x, y = training_set(ROOT, LIMIT)
net = torchvision.models.resnet18(num_classes=10)
net.conv1 = torch.nn.Conv2d(1, 64, 7, stride=2, padding=3, bias=False)
net.train()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
loss_fn = torch.nn.CrossEntropyLoss()
order = torch.randperm(len(y))
start = None  # steady state: timed from the end of the first step, as netspec's figure
for i in range(0, len(y), 64):
    batch = order[i : i + 64]
    opt.zero_grad()
    loss = loss_fn(net(x[batch]), y[batch])
    loss.backward()
    opt.step()
    if start is None:
        start, timed = time.perf_counter(), len(y) - len(batch)
seconds = time.perf_counter() - start
json.dump({"images_per_second": timed / seconds, "threads": torch.get_num_threads()}, sys.stdout)
