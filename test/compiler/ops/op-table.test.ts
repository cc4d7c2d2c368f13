// The op table (compiler/ops/) as the compiler's unit: every op is named through it and
// typed by it. The `@ts-expect-error` lines below are checked by `npm run typecheck`: each must
// stay an error (a misspelled op, an unknown or mistyped attribute, a definition without a
// gradient rule, an opset, a WebGPU or a CUDA verdict, an entry filed under another name), or
// the typecheck fails.
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import { OPS, onnx, opDef } from '../../../compiler/ops/index.js';
import { defineOp } from '../../../compiler/ops/op.js';
import { sameType } from '../../../compiler/ops/shapes.js';
import { ROWS } from '../autodiff/gradient-rows.js';

/** Type errors only: never called. */
export function compileTimeChecks(b: GraphBuilder, x: string, w: string) {
  b.op(onnx.Gemm, [x, w], { transB: 1, alpha: 0.5 });
  // @ts-expect-error a misspelled op
  b.op(onnx.Gemn, [x, w]);
  // @ts-expect-error an attribute Gemm does not declare
  b.op(onnx.Gemm, [x, w], { transX: 1 });
  // @ts-expect-error an attribute of the wrong type
  b.op(onnx.Gemm, [x, w], { alpha: 'half' });
  // @ts-expect-error an op without attributes takes none
  b.op(onnx.Relu, [x], { alpha: 1 });
  // @ts-expect-error ops are named through the table, not by strings
  b.op('Relu', [x]);
  const complete = {
    name: 'Identity2',
    doc: 'its input',
    inputs: ['x'],
    outputs: ['y'],
    attrs: {},
    shape: sameType,
    since: 1,
    webgpu: true,
    cuda: true,
  } as const;
  defineOp({ ...complete, gradient: { none: 'a test' } });
  // @ts-expect-error a definition without a gradient rule or a mark saying why it has none
  defineOp({ ...complete });
  // @ts-expect-error a definition without the opset its form dates from
  defineOp({ ...complete, since: undefined, gradient: { none: 'a test' } });
  // @ts-expect-error a definition without a WebGPU verdict
  defineOp({ ...complete, webgpu: undefined, gradient: { none: 'a test' } });
  // @ts-expect-error a definition without a CUDA verdict
  defineOp({ ...complete, cuda: undefined, gradient: { none: 'a test' } });
  // @ts-expect-error a table entry filed under another op's name
  const misfiled: { [K in 'Relu']: { name: K } } = { Relu: onnx.Sigmoid };
  return misfiled;
}

describe('the op table', () => {
  it('files each op under its own name, with an opset in netspec’s range', () => {
    for (const [key, def] of Object.entries(OPS)) {
      expect(def.name).toBe(key);
      expect(def.since).toBeGreaterThanOrEqual(1);
      expect(def.since).toBeLessThanOrEqual(18);
      expect(opDef(key)).toBe(def);
    }
    expect(() => opDef('Gemn')).toThrow("netspec has no definition of ONNX op 'Gemn'");
  });

  it('has a gradient-check row for every op with a gradient rule', () => {
    const checked = new Set(ROWS.map((row) => row.op.name));
    const differentiable = Object.values(OPS)
      .filter((def) => typeof def.gradient === 'function')
      .map((def) => def.name);
    expect(differentiable.length).toBeGreaterThan(30);
    expect(differentiable.filter((name) => !checked.has(name))).toEqual([]);
  });

  it('says why for every op without a gradient rule', () => {
    for (const def of Object.values(OPS)) {
      if (typeof def.gradient === 'function') continue;
      const reason = 'none' in def.gradient ? def.gradient.none : def.gradient.unsupported;
      expect(reason.length, def.name).toBeGreaterThan(10);
    }
  });

  it('checks arity and shapes where a node is made', () => {
    const b = new GraphBuilder('arity');
    const x = b.input('x', 'float32', ['N', 3]);
    expect(() => b.op(onnx.Add, [x])).toThrow('Add takes 2 inputs, not 1');
    expect(() => b.opN(onnx.MaxPool, [x], 3)).toThrow('MaxPool takes 1 to 2 outputs, not 3');
    const w = b.input('w', 'float32', [4, 5]);
    expect(() => b.op(onnx.Gemm, [x, w])).toThrow('Gemm inner dimensions differ: 3 and 4');
    const reshaped = b.op(onnx.Reshape, [x, b.int64s([-1, 1, 3])]);
    expect(b.info(reshaped).shape).toEqual(['N', 1, 3]);
    expect(() => b.op(onnx.Reshape, [x, w])).toThrow(
      'Reshape: its target shape must be a constant or a Shape',
    );
  });
});
