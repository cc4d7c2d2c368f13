// What an op's import rule (ops/*.ts, `import`) turns an ONNX node into: a use of a registry
// layer, an alias of its input, or the reason netspec cannot import it.
import type { OnnxAttr, OnnxModel, OnnxNode } from '../onnx/read.js';
import type { KnownValues } from './constants.js';

export type LayerArgs = Record<string, number | boolean | string | number[]>;

export type Conversion =
  | {
      layer: string;
      args: LayerArgs;
      /** Parameters from constant tensors, by name. */
      params?: Record<string, string>;
      /** Parameters computed at import (a MatMul weight transposed), by ParamSpec name. */
      values?: Record<string, Float32Array>;
      /** Constant inputs consumed with the node (a fused Add's bias) and the nodes fused away. */
      fused?: OnnxNode[];
      expect?: number[];
    }
  | { alias: true }
  | { unsupported: string };

/** What a conversion may look at: the model, known constants, and which nodes read a tensor. */
export interface ImportContext {
  model: OnnxModel;
  known: KnownValues;
  consumers: Map<string, OnnxNode[]>;
}

export const attrInts = (a: OnnxAttr | undefined, fallback: number[]): number[] =>
  Array.isArray(a) ? a : fallback;

export const attrNumber = (a: OnnxAttr | undefined, fallback: number): number =>
  typeof a === 'number' ? a : fallback;

/** ONNX pads [top, left, bottom, right] → PyTorch padding, when symmetric. */
export function symmetricPadding(node: OnnxNode): [number, number] | undefined {
  const [t, l, b, r] = attrInts(node.attrs.pads, [0, 0, 0, 0]);
  return t === b && l === r ? [t, l] : undefined;
}

/** A layer with arguments only (an activation, Flatten, a pool). */
export const layerUse = (layer: string, args: LayerArgs = {}): Conversion => ({ layer, args });
