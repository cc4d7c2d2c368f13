"""Rewrites an ONNX model's external-data locations: reads the model at the first argument
(without its data), points every external initializer at the third argument, and saves the
graph at the second."""
import sys

import onnx

source, target, location = sys.argv[1:4]
model = onnx.load(source, load_external_data=False)
for tensor in model.graph.initializer:
    for entry in tensor.external_data:
        if entry.key == "location":
            entry.value = location
onnx.save(model, target)
