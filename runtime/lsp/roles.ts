// What each name in a file is: a layer or another registry entry (with its arguments), a
// declared network, dataset, block or transform (where it is declared and where it is used), a
// setting, a network's parameter or value, a module of an imported network, a stop quantity.
// Hover, go to definition, references, rename and semantic tokens all read these roles.
import type { ArgSpec, Callee, Span, Word } from '../../compiler/index.js';
import {
  CALLEES,
  calleeNamed,
  DATASET_SETTING_WORDS,
  FREEZE_OPTIONS,
  groupCallee,
  REPLACE_OPTIONS,
  STOP_QUANTITY_WORDS,
  TRAIN_SETTING_WORDS,
  trainSettingValue,
} from '../../compiler/index.js';
import type {
  Argument,
  Assignment,
  Declaration,
  Expr,
  Identifier,
  NetworkStatement,
  Parameter,
  TrainDecl,
} from '../../grammar/index.js';
import { forEachNode } from '../../grammar/index.js';

/** A declaration's name, where it is written. */
export interface DeclRef {
  name: string;
  kind: Declaration['kind'];
  file: string;
  span: Span;
  /** A network's or block's parameters, where each is declared. */
  params: readonly Identifier[];
}

export type Role =
  | { kind: 'callee'; span: Span; callee: Callee }
  | { kind: 'declaration' | 'reference'; span: Span; target: DeclRef }
  | { kind: 'argument'; span: Span; callee: Callee; arg: ArgSpec }
  /** A setting of a train block or a dataset, or a sweep's key (its doc is looked up on hover). */
  | { kind: 'setting'; span: Span; word: Word; block: 'train' | 'dataset' | 'sweep' }
  /**
   * A parameter or value of a network or block: `def` is where it is introduced when that is in
   * the same declaration (a parameter named in a call of another network has none: it is looked
   * up in scope when needed, so roles never hold positions of other declarations).
   */
  | {
      kind: 'local';
      span: Span;
      name: string;
      what: 'parameter' | 'value';
      owner: DeclRef;
      def?: Span;
    }
  | { kind: 'module'; span: Span; path: string; network: string }
  | { kind: 'quantity'; span: Span; word: Word };

/** Declared names the file can refer to (its own and its imports'), by name. */
export type Scope = ReadonlyMap<string, DeclRef>;

export function declRef(decl: Declaration, file: string): DeclRef {
  const params =
    decl.kind === 'Network' || decl.kind === 'Block' ? decl.params.map((p) => p.name) : [];
  return { name: decl.name.name, kind: decl.kind, file, span: decl.name.span, params };
}

/** The roles of every name in one declaration of `file`, in no particular order. */
export function rolesOf(decl: Declaration, file: string, scope: Scope): Role[] {
  const roles: Role[] = [];
  new RoleWalker(roles, scope, file).declaration(decl);
  return roles;
}

/** The innermost role whose span holds `offset` (the cursor may sit just after a name). */
export function roleAt(roles: readonly Role[], offset: number): Role | undefined {
  const hits = roles.filter((r) => r.span.start.offset <= offset && offset <= r.span.end.offset);
  const size = (r: Role) => r.span.end.offset - r.span.start.offset;
  return hits.sort((a, b) => size(a) - size(b))[0];
}

class RoleWalker {
  constructor(
    private roles: Role[],
    private scope: Scope,
    private file: string,
  ) {}

  declaration(decl: Declaration): void {
    const self = declRef(decl, this.file);
    this.roles.push({ kind: 'declaration', span: decl.name.span, target: self });
    switch (decl.kind) {
      case 'Network':
      case 'Block':
        return this.network(decl.params, decl.body, self);
      case 'Dataset':
        for (const setting of decl.body) this.datasetSetting(setting);
        return;
      case 'Train':
        return this.train(decl);
      case 'Transform':
        for (const step of decl.steps) this.callOf(step, CALLEES.transforms);
        return;
      case 'OnnxNetwork':
        return this.onnxNetwork(decl);
      case 'Sweep':
        return this.sweep(decl);
    }
  }

  /** `sweep S over Recipe { optimizer.lr = [0.01, 0.1]  optimizer = [SGD(…), Adam(…)] }`. */
  private sweep(decl: Extract<Declaration, { kind: 'Sweep' }>): void {
    const train = this.scope.get(decl.over.name);
    if (train?.kind === 'Train')
      this.roles.push({ kind: 'reference', span: decl.over.span, target: train });
    for (const entry of decl.body) {
      const { key, value } = entry;
      this.roles.push({
        kind: 'setting',
        span: key.span,
        word: { name: key.name, doc: '' },
        block: 'sweep',
      });
      const whole = key.name.includes('.') ? undefined : trainSettingValue(key.name)?.callees;
      const items = value.kind === 'List' ? value.items : [value];
      for (const item of items) this.callOf(item, [...(whole ?? []), ...CALLEES.ranges]);
    }
  }

