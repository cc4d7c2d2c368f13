// netspec's limits on what a spec may describe: far above any network netspec trains, low
// enough that checking, compiling and allocating stay possible (a float32 typed array, an ONNX
// file under protobuf's 2 GiB). Each is checked where the value is made, and its message gives
// the bound (docs/language.md, "Limits").
export const LIMITS = {
  /** Elements of one tensor per example (an activation, batch excluded) or one parameter: 1 GiB of float32. */
  tensorElements: 2 ** 28,
  /** Parameters and buffers of one model, together. */
  parameters: 2 ** 28,
  /** Layers and merges of one model (torchvision's ResNet152 has about 500). */
  layers: 10_000,
  /** `Stage * n`: repetitions of one stage. */
  repeat: 1_000,
} as const;

/** A count as the messages print it: 268,435,456. */
export const shown = (n: number) => n.toLocaleString('en-US');

/** Elements of a shape, the batch dimension (a name) excluded. */
export function elements(shape: readonly (number | string)[]): number {
  return shape.reduce<number>((n, d) => (typeof d === 'number' ? n * d : n), 1);
}
