import type { LayerDef } from './layer.js';
import { noParams } from './layer.js';
import { onnx } from '../ops/index.js';

/** torch.nn.Identity: a placeholder that passes its input through (e.g. after surgery). */
export const Identity: LayerDef = {
  name: 'Identity',
  doc: 'Returns its input unchanged (torch.nn.Identity).',
  args: [],
  infer: (input) => ({ shape: input }),
  params: noParams,
  lower: (b, x) => b.op(onnx.Identity, [x]),
};
