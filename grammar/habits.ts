// What people who know PyTorch type: `SGD(lr=0.05)`, `kernel_size=(7, 7)`, `nn.Conv2d`,
// `transforms.Compose([…])`, `True`. The parser reads each as the netspec form it stands for and
// marks it in the tree; this pass turns the marks into one diagnostic per written construct
// (never a cascade), whose message shows the netspec form and whose fix writes it.
import type { Declaration, Expr, SpecFile } from './ast.js';
import { diagnostic, withFix, type Diagnostic, type Edit, type Span } from './diagnostics.js';
import { forEachNode } from './walk.js';

/** The code of every diagnostic here (compiler/codes.ts: `pytorchForm`). */
export const PYTORCH_FORM = 'NS0004';

/** Module prefixes PyTorch code writes before a layer, optimizer, schedule or transform. */
const TORCH_PREFIXES = [
  'torch.nn.',
  'nn.',
  'torch.optim.lr_scheduler.',
  'lr_scheduler.',
  'torch.optim.',
  'optim.',
  'torchvision.transforms.v2.',
  'torchvision.transforms.',
  'transforms.v2.',
  'transforms.',
  'v2.',
  'T.',
];

/** `nn.Conv2d` → prefix `nn.`, name `Conv2d`; undefined for any other dotted name. */
export function splitTorchPrefix(dotted: string): { prefix: string; name: string } | undefined {
  const prefix = TORCH_PREFIXES.find((p) => dotted.startsWith(p));
  const name = prefix && dotted.slice(prefix.length);
  return name && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? { prefix, name } : undefined;
}

/** A change inside a construct and the rule of netspec's it restores. */
interface Mark {
  edit: Edit;
  reason: string;
}

/** One written construct: the text it covers and the marks inside it. */
interface Site {
  span: Span;
  marks: Mark[];
}

const EQUALS = "arguments are named with ':', not '='";
const TUPLE = 'lists are written [a, b], not as tuples';
const BOOLEAN = 'true and false are lower case';
const COMPOSE = 'a transform block lists its steps, without Compose';
const MAX_SHOWN = 60;

export function torchHabits(ast: SpecFile, source: string, file: string): Diagnostic[] {
  const sites: Span[] = [];
  const marks: Mark[] = [];
  const mark = (span: Span, text: string, reason: string) =>
    marks.push({ edit: { span, text }, reason });
  const prefix = (span: Span) =>
    mark(span, '', `names have no '${source.slice(span.start.offset, span.end.offset)}' prefix`);
  for (const decl of ast.declarations) {
    forEachNode(decl, (node) => {
      const found = siteOf(node as Expr | Declaration | Statement, mark, prefix);
      if (found) sites.push(found);
    });
  }
  return outermost(sites)
    .map((span) => ({ span, marks: marks.filter((m) => contains(span, m.edit.span)) }))
    .filter((s) => s.marks.length > 0)
    .map((s) => habitDiagnostic(s, source, file));
}

type Statement = Extract<Declaration, { kind: 'OnnxNetwork' }>['body'][number];
type MarkFn = (span: Span, text: string, reason: string) => void;

/**
 * The construct a node makes one diagnostic of, if any, after recording the marks it holds
 * itself (its children are visited on their own).
 */
function siteOf(
  n: Expr | Declaration | Statement | { kind: 'Argument'; equals?: Span },
  mark: MarkFn,
  prefix: (span: Span) => void,
): Span | undefined {
  switch (n.kind) {
    case 'Argument':
      if (n.equals) mark(n.equals, ': ', EQUALS);
      return undefined;
    case 'Call':
      if (n.callee.torchPrefix) prefix(n.callee.torchPrefix);
      return n.callee.torchPrefix || n.args.some((a) => a.equals) ? n.span : undefined;
    case 'Name':
      if (n.torchPrefix) prefix(n.torchPrefix);
      return n.torchPrefix ? n.span : undefined;
    case 'List':
      if (!n.tuple) return undefined;
      mark(charAt(n.span.start.offset, n.span.start), '[', TUPLE);
      mark(charAt(n.span.end.offset - 1, n.span.end, -1), ']', TUPLE);
      return n.span;
    case 'Boolean':
      if (n.python) mark(n.span, String(n.value), BOOLEAN);
      return n.python ? n.span : undefined;
    case 'Transform':
      if (!n.compose) return undefined;
      mark(n.compose.open, '', COMPOSE);
      mark(n.compose.close, '', COMPOSE);
      return { start: n.compose.open.start, end: n.compose.close.end };
    default:
      // Statements with `, name: value` options: `data = D, batch=64`, `freeze *, batch_stats=true`.
      return 'options' in n && n.options.some((o) => o.equals) ? n.span : undefined;
  }
}

/** The one-character span at `offset`, positioned from `position` (`delta` columns away). */
function charAt(offset: number, position: Span['start'], delta = 0): Span {
  const start = { ...position, offset, column: position.column + delta };
  return { start, end: { ...start, offset: offset + 1, column: start.column + 1 } };
}

function contains(outer: Span, inner: Span): boolean {
  return outer.start.offset <= inner.start.offset && inner.end.offset <= outer.end.offset;
}

/** The sites not inside another one: a construct is reported once, with all it holds. */
function outermost(sites: Span[]): Span[] {
  const sorted = [...sites].sort(
    (a, b) => a.start.offset - b.start.offset || b.end.offset - a.end.offset,
  );
  const kept: Span[] = [];
  for (const span of sorted) {
    const last = kept[kept.length - 1];
    if (last === undefined || !contains(last, span)) kept.push(span);
  }
  return kept;
}

function habitDiagnostic(site: Site, source: string, file: string): Diagnostic {
  const edits = site.marks.map((m) => m.edit);
  const written = applyEdits(source, site.span, edits);
  const shown = shorten(written.replace(/\s+/g, ' ').trim());
  const reasons = [...new Set(site.marks.map((m) => m.reason))].join('; ');
  const message = `netspec writes \`${shown}\`: ${reasons}`;
  const d = diagnostic(PYTORCH_FORM, message, file, site.span);
  return withFix(d, `Write ${shown}`, edits);
}

/** The text of `span` with the edits inside it applied. */
export function applyEdits(source: string, span: Span, edits: readonly Edit[]): string {
  let out = '';
  let at = span.start.offset;
  for (const e of [...edits].sort((a, b) => a.span.start.offset - b.span.start.offset)) {
    out += source.slice(at, e.span.start.offset) + e.text;
    at = e.span.end.offset;
  }
  return out + source.slice(at, span.end.offset);
}

function shorten(text: string): string {
  return text.length <= MAX_SHOWN ? text : `${text.slice(0, MAX_SHOWN - 1)}…`;
}
