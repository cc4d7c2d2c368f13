// The roles of the names in an analysed file and in every file it can see. They are computed
// per declaration and kept while the declaration (the parser keeps the ones an edit does not
// touch) and the names in scope stay the same: hover, definitions, references, rename and
// semantic tokens share them.
import type { Declaration, SpecFile } from '../../grammar/index.js';
import type { Analysis } from './analysis.js';
import { declarations } from './analysis.js';
import { declRef, rolesOf, type DeclRef, type Role, type Scope } from './roles.js';

const byDeclaration = new WeakMap<Declaration, { scope: string; roles: Role[] }>();
const scopes = new WeakMap<Analysis, { scope: Scope; key: string }>();

/** Declared names the analysed file can refer to: its own and its imports', first one wins. */
export function scopeOf(analysis: Analysis): { scope: Scope; key: string } {
  let known = scopes.get(analysis);
  if (known === undefined) {
    const scope = new Map<string, DeclRef>();
    for (const { decl, file } of declarations(analysis)) {
      if (!scope.has(decl.name.name)) scope.set(decl.name.name, declRef(decl, file));
    }
    const key = [...scope.values()]
      .map((d) => `${d.name}:${d.kind}:${d.file}:${d.params.map((p) => p.name).join(',')}`)
      .join(';');
    known = { scope, key };
    scopes.set(analysis, known);
  }
  return known;
}

/** The roles of the names in `ast` (the analysed file or one it imports), seen from the analysis. */
export function rolesIn(analysis: Analysis, ast: SpecFile = analysis.parsed.ast): Role[] {
  const { scope, key } = scopeOf(analysis);
  return ast.declarations.flatMap((decl) => {
    const known = byDeclaration.get(decl);
    if (known && known.scope === key) return known.roles;
    const roles = rolesOf(decl, ast.file, scope);
    byDeclaration.set(decl, { scope: key, roles });
    return roles;
  });
}

/** A declaration as the analysis sees it now (a role may hold one from an earlier parse). */
export function current(analysis: Analysis, target: DeclRef): DeclRef {
  return scopeOf(analysis).scope.get(target.name) ?? target;
}

/** Whether two roles name the same declared thing (a declaration, or a network's parameter or value). */
export function sameSymbol(a: Role, b: Role): boolean {
  const target = (r: Role) =>
    r.kind === 'declaration' || r.kind === 'reference'
      ? `decl:${r.target.file}:${r.target.name}`
      : r.kind === 'local'
        ? `local:${r.owner.file}:${r.owner.name}:${r.name}`
        : undefined;
  const key = target(a);
  return key !== undefined && key === target(b);
}
