// Completion by context, read from the text before the cursor (the document is being typed,
// so it rarely parses): after `->` layer names; inside a layer's parentheses, at an argument,
// its argument names; elsewhere declared names and train settings.
import { CompletionItemKind, InsertTextFormat, type CompletionItem } from 'vscode-languageserver';
import { LAYERS, sweepKeys, type ArgSpec } from '../../compiler/index.js';
import type { NetworkDecl, SweepDecl, TrainDecl } from '../../grammar/index.js';
import { DECLARATION_WORDS, type Analysis } from './analysis.js';
import { showValue, signature } from './layers.js';
import { contains } from './positions.js';

type Context = { kind: 'layer' } | { kind: 'arguments'; callee: string } | { kind: 'other' };

const TRAIN_SETTINGS: Record<string, string> = {
  model: 'the network to train, with arguments',
  data: 'the dataset, with `batch:`, `shuffle:`, `transform:`',
  loss: 'the loss, e.g. cross_entropy',
  optimizer: 'the optimizer, e.g. SGD(lr: 0.05, momentum: 0.9)',
  epochs: 'passes over the training data',
  seed: 'seed for initialization and shuffling',
  schedule: 'learning-rate schedule',
  init: 'parameter initialization',
  weight_decay: 'L2 penalty',
  clip: 'gradient clipping',
};

export function complete(analysis: Analysis, offset: number): CompletionItem[] {
  const context = contextAt(analysis.text, offset);
  if (context.kind === 'layer') return layerItems();
  if (context.kind === 'arguments') {
    const def = LAYERS.get(context.callee);
    if (def) return argumentItems(def.args);
  }
  const sweep = analysis.ast.declarations.find(
    (d): d is SweepDecl => d.kind === 'Sweep' && contains(d.span, offset),
  );
  if (sweep) return sweepKeyItems(analysis, sweep);
  // In a network or block body a statement may start a chain, so layers are offered too.
  const inNetwork = analysis.ast.declarations.some(
    (d) => (d.kind === 'Network' || d.kind === 'Block') && contains(d.span, offset),
  );
  return [...declaredItems(analysis), ...settingItems(), ...(inNetwork ? layerItems() : [])];
}

export function contextAt(text: string, offset: number): Context {
  let start = offset;
  while (start > 0 && /[A-Za-z0-9_]/.test(text[start - 1])) start--;
  const before = text.slice(Math.max(0, start - 2000), start).trimEnd();
  if (before.endsWith('->')) return { kind: 'layer' };
  const callee = openCallee(before);
  if (callee !== undefined && /[(,]$/.test(before)) return { kind: 'arguments', callee };
  return { kind: 'other' };
}

/** The name before the innermost unclosed `(`, scanning back; stops at a brace. */
function openCallee(before: string): string | undefined {
  let depth = 0;
  for (let i = before.length - 1; i >= 0; i--) {
    const ch = before[i];
    if (ch === ')' || ch === ']') depth++;
    else if (ch === '[') depth--;
    else if (ch === '{' || ch === '}') return undefined;
    else if (ch === '(' && depth-- === 0)
      return /([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(before.slice(0, i))?.[1];
  }
  return undefined;
}

function layerItems(): CompletionItem[] {
  return [...LAYERS.values()].map((def) => ({
    label: def.name,
    kind: CompletionItemKind.Class,
    detail: signature(def),
    documentation: def.doc,
  }));
}

function argumentItems(args: readonly ArgSpec[]): CompletionItem[] {
  return args.map((arg) => ({
    label: arg.name,
    kind: CompletionItemKind.Property,
    insertText: `${arg.name}: $0`,
    insertTextFormat: InsertTextFormat.Snippet,
    detail: arg.default ? `default ${showValue(arg.default)}` : 'required',
    documentation: arg.doc,
  }));
}

/** In a sweep: the keys of its train block (settings, options, arguments of its calls). */
function sweepKeyItems(analysis: Analysis, sweep: SweepDecl): CompletionItem[] {
  const declarations = analysis.ast.declarations;
  const train = declarations.find(
    (d): d is TrainDecl => d.kind === 'Train' && d.name.name === sweep.over.name,
  );
  if (!train) return [];
  const networks = new Map(
    declarations
      .filter((d): d is NetworkDecl => d.kind === 'Network')
      .map((decl) => [decl.name.name, { decl, file: analysis.file }]),
  );
  return sweepKeys(train, { networks }).map(({ key, doc }) => ({
    label: key,
    kind: CompletionItemKind.Field,
    detail: 'sweep key',
    documentation: doc,
  }));
}

function declaredItems(analysis: Analysis): CompletionItem[] {
  return analysis.ast.declarations
    .filter((d) => d.kind !== 'Train')
    .map((d) => ({
      label: d.name.name,
      kind: d.kind === 'Dataset' ? CompletionItemKind.Variable : CompletionItemKind.Class,
      detail: DECLARATION_WORDS[d.kind],
    }));
}

function settingItems(): CompletionItem[] {
  return Object.entries(TRAIN_SETTINGS).map(([name, doc]) => ({
    label: name,
    kind: CompletionItemKind.Field,
    detail: 'train setting',
    documentation: doc,
  }));
}
