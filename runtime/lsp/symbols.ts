// The roles of the names in an analysed file and in every file it can see, computed once per
// analysis: hover, definitions, references, rename and semantic tokens share them.
import type { SpecFile } from '../../grammar/index.js';
import type { Analysis } from './analysis.js';
import { declarations } from './analysis.js';
import { declRef, rolesOf, type DeclRef, type Role, type Scope } from './roles.js';

const rolesCache = new WeakMap<Analysis, Map<string, Role[]>>();

/** Declared names the analysed file can refer to: its own and its imports', first one wins. */
export function scopeOf(analysis: Analysis): Scope {
  const scope = new Map<string, DeclRef>();
  for (const { decl, file } of declarations(analysis)) {
    if (!scope.has(decl.name.name)) scope.set(decl.name.name, declRef(decl, file));
  }
  return scope;
}

/** The roles of the names in `ast` (the analysed file or one it imports), seen from the analysis. */
export function rolesIn(analysis: Analysis, ast: SpecFile = analysis.parsed.ast): Role[] {
  let byFile = rolesCache.get(analysis);
  if (byFile === undefined) {
    byFile = new Map();
    rolesCache.set(analysis, byFile);
  }
  let roles = byFile.get(ast.file);
  if (roles === undefined) {
    roles = rolesOf(ast, scopeOf(analysis));
    byFile.set(ast.file, roles);
  }
  return roles;
}

/** Whether two roles name the same declared thing (a declaration, or a network's parameter or value). */
export function sameSymbol(a: Role, b: Role): boolean {
  const target = (r: Role) =>
    r.kind === 'declaration' || r.kind === 'reference'
      ? `decl:${r.target.file}:${r.target.span.start.offset}`
      : r.kind === 'local'
        ? `local:${r.owner.file}:${r.def.start.offset}:${r.name}`
        : undefined;
  const key = target(a);
  return key !== undefined && key === target(b);
}
