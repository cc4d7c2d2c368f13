"""Validates several ONNX files with the reference checker (onnx.checker, full_check=True) in one
process and prints, as JSON, the highest opset this onnx knows and for each file its opset and
metadata, or the checker's error."""
import json
import sys

import onnx
from onnx import defs

results = {}
for path in sys.argv[1:]:
    model = onnx.load(path)
    entry = {
        "opset": [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")],
        "metadata": {p.key: p.value for p in model.metadata_props},
        "ops": sorted({n.op_type for n in model.graph.node}),
    }
    try:
        onnx.checker.check_model(model, full_check=True)
        entry["error"] = None
    except Exception as e:  # the checker's ValidationError or shape inference's error
        entry["error"] = str(e)
    results[path] = entry

json.dump({"max_opset": defs.onnx_opset_version(), "files": results}, sys.stdout)
