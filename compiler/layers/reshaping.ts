import type { Shape } from '../ir/graph.js';
import { formatShape } from '../ir/graph.js';
import { reshape } from '../ir/ops-helpers.js';
import { onnx } from '../ops/index.js';
import { int } from '../vocabulary/values.js';
import { numberArg } from '../vocabulary/args.js';
import type { LayerDef } from '../vocabulary/defs.js';
import { noParams } from '../vocabulary/defs.js';

function flattened(input: Shape, start: number, end: number): Shape {
  const middle = input.slice(start, end + 1);
  const size = middle.includes('N') ? 'N' : middle.reduce<number>((n, d) => n * (d as number), 1);
  return [...input.slice(0, start), size, ...input.slice(end + 1)];
}

/** torch.nn.Flatten: merges dimensions start_dim..end_dim (by default all but the batch). */
export const Flatten: LayerDef = {
  name: 'Flatten',
  doc: 'Flattens dimensions start_dim through end_dim into one (torch.nn.Flatten).',
  args: [
    { name: 'start_dim', type: 'int', default: int(1), doc: 'first dimension to flatten' },
    { name: 'end_dim', type: 'int', default: int(-1), doc: 'last dimension to flatten' },
  ],
  infer([input], args) {
    const rank = input.length;
    const start = (numberArg(args, 'start_dim') + rank) % rank;
    const end = (numberArg(args, 'end_dim') + rank) % rank;
    if (start === 0) return { error: 'Flatten cannot merge the batch dimension', arg: 'start_dim' };
    if (end < start) {
      return {
        error: `Flatten: end_dim comes before start_dim for input ${formatShape(input)}`,
        arg: 'end_dim',
      };
    }
    return { shape: flattened(input, start, end) };
  },
  params: noParams,
  lower(b, [x], _params, args) {
    const input = b.info(x).shape;
    const start = (numberArg(args, 'start_dim') + input.length) % input.length;
    const end = (numberArg(args, 'end_dim') + input.length) % input.length;
    if (start === 1 && end === input.length - 1) return b.op(onnx.Flatten, [x], { axis: 1 });
    return reshape(b, x, flattened(input, start, end));
  },
};
