"""The peer measurement for `npm run bench`: PyTorch (Debian's python3-torch) training
torchvision's ResNet18 from scratch for 1-channel 28×28 Fashion-MNIST and 10 classes (conv1
with one input channel, as specs/resnet18.net's `Scratch` recipe), batch 64, shuffled, Adam
lr 1e-3, on this machine's threads, for the first `images` training images. Prints the training
images/s as JSON."""
import sys

import torch
import torchvision

from peer import report_epoch, training_set

ROOT = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
LIMIT = int(sys.argv[3]) if len(sys.argv) > 3 else None
torch.manual_seed(42)

x, y = training_set(ROOT, LIMIT)
net = torchvision.models.resnet18(num_classes=10)
net.conv1 = torch.nn.Conv2d(1, 64, 7, stride=2, padding=3, bias=False)
net.train()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
report_epoch(net, opt, x, y)
