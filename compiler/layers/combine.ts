// Layers that combine several values: `a + b` (a residual connection, torch's `+`) and
// `concat(a, b, dim: 1)` (torch.cat). They are ordinary registry layers with several inputs,
// so the checker, the lowering, the import of ONNX Add and Concat nodes and the editor treat
// them like every other layer.
import { formatShape } from '../ir/graph.js';
import type { Shape } from '../ir/graph.js';
import { onnx } from '../ops/index.js';
import { numberArg } from '../vocabulary/args.js';
import { int } from '../vocabulary/values.js';
import type { LayerDef, ShapeResult } from '../vocabulary/defs.js';
import { noParams } from '../vocabulary/defs.js';

const notes = (inputs: Shape[]) => inputs.map((s) => `this value has shape ${formatShape(s)}`);

export const Add: LayerDef = {
  name: 'Add',
  doc: 'The elementwise sum of values of one shape: `y + skip`, a residual connection (torch.add).',
  args: [],
  inputs: 'several',
  infer(inputs): ShapeResult {
    const [first] = inputs;
    const other = inputs.find((s) => formatShape(s) !== formatShape(first));
    if (!other) return { shape: first };
    const error = `cannot add values of shapes ${formatShape(first)} and ${formatShape(other)}`;
    return { error, inputNotes: notes(inputs) };
  },
  params: noParams,
  lower: (b, inputs) => inputs.slice(1).reduce((sum, x) => b.op(onnx.Add, [sum, x]), inputs[0]),
};

/** The axis `dim` names in values of rank `rank` (negative counts from the end). */
const axisOf = (dim: number, rank: number) => (dim < 0 ? dim + rank : dim);

export const Concat: LayerDef = {
  name: 'Concat',
  doc: 'Values joined along a dimension: `concat(a, b, dim: 1)` (torch.cat).',
  args: [
    { name: 'dim', type: 'int', default: int(1), doc: 'the dimension to join along (batch is 0)' },
  ],
  inputs: 'several',
  infer(inputs, args): ShapeResult {
    const dim = numberArg(args, 'dim');
    const rank = inputs[0].length;
    const axis = axisOf(dim, rank);
    if (axis <= 0 || axis >= rank)
      return {
        error: `concat: dim ${dim} is not a non-batch dimension of rank-${rank} values`,
        outOfRange: true,
      };
    const rest = (s: Shape) => formatShape(s.filter((_, i) => i !== axis));
    const bad = inputs.find((s) => s.length !== rank || rest(s) !== rest(inputs[0]));
    if (bad)
      return {
        error: `concat: ${formatShape(inputs[0])} and ${formatShape(bad)} differ outside dim ${dim}`,
      };
    const size = inputs.reduce((n, s) => n + (s[axis] as number), 0);
    return { shape: inputs[0].map((d, i) => (i === axis ? size : d)) };
  },
  params: noParams,
  lower: (b, inputs, _params, args) => {
    const axis = axisOf(numberArg(args, 'dim'), b.info(inputs[0]).shape.length);
    return b.op(onnx.Concat, inputs, { axis });
  },
};
