"""What the PyTorch peer scripts of `npm run bench` share: Fashion-MNIST from Debian's
dataset-fashion-mnist as float tensors in [0, 1] (N, 1, 28, 28) with int64 labels, and one
shuffled training epoch in batches of 64, timed and printed as JSON. bench/gpu.sh sets
NETSPEC_BENCH_TORCH_DEVICE=cuda and NETSPEC_BENCH_BATCH to time the same on a GPU."""
import ctypes
import gzip
import json
import os
import sys
import time

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


def blas_in_use():
    """Which BLAS this process's PyTorch calls: the file `libblas.so.3` resolved to, as mapped
    into this process (Debian's python3-torch is built with BLAS_INFO=generic and calls whatever
    `update-alternatives` points libblas.so.3 at), and for OpenBLAS its build and the kernel it
    chose (OPENBLAS_CORETYPE changes that choice)."""
    with open("/proc/self/maps") as maps:
        mapped = {line.split()[-1] for line in maps if len(line.split()) >= 6}
    blas = sorted(path for path in mapped if os.path.basename(path).startswith("libblas.so"))
    if not blas:
        return {"kind": "none", "library": None}
    library = ctypes.CDLL(blas[0])
    if not hasattr(library, "openblas_get_config"):
        reference = "/blas/" in blas[0]
        return {"kind": "reference" if reference else "other", "library": blas[0]}
    library.openblas_get_config.restype = ctypes.c_char_p
    library.openblas_get_corename.restype = ctypes.c_char_p
    return {
        "kind": "openblas",
        "library": blas[0],
        "config": library.openblas_get_config().decode(),
        "core": library.openblas_get_corename().decode(),
    }


def report_epoch(net, opt, x, y, steady=True):
    """Trains one shuffled epoch with cross-entropy and prints its images/s as JSON. `steady`
    times from the end of the first step, as netspec's steady-state figures are; otherwise the
    whole epoch, as its MLP figure is."""
    device = torch.device(os.environ.get("NETSPEC_BENCH_TORCH_DEVICE", "cpu"))
    size = int(os.environ.get("NETSPEC_BENCH_BATCH", "64"))
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    net.to(device)
    x, y = x.to(device), y.to(device)
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.randperm(len(y), device=device)
    start, timed = time.perf_counter(), len(y)
    for i in range(0, len(y), size):
        batch = order[i : i + size]
        opt.zero_grad()
        loss = loss_fn(net(x[batch]), y[batch])
        loss.backward()
        opt.step()
        if steady and i == 0:
            sync()
            start, timed = time.perf_counter(), len(y) - len(batch)
    sync()
    seconds = time.perf_counter() - start
    report = {"images_per_second": timed / seconds, "threads": torch.get_num_threads()}
    json.dump({**report, "blas": blas_in_use()}, sys.stdout)


if __name__ == "__main__":
    json.dump({"blas": blas_in_use(), "torch": torch.__version__}, sys.stdout)
