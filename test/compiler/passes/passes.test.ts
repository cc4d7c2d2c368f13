// The graph passes the step graphs go through (compiler/passes/), each on a small graph.
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import { printGraph } from '../../../compiler/ir/print.js';
import { onnx } from '../../../compiler/ops/index.js';
import { dropUnread } from '../../../compiler/passes/drop-unread.js';
import { elideOutputIdentities } from '../../../compiler/passes/elide-output-identities.js';
import { tensor } from '../../../compiler/ir/graph.js';

const ops = (graph: { nodes: { op: string }[] }) => graph.nodes.map((n) => n.op);

describe('dropUnread', () => {
  it('drops chains no output reads, and the constants only they read', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['N', 3]);
    const unused = b.initializer('unused', tensor('float32', [3], new Float32Array(3)));
    const dead = b.op(onnx.Exp, [b.op(onnx.Mul, [x, unused])]);
    const y = b.op(onnx.Relu, [x], {}, 'y');
    b.output(y);
    const pruned = dropUnread(b.graph);
    expect(ops(pruned)).toEqual(['Relu']);
    expect([...pruned.initializers.keys()]).toEqual([]);
    expect(pruned.values.has(dead)).toBe(false);
    expect(pruned.values.has('x')).toBe(true);
    // a pass returns a new graph and leaves its input as it was
    expect(ops(b.graph)).toEqual(['Mul', 'Exp', 'Relu']);
  });

  it('keeps everything an output depends on', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['N', 3]);
    const w = b.initializer('w', tensor('float32', [3], new Float32Array(3)));
    b.output(b.op(onnx.Exp, [b.op(onnx.Mul, [x, w])], {}, 'y'));
    expect(printGraph(dropUnread(b.graph))).toBe(printGraph(b.graph));
  });
});

describe('elideOutputIdentities', () => {
  it('lets the producer of a published value write the output itself', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['N', 3]);
    const relu = b.op(onnx.Relu, [x]);
    b.output(b.op(onnx.Identity, [relu], {}, 'y'));
    const elided = elideOutputIdentities(b.graph);
    expect(ops(elided)).toEqual(['Relu']);
    expect(elided.nodes[0].outputs).toEqual(['y']);
    expect(elided.values.has(relu)).toBe(false);
  });

  it('keeps the Identity of an input, of a value published twice, and of an output', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['N', 3]);
    const relu = b.op(onnx.Relu, [x]);
    b.output(b.op(onnx.Identity, [x], {}, 'same_as_input'));
    b.output(b.op(onnx.Identity, [relu], {}, 'first'));
    b.output(b.op(onnx.Identity, [relu], {}, 'second'));
    const elided = elideOutputIdentities(b.graph);
    // the input's Identity stays; the first publication renames Relu's output, the second
    // copies it
    expect(ops(elided)).toEqual(['Relu', 'Identity', 'Identity']);
    expect(elided.nodes[0].outputs).toEqual(['first']);
    expect(elided.nodes.map((n) => n.inputs[0])).toEqual(['x', 'x', 'first']);
  });
});
