// CST → AST for the file and its declarations. Pieces that error recovery left incomplete (a
// declaration without a name, an assignment without a value) are dropped: the parser has
// already reported them, and later stages may rely on every required field.
import type { CstNode } from 'chevrotain';
import type {
  Declaration,
  Expr,
  ImportDecl,
  Identifier,
  Parameter,
  SpecFile,
  SweepEntry,
  TransformDecl,
} from './ast.js';
import type { Span } from './diagnostics.js';
import {
  buildCall,
  buildCalleeName,
  buildExpression,
  buildIdentifier,
  buildString,
} from './build-expr.js';
import {
  buildAssignment,
  buildNetworkStatement,
  buildSurgeryStatement,
  buildTrainStatement,
} from './build-statements.js';
import {
  childNode,
  childNodes,
  childToken,
  endOfText,
  isDefined,
  joinSpans,
  nodeSpan,
  tokenSpan,
} from './cst.js';

type DeclarationBuilder = (node: CstNode, name: Identifier, span: Span) => Declaration | undefined;

const DECLARATION_BUILDERS: Record<string, DeclarationBuilder> = {
  datasetDecl: (node, name, span) => ({
    kind: 'Dataset',
    name,
    body: childNodes(node, 'assignment').map(buildAssignment).filter(isDefined),
    span,
  }),
  trainDecl: (node, name, span) => ({
    kind: 'Train',
    name,
    body: childNodes(node, 'trainStatement').map(buildTrainStatement).filter(isDefined),
    span,
  }),
  networkDecl: buildNetwork,
  blockDecl: (node, name, span) => ({ kind: 'Block', name, ...networkParts(node), span }),
  transformDecl: buildTransform,
  sweepDecl: buildSweep,
};

export function buildSpecFile(cst: CstNode, file: string, text: string): SpecFile {
  const imports = childNodes(cst, 'importDecl').map(buildImport).filter(isDefined);
  const declarations = Object.entries(DECLARATION_BUILDERS)
    .flatMap(([rule, build]) => childNodes(cst, rule).map((node) => buildDeclaration(node, build)))
    .filter(isDefined)
    // The CST groups children by rule; restore source order.
    .sort((a, b) => a.span.start.offset - b.span.start.offset);
  const span = { start: { offset: 0, line: 1, column: 1 }, end: endOfText(text) };
  return { kind: 'File', file, imports, declarations, span };
}

function buildDeclaration(node: CstNode, build: DeclarationBuilder): Declaration | undefined {
  const name = childToken(node, 'name');
  const span = nodeSpan(node);
  if (name === undefined || span === undefined) return undefined;
  return build(node, buildIdentifier(name), span);
}

function buildImport(node: CstNode): ImportDecl | undefined {
  const path = childToken(node, 'path');
  const span = nodeSpan(node);
  if (path === undefined || span === undefined) return undefined;
  return { kind: 'Import', path: buildString(path), span };
}

function buildNetwork(node: CstNode, name: Identifier, span: Span): Declaration | undefined {
  const onnx = childNode(node, 'onnx');
  if (onnx === undefined) return { kind: 'Network', name, ...networkParts(node), span };
  const sourceNode = childNode(onnx, 'source');
  const callee = sourceNode && childToken(sourceNode, 'name');
  const args = sourceNode && childNode(sourceNode, 'arguments');
  const sourceSpan = sourceNode && nodeSpan(sourceNode);
  if (callee === undefined || args === undefined || sourceSpan === undefined) return undefined;
  const source = buildCall(callee, args, sourceSpan);
  if (source === undefined) return undefined;
  const body = childNodes(onnx, 'surgeryStatement').map(buildSurgeryStatement).filter(isDefined);
  return { kind: 'OnnxNetwork', name, source, body, span };
}

/** The parameters and statements of a network or a block. */
function networkParts(node: CstNode) {
  const params = childNodes(node, 'parameter').map(buildParameter).filter(isDefined);
  const body = childNodes(node, 'networkStatement').map(buildNetworkStatement).filter(isDefined);
  return { params, body };
}

function buildParameter(node: CstNode): Parameter | undefined {
  const name = childToken(node, 'name');
  const span = nodeSpan(node);
  if (name === undefined || span === undefined) return undefined;
  const defaultValue = buildExpression(childNode(node, 'default')) ?? null;
  return { kind: 'Parameter', name: buildIdentifier(name), default: defaultValue, span };
}

function buildTransform(node: CstNode, name: Identifier, span: Span): Declaration {
  const steps = childNodes(node, 'step').map(buildTransformStep).filter(isDefined);
  const composed = steps.length === 1 ? composedSteps(steps[0]) : undefined;
  if (composed === undefined) return { kind: 'Transform', name, steps, span };
  return { kind: 'Transform', name, ...composed, span };
}

/**
 * torchvision's `Compose([A, B])` as the one step of a transform block: its steps are the
 * list's items, and the text around them is marked for grammar/habits.ts.
 */
function composedSteps(step: Expr): Pick<TransformDecl, 'steps' | 'compose'> | undefined {
  if (step.kind !== 'Call' || step.callee.name !== 'Compose' || step.args.length !== 1)
    return undefined;
  const [list] = step.args;
  if (list.name !== null || list.value.kind !== 'List' || list.value.items.length === 0)
    return undefined;
  const { items } = list.value;
  const open = { start: step.span.start, end: items[0].span.start };
  const close = { start: items[items.length - 1].span.end, end: step.span.end };
  return { steps: items, compose: { open, close } };
}

function buildSweep(node: CstNode, name: Identifier, span: Span): Declaration | undefined {
  const over = childToken(node, 'over');
  if (over === undefined) return undefined;
  const body = childNodes(node, 'sweepEntry').map(buildSweepEntry).filter(isDefined);
  return { kind: 'Sweep', name, over: buildIdentifier(over), body, span };
}

function buildSweepEntry(node: CstNode): SweepEntry | undefined {
  const key = childToken(node, 'key');
  const value = buildExpression(childNode(node, 'value'));
  if (key === undefined || value === undefined) return undefined;
  const keyName = buildIdentifier(key);
  return { kind: 'SweepEntry', key: keyName, value, span: joinSpans(keyName.span, value.span) };
}

function buildTransformStep(node: CstNode): Expr | undefined {
  const name = childToken(node, 'name');
  if (name === undefined) return undefined;
  const args = childNode(node, 'arguments');
  const callee = buildCalleeName(name);
  const span = tokenSpan(name);
  const prefix = callee.torchPrefix ? { torchPrefix: callee.torchPrefix } : {};
  if (args === undefined) return { kind: 'Name', name: callee.name, span, ...prefix };
  const end = nodeSpan(args)?.end ?? span.end;
  return buildCall(name, args, { start: span.start, end });
}