  // ---- networks and blocks -------------------------------------------------------------------

  private network(params: readonly Parameter[], body: NetworkStatement[], owner: DeclRef): void {
    const locals: Locals = new Map();
    const local = (id: Identifier, what: 'parameter' | 'value') => {
      const known = locals.get(id.name);
      if (known === undefined) locals.set(id.name, { what, def: id.span });
      const def = known?.def ?? id.span;
      this.roles.push({
        kind: 'local',
        span: id.span,
        name: id.name,
        what: known?.what ?? what,
        owner,
        def,
      });
    };
    const expr = (e: Expr) => this.networkExpr(e, locals, owner, statements);
    const statements = (list: NetworkStatement[]): void => {
      for (const s of list) {
        if (s.kind === 'Input') {
          local(s.name, 'value');
          if (s.shape) expr(s.shape);
        } else if (s.kind === 'Assignment') {
          expr(s.value);
          local(s.target, 'value');
        } else expr(s.kind === 'Output' ? s.value : s.expr);
      }
    };
    for (const p of params) {
      local(p.name, 'parameter');
      if (p.default) expr(p.default);
    }
    statements(body);
  }

  /** Names inside a network expression: layers, blocks and concat called, values and parameters. */
  private networkExpr(
    e: Expr,
    locals: Locals,
    owner: DeclRef,
    statements: (list: NetworkStatement[]) => void,
  ): void {
    const expr = (inner: Expr) => this.networkExpr(inner, locals, owner, statements);
    switch (e.kind) {
      case 'Chain':
        return e.stages.forEach(expr);
      case 'Call':
        this.networkCallee(e.callee, e.args);
        return e.args.forEach((a) => expr(a.value));
      case 'Name': {
        const local = locals.get(e.name);
        if (local) this.roles.push({ kind: 'local', span: e.span, name: e.name, ...local, owner });
        else this.networkCallee({ kind: 'Identifier', name: e.name, span: nameSpan(e) }, []);
        return;
      }
      case 'Binary':
        expr(e.left);
        return expr(e.right);
      case 'Unary':
        return expr(e.operand);
      case 'List':
        return e.items.forEach(expr);
      case 'If':
        expr(e.condition);
        statements(e.then);
        return statements(e.otherwise);
      default:
        return;
    }
  }

  /** A layer, `concat` or block applied in a network, with its arguments' names. */
  private networkCallee(callee: Identifier, args: Argument[]): void {
    const block = this.scope.get(callee.name);
    if (block?.kind === 'Block') {
      this.roles.push({ kind: 'reference', span: callee.span, target: block });
      return this.declaredArguments(args, block);
    }
    const entry =
      CALLEES.layers.find((c) => c.name === callee.name) ??
      CALLEES.concat.find((c) => c.name === callee.name);
    if (entry === undefined) return;
    this.roles.push({ kind: 'callee', span: callee.span, callee: entry });
    this.arguments(args, entry);
  }

  // ---- datasets, recipes, transforms ---------------------------------------------------------

  private datasetSetting(setting: Assignment): void {
    const word = DATASET_SETTING_WORDS.find((w) => w.name === setting.target.name);
    if (word)
      this.roles.push({ kind: 'setting', span: setting.target.span, word, block: 'dataset' });
    const sources =
      setting.target.name === 'validation'
        ? [...CALLEES.sources, ...CALLEES.split]
        : CALLEES.sources;
    this.callOf(setting.value, sources);
  }

  private train(decl: TrainDecl): void {
    const optimizer = decl.body.find(
      (s): s is Assignment => s.kind === 'Assignment' && s.target.name === 'optimizer',
    );
    const optimizerName = optimizer && calleeName(optimizer.value);
    const optimizerArgs = CALLEES.optimizers.find((o) => o.name === optimizerName)?.args;
    const model = decl.body.find(
      (s): s is Assignment => s.kind === 'Assignment' && s.target.name === 'model',
    );
    const network = model ? (calleeName(model.value) ?? '') : '';
    for (const s of decl.body) {
      if (s.kind === 'Assignment') this.trainSetting(s, optimizerArgs);
      else if (s.kind === 'Stop') this.quantities(s.condition);
      else if (s.kind === 'CallStatement') {
        const [earlyStop] = CALLEES.earlyStop;
        if (s.call.callee.name !== earlyStop.name) continue;
        this.callOf(s.call, CALLEES.earlyStop);
        const monitor = s.call.args.find((a) => a.name?.name === 'monitor');
        if (monitor) this.quantities(monitor.value);
      } else if (s.kind === 'UnfreezeAfter') {
        for (const p of s.patterns)
          this.roles.push({ kind: 'module', span: p.span, path: p.text, network });
      }
    }
  }

