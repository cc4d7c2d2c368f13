// CST → AST for the file and its declarations. Pieces that error recovery left incomplete (a
// declaration without a name, an assignment without a value) are dropped: the parser has
// already reported them, and later stages may rely on every required field.
import type { CstNode } from 'chevrotain';
import type { Declaration, Expr, ImportDecl, Identifier, Parameter, SpecFile } from './ast.js';
import type { Span } from './diagnostics.js';
import { buildCall, buildExpression, buildIdentifier, buildString } from './build-expr.js';
import {
  buildAssignment,
  buildNetworkStatement,
  buildSurgeryStatement,
  buildTrainStatement,
} from './build-statements.js';
import { childNode, childNodes, childToken, endOfText, isDefined, nodeSpan } from './cst.js';

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
  transformDecl: (node, name, span) => ({
    kind: 'Transform',
    name,
    steps: childNodes(node, 'step').map(buildTransformStep).filter(isDefined),
    span,
  }),
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

function buildTransformStep(node: CstNode): Expr | undefined {
  const name = childToken(node, 'name');
  if (name === undefined) return undefined;
  const args = childNode(node, 'arguments');
  const nameRef: Expr = { kind: 'Name', name: name.image, span: buildIdentifier(name).span };
  if (args === undefined) return nameRef;
  const end = nodeSpan(args)?.end ?? nameRef.span.end;
  return buildCall(name, args, { start: nameRef.span.start, end });
}
