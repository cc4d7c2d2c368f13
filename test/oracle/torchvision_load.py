"""Loads a netspec weights file (safetensors, PyTorch state_dict names) into torchvision's
resnet18 with load_state_dict(strict=True) and prints its eval-mode logits for the input in
argv[2] ([1, 3, 224, 224] float32) as JSON. Reads safetensors by hand: Debian has no package."""
import json
import struct
import sys

import numpy as np
import torch
import torchvision


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    body = data[8 + length :]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        array = np.frombuffer(body[start:end], dtype=np.float32).reshape(entry["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors


net = torchvision.models.resnet18(num_classes=1000).eval()
net.load_state_dict(read_safetensors(sys.argv[1]), strict=True)
x = torch.from_numpy(np.fromfile(sys.argv[2], dtype=np.float32).reshape(1, 3, 224, 224))
with torch.no_grad():
    json.dump(net(x)[0].tolist(), sys.stdout)
