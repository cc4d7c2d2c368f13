// `netspec fmt`: prints a spec canonically — 2-space indents, one statement per line, long
// chains broken before `->`, one blank line between declarations — with every comment kept
// where it was, and PyTorch's spellings in netspec's. A file with syntax errors is left alone:
// formatting needs the whole tree.
import type {
  Declaration,
  ImportDecl,
  Parameter,
  PathPattern,
  SurgeryStatement,
  TrainStatement,
} from './ast.js';
import { placeComments } from './format-comments.js';
import { PYTORCH_FORM } from './habits.js';
import { hasErrors, type Diagnostic } from './diagnostics.js';
import { parse } from './index.js';
import { lex } from './lex.js';
import { cat, indented, text, type Doc, type Line } from './print-doc.js';
import {
  printArg,
  printAssignment,
  printExpr,
  printNetworkStatement,
  printTopExpr,
  type PrintContext,
} from './print-expr.js';
import { RCurly } from './tokens.js';

export interface FormatResult {
  text: string;
  diagnostics: Diagnostic[];
}

export function format(source: string, file: string): FormatResult {
  const parsed = parse(source, file);
  // PyTorch's spellings are read as the netspec they stand for, so printing writes that form.
  const blocking = parsed.diagnostics.filter((d) => d.code !== PYTORCH_FORM);
  if (hasErrors(blocking)) return { text: source, diagnostics: parsed.diagnostics };
  const ctx = printContext(
    source,
    parsed.comments.map((c) => c.span.start.offset),
  );
  const items = [...parsed.ast.imports, ...parsed.ast.declarations].sort(
    (a, b) => a.span.start.offset - b.span.start.offset,
  );
  const lines: Line[] = [];
  items.forEach((item, index) => {
    const previous = items[index - 1];
    const separated = previous && !(previous.kind === 'Import' && item.kind === 'Import');
    if (separated) lines.push({ indent: 0, text: '', anchor: -1 });
    lines.push(...printItem(item, ctx));
  });
  const placed = placeComments(lines, parsed.comments, source);
  const printed = placed.map((l) => (l.text === '' ? '' : '  '.repeat(l.indent) + l.text));
  return { text: printed.length === 0 ? '' : `${printed.join('\n')}\n`, diagnostics: [] };
}

function printContext(source: string, commentOffsets: number[]): PrintContext {
  const braces = lex(source, '')
    .tokens.filter((t) => t.tokenType === RCurly)
    .map((t) => t.startOffset);
  return {
    source,
    hasComment: (from, to) => commentOffsets.some((o) => o > from && o < to),
    closeBraceAfter: (offset) => braces.find((o) => o >= offset) ?? offset,
  };
}

function printItem(item: ImportDecl | Declaration, ctx: PrintContext): Doc {
  const at = item.span.start.offset;
  const close = text('}', item.span.end.offset - 1);
  if (item.kind === 'Import') return text(`import ${printExpr(item.path, ctx)[0].text}`, at);
  const body = indented(printBody(item, ctx), 1);
  return [...cat(text(header(item, ctx), at), ' {'), ...body, ...close];
}

function header(decl: Declaration, ctx: PrintContext): string {
  const name = decl.name.name;
  switch (decl.kind) {
    case 'Dataset':
      return `dataset ${name}`;
    case 'Train':
      return `train ${name}`;
    case 'Transform':
      return `transform ${name}`;
    case 'Network':
      return `network ${name}${parameters(decl.params, ctx)}`;
    case 'Block':
      return `block ${name}${parameters(decl.params, ctx)}`;
    case 'OnnxNetwork':
      return `network ${name} = ${flat(printExpr(decl.source, ctx))}`;
    case 'Sweep':
      return `sweep ${name} over ${decl.over.name}`;
  }
}

function parameters(params: Parameter[], ctx: PrintContext): string {
  if (params.length === 0) return '';
  const printed = params.map((p) =>
    p.default ? `${p.name.name} = ${flat(printExpr(p.default, ctx))}` : p.name.name,
  );
  return `(${printed.join(', ')})`;
}

/** Header pieces are single-line; an `if` there would be odd but must not be lost. */
function flat(doc: Doc): string {
  return doc.map((line) => line.text).join(' ');
}

function printBody(decl: Declaration, ctx: PrintContext): Doc {
  switch (decl.kind) {
    case 'Dataset':
    case 'Train':
      return decl.body.flatMap((s) => printTrainStatement(s, ctx));
    case 'Network':
    case 'Block':
      return decl.body.flatMap((s) => printNetworkStatement(s, 1, ctx));
    case 'Transform':
      return decl.steps.flatMap((step) => printExpr(step, ctx));
    case 'OnnxNetwork':
      return decl.body.flatMap((s) => printSurgery(s, ctx));
    case 'Sweep':
      return decl.body.flatMap((e) =>
        printAssignment(e.key.name, e.value, [], e.span.start.offset, 2, ctx),
      );
  }
}

/** ` every 100 steps`, or nothing. */
function everyText(s: { every: { text: string } | null; unit: { name: string } | null }): string {
  return s.every && s.unit ? ` every ${s.every.text} ${s.unit.name}` : '';
}

function printTrainStatement(s: TrainStatement, ctx: PrintContext): Doc {
  const at = s.span.start.offset;
  switch (s.kind) {
    case 'Assignment':
      return printAssignment(s.target.name, s.value, s.options, at, 2, ctx);
    case 'Stop':
      return cat(text('stop when ', at), printTopExpr(s.condition, 12, ctx), everyText(s));
    case 'CallStatement':
      return printExpr(s.call, ctx);
    case 'Checkpoint':
      return cat(text('checkpoint ', at), printExpr(s.path, ctx), everyText(s));
    case 'UnfreezeAfter': {
      const patterns = s.patterns.map((p) => p.text).join(', ');
      return text(`unfreeze ${patterns} after ${s.after.text} ${s.unit.name}`, at);
    }
  }
}

function printSurgery(s: SurgeryStatement, ctx: PrintContext): Doc {
  const at = s.span.start.offset;
  const path = (p: PathPattern) => p.text;
  switch (s.kind) {
    case 'Freeze':
    case 'Unfreeze': {
      const options = s.options.map((o) => cat(', ', printArg(o, ctx)));
      return cat(
        text(`${s.kind.toLowerCase()} ${s.patterns.map(path).join(', ')}`, at),
        ...options,
      );
    }
    case 'Remove':
      return text(`remove ${path(s.target)}`, at);
    case 'Insert':
      return cat(text('insert ', at), printExpr(s.layer, ctx), ` after ${path(s.after)}`);
    case 'Replace': {
      const options = s.options.map((o) => cat(', ', printArg(o, ctx)));
      const replacement = printExpr(s.replacement, ctx);
      return cat(text(`replace ${path(s.target)} with `, at), replacement, ...options);
    }
  }
}
