// CST → AST for statements: network and block bodies (also the branches of `if`), train
// blocks and ONNX surgery. As elsewhere, statements that recovery left incomplete are dropped.
import type { CstNode, IToken } from 'chevrotain';
import type {
  Assignment,
  CheckpointStatement,
  InputStatement,
  NetworkStatement,
  OutputStatement,
  PathPattern,
  SurgeryStatement,
  TrainStatement,
  UnfreezeAfterStatement,
} from './ast.js';
import {
  buildCall,
  buildExpression,
  buildIdentifier,
  buildList,
  buildNamedArgument,
  buildNumber,
  buildString,
} from './build-expr.js';
import {
  childNode,
  childNodes,
  childToken,
  childTokens,
  isDefined,
  joinSpans,
  nodeSpan,
  tokenSpan,
} from './cst.js';

/** The statements of a `{ … }` block of an `if`; an absent block has none. */
export function buildStatementBlock(node: CstNode | undefined): NetworkStatement[] {
  if (node === undefined) return [];
  return childNodes(node, 'networkStatement').map(buildNetworkStatement).filter(isDefined);
}

export function buildNetworkStatement(node: CstNode): NetworkStatement | undefined {
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

export function buildAssignment(node: CstNode): Assignment | undefined {
  const target = childToken(node, 'target');
  const value = buildExpression(childNode(node, 'value'));
  if (target === undefined || value === undefined) return undefined;
  const options = childNodes(node, 'option').map(buildNamedArgument).filter(isDefined);
  const targetName = buildIdentifier(target);
  const last = options.length > 0 ? options[options.length - 1] : value;
  const span = joinSpans(targetName.span, last.span);
  return { kind: 'Assignment', target: targetName, value, options, span };
}

// ---- train blocks ------------------------------------------------------------------------

export function buildTrainStatement(node: CstNode): TrainStatement | undefined {
  const assignment = childNode(node, 'assignment');
  if (assignment) return buildAssignment(assignment);
  const stop = childNode(node, 'stopStatement');
  if (stop) {
    const condition = buildExpression(childNode(stop, 'condition'));
    const span = nodeSpan(stop);
    return condition && span && { kind: 'Stop', condition, ...buildEvery(stop), span };
  }
  const checkpoint = childNode(node, 'checkpointStatement');
  if (checkpoint) return buildCheckpoint(checkpoint);
  const unfreeze = childNode(node, 'unfreezeStatement');
  if (unfreeze) return buildUnfreezeAfter(unfreeze);
  const call = childNode(node, 'callStatement');
  const name = call && childToken(call, 'name');
  const args = call && childNode(call, 'arguments');
  const span = call && nodeSpan(call);
  const built = name && args && span && buildCall(name, args, span);
  return built && { kind: 'CallStatement', call: built, span: span! };
}

/** The `every N unit` part of a checkpoint or stop statement; nulls when absent. */
function buildEvery(node: CstNode) {
  const every = childToken(node, 'every');
  const unit = childToken(node, 'unit');
  // `every` is all or nothing: a half-written one was reported and is left out.
  const both = every !== undefined && unit !== undefined;
  return {
    every: both ? buildNumber(every, false, tokenSpan(every)) : null,
    unit: both ? buildIdentifier(unit) : null,
  };
}

function buildCheckpoint(node: CstNode): CheckpointStatement | undefined {
  const path = childToken(node, 'path');
  const span = nodeSpan(node);
  if (path === undefined || span === undefined) return undefined;
  return { kind: 'Checkpoint', path: buildString(path), ...buildEvery(node), span };
}

function buildUnfreezeAfter(node: CstNode): UnfreezeAfterStatement | undefined {
  const patterns = childNodes(node, 'pattern').map(buildPattern).filter(isDefined);
  const after = childToken(node, 'after');
  const unit = childToken(node, 'unit');
  const span = nodeSpan(node);
  if (patterns.length === 0 || !after || !unit || span === undefined) return undefined;
  return {
    kind: 'UnfreezeAfter',
    patterns,
    after: buildNumber(after, false, tokenSpan(after)),
    unit: buildIdentifier(unit),
    span,
  };
}

// ---- surgery on an imported ONNX network ------------------------------------------------

export function buildSurgeryStatement(node: CstNode): SurgeryStatement | undefined {
  const span = nodeSpan(node);
  const patterns = childNodes(node, 'pattern').map(buildPattern).filter(isDefined);
  const target = patterns[0];
  if (span === undefined || target === undefined) return undefined;
  const options = childNodes(node, 'option').map(buildNamedArgument).filter(isDefined);
  if (childToken(node, 'freeze')) return { kind: 'Freeze', patterns, options, span };
  if (childToken(node, 'unfreeze')) return { kind: 'Unfreeze', patterns, options, span };
  if (childToken(node, 'remove')) return { kind: 'Remove', target, span };
  const value = buildExpression(childNode(node, 'value'));
  if (value === undefined) return undefined;
  if (childToken(node, 'insert')) return { kind: 'Insert', layer: value, after: target, span };
  return { kind: 'Replace', target, replacement: value, options, span };
}

function buildPattern(node: CstNode): PathPattern | undefined {
  const token: IToken | undefined = childTokens(node, 'path')[0];
  return token && { kind: 'PathPattern', text: token.image, span: tokenSpan(token) };
}
