// ONNX files are read as untrusted input: a graph is validated (topological order, every value
// defined once, inputs and outputs present) and every tensor's data is checked against its
// dims before anything is allocated. Each malformed file is one diagnostic at the spec's
// `onnx(…)`, naming the file and what is wrong; `netspec info` on a file that is not ONNX is one
// error line.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSpec } from '../../../compiler/index.js';
import type { GraphSpec } from '../../helpers/onnx.js';
import { LINEAR, onnxBytes } from '../../helpers/onnx.js';
import { netspec, tempDir } from '../../helpers/spec.js';

const SPEC = 'network R = onnx("model.onnx", shape: [1, 28, 28]) {}\n';

/** The diagnostics of a spec importing `bytes` as model.onnx. */
function check(bytes: Uint8Array): string[] {
  const { diagnostics } = checkSpec(SPEC, 'spec.net', undefined, () => bytes);
  return diagnostics.map(
    (d) => `${d.span.start.line}:${d.span.start.column} ${d.code} ${d.message}`,
  );
}

const variant = (change: (g: GraphSpec) => void): Uint8Array => {
  const graph = structuredClone(LINEAR);
  change(graph);
  return onnxBytes(graph);
};

const float32 = (count: number) => new Uint8Array(4 * count);

describe('untrusted ONNX files', () => {
  it('the valid file imports', () => {
    expect(check(onnxBytes(LINEAR))).toEqual([]);
  });

  it.each([
    [
      'a weight holding 1,000 of its 31,360 bytes',
      (g: GraphSpec) => (g.initializers![0].raw = new Uint8Array(1000)),
      "initializer 'fc.weight' holds 1000 bytes of data; its dims [10, 784] need 31360",
    ],
    [
      'a weight with more bytes than its dims',
      (g: GraphSpec) => (g.initializers![1].raw = float32(11)),
      "initializer 'fc.bias' holds 44 bytes of data; its dims [10] need 40",
    ],
    [
      'dims [100000, 100000, 100000]',
      (g: GraphSpec) =>
        g.initializers!.push({ name: 'huge', dims: [1e5, 1e5, 1e5], raw: float32(1) }),
      "initializer 'huge' has 100000×100000×100000 elements, more than netspec reads",
    ],
    [
      'an int64 tensor with 2 bytes',
      (g: GraphSpec) =>
        g.initializers!.push({ name: 'shape', dims: [1], type: 'int64', raw: new Uint8Array(2) }),
      "initializer 'shape' holds 2 bytes of data; its dims [1] need 8",
    ],
    [
      'a cycle',
      (g: GraphSpec) =>
        (g.nodes = [
          { op: 'Relu', inputs: ['b'], outputs: ['a'], name: 'A' },
          { op: 'Relu', inputs: ['a'], outputs: ['b'], name: 'B' },
          ...g.nodes,
        ]),
      "node 'A' reads 'b' before node 'B' makes it",
    ],
    [
      'a self-loop',
      (g: GraphSpec) =>
        (g.nodes[0] = { op: 'Flatten', inputs: ['flat'], outputs: ['flat'], name: 'F' }),
      "node 'F' reads its own output 'flat' (a cycle)",
    ],
    [
      'nodes out of order',
      (g: GraphSpec) => g.nodes.reverse(),
      "node 'Gemm_0' reads 'flat' before node 'Flatten_1' makes it",
    ],
    [
      'a missing input',
      (g: GraphSpec) => (g.nodes[1].inputs[2] = 'ghost'),
      "reads 'ghost', which nothing defines",
    ],
    [
      'a missing output',
      (g: GraphSpec) => (g.outputs = ['nowhere']),
      "graph output 'nowhere' is not made by any node",
    ],
    ['no input', (g: GraphSpec) => (g.inputs = []), 'the graph has no input'],
    [
      'a value made twice',
      (g: GraphSpec) => (g.nodes[1].outputs = ['flat']),
      "makes 'flat', which node 'Flatten_0' already defines",
    ],
  ])('%s: one diagnostic', (_, change, message) => {
    const diagnostics = check(variant(change));
    expect(diagnostics, diagnostics.join('\n')).toHaveLength(1);
    expect(diagnostics[0]).toContain('1:13 NS1301 model.onnx: ');
    expect(diagnostics[0]).toContain(message);
  });

  it('a layer node that reads nothing: one diagnostic, not an exception', () => {
    const diagnostics = check(variant((g) => (g.nodes[0].inputs = [])));
    expect(diagnostics).toEqual([
      "1:13 NS1302 model.onnx: netspec cannot import Flatten node 'Flatten_0' that reads no tensor",
    ]);
  });

  it('netspec info on a file that is not ONNX, and on a cyclic graph: one error line', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'random.onnx'),
      Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919 + 13) % 256)),
    );
    const cyclic = variant(
      (g) => (g.nodes[0] = { op: 'Flatten', inputs: ['flat'], outputs: ['flat'], name: 'F' }),
    );
    writeFileSync(join(dir, 'cyclic.onnx'), cyclic);
    for (const [file, message] of [
      ['random.onnx', 'random.onnx: not an ONNX model'],
      ['cyclic.onnx', "cyclic.onnx: node 'F' reads its own output 'flat' (a cycle)"],
    ]) {
      const result = netspec(['info', file], dir);
      expect(result.status, result.stderr).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(message);
    }
  });
});
