// Checks `network Name = onnx("model.onnx", input: [1, 28, 28]) { surgery }`: reads the file,
// imports its nodes as registry layers, applies the surgery statements in order (freeze,
// unfreeze, replace, remove, insert), then infers every shape for the declared input.
import type {
  Argument,
  Diagnostic,
  Expr,
  OnnxNetworkDecl,
  PathPattern,
  Span,
  SurgeryStatement,
} from '../../grammar/index.js';
import { diagnostic } from '../../grammar/index.js';
import { CODES } from '../codes.js';
import type { ImportedGraph } from '../import/from-onnx.js';
import { importGraph, versionProblem } from '../import/from-onnx.js';
import type { Shape } from '../ir/graph.js';
import { formatShape } from '../ir/graph.js';
import { LAYERS } from '../layers/registry.js';
import { OnnxReadError, readOnnx } from '../onnx/read.js';
import { bindArgs } from './args.js';
import { closest, didYouMean } from './names.js';
import { evaluate, EvalError } from './values.js';
import type { LayerDef } from '../vocabulary/defs.js';
import type { ArgSpec, BoundArgs } from '../vocabulary/args.js';
import { bindValues, boolArg, stringArg } from '../vocabulary/args.js';
import { bool } from '../vocabulary/values.js';
import type { Model, ModelNode } from '../vocabulary/model.js';

/** Reads a binary file for the checker; undefined when it cannot be read. */
export type ReadBinary = (path: string) => Uint8Array | undefined;

export const SOURCE_ARGS: ArgSpec[] = [
  { name: 'path', type: 'string', doc: 'the ONNX file, relative to the spec' },
  { name: 'shape', type: 'shape', doc: 'the input shape [C, H, W] after surgery' },
];

/** A layer being edited by surgery; shapes come after. */
interface Draft {
  path: string;
  inputs: string[];
  span: Span;
  layer: {
    def: LayerDef;
    args: BoundArgs;
    values: Record<string, Float32Array>;
    frozen: boolean;
    /** Frozen, but normalizing with batch statistics (`freeze …`, unless `batch_stats: false`). */
    batchStats?: boolean;
    /** The output shape (batch excluded) its ONNX node asked for, and that node. */
    expect?: { dims: number[]; source: string };
  };
}

/** The option of `replace … with …, init: "sum_channels"`. */
export const REPLACE_OPTIONS: ArgSpec[] = [
  {
    name: 'init',
    type: 'any',
    default: { t: 'name', name: 'None' },
    doc: '"sum_channels": a Conv2d replacing a Conv2d starts from the pretrained kernel summed over its input channels',
  },
];

/**
 * PyTorch's semantics by default: `requires_grad = False` leaves a batch norm in train mode
 * (batch statistics, running statistics updated); `batch_stats: false` asks for eval mode.
 */
export const FREEZE_OPTIONS: ArgSpec[] = [
  {
    name: 'batch_stats',
    type: 'bool',
    default: bool(true),
    doc: 'frozen batch norms normalize with batch statistics and update their running ones while training, as PyTorch does for requires_grad = False in train(); false: running statistics, unchanged (eval mode)',
  },
];

