import { describe, it, expect } from 'vitest';
import {
  parse,
  type Assignment,
  type CallExpr,
  type ChainExpr,
  type DatasetDecl,
  type Diagnostic,
  type Expr,
  type NetworkDecl,
  type ParseResult,
  type SpecFile,
  type TrainDecl,
} from '../../grammar/index.js';

const FASHION_MLP = `# fashion-mlp.net — a 784-256-10 MLP on Fashion-MNIST
import "common.net"

dataset Fashion {
  train = idx("fashion-mnist/train-images-idx3-ubyte.gz", "fashion-mnist/train-labels-idx1-ubyte.gz")
  test  = idx("fashion-mnist/t10k-images-idx3-ubyte.gz", "fashion-mnist/t10k-labels-idx1-ubyte.gz")
  validation = split(train, 10%, seed: 7)
  classes = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
  scale = 1/255
}

network MLP(hidden = 256, classes = 10) {
  input x: [1, 28, 28]
  h = x -> Flatten -> Linear(auto, hidden) -> ReLU
  h -> Linear(hidden, classes, bias: true)
}

train Baseline {
  model     = MLP(hidden: 256)
  data      = Fashion, batch: 64, shuffle: true
  loss      = cross_entropy
  optimizer = SGD(lr: 0.05, momentum: 0.9)
  epochs    = 2
  seed      = 42
  lr_decay  = -0.5 * 2
}
`;

function parseClean(text: string): SpecFile {
  const { ast, diagnostics } = parse(text, 'test.net');
  expect(diagnostics).toEqual([]);
  return ast;
}

/** The value of `name = …` in the first declaration of a one-declaration file. */
function valueOf(text: string): Expr {
  const decl = parseClean(text).declarations[0] as DatasetDecl;
  return decl.body[0].value;
}

function assignment(body: readonly { kind: string }[], target: string): Assignment {
  const assignments = body.filter((s): s is Assignment => s.kind === 'Assignment');
  const found = assignments.find((a) => a.target.name === target);
  if (found === undefined) throw new Error(`no assignment to ${target}`);
  return found;
}

/** `line:column message` of every diagnostic, the form a user sees. */
function located(diagnostics: Diagnostic[]): string[] {
  return diagnostics.map((d) => `${d.span.start.line}:${d.span.start.column} ${d.message}`);
}