  private trainSetting(setting: Assignment, optimizerArgs: readonly ArgSpec[] | undefined): void {
    const name = setting.target.name;
    const word = TRAIN_SETTING_WORDS.find((w) => w.name === name);
    if (word) this.roles.push({ kind: 'setting', span: setting.target.span, word, block: 'train' });
    const value = trainSettingValue(name, optimizerArgs);
    if (value === undefined) return;
    const options = value.options;
    if (options) {
      const owner = { name, doc: word?.doc ?? '', args: options, what: 'setting' };
      this.arguments(setting.options, owner);
    }
    if (value.declared) this.reference(setting.value, value.declared === 'network');
    if (value.callees) {
      const items = setting.value.kind === 'List' ? setting.value.items : [setting.value];
      for (const item of items) this.callOf(item, value.callees);
    }
    if (value.words) this.quantities(setting.value, value.words);
    const transform = setting.options.find((o) => o.name?.name === 'transform');
    if (transform) this.reference(transform.value, false);
  }

  /** `model = Net(…)`, `data = Fashion`, `transform: Augment`: a declared name and its arguments. */
  private reference(expr: Expr, withArguments: boolean): void {
    const id = expr.kind === 'Call' ? expr.callee : expr.kind === 'Name' ? expr : undefined;
    const target = id && this.scope.get(id.name);
    if (!id || !target) return;
    this.roles.push({ kind: 'reference', span: nameSpan(id), target });
    if (withArguments && expr.kind === 'Call') this.declaredArguments(expr.args, target);
  }

  /** Arguments of a declared network or block: its parameters, declared where it is. */
  private declaredArguments(args: Argument[], target: DeclRef): void {
    for (const a of args) {
      const param = a.name && target.params.find((p) => p.name === a.name!.name);
      if (!a.name || !param) continue;
      const { name, span } = a.name;
      this.roles.push({
        kind: 'local',
        span,
        name,
        what: 'parameter',
        owner: target,
      });
    }
  }

  private quantities(expr: Expr, words: readonly Word[] = STOP_QUANTITY_WORDS): void {
    forEachNode(expr, (node) => {
      if (node.kind !== 'Name') return;
      const n = node as Extract<Expr, { kind: 'Name' }>;
      const word = words.find((w) => w.name === n.name);
      if (word) this.roles.push({ kind: 'quantity', span: n.span, word });
    });
  }

  private onnxNetwork(decl: Extract<Declaration, { kind: 'OnnxNetwork' }>): void {
    this.callOf(decl.source, CALLEES.onnx);
    const network = decl.name.name;
    const options = (list: readonly ArgSpec[], what: string) => ({
      name: what,
      doc: '',
      args: list,
      what: 'option',
    });
    for (const s of decl.body) {
      const patterns = 'patterns' in s ? s.patterns : s.kind === 'Insert' ? [s.after] : [s.target];
      for (const p of patterns)
        this.roles.push({ kind: 'module', span: p.span, path: p.text, network });
      if (s.kind === 'Freeze') this.arguments(s.options, options(FREEZE_OPTIONS, 'freeze'));
      if (s.kind === 'Replace') {
        this.callOf(s.replacement, CALLEES.layers);
        this.arguments(s.options, options(REPLACE_OPTIONS, 'replace'));
      }
      if (s.kind === 'Insert') this.callOf(s.layer, CALLEES.layers);
    }
  }

  // ---- calls ---------------------------------------------------------------------------------

  /** A call or bare name of one of `callees` (or any registry's, as a fallback), with arguments. */
  private callOf(expr: Expr, callees: readonly Callee[]): void {
    if (expr.kind !== 'Call' && expr.kind !== 'Name') return;
    const name = expr.kind === 'Call' ? expr.callee.name : expr.name;
    const callee =
      callees.find((c) => c.name === name) ??
      (name === 'group' ? groupCallee() : undefined) ??
      calleeNamed(name);
    if (callee === undefined) return;
    const span = expr.kind === 'Call' ? expr.callee.span : nameSpan(expr);
    this.roles.push({ kind: 'callee', span, callee });
    if (expr.kind === 'Call') this.arguments(expr.args, callee);
  }

  private arguments(args: readonly Argument[], callee: Callee): void {
    for (const a of args) {
      const arg = a.name && callee.args.find((s) => s.name === a.name!.name);
      if (a.name && arg) this.roles.push({ kind: 'argument', span: a.name.span, callee, arg });
    }
  }
}

type Locals = Map<string, { what: 'parameter' | 'value'; def: Span }>;

function calleeName(expr: Expr): string | undefined {
  return expr.kind === 'Call' ? expr.callee.name : expr.kind === 'Name' ? expr.name : undefined;
}

/** A name's own span: without the PyTorch prefix or the `as` alias written with it. */
function nameSpan(n: { span: Span; name: string; torchPrefix?: Span }): Span {
  const start = n.torchPrefix?.end ?? n.span.start;
  const end = {
    ...start,
    offset: start.offset + n.name.length,
    column: start.column + n.name.length,
  };
  return { start, end };
}
