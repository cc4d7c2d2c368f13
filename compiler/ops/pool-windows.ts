// The max-pool gradient without MaxPool's Indices output, which onnxruntime's WebGPU MaxPool
// does not compute. The windows are gathered from the input, each window's first maximum is
// found in the order onnxruntime scans a window for Indices (row by row, the first of equal
// values), and each input position gathers back the gradient of every window tap it was:
// elementwise ops, sums, CumSum and Gathers with constant indices, all of which run on the
// device. Ties go to the first maximum as on the CPU, so the gradient is the same; where
// windows overlap, a position's shares are summed in another order than the CPU's scatter
// (rounding only).
import type { GraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/graph.js';
import { reshape } from '../ir/ops-helpers.js';
import type { OpNode } from './op.js';
import type { Window } from './windows.js';
import { windowOf } from './windows.js';
import { onnx } from './index.js';

/** The lowest float32: padding never wins a window. */
const LOWEST = -3.4028234663852886e38;

type WindowAttrs = { kernel_shape: 'ints'; strides: 'ints'; pads: 'ints'; dilations: 'ints' };

interface Windows extends Window {
  /** The input's height and width, the padded input's, the output's. */
  hw: number[];
  padded: number[];
  out: number[];
}

function windowsOf(b: GraphBuilder, node: OpNode<WindowAttrs>): Windows {
  const win = windowOf(node.attrs, node.attrs.kernel_shape ?? []);
  const hw = b.info(node.inputs[0]).shape.slice(2) as number[];
  const [top, left, bottom, right] = win.pads;
  return {
    ...win,
    hw,
    padded: [hw[0] + top + bottom, hw[1] + left + right],
    out: b.info(node.outputs[0]).shape.slice(2) as number[],
  };
}

/** For tap t of window l: the padded input position it reads (row-major), as [t][l]. */
function tapPositions(g: Windows): number[][] {
  const [kh, kw] = g.kernel;
  const [ho, wo] = g.out;
  const taps: number[][] = [];
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++) {
      const row: number[] = [];
      for (let oh = 0; oh < ho; oh++)
        for (let ow = 0; ow < wo; ow++) {
          const r = oh * g.strides[0] + i * g.dilations[0];
          const s = ow * g.strides[1] + j * g.dilations[1];
          row.push(r * g.padded[1] + s);
        }
      taps.push(row);
    }
  return taps;
}

/**
 * For each input position (row-major, unpadded), the flat (tap, window) slots that read it,
 * padded with `none` to the largest count R: the rows of an [R, H·W] index table.
 */
function readersOf(g: Windows, taps: number[][], none: number): number[][] {
  const [h, w] = g.hw;
  const readers: number[][] = Array.from({ length: h * w }, () => []);
  const windows = g.out[0] * g.out[1];
  taps.forEach((row, t) =>
    row.forEach((position, l) => {
      const r = Math.floor(position / g.padded[1]) - g.pads[0];
      const s = (position % g.padded[1]) - g.pads[1];
      if (r >= 0 && r < h && s >= 0 && s < w) readers[r * w + s].push(t * windows + l);
    }),
  );
  const most = Math.max(1, ...readers.map((r) => r.length));
  return Array.from({ length: most }, (_, k) => readers.map((r) => r[k] ?? none));
}

function indexTable(b: GraphBuilder, rows: number[][]): string {
  const data = BigInt64Array.from(rows.flat().map(BigInt));
  return b.op(onnx.Constant, [], { value: tensor('int64', [rows.length, rows[0].length], data) });
}

/** dX of a MaxPool node with one output (no Indices), for the output gradient dY. */
export function maxPoolGradientByWindows(
  b: GraphBuilder,
  node: OpNode<WindowAttrs>,
  dY: string,
): string {
  const [x] = node.inputs;
  const g = windowsOf(b, node);
  const c = b.info(x).shape[1] as number;
  const windows = g.out[0] * g.out[1];
  const [top, left, bottom, right] = g.pads;
  const pads = [0, 0, top, left, 0, 0, bottom, right];
  const padded = pads.some((p) => p > 0)
    ? b.op(onnx.Pad, [x, b.int64s(pads), b.scalar(LOWEST)])
    : x;
  const taps = tapPositions(g);
  const flat = reshape(b, padded, ['N', c, g.padded[0] * g.padded[1]]);
  const patches = b.op(onnx.Gather, [flat, indexTable(b, taps)], { axis: 2 });
  const float = (v: string) => b.op(onnx.Cast, [v], { to: b.floatType });
  const perWindow = (v: string) => reshape(b, v, ['N', c, 1, windows]);
  const isMax = float(b.op(onnx.Equal, [patches, perWindow(node.outputs[0])]));
  const seen = b.op(onnx.CumSum, [isMax, b.scalar(2, 'int64')]);
  const first = b.op(onnx.Mul, [isMax, float(b.op(onnx.Equal, [seen, b.scalar(1)]))]);
  const shares = b.op(onnx.Mul, [first, perWindow(dY)]);
  // One zero slot after the (tap, window) slots, for positions no window reads.
  const slots = taps.length * windows;
  const withZero = b.op(onnx.Pad, [
    reshape(b, shares, ['N', c, slots]),
    b.int64s([0, 0, 0, 0, 0, 1]),
  ]);
  const readers = readersOf(g, taps, slots);
  const gathered = b.op(onnx.Gather, [withZero, indexTable(b, readers)], { axis: 2 });
  const summed = readers.length === 1 ? gathered : b.reduceSum(gathered, [2], false);
  return reshape(b, summed, ['N', c, ...g.hw]);
}
