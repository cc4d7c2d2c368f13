"""The peer measurement for `npm run bench`: PyTorch (Debian's python3-torch) training the same
784-256-10 MLP on Fashion-MNIST with the same recipe (batch 64, shuffled, SGD lr 0.05 momentum
0.9), one epoch, on this machine's threads. Prints the training images/s as JSON."""
import sys

import torch

from peer import report_epoch, training_set

ROOT = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
torch.manual_seed(42)
x, y = training_set(ROOT)
net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
report_epoch(net, opt, x, y, steady=False)
