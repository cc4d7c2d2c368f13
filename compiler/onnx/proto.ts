// onnx-proto's `onnx` namespace (the generated protobuf code), loaded on first use: only the
// commands that write or read ONNX files need it, and loading it took about a third of
// `netspec check`'s startup (docs/decisions/startup.md).
import { createRequire } from 'node:module';
import type OnnxProto from 'onnx-proto';

export type Onnx = typeof OnnxProto.onnx;

let loaded: Onnx | undefined;

export function onnx(): Onnx {
  loaded ??= (createRequire(import.meta.url)('onnx-proto') as typeof OnnxProto).onnx;
  return loaded;
}