describe('the Fashion-MNIST example', () => {
  const ast = parseClean(FASHION_MLP);
  const [dataset, network, train] = ast.declarations as [DatasetDecl, NetworkDecl, TrainDecl];

  it('has the import and the three declarations in source order', () => {
    expect(ast.kind).toBe('File');
    expect(ast.file).toBe('test.net');
    expect(ast.imports.map((i) => i.path.value)).toEqual(['common.net']);
    expect(ast.declarations.map((d) => [d.kind, d.name.name])).toEqual([
      ['Dataset', 'Fashion'],
      ['Network', 'MLP'],
      ['Train', 'Baseline'],
    ]);
  });

  it('reads the dataset: calls, a percentage, a list and a division', () => {
    expect(dataset.body.map((a) => a.target.name)).toEqual([
      'train',
      'test',
      'validation',
      'classes',
      'scale',
    ]);
    const split = assignment(dataset.body, 'validation').value as CallExpr;
    expect(split.callee.name).toBe('split');
    expect(split.args.map((a) => a.name?.name ?? null)).toEqual([null, null, 'seed']);
    expect(split.args[0].value).toMatchObject({ kind: 'Name', name: 'train' });
    expect(split.args[1].value).toMatchObject({ kind: 'Number', value: 0.1, text: '10%' });
    expect(split.args[1].value).toMatchObject({ isInteger: false });
    const classes = assignment(dataset.body, 'classes').value;
    expect(classes.kind === 'List' && classes.items.length).toBe(10);
    expect(assignment(dataset.body, 'scale').value).toMatchObject({
      kind: 'Binary',
      op: '/',
      left: { kind: 'Number', value: 1, isInteger: true },
      right: { kind: 'Number', value: 255 },
    });
  });

  it('reads the network: parameters with defaults, input shape, chains', () => {
    expect(network.params.map((p) => [p.name.name, p.default])).toMatchObject([
      ['hidden', { kind: 'Number', value: 256 }],
      ['classes', { kind: 'Number', value: 10 }],
    ]);
    const [input, hidden, result] = network.body;
    expect(input).toMatchObject({ kind: 'Input', name: { name: 'x' } });
    expect(input.kind === 'Input' && input.shape?.items.map((i) => i.kind)).toEqual([
      'Number',
      'Number',
      'Number',
    ]);
    const chain = (hidden as Assignment).value as ChainExpr;
    expect(chain.kind).toBe('Chain');
    expect(chain.stages.map((s) => s.kind)).toEqual(['Name', 'Name', 'Call', 'Name']);
    expect((chain.stages[2] as CallExpr).args[0].value.kind).toBe('Auto');
    expect(result.kind).toBe('ExpressionStatement');
    const last = result.kind === 'ExpressionStatement' ? (result.expr as ChainExpr) : undefined;
    const linear = last?.stages[1] as CallExpr;
    expect(linear.args.map((a) => a.name?.name ?? null)).toEqual([null, null, 'bias']);
    expect(linear.args[2].value).toMatchObject({ kind: 'Boolean', value: true });
  });

  it('reads the train block: options after a value, exponents and unary minus', () => {
    const data = assignment(train.body, 'data');
    expect(data.value).toMatchObject({ kind: 'Name', name: 'Fashion' });
    expect(data.options.map((o) => [o.name?.name, o.value])).toMatchObject([
      ['batch', { kind: 'Number', value: 64 }],
      ['shuffle', { kind: 'Boolean', value: true }],
    ]);
    expect(assignment(train.body, 'model').value).toMatchObject({
      kind: 'Call',
      args: [{ name: { name: 'hidden' }, value: { value: 256 } }],
    });
    expect(assignment(train.body, 'lr_decay').value).toMatchObject({
      kind: 'Binary',
      op: '*',
      left: { kind: 'Unary', op: '-', operand: { kind: 'Number', value: 0.5 } },
      right: { kind: 'Number', value: 2 },
    });
  });

  it('gives exact spans: a call inside a chain, the chain, a declared name', () => {
    const chain = (network.body[1] as Assignment).value as ChainExpr;
    expect(chain.stages[2].span).toEqual({
      start: { offset: 558, line: 14, column: 23 },
      end: { offset: 578, line: 14, column: 43 },
    });
    expect(FASHION_MLP.slice(558, 578)).toBe('Linear(auto, hidden)');
    expect(chain.span).toEqual({
      start: { offset: 542, line: 14, column: 7 },
      end: { offset: 586, line: 14, column: 51 },
    });
    expect(train.name.span).toEqual({
      start: { offset: 639, line: 18, column: 7 },
      end: { offset: 647, line: 18, column: 15 },
    });
    expect(FASHION_MLP.slice(639, 647)).toBe('Baseline');
    expect(ast.span.start).toEqual({ offset: 0, line: 1, column: 1 });
    expect(ast.span.end.offset).toBe(FASHION_MLP.length);
  });
});

