import { onnx } from '../ops/index.js';
import type { LayerDef } from '../vocabulary/defs.js';
import { noParams } from '../vocabulary/defs.js';

/** torch.nn.Identity: a placeholder that passes its input through (e.g. after surgery). */
export const Identity: LayerDef = {
  name: 'Identity',
  doc: 'Returns its input unchanged (torch.nn.Identity).',
  args: [],
  infer: ([input]) => ({ shape: input }),
  params: noParams,
  lower: (b, [x]) => b.op(onnx.Identity, [x]),
};
