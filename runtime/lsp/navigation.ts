// Go to definition, references and rename of declared names (networks, blocks, datasets,
// transforms) across the spec and the files it imports, and of a network's parameters and
// values within it; the document outline (declarations, a network's layers as children).
import {
  SymbolKind,
  type DocumentSymbol,
  type Location,
  type Range,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import type { Declaration } from '../../grammar/index.js';
import type { Analysis } from './analysis.js';
import { DECLARATION_WORDS, filesOf } from './analysis.js';
import { layerGroups, showShape } from './layers.js';
import { toRange } from './positions.js';
import { roleAt, type Role } from './roles.js';
import { current, rolesIn, sameSymbol } from './symbols.js';

export type UriOf = (file: string) => string;

export function definition(analysis: Analysis, offset: number, uriOf: UriOf): Location | null {
  const role = roleAt(rolesIn(analysis), offset);
  if (role?.kind !== 'declaration' && role?.kind !== 'reference' && role?.kind !== 'local')
    return null;
  // A role keeps names of other declarations, not their positions: look them up now.
  const target = current(analysis, role.kind === 'local' ? role.owner : role.target);
  if (role.kind !== 'local') return { uri: uriOf(target.file), range: toRange(target.span) };
  const def = role.def ?? target.params.find((p) => p.name === role.name)?.span;
  return def ? { uri: uriOf(target.file), range: toRange(def) } : null;
}

/**
 * Every use of the symbol at `offset`: in this file, the files it imports, and the files of
 * `others` (other open documents, which may import this one).
 */
export function references(
  analysis: Analysis,
  offset: number,
  others: readonly Analysis[],
  includeDeclaration: boolean,
  uriOf: UriOf,
): Location[] {
  const role = roleAt(rolesIn(analysis), offset);
  if (
    role === undefined ||
    (role.kind !== 'declaration' && role.kind !== 'reference' && role.kind !== 'local')
  )
    return [];
  const seen = new Set<string>();
  const locations: Location[] = [];
  for (const a of [analysis, ...others]) {
    for (const ast of filesOf(a)) {
      for (const r of rolesIn(a, ast)) {
        if (!sameSymbol(role, r) || (!includeDeclaration && isDeclaration(r))) continue;
        const key = `${ast.file}:${r.span.start.offset}`;
        if (seen.has(key)) continue;
        seen.add(key);
        locations.push({ uri: uriOf(ast.file), range: toRange(r.span) });
      }
    }
  }
  return locations;
}

function isDeclaration(r: Role): boolean {
  return (
    r.kind === 'declaration' || (r.kind === 'local' && r.def?.start.offset === r.span.start.offset)
  );
}

/** The range of a name that can be renamed at `offset`, if any. */
export function prepareRename(analysis: Analysis, offset: number): Range | null {
  const role = roleAt(rolesIn(analysis), offset);
  const renameable =
    role?.kind === 'declaration' || role?.kind === 'reference' || role?.kind === 'local';
  return role && renameable ? toRange(role.span) : null;
}

export function rename(
  analysis: Analysis,
  offset: number,
  newName: string,
  others: readonly Analysis[],
  uriOf: UriOf,
): WorkspaceEdit | null {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(newName)) return null;
  const changes: NonNullable<WorkspaceEdit['changes']> = {};
  for (const location of references(analysis, offset, others, true, uriOf)) {
    (changes[location.uri] ??= []).push({ range: location.range, newText: newName });
  }
  return Object.keys(changes).length > 0 ? { changes } : null;
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
  const { byDeclaration } = layerGroups(analysis);
  return analysis.parsed.ast.declarations.map((decl) => {
    const layers = decl.kind === 'Network' ? (byDeclaration.get(decl) ?? []) : [];
    const children = layers.map((l) => ({
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
