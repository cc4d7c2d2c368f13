"""The peer measurement for `npm run bench`: PyTorch (Debian's python3-torch) training the seed's
CNN (conv32-conv64-maxpool-fc128-fc10 with dropout, as specs/fashion-cnn.net) on Fashion-MNIST with the same
recipe (batch 64, shuffled, SGD lr 0.01 momentum 0.9) on this machine's threads, for the first
`images` training images (default: all). Prints the training images/s as JSON."""
import json
import sys
import time

import torch

from fashion_data import training_set

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
loss_fn = nn.CrossEntropyLoss()
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
