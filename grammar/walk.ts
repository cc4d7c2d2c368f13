// Visiting every node of a syntax tree, for passes that look at all nodes of some kinds (the
// PyTorch-habit diagnostics, the editor's references and semantic tokens).

/** Any node of the tree: every one has a `kind` and a `span`. */
export interface AnyNode {
  kind: string;
  span: { start: { offset: number }; end: { offset: number } };
}

function isNode(value: unknown): value is AnyNode {
  return typeof value === 'object' && value !== null && typeof (value as AnyNode).kind === 'string';
}

/** Calls `visit` for `root` and every node below it, parents before children, in field order. */
export function forEachNode(root: AnyNode, visit: (node: AnyNode) => void): void {
  visit(root);
  for (const value of Object.values(root)) {
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) forEachNode(item, visit);
    } else if (isNode(value)) forEachNode(value, visit);
  }
}
