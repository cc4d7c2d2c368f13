// Checks `network Name = onnx("model.onnx", input: [1, 28, 28]) { surgery }`: reads the file,
// imports its nodes as registry layers, applies the surgery statements in order
// (onnx-surgery.ts), then infers every shape for the declared input and checks the pretrained
// values against the shapes.
import { dirname, join } from 'node:path';
import type { Diagnostic, OnnxNetworkDecl, Span } from '../../grammar/index.js';
import { diagnostic } from '../../grammar/index.js';
import { CODES } from '../codes.js';
import type { ImportedGraph } from '../import/from-onnx.js';
import { importGraph, versionProblem } from '../import/from-onnx.js';
import type { Shape } from '../ir/graph.js';
import { formatShape } from '../ir/graph.js';
import { LAYERS } from '../layers/registry.js';
import type { ExternalData } from '../onnx/read.js';
import { OnnxReadError, readOnnx } from '../onnx/read.js';
import { bindArgs } from './args.js';
import type { Unreadable } from './program.js';
import type { Draft, Drafts } from './onnx-surgery.js';
import { Surgery } from './onnx-surgery.js';
import type { ArgSpec } from '../vocabulary/args.js';
import { bindValues, stringArg } from '../vocabulary/args.js';
import type { Model, ModelNode } from '../vocabulary/model.js';

/** Reads a binary file for the checker, or says why it cannot (undefined: for no given reason). */
export type ReadBinary = (path: string) => Uint8Array | Unreadable | undefined;

export const SOURCE_ARGS: ArgSpec[] = [
  { name: 'path', type: 'string', doc: 'the ONNX file, relative to the spec' },
  { name: 'shape', type: 'shape', doc: 'the input shape [C, H, W] after surgery' },
];

class OnnxNetworkChecker {
  private model: Drafts = { drafts: [], output: '' };
  private inputName = '';

  constructor(
    private decl: OnnxNetworkDecl,
    private file: string,
    private diags: Diagnostic[],
  ) {}

  run(readBinary: ReadBinary | undefined, resolvePath: (p: string) => string): Model | undefined {
    const before = this.diags.length;
    const ctx = {
      what: 'onnx',
      file: this.file,
      span: this.decl.source.span,
      constants: new Map(),
    };
    const args = bindArgs(this.decl.source.args, SOURCE_ARGS, ctx, this.diags);
    if (!args) return undefined;
    const graph = this.load(resolvePath(stringArg(args, 'path')), readBinary);
    if (!graph) return undefined;
    this.adopt(graph);
    if (this.diags.length > before) return undefined;
    // Surgery mistakes leave the model as it was, so shapes are still worth inferring.
    const surgery = new Surgery(this.model, this.file, this.diags);
    for (const statement of this.decl.body) surgery.apply(statement);
    const input = args.values.get('shape');
    const dims = input?.t === 'list' ? input.items.map((i) => (i.t === 'num' ? i.v : 0)) : [];
    const model = this.infer(['N', ...dims]);
    return this.diags.length > before ? undefined : model;
  }

  private load(path: string, readBinary: ReadBinary | undefined): ImportedGraph | undefined {
    const span = this.decl.source.span;
    const bytes = readBinary?.(path);
    if (!(bytes instanceof Uint8Array))
      return this.fail(CODES.importProblem, unreadable(path, bytes), span);
    const imported = importOnnx(bytes, externalData(path, readBinary!));
    if ('graph' in imported) return imported.graph;
    return this.fail(imported.code, `${path}: ${imported.problem}`, span);
  }

  private adopt(graph: ImportedGraph): void {
    this.inputName = graph.input.name;
    this.model.output = graph.output;
    const span = this.decl.source.span;
    for (const node of graph.nodes) {
      const def = LAYERS.get(node.layer);
      if (!def) {
        this.fail(
          CODES.notSupported,
          `${node.source}: netspec has no ${node.layer} layer yet`,
          span,
        );
        continue;
      }
      const args = bindValues(def.args, node.args);
      this.model.drafts.push({
        path: node.path,
        inputs: node.inputs,
        span,
        layer: {
          def,
          args,
          values: node.values,
          frozen: false,
          ...(node.expect ? { expect: { dims: node.expect, source: node.source } } : {}),
        },
      });
    }
  }

  // ---- shapes --------------------------------------------------------------------------------

  private infer(inputShape: Shape): Model | undefined {
    const shapes = new Map<string, Shape>([[this.inputName, inputShape]]);
    const nodes: ModelNode[] = [];
    const initial = new Map<string, Float32Array>();
    for (const draft of this.model.drafts) {
      const inputs = draft.inputs.map((i) => shapes.get(i));
      if (inputs.some((s) => !s)) return undefined; // an earlier node failed; already reported
      const node = this.inferNode(draft, inputs as Shape[], initial);
      if (!node) return undefined;
      nodes.push(node);
      shapes.set(draft.path, node.outputShape);
    }
    const outputShape = shapes.get(this.model.output);
    if (!outputShape) return undefined;
    const name = this.decl.name.name;
    return {
      name,
      input: { name: this.inputName, shape: inputShape },
      layers: nodes,
      output: this.model.output,
      outputShape,
      initial,
    };
  }