describe('lexing', () => {
  it('treats words that merely start with a keyword as names', () => {
    const ast = parseClean('train trainer { inputs = outputs, automatic: true_ }');
    const train = ast.declarations[0] as TrainDecl;
    expect(train.name.name).toBe('trainer');
    const inputs = assignment(train.body, 'inputs');
    expect(inputs.value).toMatchObject({ kind: 'Name', name: 'outputs' });
    expect(inputs.options[0]).toMatchObject({
      name: { name: 'automatic' },
      value: { kind: 'Name', name: 'true_' },
    });
  });

  it('lets declaration keywords be names inside a body', () => {
    const decl = parseClean('dataset D { train = load(network: 1)  dataset = train }');
    const body = (decl.declarations[0] as DatasetDecl).body;
    expect(body.map((a) => a.target.name)).toEqual(['train', 'dataset']);
    expect(body[1].value).toMatchObject({ kind: 'Name', name: 'train' });
  });

  it.each([
    ['42', 42, true],
    ['0.5', 0.5, false],
    ['.5', 0.5, false],
    ['1e-3', 0.001, false],
    // Whole numbers are integers however they are written (docs/language.md).
    ['2.5E+4', 25000, true],
    ['32.0', 32, true],
    ['1e12', 1e12, true],
    ['10%', 0.1, false],
    ['2.5%', 0.025, false],
  ])('reads the number %s', (text, value, isInteger) => {
    expect(valueOf(`dataset D { n = ${text} }`)).toMatchObject({
      kind: 'Number',
      value,
      text,
      isInteger,
    });
  });

  it('decodes string escapes', () => {
    const value = valueOf(String.raw`dataset D { s = "a \"q\" b\\c\nd\te" }`);
    expect(value).toMatchObject({ kind: 'String', value: 'a "q" b\\c\nd\te' });
  });

  it('skips comments and whitespace, including a comment at end of file', () => {
    const ast = parseClean('# only a comment\n\n  dataset D { # inside\n a = 1 # after\n}\n# end');
    expect(ast.declarations).toHaveLength(1);
  });

  it('reports unexpected characters and unterminated strings with positions', () => {
    const { ast, diagnostics } = parse(
      'dataset D {\n  a = 1 @ 2\n  b = "open\n  c = $$\n}',
      'x.net',
    );
    expect(diagnostics.map((d) => d.code)).toEqual(['NS0001', 'NS0002', 'NS0001']);
    expect(located(diagnostics)).toEqual([
      "2:9 unexpected character '@'",
      '3:7 unterminated string',
      "4:7 unexpected characters '$$'",
    ]);
    expect(diagnostics[0].file).toBe('x.net');
    expect(diagnostics[0].span.end).toEqual({ offset: 21, line: 2, column: 10 });
    // The unterminated string still counts as a value, so `b` is not lost.
    const body = (ast.declarations[0] as DatasetDecl).body;
    expect(body.map((a) => a.target.name)).toEqual(['a', 'b']);
    expect(body[1].value).toMatchObject({ kind: 'String', value: 'open' });
  });

  it('shows an invisible character by its code point', () => {
    const { diagnostics } = parse('dataset D {\u0007}', 'x.net');
    expect(located(diagnostics)).toEqual(["1:12 unexpected character 'U+0007'"]);
  });

  it('reports an unknown escape in a string', () => {
    const { diagnostics } = parse(String.raw`import "a\qb"`, 'x.net');
    expect(located(diagnostics)).toEqual([
      String.raw`1:10 unknown escape '\q' in string; use \" \\ \n or \t`,
    ]);
  });
});

describe('expressions', () => {
  it('binds * tighter than +, and both tighter than ->', () => {
    expect(valueOf('dataset D { v = a -> 1 + 2 * 3 - 4 }')).toMatchObject({
      kind: 'Chain',
      stages: [
        { kind: 'Name', name: 'a' },
        {
          kind: 'Binary',
          op: '-',
          left: { op: '+', left: { value: 1 }, right: { op: '*', left: { value: 2 } } },
          right: { value: 4 },
        },
      ],
    });
  });

  it('reads parentheses, nested unary minus and an empty call', () => {
    expect(valueOf('dataset D { v = -(1 + 2) / - -x }')).toMatchObject({
      kind: 'Binary',
      op: '/',
      left: { kind: 'Unary', operand: { kind: 'Binary', op: '+' } },
      right: { kind: 'Unary', operand: { kind: 'Unary', operand: { kind: 'Name' } } },
    });
    expect(valueOf('dataset D { v = f() }')).toMatchObject({ kind: 'Call', args: [] });
  });

  it('accepts trailing commas in calls and lists', () => {
    expect(valueOf('dataset D { v = f(1, k: [2, 3,],) }')).toMatchObject({
      kind: 'Call',
      args: [{ name: null }, { name: { name: 'k' }, value: { kind: 'List' } }],
    });
  });

  it('continues a chain on the next line', () => {
    const ast = parseClean(
      'network N {\n  x -> Conv2d(1, 32, 3) -> ReLU\n    -> Flatten\n  output x\n}',
    );
    const [statement, output] = (ast.declarations[0] as NetworkDecl).body;
    expect(statement.kind === 'ExpressionStatement' && statement.expr).toMatchObject({
      kind: 'Chain',
      stages: [{ name: 'x' }, { kind: 'Call' }, { name: 'ReLU' }, { name: 'Flatten' }],
    });
    expect(output).toMatchObject({ kind: 'Output', value: { kind: 'Name', name: 'x' } });
  });

  it('gives a network without parentheses no parameters', () => {
    const network = parseClean('network N { input x }').declarations[0] as NetworkDecl;
    expect(network.params).toEqual([]);
    expect(network.body[0]).toMatchObject({ kind: 'Input', shape: null });
  });
});

