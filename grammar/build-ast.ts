// CST → AST for the file, its declarations and statements. Pieces that error recovery left
// incomplete (a declaration without a name, an assignment without a value) are dropped: the
// parser has already reported them, and later stages may rely on every required field.
import type { CstNode } from 'chevrotain';
import type {
  Assignment,
  Declaration,
  ImportDecl,
  InputStatement,
  NetworkStatement,
  OutputStatement,
  Parameter,
  SpecFile,
} from './ast.js';
import {
  buildExpression,
  buildIdentifier,
  buildList,
  buildNamedArgument,
  buildString,
} from './build-expr.js';
import {
  childNode,
  childNodes,
  childToken,
  endOfText,
  isDefined,
  joinSpans,
  nodeSpan,
} from './cst.js';

export function buildSpecFile(cst: CstNode, file: string, text: string): SpecFile {
  const imports = childNodes(cst, 'importDecl').map(buildImport).filter(isDefined);
  const declarations = [
    ...childNodes(cst, 'datasetDecl').map((node) => buildAssignmentDecl(node, 'Dataset')),
    ...childNodes(cst, 'networkDecl').map(buildNetwork),
    ...childNodes(cst, 'trainDecl').map((node) => buildAssignmentDecl(node, 'Train')),
  ]
    .filter(isDefined)
    // The CST groups children by rule; restore source order.
    .sort((a, b) => a.span.start.offset - b.span.start.offset);
  const span = { start: { offset: 0, line: 1, column: 1 }, end: endOfText(text) };
  return { kind: 'File', file, imports, declarations, span };
}

function buildImport(node: CstNode): ImportDecl | undefined {
  const path = childToken(node, 'path');
  const span = nodeSpan(node);
  if (path === undefined || span === undefined) return undefined;
  return { kind: 'Import', path: buildString(path), span };
}

/** A dataset or a train declaration: both are a name and a block of assignments. */
function buildAssignmentDecl(node: CstNode, kind: 'Dataset' | 'Train'): Declaration | undefined {
  const name = childToken(node, 'name');
  const span = nodeSpan(node);
  if (name === undefined || span === undefined) return undefined;
  const body = childNodes(node, 'assignment').map(buildAssignment).filter(isDefined);
  return { kind, name: buildIdentifier(name), body, span };
}

function buildNetwork(node: CstNode): Declaration | undefined {
  const name = childToken(node, 'name');
  const span = nodeSpan(node);
  if (name === undefined || span === undefined) return undefined;
  const params = childNodes(node, 'parameter').map(buildParameter).filter(isDefined);
  const body = childNodes(node, 'networkStatement').map(buildNetworkStatement).filter(isDefined);
  return { kind: 'Network', name: buildIdentifier(name), params, body, span };
}

function buildParameter(node: CstNode): Parameter | undefined {
  const name = childToken(node, 'name');
  const span = nodeSpan(node);
  if (name === undefined || span === undefined) return undefined;
  const defaultValue = buildExpression(childNode(node, 'default')) ?? null;
  return { kind: 'Parameter', name: buildIdentifier(name), default: defaultValue, span };
}

function buildNetworkStatement(node: CstNode): NetworkStatement | undefined {
  const input = childNode(node, 'inputStatement');
  if (input) return buildInput(input);
  const output = childNode(node, 'outputStatement');
  if (output) return buildOutput(output);
  const assignment = childNode(node, 'assignment');
  if (assignment) return buildAssignment(assignment);
  const expr = buildExpression(childNode(node, 'expression'));
  return expr && { kind: 'ExpressionStatement', expr, span: expr.span };
}

function buildInput(node: CstNode): InputStatement | undefined {
  const name = childToken(node, 'name');
  const span = nodeSpan(node);
  if (name === undefined || span === undefined) return undefined;
  const shapeNode = childNode(node, 'shape');
  const shape = (shapeNode && buildList(shapeNode)) ?? null;
  return { kind: 'Input', name: buildIdentifier(name), shape, span };
}

function buildOutput(node: CstNode): OutputStatement | undefined {
  const value = buildExpression(childNode(node, 'value'));
  const span = nodeSpan(node);
  if (value === undefined || span === undefined) return undefined;
  return { kind: 'Output', value, span };
}

function buildAssignment(node: CstNode): Assignment | undefined {
  const target = childToken(node, 'target');
  const value = buildExpression(childNode(node, 'value'));
  if (target === undefined || value === undefined) return undefined;
  const options = childNodes(node, 'option').map(buildNamedArgument).filter(isDefined);
  const targetName = buildIdentifier(target);
  const last = options.length > 0 ? options[options.length - 1] : value;
  const span = joinSpans(targetName.span, last.span);
  return { kind: 'Assignment', target: targetName, value, options, span };
}
