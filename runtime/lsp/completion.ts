// Completion by context (context.ts): after `optimizer =` the optimizers, after `->` the layers
// and blocks, inside `SGD(lr: 0.05, ` SGD's remaining arguments, after `name:` that argument's
// values, at a statement's start the settings not yet set, after `replace`/`freeze` the modules
// of the imported network. Everything comes from the checker's own tables (compiler/editor.ts).
import { dirname, isAbsolute, join } from 'node:path';
import { CompletionItemKind, InsertTextFormat, type CompletionItem } from 'vscode-languageserver';
import type { ArgSpec, Callee, Word } from '../../compiler/index.js';
import {
  CALLEES,
  DATASET_SETTING_WORDS,
  datasetSettingValue,
  FREEZE_OPTIONS,
  onnxModules,
  REPLACE_OPTIONS,
  STOP_QUANTITY_WORDS,
  SURGERY_STATEMENTS,
  TRAIN_SETTING_WORDS,
  TRAIN_STATEMENTS,
  trainSettingValue,
} from '../../compiler/index.js';
import type { Declaration } from '../../grammar/index.js';
import type { Analysis } from './analysis.js';
import { declarations, DECLARATION_WORDS } from './analysis.js';
import { calleeOf, optimizerArgs } from './calls.js';
import { contextAt, type BlockKind, type CursorContext } from './context.js';
import { argumentDetail } from './hover.js';
import { checkedModels, signature, showValue } from './layers.js';
import { keysOfSweep } from './sweeps.js';
import { rolesIn } from './symbols.js';

/** Reads binary files (ONNX models) for the module paths of an imported network. */
export type ReadBinary = (file: string) => Uint8Array | undefined;

const DECLARATION_KEYWORDS: Word[] = [
  { name: 'network', doc: 'network Name(params) { input x: [C, H, W]  x -> … }' },
  { name: 'block', doc: 'block Name(params) { input x  … output y }: a reusable sub-network' },
  { name: 'dataset', doc: 'dataset Name { train = idx(…)  test = … }' },
  { name: 'transform', doc: 'transform Name { RandomCrop(28, padding: 4) … }' },
  { name: 'train', doc: 'train Name { model = …  data = …  loss = …  optimizer = …  epochs = … }' },
  { name: 'sweep', doc: 'sweep Name over Recipe { optimizer.lr = [0.01, 0.03]  seed = [1, 2] }' },
  { name: 'import', doc: 'import "other.net": its declarations become usable here' },
];

export function complete(analysis: Analysis, offset: number, read: ReadBinary): CompletionItem[] {
  const ctx = contextAt(analysis.text, offset);
  switch (ctx.kind) {
    case 'top':
      return words(DECLARATION_KEYWORDS, CompletionItemKind.Keyword);
    case 'statement':
      return statementItems(analysis, ctx.block, ctx.declaration, offset);
    case 'stage':
      return [...calleeItems(CALLEES.layers), ...declaredItems(analysis, ['Block'])];
    case 'value':
      return valueItems(analysis, ctx.block, ctx.declaration, ctx.setting);
    case 'options':
      return optionItems(analysis, ctx);
    case 'arguments':
      return argumentItems(analysis, ctx);
    case 'quantity':
      return words(STOP_QUANTITY_WORDS, CompletionItemKind.EnumMember);
    case 'modules':
      return moduleItems(analysis, ctx, read);
    case 'none':
      return [];
  }
}

function statementItems(
  analysis: Analysis,
  block: BlockKind,
  declaration: string,
  offset: number,
): CompletionItem[] {
  switch (block) {
    case 'train': {
      const set = settingsWritten(analysis, declaration);
      const settings = TRAIN_SETTING_WORDS.filter((w) => !set.has(w.name));
      return [
        ...settingItems(settings, 'train setting'),
        ...words(TRAIN_STATEMENTS, CompletionItemKind.Keyword),
      ];
    }
    case 'dataset': {
      const set = settingsWritten(analysis, declaration);
      return settingItems(
        DATASET_SETTING_WORDS.filter((w) => !set.has(w.name)),
        'dataset setting',
      );
    }
    case 'transform':
      return calleeItems(CALLEES.transforms);
    case 'onnx':
      return words(SURGERY_STATEMENTS, CompletionItemKind.Keyword);
    case 'sweep':
      return sweepKeyItems(analysis, declaration);
    case 'network':
    case 'block':
      return [...localItems(analysis, declaration, offset), ...networkKeywords()];
  }
}

