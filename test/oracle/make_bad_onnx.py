"""Writes small ONNX files that netspec must refuse with a clear diagnostic, into the folder given
as the first argument: an unsupported operator, and an opset from the future."""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
w = numpy_helper.from_array(np.ones((4, 8), dtype=np.float32), "fc.weight")
x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 8])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])
nodes = [
    helper.make_node("Gemm", ["input", "fc.weight"], ["h"], name="/fc/Gemm", transB=1),
    helper.make_node("Hardmax", ["h"], ["y"], name="/head/Hardmax"),
]
graph = helper.make_graph(nodes, "g", [x], [y], [w])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), f"{out}/hardmax.onnx")
future = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 99)])
onnx.save(future, f"{out}/future.onnx")
