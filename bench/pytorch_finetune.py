"""The peer measurement for `npm run bench`: PyTorch (Debian's python3-torch) finetuning
torchvision's ResNet18 as specs/resnet18-finetune.net's first epoch does — every pretrained
parameter frozen (requires_grad False) in train mode, as the lecture notes leave it and as
netspec's `freeze *` does: batch norms normalize with the batch's statistics and update their
running ones (`freeze *, batch_stats: false` would be eval mode), conv1 replaced by a 1-channel
Conv2d(1, 64, 7, stride 2, padding 3) and fc by Linear(512, 10), both trained — on 28×28
Fashion-MNIST, batch 64, shuffled, Adam lr 1e-3, for the first `images` training images.
The backbone's values do not change the timing, so it starts from torchvision's random ones.
Prints the training images/s as JSON."""
import sys

import torch
import torchvision

from peer import report_epoch, training_set

ROOT = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
LIMIT = int(sys.argv[3]) if len(sys.argv) > 3 else None
torch.manual_seed(42)

x, y = training_set(ROOT, LIMIT)
net = torchvision.models.resnet18()
for p in net.parameters():
    p.requires_grad = False
net.conv1 = torch.nn.Conv2d(1, 64, 7, stride=2, padding=3, bias=False)
net.fc = torch.nn.Linear(512, 10)
net.train()  # frozen batch norms still use batch statistics, as netspec's `freeze *`
opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=1e-3)
report_epoch(net, opt, x, y)