  private inferNode(
    draft: Draft,
    inputs: Shape[],
    initial: Map<string, Float32Array>,
  ): ModelNode | undefined {
    const { def, args, values, frozen, batchStats, expect } = draft.layer;
    const result = def.infer(inputs, args);
    if ('error' in result)
      return this.fail(CODES.shapeMismatch, `module '${draft.path}': ${result.error}`, draft.span);
    if (expect && formatShape(['N', ...expect.dims]) !== formatShape(result.shape)) {
      const message = `module '${draft.path}' (${expect.source}) reshapes to ${formatShape(['N', ...expect.dims])}, but for this input shape its values are ${formatShape(result.shape)}`;
      return this.fail(CODES.shapeMismatch, message, draft.span);
    }
    const params = def.params(inputs, args);
    for (const p of params) {
      const value = values[p.name];
      if (!value) continue;
      if (value.length !== p.shape.reduce((n, d) => n * d, 1)) {
        const message = `module '${draft.path}': pretrained '${p.name}' has ${value.length} values, but [${p.shape.join(', ')}] is needed`;
        return this.fail(CODES.shapeMismatch, message, draft.span);
      }
      initial.set(`${draft.path}.${p.name}`, value);
    }
    return {
      path: draft.path,
      def,
      args,
      inputs: draft.inputs,
      inputShapes: inputs,
      outputShape: result.shape,
      params,
      span: draft.span,
      file: this.file,
      frozen,
      // Only layers with running statistics (batch norm) have batch statistics to keep.
      batchStats: frozen && batchStats === true && params.some((p) => p.kind === 'buffer'),
    };
  }

  private fail(code: string, message: string, span: Span): undefined {
    this.diags.push(diagnostic(code, message, this.file, span));
    return undefined;
  }
}

/**
 * The message for a model file that cannot be read, most often one not exported yet: it says
 * how to export one, because the example specs name a model that is not committed beside them.
 */
function unreadable(path: string, why: Unreadable | undefined): string {
  // A file that is there but is no regular file, or too large: what is wrong with it.
  if (why && why.problem !== 'no such file')
    return `cannot read the ONNX file ${path}: ${why.problem}`;
  const exportCall = `torch.onnx.export(torchvision.models.resnet18(weights="DEFAULT"), torch.randn(1, 3, 224, 224), ${JSON.stringify(path)})`;
  return `cannot read the ONNX file ${path}; export a PyTorch model to it, e.g. torchvision's pretrained ResNet18 with ${exportCall}`;
}

type Imported = { graph: ImportedGraph } | { code: string; problem: string };

/** Reads the files beside the model at `path` that its initializers name. */
function externalData(path: string, readBinary: ReadBinary): ExternalData {
  return (location) => {
    const file = join(dirname(path), location);
    const bytes = readBinary(file);
    if (bytes instanceof Uint8Array) return bytes;
    throw new OnnxReadError(
      `its weights are in ${file}, which cannot be read: ${bytes?.problem ?? 'no such file'}`,
    );
  };
}

/**
 * Imports are remembered by the bytes read, with the external data files they read: a caller
 * that hands back the same buffers while the files are unchanged (the language server, on every
 * keystroke) has the model parsed once. Surgery never changes an imported graph; it works on
 * drafts made from it.
 */
const importsByBytes = new WeakMap<
  Uint8Array,
  { imported: Imported; external: Map<string, Uint8Array> }
>();

function importOnnx(bytes: Uint8Array, external: ExternalData): Imported {
  const cached = importsByBytes.get(bytes);
  const unchanged = (location: string, read: Uint8Array) => {
    try {
      return external(location) === read;
    } catch {
      return false;
    }
  };
  if (cached && [...cached.external].every(([location, read]) => unchanged(location, read)))
    return cached.imported;
  const read = new Map<string, Uint8Array>();
  const imported = importUncached(bytes, (location) => {
    read.set(location, external(location));
    return read.get(location)!;
  });
  importsByBytes.set(bytes, { imported, external: read });
  return imported;
}

function importUncached(bytes: Uint8Array, external: ExternalData): Imported {
  try {
    const onnxModel = readOnnx(bytes, external);
    const problem = versionProblem(onnxModel);
    if (problem) return { code: CODES.notSupported, problem };
    const graph = importGraph(onnxModel);
    if (graph.unsupported.length === 0) return { graph };
    const list = graph.unsupported.join('; ');
    return { code: CODES.notSupported, problem: `netspec cannot import ${list}` };
  } catch (e) {
    if (e instanceof OnnxReadError) return { code: CODES.importProblem, problem: e.message };
    throw e;
  }
}

/** The module paths of the ONNX model at `path` as imported (before any surgery), with their layers. */
export function onnxModules(
  path: string,
  readBinary: ReadBinary,
): { path: string; layer: string }[] | undefined {
  const bytes = readBinary(path);
  if (!(bytes instanceof Uint8Array)) return undefined;
  const imported = importOnnx(bytes, externalData(path, readBinary));
  if (!('graph' in imported)) return undefined;
  return imported.graph.nodes.map((n) => ({
    path: n.path,
    layer: n.layer,
  }));
}

export function checkOnnxNetwork(
  decl: OnnxNetworkDecl,
  file: string,
  diags: Diagnostic[],
  readBinary: ReadBinary | undefined,
  resolvePath: (p: string) => string,
): Model | undefined {
  return new OnnxNetworkChecker(decl, file, diags).run(readBinary, resolvePath);
}