class OnnxNetworkChecker {
  private drafts: Draft[] = [];
  private inputName = '';
  private output = '';

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
    for (const statement of this.decl.body) this.surgery(statement);
    const input = args.values.get('shape');
    const dims = input?.t === 'list' ? input.items.map((i) => (i.t === 'num' ? i.v : 0)) : [];
    const model = this.infer(['N', ...dims]);
    return this.diags.length > before ? undefined : model;
  }

  private load(path: string, readBinary: ReadBinary | undefined): ImportedGraph | undefined {
    const span = this.decl.source.span;
    const bytes = readBinary?.(path);
    if (!bytes) return this.fail(CODES.importProblem, unreadable(path), span);
    const imported = importOnnx(bytes);
    if ('graph' in imported) return imported.graph;
    return this.fail(imported.code, `${path}: ${imported.problem}`, span);
  }

  private adopt(graph: ImportedGraph): void {
    this.inputName = graph.input.name;
    this.output = graph.output;
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
      this.drafts.push({
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

  // ---- surgery -------------------------------------------------------------------------------

  private surgery(statement: SurgeryStatement): void {
    switch (statement.kind) {
      case 'Freeze':
      case 'Unfreeze': {
        const batchStats = this.freezeOptions(statement.kind, statement.options, statement.span);
        if (batchStats === undefined) return;
        for (const pattern of statement.patterns)
          this.setFrozen(pattern, statement.kind === 'Freeze', batchStats);
        return;
      }
      case 'Replace':
        return this.replace(
          statement.target,
          statement.replacement,
          statement.options,
          statement.span,
        );
      case 'Remove':
        return this.remove(statement.target);
      case 'Insert':
        return this.insert(statement.layer, statement.after, statement.span);
    }
  }

  /** `batch_stats` of a freeze statement (true when absent); undefined after a mistake. */
  private freezeOptions(kind: 'Freeze' | 'Unfreeze', options: Argument[], span: Span) {
    if (kind === 'Unfreeze') {
      for (const o of options)
        this.fail(CODES.unknownArgument, 'unfreeze takes no options', o.span);
      return options.length > 0 ? undefined : false;
    }
    const ctx = { what: 'freeze', file: this.file, span, constants: new Map() };
    const bound = bindArgs(options, FREEZE_OPTIONS, ctx, this.diags);
    return bound && boolArg(bound, 'batch_stats');
  }

  private setFrozen(pattern: PathPattern, frozen: boolean, batchStats: boolean): void {
    const matched = this.matching(pattern);
    for (const draft of matched) {
      if (!draft.layer) continue;
      draft.layer.frozen = frozen;
      draft.layer.batchStats = frozen && batchStats;
    }
  }

  /** Layers whose path matches a glob (`*` spans dots), or whose kind is the pattern. */
  private matching(pattern: PathPattern): Draft[] {
    const text = pattern.text;
    const regex = new RegExp(`^${text.split('*').map(escapeRegex).join('.*')}$`);
    const matched = this.drafts.filter((d) => regex.test(d.path) || d.layer?.def.name === text);
    if (matched.length === 0) {
      const hint = didYouMean(
        text,
        this.drafts.map((d) => d.path),
      );
      this.fail(CODES.unknownName, `no module matches '${text}'${hint}`, pattern.span);
    }
    return matched;
  }

  private find(pattern: PathPattern): Draft | undefined {
    const draft = this.drafts.find((d) => d.path === pattern.text);
    if (!draft) {
      const suggestion = closest(
        pattern.text,
        this.drafts.map((d) => d.path),
      );
      const hint = suggestion ? `; did you mean '${suggestion}'?` : '';
      return this.fail(CODES.unknownName, `no module named '${pattern.text}'${hint}`, pattern.span);
    }
    return draft;
  }

  private replace(target: PathPattern, replacement: Expr, options: Argument[], span: Span): void {
    const draft = this.find(target);
    const layer = this.layerOf(replacement);
    if (!draft || !layer) return;
    const init = options.find((o) => o.name?.name === 'init');
    const values: Record<string, Float32Array> = {};
    if (init) {
      const mode = evaluateQuiet(init.value);
      if (
        mode !== 'sum_channels' ||
        draft.layer?.def.name !== 'Conv2d' ||
        layer.def.name !== 'Conv2d'
      ) {
        const message = 'init: "sum_channels" is the one option, for a Conv2d replacing a Conv2d';
        this.fail(CODES.argumentType, message, init.value.span);
        return;
      }
      const summed = sumChannels(draft.layer.values.weight, layer.def, layer.args);
      if (summed) values.weight = summed;
    }
    for (const o of options.filter((o) => o !== init)) {
      this.fail(
        CODES.unknownArgument,
        `replace has no option '${o.name?.name ?? '?'}' (known: ${REPLACE_OPTIONS.map((r) => r.name).join(', ')})`,
        o.span,
      );
    }
    draft.layer = { def: layer.def, args: layer.args, values, frozen: false };
    draft.span = span;
  }

  private remove(target: PathPattern): void {
    const draft = this.find(target);
    if (!draft) return;
    const replacement = draft.inputs[0];
    this.drafts = this.drafts.filter((d) => d !== draft);
    this.rewire(draft.path, replacement);
  }

  private insert(layerExpr: Expr, after: PathPattern, span: Span): void {
    const anchor = this.find(after);
    const layer = this.layerOf(layerExpr);
    if (!anchor || !layer) return;
    const path = this.freshPath(layer.def.name);
    this.rewire(anchor.path, path);
    const draft: Draft = {
      path,
      inputs: [anchor.path],
      span,
      layer: { ...layer, values: {}, frozen: false },
    };
    this.drafts.splice(this.drafts.indexOf(anchor) + 1, 0, draft);
  }

  private rewire(from: string, to: string): void {
    for (const d of this.drafts) d.inputs = d.inputs.map((i) => (i === from ? to : i));
    if (this.output === from) this.output = to;
  }

  private freshPath(kind: string): string {
    for (let k = 1; ; k++) {
      const path = `${kind.toLowerCase()}${k}`;
      if (!this.drafts.some((d) => d.path === path)) return path;
    }
  }

  private layerOf(expr: Expr): { def: LayerDef; args: BoundArgs } | undefined {
    const callee = expr.kind === 'Call' ? expr.callee : expr.kind === 'Name' ? expr : undefined;
    const def = callee && LAYERS.get(callee.name);
    if (!callee || !def) {
      const hint = callee ? didYouMean(callee.name, LAYERS.keys()) : '';
      return this.fail(
        CODES.unknownName,
        `expected a layer such as Linear(512, 10)${hint}`,
        (callee ?? expr).span,
      );
    }
    const ctx = { what: def.name, file: this.file, span: expr.span, constants: new Map() };
    const args = bindArgs(expr.kind === 'Call' ? expr.args : [], def.args, ctx, this.diags);
    return args && { def, args };
  }

  // ---- shapes --------------------------------------------------------------------------------

  private infer(inputShape: Shape): Model | undefined {
    const shapes = new Map<string, Shape>([[this.inputName, inputShape]]);
    const nodes: ModelNode[] = [];
    const initial = new Map<string, Float32Array>();
    for (const draft of this.drafts) {
      const inputs = draft.inputs.map((i) => shapes.get(i));
      if (inputs.some((s) => !s)) return undefined; // an earlier node failed; already reported
      const node = this.inferNode(draft, inputs as Shape[], initial);
      if (!node) return undefined;
      nodes.push(node);
      shapes.set(draft.path, node.outputShape);
    }
    const outputShape = shapes.get(this.output);
    if (!outputShape) return undefined;
    const name = this.decl.name.name;
    return {
      name,
      input: { name: this.inputName, shape: inputShape },
      layers: nodes,
      output: this.output,
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
function unreadable(path: string): string {
  const exportCall = `torch.onnx.export(torchvision.models.resnet18(weights="DEFAULT"), torch.randn(1, 3, 224, 224), ${JSON.stringify(path)})`;
  return `cannot read the ONNX file ${path}; export a PyTorch model to it, e.g. torchvision's pretrained ResNet18 with ${exportCall}`;
}

function escapeRegex(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

function evaluateQuiet(expr: Expr): string | undefined {
  try {
    const v = evaluate(expr, new Map());
    return v.t === 'str' ? v.v : v.t === 'name' ? v.name : undefined;
  } catch (e) {
    if (e instanceof EvalError) return undefined;
    throw e;
  }
}

/** A 1-channel kernel from a pretrained C-channel one: the sum over input channels. */
function sumChannels(
  weight: Float32Array | undefined,
  def: LayerDef,
  args: BoundArgs,
): Float32Array | undefined {
  if (!weight) return undefined;
  const out = args.values.get('out_channels');
  const outChannels = out?.t === 'num' ? out.v : 0;
  const perOut = weight.length / outChannels;
  const kernel = def.name === 'Conv2d' ? kernelSize(args) : perOut;
  const channels = perOut / kernel;
  const summed = new Float32Array(outChannels * kernel);
  for (let o = 0; o < outChannels; o++) {
    for (let c = 0; c < channels; c++) {
      for (let k = 0; k < kernel; k++)
        summed[o * kernel + k] += weight[(o * channels + c) * kernel + k];
    }
  }
  return summed;
}

function kernelSize(args: BoundArgs): number {
  const k = args.values.get('kernel_size');
  if (k?.t === 'num') return k.v * k.v;
  if (k?.t === 'list') return k.items.reduce((n, i) => n * (i.t === 'num' ? i.v : 1), 1);
  return 1;
}

type Imported = { graph: ImportedGraph } | { code: string; problem: string };

/**
 * Imports are remembered by the bytes read: a caller that hands back the same buffer while the
 * file is unchanged (the language server, on every keystroke) has the model parsed once.
 * Surgery never changes an imported graph; it works on drafts made from it.
 */
const importsByBytes = new WeakMap<Uint8Array, Imported>();

function importOnnx(bytes: Uint8Array): Imported {
  let imported = importsByBytes.get(bytes);
  if (imported === undefined) {
    imported = importUncached(bytes);
    importsByBytes.set(bytes, imported);
  }
  return imported;
}

function importUncached(bytes: Uint8Array): Imported {
  try {
    const onnxModel = readOnnx(bytes);
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

/** The module paths of an ONNX model as imported (before any surgery), with their layers. */
export function onnxModules(bytes: Uint8Array): { path: string; layer: string }[] | undefined {
  const imported = importOnnx(bytes);
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