function networkKeywords(): CompletionItem[] {
  return words(
    [
      { name: 'input', doc: 'input x: [C, H, W]: the network’s input and its shape' },
      { name: 'output', doc: 'output y: the value the network or block computes' },
      { name: 'concat', doc: 'concat(a, b, dim: 1): values joined along a dimension' },
    ],
    CompletionItemKind.Keyword,
  );
}

/** Parameters and values declared in a network or block before the cursor. */
function localItems(analysis: Analysis, declaration: string, offset: number): CompletionItem[] {
  const seen = new Set<string>();
  const items: CompletionItem[] = [];
  for (const role of rolesIn(analysis)) {
    if (role.kind !== 'local' || role.owner.name !== declaration || seen.has(role.name)) continue;
    if (role.def === undefined || role.def.start.offset > offset) continue;
    seen.add(role.name);
    items.push({ label: role.name, kind: CompletionItemKind.Variable, detail: role.what });
  }
  return items;
}

/** In a sweep: the keys of the train block it is over (settings, options, call arguments). */
function sweepKeyItems(analysis: Analysis, sweep: string): CompletionItem[] {
  return keysOfSweep(analysis, sweep).map(({ key, doc }) => ({
    label: key,
    kind: CompletionItemKind.Field,
    insertText: `${key} = `,
    detail: 'sweep key',
    documentation: doc,
  }));
}

function valueItems(
  analysis: Analysis,
  block: BlockKind,
  declaration: string,
  setting: string,
): CompletionItem[] {
  // A sweep key's values: a list of the setting's values, or (a number) a range to draw from.
  if (block === 'sweep') {
    const whole = setting.includes('.') ? [] : valueItems(analysis, 'train', '', setting);
    return [...whole, ...calleeItems(CALLEES.ranges)];
  }
  const value =
    block === 'train'
      ? trainSettingValue(setting, optimizerArgs(analysis, declaration))
      : datasetSettingValue(setting);
  if (value === undefined) return [];
  const declared =
    value.declared === 'network'
      ? declaredItems(analysis, ['Network', 'OnnxNetwork'])
      : value.declared === 'dataset'
        ? declaredItems(analysis, ['Dataset'])
        : [];
  return [
    ...declared,
    ...calleeItems(value.callees ?? []),
    ...words(value.words ?? [], CompletionItemKind.EnumMember),
  ];
}

function optionItems(
  analysis: Analysis,
  ctx: Extract<CursorContext, { kind: 'options' }>,
): CompletionItem[] {
  const value =
    ctx.block === 'train' ? trainSettingValue(ctx.setting) : datasetSettingValue(ctx.setting);
  const options = value?.options ?? [];
  if (ctx.valueFor === undefined)
    return argItems(options.filter((o) => !ctx.given.includes(o.name)));
  // `data = D, transform: ` names a transform block.
  if (ctx.setting === 'data' && ctx.valueFor === 'transform')
    return declaredItems(analysis, ['Transform']);
  const option = options.find((o) => o.name === ctx.valueFor);
  return option ? argValueItems(option) : [];
}

function argumentItems(
  analysis: Analysis,
  ctx: Extract<CursorContext, { kind: 'arguments' }>,
): CompletionItem[] {
  const callee = calleeOf(analysis, ctx);
  if (callee === undefined) return [];
  if (ctx.valueFor !== undefined) {
    const arg = callee.args.find((a) => a.name === ctx.valueFor);
    if (arg === undefined) return [];
    const monitors = callee === CALLEES.earlyStop[0] && arg.name === 'monitor';
    return monitors
      ? words(STOP_QUANTITY_WORDS, CompletionItemKind.EnumMember)
      : argValueItems(arg);
  }
  // Arguments before the first named one are positional: they are given already.
  const positional = ctx.given.length === 0 ? ctx.index : 0;
  const remaining = callee.args.slice(positional).filter((a) => !ctx.given.includes(a.name));
  return argItems(remaining);
}

/** Values an argument's type admits that are words: true/false, auto. */
function argValueItems(arg: ArgSpec): CompletionItem[] {
  const values =
    arg.type === 'bool'
      ? ['true', 'false']
      : arg.type === 'size' || arg.default?.t === 'auto'
        ? ['auto']
        : [];
  return values.map((label) => ({ label, kind: CompletionItemKind.Value }));
}

