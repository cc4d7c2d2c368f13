"""Validates an ONNX file with the reference checker (onnx.checker, full_check=True, which also
runs strict shape inference) and prints its opset, inputs, outputs and metadata as JSON."""
import json
import sys

import onnx

model = onnx.load(sys.argv[1])
onnx.checker.check_model(model, full_check=True)


def dims(value):
    return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]


json.dump(
    {
        "ir_version": model.ir_version,
        "opset": [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")],
        "inputs": {i.name: dims(i) for i in model.graph.input},
        "outputs": {o.name: dims(o) for o in model.graph.output},
        "metadata": {p.key: p.value for p in model.metadata_props},
    },
    sys.stdout,
)
