// onnx-proto's `onnx` namespace (the generated protobuf code), loaded on first use: only
// writing graphs and importing ONNX networks need it, and loading it is a large part of a
// command's startup (docs/decisions/0015-startup.md).
import { createRequire } from 'node:module';
import type OnnxProto from 'onnx-proto';

export type Onnx = typeof OnnxProto.onnx;

let loaded: Onnx | undefined;

export function onnx(): Onnx {
  loaded ??= (createRequire(import.meta.url)('onnx-proto') as typeof OnnxProto).onnx;
  return loaded;
}
