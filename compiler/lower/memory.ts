// What a training step asks of a device's memory: the bytes of every value of its graph, split
// into what is fixed (parameters, optimizer state, constants) and what grows with the batch, and
// its largest value. An upper bound: onnxruntime reuses the memory of values no longer read.
import type { DType, Graph, Shape } from '../ir/graph.js';

export interface ValueBytes {
  name: string;
  shape: Shape;
  /** Bytes of the value: `fixed` plus `perExample` times the batch size. */
  fixed: number;
  perExample: number;
}

export interface StepMemory {
  fixed: number;
  perExample: number;
  /** The value that grows most with the batch (or, without a batch, the largest). */
  largest?: ValueBytes;
}

const BYTES: Record<DType, number> = {
  float32: 4,
  float64: 8,
  int64: 8,
  int32: 4,
  uint32: 4,
  uint8: 1,
  bool: 1,
};

export function bytesAt(value: { fixed: number; perExample: number }, batch: number): number {
  return value.fixed + value.perExample * batch;
}

export function graphMemory(graph: Graph): StepMemory {
  const memory: StepMemory = { fixed: 0, perExample: 0 };
  for (const { name, dtype, shape } of graph.values.values()) {
    const elements = shape.reduce<number>((n, d) => n * (d === 'N' ? 1 : d), BYTES[dtype]);
    const batched = shape.includes('N');
    const value = {
      name,
      shape,
      fixed: batched ? 0 : elements,
      perExample: batched ? elements : 0,
    };
    memory.fixed += value.fixed;
    memory.perExample += value.perExample;
    const top = memory.largest;
    const larger =
      !top ||
      value.perExample > top.perExample ||
      (value.perExample === top.perExample && value.fixed > top.fixed);
    if (larger) memory.largest = value;
  }
  return memory;
}
