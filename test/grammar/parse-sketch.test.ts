// The constructs beyond the first slice: comparisons and logic, blocks, transforms, `if`,
// ONNX surgery, train statements, contextual keywords and comments.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parse,
  type Assignment,
  type BlockDecl,
  type Expr,
  type IfExpr,
  type OnnxNetworkDecl,
  type SpecFile,
  type TrainDecl,
  type TransformDecl,
} from '../../grammar/index.js';
import { ROOT } from '../helpers/spec.js';

const SKETCH = readFileSync(join(ROOT, 'test/fixtures/sketch.net'), 'utf8');

function parseClean(text: string): SpecFile {
  const { ast, diagnostics } = parse(text, 'test.net');
  expect(diagnostics.map((d) => d.message)).toEqual([]);
  return ast;
}

function valueOf(expression: string): Expr {
  const decl = parseClean(`dataset D { v = ${expression} }`).declarations[0];
  return (decl.kind === 'Dataset' && decl.body[0].value) as Expr;
}

function located(text: string): string[] {
  const { diagnostics } = parse(text, 'x.net');
  return diagnostics.map((d) => `${d.span.start.line}:${d.span.start.column} ${d.message}`);
}

/** An expression as fully parenthesized text, to check precedence at a glance. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'Binary':
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'Unary':
      return `(${e.op} ${show(e.operand)})`;
    case 'Chain':
      return e.stages.map(show).join(' -> ');
    case 'Name':
      return e.name;
    case 'Number':
      return e.text;
    default:
      return e.kind;
  }
}

describe('the sketch of the language', () => {
  it('parses with no diagnostics, every declaration in order', () => {
    const ast = parseClean(SKETCH);
    expect(ast.imports.map((i) => i.path.value)).toEqual(['blocks.net']);
    expect(ast.declarations.map((d) => `${d.kind} ${d.name.name}`)).toEqual([
      'Dataset Fashion',
      'Dataset ArabicDigits',
      'Dataset Scans',
      'Transform Augment',
      'Network Net',
      'Block BasicBlock',
      'OnnxNetwork Finetuned',
      'Train Baseline',
    ]);
  });

  it('returns every comment with its exact span', () => {
    const { comments } = parse(SKETCH, 'x.net');
    expect(comments).toHaveLength(14);
    const first = comments[0];
    expect(first.text).toBe("# fashion.net — a small CNN on Fashion-MNIST, the seed's recipe");
    expect(first.span.start).toEqual({ offset: 0, line: 1, column: 1 });
    const blocks = comments[1];
    expect(blocks.text).toBe('# BasicBlock and friends');
    expect(SKETCH.slice(blocks.span.start.offset, blocks.span.end.offset)).toBe(blocks.text);
    expect(blocks.span.start.line).toBe(3);
  });

  it('reads the residual block: parameters named `in`, an input without shape, if/else', () => {
    const block = parseClean(SKETCH).declarations[5] as BlockDecl;
    expect(block.params.map((p) => p.name.name)).toEqual(['in', 'out', 'stride']);
    expect(block.body[0]).toMatchObject({ kind: 'Input', name: { name: 'x' }, shape: null });
    const skip = (block.body[2] as Assignment).value as IfExpr;
    expect(skip.kind).toBe('If');
    expect(show(skip.condition)).toBe('((stride != 1) or (in != out))');
    expect(skip.then).toHaveLength(1);
    expect(skip.otherwise).toMatchObject([{ kind: 'ExpressionStatement', expr: { name: 'x' } }]);
    expect(block.body[3]).toMatchObject({
      kind: 'Output',
      value: { kind: 'Call', callee: { name: 'ReLU' }, args: [{ value: { op: '+' } }] },
    });
    const text = SKETCH.slice(skip.span.start.offset, skip.span.end.offset);
    expect(text.startsWith('if stride != 1')).toBe(true);
    expect(text.endsWith('else { x }')).toBe(true);
  });

  it('reads the transform steps, the surgery and the train statements', () => {
    const ast = parseClean(SKETCH);
    const augment = ast.declarations[3] as TransformDecl;
    expect(augment.steps.map((s) => s.kind === 'Call' && s.callee.name)).toEqual([
      'RandomCrop',
      'RandomAffine',
      'ColorJitter',
      'Normalize',
    ]);
    const finetuned = ast.declarations[6] as OnnxNetworkDecl;
    expect(finetuned.source).toMatchObject({ callee: { name: 'onnx' } });
    expect(finetuned.body.map((s) => s.kind)).toEqual(['Freeze', 'Replace', 'Replace']);
    const train = ast.declarations[7] as TrainDecl;
    expect(train.body.map((s) => s.kind)).toEqual([
      ...Array(10).fill('Assignment'),
      'CallStatement',
      'Stop',
      'Checkpoint',
      'Assignment',
    ]);
    const checkpoint = train.body[12];
    expect(checkpoint).toMatchObject({
      kind: 'Checkpoint',
      path: { value: 'runs/baseline' },
      every: { value: 1 },
      unit: { name: 'epoch' },
    });
  });
});

describe('operators', () => {
  it.each([
    ['a or b and c', '(a or (b and c))'],
    ['a and b or c', '((a and b) or c)'],
    ['not a == b', '(not (a == b))'],
    ['not not a and b', '((not (not a)) and b)'],
    ['a + 1 < b * 2', '((a + 1) < (b * 2))'],
    ['a <= b', '(a <= b)'],
    ['a >= b != c', '((a >= b) != c)'],
    ['a > -b', '(a > (- b))'],
    ['x -> a or b -> c', 'x -> (a or b) -> c'],
    ['(a or b) and c', '((a or b) and c)'],
  ])('reads %s as %s', (text, expected) => {
    expect(show(valueOf(text))).toBe(expected);
  });

  it('gives a comparison an exact span', () => {
    const value = valueOf('steps >= 10');
    expect(value.span).toEqual({
      start: { offset: 16, line: 1, column: 17 },
      end: { offset: 27, line: 1, column: 28 },
    });
  });
});

describe('declarations and statements', () => {
  it('reads else-if chains and an if without else', () => {
    const text =
      'block B { input x\n y = if a { x } else if b { x -> ReLU } else { z = x\n z }\n output if c { y } }';
    const block = parseClean(text).declarations[0] as BlockDecl;
    const outer = (block.body[1] as Assignment).value as IfExpr;
    const nested = outer.otherwise[0];
    expect(nested.kind === 'ExpressionStatement' && nested.expr.kind).toBe('If');
    const inner = (nested as { expr: IfExpr }).expr;
    expect(inner.otherwise.map((s) => s.kind)).toEqual(['Assignment', 'ExpressionStatement']);
    expect(block.body[2]).toMatchObject({ kind: 'Output', value: { kind: 'If', otherwise: [] } });
  });

  it('reads transform steps as calls or bare names, with optional commas', () => {
    const ast = parseClean('transform T { ToTensor, Normalize(mean: 0.5, std: 0.5) Flip }');
    const steps = (ast.declarations[0] as TransformDecl).steps;
    expect(steps.map((s) => s.kind)).toEqual(['Name', 'Call', 'Name']);
    expect(steps[1].span).toEqual({
      start: { offset: 24, line: 1, column: 25 },
      end: { offset: 54, line: 1, column: 55 },
    });
  });

  it('reads every surgery statement and module path', () => {
    const text = [
      'network R = onnx("r.onnx", opset: 18) {',
      '  freeze layer1.0.conv1, layer4.*, BatchNorm2d',
      '  unfreeze *',
      '  replace fc with Linear(512, 10), init: zeros',
      '  remove avgpool',
      '  insert Dropout(0.5) after layer4.1',
      '}',
    ].join('\n');
    const net = parseClean(text).declarations[0] as OnnxNetworkDecl;
    expect(net.source.args).toHaveLength(2);
    const [freeze, unfreeze, replace, remove, insert] = net.body;
    expect(freeze.kind === 'Freeze' && freeze.patterns.map((p) => p.text)).toEqual([
      'layer1.0.conv1',
      'layer4.*',
      'BatchNorm2d',
    ]);
    expect(freeze.kind === 'Freeze' && freeze.patterns[0].span).toEqual({
      start: { offset: 49, line: 2, column: 10 },
      end: { offset: 63, line: 2, column: 24 },
    });
    expect(unfreeze).toMatchObject({ kind: 'Unfreeze', patterns: [{ text: '*' }] });
    expect(replace).toMatchObject({
      kind: 'Replace',
      target: { text: 'fc' },
      replacement: { kind: 'Call', callee: { name: 'Linear' } },
      options: [{ name: { name: 'init' }, value: { name: 'zeros' } }],
    });
    expect(remove).toMatchObject({ kind: 'Remove', target: { text: 'avgpool' } });
    expect(insert).toMatchObject({
      kind: 'Insert',
      layer: { kind: 'Call' },
      after: { text: 'layer4.1' },
    });
  });

  it('reads train statements; checkpoint without `every`', () => {
    const text = 'train T { stop when loss < 0.1\n checkpoint "runs/t"\n early_stop(patience: 3) }';
    const train = parseClean(text).declarations[0] as TrainDecl;
    expect(train.body).toMatchObject([
      { kind: 'Stop', condition: { kind: 'Binary', op: '<' } },
      { kind: 'Checkpoint', every: null, unit: null },
      { kind: 'CallStatement', call: { callee: { name: 'early_stop' } } },
    ]);
  });

  it('keeps contextual keywords usable as names', () => {
    const text = [
      'train T { stop = 3  checkpoint = every  when = after + with }',
      'network N(freeze = 1, in = 2) { input remove\n replace = remove -> insert }',
      'dataset D { block = transform }',
    ].join('\n');
    const ast = parseClean(text);
    const train = ast.declarations[0] as TrainDecl;
    expect(train.body.map((s) => s.kind === 'Assignment' && s.target.name)).toEqual([
      'stop',
      'checkpoint',
      'when',
    ]);
    expect(ast.declarations[1]).toMatchObject({
      kind: 'Network',
      params: [{ name: { name: 'freeze' } }, { name: { name: 'in' } }],
      body: [{ kind: 'Input', name: { name: 'remove' } }, { kind: 'Assignment' }],
    });
  });
});

describe('syntax errors in the new constructs', () => {
  it('asks for `with` in a replace', () => {
    expect(located('network R = onnx("r") {\n  replace fc Linear(1, 2)\n}')).toEqual([
      "2:14 expected 'with' after 'fc', found 'Linear'",
    ]);
  });

  it('names a block that is not closed', () => {
    expect(located('block B(a) {\n  input x\n')).toEqual([
      "3:1 expected '}' to close block 'B', found end of file",
    ]);
  });

  it('reports a statement that does not belong in a surgery body', () => {
    const { ast, diagnostics } = parse('network R = onnx("r") { x = 1\n remove fc }', 'x.net');
    expect(diagnostics.map((d) => d.message)).toEqual([
      "expected a new statement or '}' in network 'R', found 'x'",
    ]);
    expect((ast.declarations[0] as OnnxNetworkDecl).body).toMatchObject([{ kind: 'Remove' }]);
  });

  it.each([
    ['train T { stop steps > 3 }', "1:11 expected 'when' after 'stop', found 'steps'"],
    ['train T { checkpoint 3 }', "1:11 expected a string after 'checkpoint', found '3'"],
    [
      'train T { checkpoint "x" every epoch }',
      "1:32 expected a number after 'every', found 'epoch'",
    ],
    ['network N = onnx { }', "1:18 expected '(' after 'onnx', found '{'"],
    ['network N = onnx("a") { freeze }', "1:32 expected a module path, a name or '*', found '}'"],
    ['block B { y = if { x } }', "1:18 expected an expression after 'if', found '{'"],
    ['dataset D { a = 1 <> 2 }', "1:20 expected an expression after '<', found '>'"],
  ])('explains %j', (text, message) => {
    expect(located(text)).toEqual([message]);
  });

  it('recovers from a missing condition after `stop when`', () => {
    const { ast, diagnostics } = parse('train T { stop when\n epochs = 2 }', 'x.net');
    expect(diagnostics).toHaveLength(1);
    expect(ast.declarations[0].kind).toBe('Train');
  });
});
