"""Fashion-MNIST for the PyTorch peer scripts of `npm run bench`: the IDX files of Debian's
dataset-fashion-mnist as float tensors in [0, 1] (N, 1, 28, 28) and int64 labels."""
import gzip

import numpy as np
import torch


def idx(root, name, offset):
    with gzip.open(f"{root}/{name}", "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def training_set(root, limit=None):
    """The first `limit` training images (all when None) and their labels."""
    images = idx(root, "train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)
    x = torch.tensor(images, dtype=torch.float32) / 255
    y = torch.tensor(idx(root, "train-labels-idx1-ubyte.gz", 8).astype(np.int64))
    return x[:limit], y[:limit]
