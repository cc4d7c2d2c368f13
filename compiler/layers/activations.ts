import type { LayerDef } from './layer.js';
import { noParams } from './layer.js';

/** An elementwise activation with no arguments or parameters, lowered to one ONNX op. */
function activation(name: string, onnxOp: string, doc: string): LayerDef {
  return {
    name,
    doc,
    args: [],
    infer: (input) => ({ shape: input }),
    params: noParams,
    lower: (b, x) => b.op(onnxOp, [x]),
  };
}

export const ReLU = activation('ReLU', 'Relu', 'Rectified linear unit, max(a, 0) (torch.nn.ReLU).');