describe('syntax errors', () => {
  it('names the unclosed declaration at end of file', () => {
    const { ast, diagnostics } = parse('network Net {\n  x -> Flatten\n', 'x.net');
    expect(located(diagnostics)).toEqual([
      "3:1 expected '}' to close network 'Net', found end of file",
    ]);
    expect(diagnostics[0].code).toBe('NS0003');
    expect(ast.declarations[0]).toMatchObject({ kind: 'Network', name: { name: 'Net' } });
  });

  it('speaks of tokens as the user wrote them', () => {
    const { diagnostics } = parse('network N {\n  h = x -> )\n}', 'x.net');
    expect(located(diagnostics)).toEqual(["2:12 expected an expression after '->', found ')'"]);
  });

  it('reports one error per broken declaration and keeps the good ones', () => {
    const text = [
      'dataset Good { a = 1 }',
      'network Bad(a, b {',
      '  x -> Linear(a, b)',
      '}',
      'train T {',
      '  epochs = = 2',
      '  seed = 1',
      '}',
      'network Missing {',
      '  x -> ReLU',
      'train Last { data = Good, batch 64 }',
    ].join('\n');
    const { ast, diagnostics } = parse(text, 'x.net');
    expect(located(diagnostics)).toEqual([
      "2:18 expected ',' or ')' in the parameters of network 'Bad', found '{'",
      "6:12 expected an expression after '=', found '='",
      "11:1 expected '}' to close network 'Missing', found 'train'",
      "11:33 expected ':' after 'batch', found '64'",
    ]);
    expect(diagnostics.every((d) => d.code === 'NS0003' && d.severity === 'error')).toBe(true);
    expect(ast.declarations.map((d) => d.name.name)).toEqual([
      'Good',
      'Bad',
      'T',
      'Missing',
      'Last',
    ]);
    const [, bad, train] = ast.declarations as [DatasetDecl, NetworkDecl, TrainDecl];
    expect(bad.params.map((p) => p.name.name)).toEqual(['a', 'b']);
    expect(bad.body).toHaveLength(1);
    // The broken `epochs` assignment is dropped; the next one survives.
    expect(train.body.map((a) => (a as Assignment).target.name)).toEqual(['seed']);
  });

  it('skips stray tokens between declarations', () => {
    const { ast, diagnostics } = parse(') ]\ndataset D {}\n, =', 'x.net');
    expect(located(diagnostics)).toEqual([
      "1:1 expected 'import', 'dataset', 'network', 'block', 'transform', 'train' or 'sweep', found ')'",
      "3:1 expected 'import', 'dataset', 'network', 'block', 'transform', 'train' or 'sweep', found ','",
    ]);
    expect(ast.declarations.map((d) => d.name.name)).toEqual(['D']);
  });

  it('reports a stray token inside a body', () => {
    const { ast, diagnostics } = parse('train T { a = 1 = 2\n b = 3 }', 'x.net');
    expect(located(diagnostics)).toEqual([
      "1:17 expected a new statement or '}' in train 'T', found '='",
    ]);
    expect(
      (ast.declarations[0] as TrainDecl).body.map((a) => (a as Assignment).target.name),
    ).toEqual(['a', 'b']);
  });

  it('reports a missing closing parenthesis of a call', () => {
    const { ast, diagnostics } = parse('network N {\n  h -> Linear(1, 2\n  h -> ReLU\n}', 'x.net');
    expect(located(diagnostics)).toEqual(["3:3 expected ',' or ')' in the arguments, found 'h'"]);
    expect((ast.declarations[0] as NetworkDecl).body).toHaveLength(2);
  });

  it('caps bracket nesting instead of overflowing the stack', () => {
    const text = `dataset D { a = ${'f(['.repeat(500)} }`;
    const { diagnostics } = parse(text, 'x.net');
    expect(diagnostics[0].message).toBe('brackets nested more than 32 deep');
  });
});

