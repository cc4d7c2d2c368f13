"""Writes a PyTorch state_dict as safetensors, as safetensors.torch.save_file(model.state_dict())
would, for test/train-weights.test.ts: float32 parameters and running statistics, int64
num_batches_tracked. Debian has no python3-safetensors, so the format is written by hand: an
8-byte little-endian header length, a JSON header (padded with spaces to 8 bytes), the raw data.
Prints every tensor's values (flattened) as JSON.

usage: save_state_dict.py OUT.safetensors"""
import json
import struct
import sys

import torch
from torch import nn


class Net(nn.Module):
    """The network of the test's spec, with netspec's module names."""

    def __init__(self):
        super().__init__()
        self.flatten1 = nn.Flatten()
        self.linear1 = nn.Linear(784, 16)
        self.batchnorm1d1 = nn.BatchNorm1d(16)
        self.relu1 = nn.ReLU()
        self.linear2 = nn.Linear(16, 10)

    def forward(self, x):
        return self.linear2(self.relu1(self.batchnorm1d1(self.linear1(self.flatten1(x)))))


DTYPES = {torch.float32: ("F32", 4), torch.int64: ("I64", 8)}


def save_file(tensors, path):
    header, chunks, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        dtype, size = DTYPES[t.dtype]
        data = t.contiguous().numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        assert len(data) == t.numel() * size
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text.encode() + b"".join(chunks))


torch.manual_seed(0)
net = Net().train()
with torch.no_grad():
    for _ in range(3):  # running statistics away from 0 and 1, num_batches_tracked = 3
        net(torch.rand(8, 1, 28, 28))
state = net.state_dict()
assert state["batchnorm1d1.num_batches_tracked"].dtype == torch.int64
save_file(state, sys.argv[1])
json.dump({name: t.flatten().tolist() for name, t in state.items()}, sys.stdout)
