// Go to definition (a name used where a network, block, dataset, transform or train block — in a
// sweep's header — is declared) and
// the document outline (declarations, with a network's layers as children).
import { SymbolKind, type DocumentSymbol, type Location } from 'vscode-languageserver';
import type { Declaration } from '../../grammar/index.js';
import { DECLARATION_WORDS, declarationNamed, type Analysis } from './analysis.js';
import { layerInstances, showShape } from './layers.js';
import { contains, toRange, wordAt } from './positions.js';

export function definition(analysis: Analysis, uri: string, offset: number): Location | null {
  const word = wordAt(analysis.text, offset);
  if (word === undefined || insideString(analysis.text, word.start)) return null;
  const decl = declarationNamed(analysis, word.word);
  if (decl === undefined || decl.kind === 'Sweep') return null;
  return { uri, range: toRange(decl.name.span) };
}

/** Whether `offset` is inside a string literal on its line (quotes counted before it). */
function insideString(text: string, offset: number): boolean {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset).replace(/\\./g, '');
  return (before.match(/"/g) ?? []).length % 2 === 1;
}

const SYMBOL_KINDS: Record<Declaration['kind'], SymbolKind> = {
  Dataset: SymbolKind.Variable,
  Network: SymbolKind.Class,
  OnnxNetwork: SymbolKind.Class,
  Block: SymbolKind.Class,
  Transform: SymbolKind.Function,
  Train: SymbolKind.Module,
  Sweep: SymbolKind.Module,
};

export function documentSymbols(analysis: Analysis): DocumentSymbol[] {
  const layers = layerInstances(analysis);
  return analysis.ast.declarations.map((decl) => {
    const children = layers
      .filter((l) => decl.kind === 'Network' && contains(decl.span, l.span.start.offset))
      .filter((l, i, all) => all.findIndex((o) => o.path === l.path) === i)
      .map((l) => ({
        name: l.path,
        detail: `${l.def.name} → ${showShape(l.outputShape)}`,
        kind: SymbolKind.Field,
        range: toRange(l.span),
        selectionRange: toRange(l.span),
      }));
    return {
      name: decl.name.name,
      detail: DECLARATION_WORDS[decl.kind],
      kind: SYMBOL_KINDS[decl.kind],
      range: toRange(decl.span),
      selectionRange: toRange(decl.name.span),
      children,
    };
  });
}
