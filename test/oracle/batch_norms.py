"""Shared by the export oracles: batch norms with values far from their initialization."""
import torch


def randomize_batch_norms(net):
    """Random running statistics and affine parameters for every BatchNorm2d in `net`, so that
    folding them into the convolutions (an eval-mode export) changes the weights."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