function moduleItems(
  analysis: Analysis,
  ctx: Extract<CursorContext, { kind: 'modules' }>,
  read: ReadBinary,
): CompletionItem[] {
  const options =
    ctx.options === 'freeze' ? FREEZE_OPTIONS : ctx.options === 'replace' ? REPLACE_OPTIONS : [];
  const network = ctx.block === 'train' ? modelOf(analysis, ctx.declaration) : ctx.declaration;
  const paths = network === undefined ? [] : modulePaths(analysis, network, read);
  const globs = [...new Set(paths.flatMap(prefixes))].map((p) => ({
    path: `${p}.*`,
    layer: 'every module under it',
  }));
  const items = [...paths, ...globs, { path: '*', layer: 'every module' }].map((m) => ({
    label: m.path,
    kind: CompletionItemKind.Module,
    detail: m.layer,
  }));
  return [...items, ...argItems(options)];
}

/** `layer4.0.conv1` → `layer4`, `layer4.0`. */
function prefixes(m: { path: string }): string[] {
  const parts = m.path.split('.');
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('.'));
}

/** The network a train block trains (`model = …`). */
function modelOf(analysis: Analysis, train: string): string | undefined {
  const decl = analysis.parsed.ast.declarations.find((d) => d.name.name === train);
  if (decl?.kind !== 'Train') return undefined;
  const model = decl.body.find((s) => s.kind === 'Assignment' && s.target.name === 'model');
  const value = model?.kind === 'Assignment' ? model.value : undefined;
  return value?.kind === 'Call'
    ? value.callee.name
    : value?.kind === 'Name'
      ? value.name
      : undefined;
}

/** A network's module paths: from its checked model, else (an ONNX file) as imported. */
function modulePaths(
  analysis: Analysis,
  network: string,
  read: ReadBinary,
): { path: string; layer: string }[] {
  const model = checkedModels(analysis).find((m) => m.name === network);
  if (model) return model.layers.map((n) => ({ path: n.path, layer: n.def.name }));
  const found = declarations(analysis).find((d) => d.decl.name.name === network);
  if (found?.decl.kind !== 'OnnxNetwork') return [];
  const [pathArg] = found.decl.source.args;
  if (pathArg?.value.kind !== 'String') return [];
  const path = pathArg.value.value;
  return onnxModules(isAbsolute(path) ? path : join(dirname(found.file), path), read) ?? [];
}

/** Settings already written in a train block or dataset. */
function settingsWritten(analysis: Analysis, declaration: string): Set<string> {
  const decl = analysis.parsed.ast.declarations.find((d) => d.name.name === declaration);
  const body = decl?.kind === 'Train' || decl?.kind === 'Dataset' ? decl.body : [];
  return new Set(body.flatMap((s) => (s.kind === 'Assignment' ? [s.target.name] : [])));
}

function calleeItems(callees: readonly Callee[]): CompletionItem[] {
  return callees.map((c) => ({
    label: c.name,
    kind: c.what === 'layer' ? CompletionItemKind.Class : CompletionItemKind.Function,
    detail: signature(c),
    documentation: c.doc,
  }));
}

function argItems(args: readonly ArgSpec[]): CompletionItem[] {
  return args.map((arg) => ({
    label: arg.name,
    kind: CompletionItemKind.Property,
    insertText: `${arg.name}: $0`,
    insertTextFormat: InsertTextFormat.Snippet,
    detail: arg.default ? `default ${showValue(arg.default)}` : 'required',
    documentation: `${arg.doc} (${argumentDetail(arg)})`,
  }));
}

function settingItems(
  settings: readonly (Word & { required?: boolean })[],
  what: string,
): CompletionItem[] {
  return settings.map((s) => ({
    label: s.name,
    kind: CompletionItemKind.Field,
    insertText: `${s.name} = `,
    detail: s.required ? `${what}, required` : what,
    documentation: s.doc,
  }));
}

function words(list: readonly Word[], kind: CompletionItemKind): CompletionItem[] {
  return list.map((w) => ({ label: w.name, kind, documentation: w.doc }));
}

function declaredItems(analysis: Analysis, kinds: Declaration['kind'][]): CompletionItem[] {
  return declarations(analysis)
    .filter(({ decl }) => kinds.includes(decl.kind))
    .map(({ decl, file }) => ({
      label: decl.name.name,
      kind: decl.kind === 'Dataset' ? CompletionItemKind.Variable : CompletionItemKind.Class,
      detail:
        file === analysis.file
          ? DECLARATION_WORDS[decl.kind]
          : `${DECLARATION_WORDS[decl.kind]} (${file})`,
    }));
}
