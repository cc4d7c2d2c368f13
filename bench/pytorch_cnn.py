"""The peer measurement for `npm run bench`: PyTorch (Debian's python3-torch) training the seed's
CNN (conv32-conv64-maxpool-fc128-fc10 with dropout, as specs/fashion-cnn.net) on Fashion-MNIST with the same
recipe (batch 64, shuffled, SGD lr 0.01 momentum 0.9) on this machine's threads, for the first
`images` training images (default: all). Prints the training images/s as JSON."""
import sys

import torch

from peer import report_epoch, training_set

ROOT = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
LIMIT = int(sys.argv[3]) if len(sys.argv) > 3 else None
torch.manual_seed(42)

x, y = training_set(ROOT, LIMIT)
nn = torch.nn
net = nn.Sequential(
    nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
    nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10),
)
opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
report_epoch(net, opt, x, y)