describe('robustness', () => {
  const garbage = [
    '',
    '   \n\t ',
    'network {',
    'network',
    'train T { x = }',
    'dataset D { a = 1',
    'import',
    'import 42',
    '"unterminated',
    'dataset D { s = "abc\\',
    '}{)(][,:=->+-*/%',
    '-> -> ->',
    'network N( { } ) train',
    'network N(a = ) { input : [ output }',
    'train T { data = X, , batch: }',
    'dataset D { a = f(k: , ) b = [1,, 2] c = (1 + ) }',
    'network N { x -> -> A(  h = }',
    `dataset D { a = ${'['.repeat(5000)} }`,
    `dataset D { a = ${'('.repeat(3000)}${')'.repeat(3000)} }`,
    `dataset D { a = ${'-'.repeat(20000)}1 }`,
    'dataset D { a = 10 % % }',
    '@#$^&|~`?!',
    'dataset D {} dataset D {} dataset',
    'train input { output = auto }',
  ];

  // Titles show at most 40 characters of the input; some inputs are thousands long.
  const titled = garbage.map((text) => [text.length > 40 ? `${text.slice(0, 40)}…` : text, text]);
  it.each(titled)('returns an AST and diagnostics for %j', (_title, text) => {
    const result = parse(text, 'bad.net');
    expect(Array.isArray(result.diagnostics)).toBe(true);
    expect(result.ast.kind).toBe('File');
    expectWellFormed(result.ast);
    for (const d of result.diagnostics) expectValidSpan(d.span, text);
  });

  it('reports, rather than throws, when called with almost no stack left', () => {
    const result = parseWithAlmostNoStack(`dataset D { a = ${'f(['.repeat(30)} }`);
    expect(located(result.diagnostics)).toEqual(['1:1 the file is nested too deeply to parse']);
    expect(result.ast.declarations).toEqual([]);
    // The shared parser recovers for the next call.
    expect(parse('dataset D { a = 1 }', 'x.net').diagnostics).toEqual([]);
  });

  it('survives random token soup', () => {
    const vocabulary = [
      'import',
      'dataset',
      'network',
      'train',
      'input',
      'output',
      'true',
      'auto',
      'x',
      'Net',
      '1',
      '.5',
      '2e3',
      '"s"',
      '"u',
      '->',
      '=',
      ',',
      ':',
      '(',
      ')',
      '[',
      ']',
      '{',
      '}',
      '+',
      '-',
      '*',
      '/',
      '%',
      '#c\n',
      '\n',
      '@',
    ];
    const random = seededRandom(20240601);
    for (let run = 0; run < 400; run++) {
      const length = Math.floor(random() * 40);
      const words = Array.from(
        { length },
        () => vocabulary[Math.floor(random() * vocabulary.length)],
      );
      const text = words.join(' ');
      const result = parse(text, 'soup.net');
      expect(result.ast.kind, text).toBe('File');
      expectWellFormed(result.ast);
      for (const d of result.diagnostics) expectValidSpan(d.span, text);
    }
  });
});

/**
 * Every object in the AST has no `undefined` field, and every node has a span. Iterative, as
 * `- - - … 1` legitimately builds a tree deeper than the stack.
 */
function expectWellFormed(ast: SpecFile): void {
  const pending: [unknown, string][] = [[ast, 'ast']];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, path] = next;
    if (value === null || typeof value !== 'object') continue;
    if ('kind' in value) expect('span' in value, `${path} has a span`).toBe(true);
    for (const [key, field] of Object.entries(value)) {
      expect(field, `${path}.${key}`).not.toBeUndefined();
      if (key !== 'span') pending.push([field, `${path}.${key}`]);
    }
  }
}

function expectValidSpan(span: Diagnostic['span'], text: string): void {
  for (const position of [span.start, span.end]) {
    expect(Number.isInteger(position.offset) && position.offset <= text.length).toBe(true);
    expect(position.line >= 1 && position.column >= 1).toBe(true);
  }
  expect(span.end.offset >= span.start.offset).toBe(true);
}

/** Recurses until the stack overflows, then parses from the deepest frame that can call parse. */
function parseWithAlmostNoStack(text: string): ParseResult {
  let result: ParseResult | undefined;
  const descend = (): void => {
    try {
      descend();
    } catch {
      // The stack is full below this frame.
    }
    result ??= parse(text, 'x.net');
  };
  descend();
  if (result === undefined) throw new Error('parse never returned');
  return result;
}

/** A small deterministic generator (mulberry32), so a failing soup can be reproduced. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
