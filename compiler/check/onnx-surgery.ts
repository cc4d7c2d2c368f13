// Surgery on an imported ONNX network (`freeze`, `unfreeze`, `replace … with …`, `remove`,
// `insert … after …`): edits to the imported layers, as drafts whose shapes are inferred after
// every statement has been applied. A mistake leaves the drafts as they were.
import type {
  Argument,
  Diagnostic,
  Expr,
  PathPattern,
  Span,
  SurgeryStatement,
} from '../../grammar/index.js';
import { diagnostic } from '../../grammar/index.js';
import { CODES } from '../codes.js';
import { LAYERS } from '../layers/registry.js';
import type { ArgSpec, BoundArgs } from '../vocabulary/args.js';
import { boolArg } from '../vocabulary/args.js';
import type { LayerDef } from '../vocabulary/defs.js';
import { bool } from '../vocabulary/values.js';
import { bindArgs } from './args.js';
import { closest, didYouMean } from './names.js';
import { evaluate, EvalError } from './values.js';

/** A layer being edited by surgery; shapes come after. */
export interface Draft {
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

/** The layers being edited, in order, and which one's value is the network's output. */
export interface Drafts {
  drafts: Draft[];
  output: string;
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

export class Surgery {
  constructor(
    private model: Drafts,
    private file: string,
    private diags: Diagnostic[],
  ) {}

  apply(statement: SurgeryStatement): void {
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
    const matched = this.model.drafts.filter(
      (d) => regex.test(d.path) || d.layer?.def.name === text,
    );
    if (matched.length === 0) {
      const hint = didYouMean(
        text,
        this.model.drafts.map((d) => d.path),
      );
      this.fail(CODES.unknownName, `no module matches '${text}'${hint}`, pattern.span);
    }
    return matched;
  }

  private find(pattern: PathPattern): Draft | undefined {
    const draft = this.model.drafts.find((d) => d.path === pattern.text);
    if (!draft) {
      const suggestion = closest(
        pattern.text,
        this.model.drafts.map((d) => d.path),
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
    this.model.drafts = this.model.drafts.filter((d) => d !== draft);
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
    this.model.drafts.splice(this.model.drafts.indexOf(anchor) + 1, 0, draft);
  }

  private rewire(from: string, to: string): void {
    for (const d of this.model.drafts) d.inputs = d.inputs.map((i) => (i === from ? to : i));
    if (this.model.output === from) this.model.output = to;
  }

  private freshPath(kind: string): string {
    for (let k = 1; ; k++) {
      const path = `${kind.toLowerCase()}${k}`;
      if (!this.model.drafts.some((d) => d.path === path)) return path;
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

  private fail(code: string, message: string, span: Span): undefined {
    this.diags.push(diagnostic(code, message, this.file, span));
    return undefined;
  }
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
