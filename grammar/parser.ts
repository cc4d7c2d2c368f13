// The .net grammar as a chevrotain CstParser with error recovery. The rules only recognise
// and record; grammar/build-ast.ts turns the resulting CST into the AST of grammar/ast.ts.
import {
  CstParser,
  tokenMatcher,
  type CstNode,
  type IRecognitionException,
  type IToken,
  type TokenType,
} from 'chevrotain';
import { ParseMessages, type DeclarationKind } from './messages.js';
import {
  After,
  allTokens,
  And,
  Arrow,
  As,
  Auto,
  Block,
  CheckpointKw,
  Colon,
  Comma,
  Dataset,
  declarationKeywords,
  DottedPath,
  Else,
  EqualEqual,
  Equals,
  Every,
  False,
  Freeze,
  Greater,
  GreaterEqual,
  If,
  Import,
  Input,
  InsertKw,
  LBracket,
  LCurly,
  Less,
  LessEqual,
  LParen,
  Minus,
  Name,
  Network,
  Not,
  NotEqual,
  NumberLiteral,
  Or,
  Output,
  Percent,
  Plus,
  RBracket,
  RCurly,
  Remove,
  Replace,
  RParen,
  Slash,
  Star,
  Over,
  Stop,
  StringLiteral,
  Sweep,
  Train,
  Transform,
  True,
  Unfreeze,
  When,
  With,
} from './tokens.js';
import { SKIP_GRAMMAR_CHECKS } from './bundled.js';

class NetspecParser extends CstParser {
  private readonly messages: ParseMessages;

  constructor() {
    const messages = new ParseMessages();
    super(allTokens, {
      recoveryEnabled: true,
      nodeLocationTracking: 'full',
      errorMessageProvider: messages,
      skipValidations: SKIP_GRAMMAR_CHECKS,
    });
    this.messages = messages;
    this.performSelfAnalysis();
  }

  parseTokens(
    tokens: IToken[],
    endOfInput: string,
  ): { cst: CstNode; errors: IRecognitionException[] } {
    this.input = tokens;
    this.messages.declaration = undefined;
    this.messages.endOfInput = endOfInput;
    const cst = this.file();
    return { cst, errors: this.errors };
  }

  // ---- declarations ------------------------------------------------------------------------

  file = this.RULE('file', () => {
    this.MANY(() =>
      this.OR([
        { ALT: () => this.SUBRULE(this.importDecl) },
        { ALT: () => this.SUBRULE(this.datasetDecl) },
        { ALT: () => this.SUBRULE(this.networkDecl) },
        { ALT: () => this.SUBRULE(this.blockDecl) },
        { ALT: () => this.SUBRULE(this.transformDecl) },
        { ALT: () => this.SUBRULE(this.trainDecl) },
        { ALT: () => this.SUBRULE(this.sweepDecl) },
      ]),
    );
  });

  importDecl = this.RULE('importDecl', () => {
    this.CONSUME(Import);
    this.CONSUME(StringLiteral, { LABEL: 'path' });
  });

  datasetDecl = this.RULE('datasetDecl', () => {
    this.declarationHeader(Dataset, 'dataset');
    this.CONSUME(LCurly);
    this.MANY({ GATE: () => !this.atDeclarationStart(), DEF: () => this.SUBRULE(this.assignment) });
    this.CONSUME(RCurly);
  });

  trainDecl = this.RULE('trainDecl', () => {
    this.declarationHeader(Train, 'train');
    this.CONSUME(LCurly);
    this.MANY({
      GATE: () => !this.atDeclarationStart(),
      DEF: () => this.SUBRULE(this.trainStatement),
    });
    this.CONSUME(RCurly);
  });

  /** `sweep Name over Recipe { key = values … }`. */
  sweepDecl = this.RULE('sweepDecl', () => {
    this.declarationHeader(Sweep, 'sweep');
    this.CONSUME(Over);
    this.CONSUME2(Name, { LABEL: 'over' });
    this.CONSUME(LCurly);
    this.MANY({
      GATE: () => !this.atDeclarationStart(),
      DEF: () => this.SUBRULE(this.sweepEntry),
    });
    this.CONSUME(RCurly);
  });

  /** `seed = [1, 2]`, `optimizer.lr = log_uniform(1e-4, 1e-1, n: 4)`. */
  sweepEntry = this.RULE('sweepEntry', () => {
    this.OR([
      { ALT: () => this.CONSUME(DottedPath, { LABEL: 'key' }) },
      { ALT: () => this.CONSUME(Name, { LABEL: 'key' }) },
    ]);
    this.CONSUME(Equals);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  /** `network N(params) { statements }` or `network N = onnx("f.onnx") { surgery }`. */
  networkDecl = this.RULE('networkDecl', () => {
    this.declarationHeader(Network, 'network');
    this.OR([
      { ALT: () => this.SUBRULE(this.onnxBody, { LABEL: 'onnx' }) },
      { ALT: () => this.networkBody() },
    ]);
  });

  /** `= onnx("f.onnx") { surgery }`, the rest of a network imported from ONNX. */
  onnxBody = this.RULE('onnxBody', () => {
    this.CONSUME(Equals);
    this.SUBRULE(this.onnxSource, { LABEL: 'source' });
    this.CONSUME(LCurly);
    this.MANY({
      GATE: () => !this.atDeclarationStart(),
      DEF: () => this.SUBRULE(this.surgeryStatement),
    });
    this.CONSUME(RCurly);
  });

  blockDecl = this.RULE('blockDecl', () => {
    this.declarationHeader(Block, 'block');
    this.networkBody();
  });

  transformDecl = this.RULE('transformDecl', () => {
    this.declarationHeader(Transform, 'transform');
    this.CONSUME(LCurly);
    this.MANY({
      GATE: () => !this.atDeclarationStart(),
      DEF: () => this.SUBRULE(this.transformStep, { LABEL: 'step' }),
    });
    this.CONSUME(RCurly);
  });

  /**
   * `RandomCrop(28, padding: 4)` or a bare `ToTensor`; a separating comma is allowed. A dotted
   * name is torchvision's spelling (`transforms.Compose([…])`), read for grammar/habits.ts.
   */
  transformStep = this.RULE('transformStep', () => {
    this.OR([
      { ALT: () => this.CONSUME(Name, { LABEL: 'name' }) },
      { ALT: () => this.CONSUME(DottedPath, { LABEL: 'name' }) },
    ]);
    this.OPTION(() => this.SUBRULE(this.callArguments, { LABEL: 'arguments' }));
    this.OPTION2(() => this.CONSUME(Comma));
  });

  onnxSource = this.RULE('onnxSource', () => {
    this.CONSUME(Name, { LABEL: 'name' });
    this.SUBRULE(this.callArguments, { LABEL: 'arguments' });
  });

  parameter = this.RULE('parameter', () => {
    this.CONSUME(Name, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(Equals);
      this.SUBRULE(this.expression, { LABEL: 'default' });
    });
  });

  // ---- statements --------------------------------------------------------------------------

  networkStatement = this.RULE('networkStatement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.inputStatement) },
      { ALT: () => this.SUBRULE(this.outputStatement) },
      { ALT: () => this.SUBRULE(this.assignment) },
      { ALT: () => this.SUBRULE(this.expression) },
    ]);
  });

  inputStatement = this.RULE('inputStatement', () => {
    this.CONSUME(Input);
    this.CONSUME(Name, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(Colon);
      this.SUBRULE(this.list, { LABEL: 'shape' });
    });
  });

  outputStatement = this.RULE('outputStatement', () => {
    this.CONSUME(Output);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  assignment = this.RULE('assignment', () => {
    this.CONSUME(Name, { LABEL: 'target' });
    this.CONSUME(Equals);
    this.SUBRULE(this.expression, { LABEL: 'value' });
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE(this.namedArgument, { LABEL: 'option' });
    });
  });

  // `name=value`, as Python writes it, is read too; the AST builder marks it for grammar/habits.ts.
  namedArgument = this.RULE('namedArgument', () => {
    this.CONSUME(Name, { LABEL: 'name' });
    this.OR([
      { ALT: () => this.CONSUME(Colon) },
      { ALT: () => this.CONSUME(Equals, { LABEL: 'equals' }) },
    ]);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  // The keyword alternatives come first: `stop` and `checkpoint` are also names, and the
  // second token (`when`, a string, `=`, `(`) tells the statements apart.
  trainStatement = this.RULE('trainStatement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.stopStatement) },
      { ALT: () => this.SUBRULE(this.checkpointStatement) },
      { ALT: () => this.SUBRULE(this.unfreezeStatement) },
      { ALT: () => this.SUBRULE(this.assignment) },
      { ALT: () => this.SUBRULE(this.callStatement) },
    ]);
  });

  /** `stop when loss < 0.3` or, checked every N steps, `stop when loss < 0.3 every 100 steps`. */
  stopStatement = this.RULE('stopStatement', () => {
    this.CONSUME(Stop);
    this.CONSUME(When);
    this.SUBRULE(this.expression, { LABEL: 'condition' });
    this.OPTION(() => {
      this.CONSUME(Every);
      this.CONSUME(NumberLiteral, { LABEL: 'every' });
      this.CONSUME(Name, { LABEL: 'unit' });
    });
  });

  checkpointStatement = this.RULE('checkpointStatement', () => {
    this.CONSUME(CheckpointKw);
    this.CONSUME(StringLiteral, { LABEL: 'path' });
    this.OPTION(() => {
      this.CONSUME(Every);
      this.CONSUME(NumberLiteral, { LABEL: 'every' });
      this.CONSUME(Name, { LABEL: 'unit' });
    });
  });

  /** `unfreeze layer4.*, layer3.* after 2 epochs`: a training stage of the train block. */
  unfreezeStatement = this.RULE('unfreezeStatement', () => {
    this.CONSUME(Unfreeze);
    this.SUBRULE(this.pathPattern, { LABEL: 'pattern' });
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE2(this.pathPattern, { LABEL: 'pattern' });
    });
    this.CONSUME(After);
    this.CONSUME(NumberLiteral, { LABEL: 'after' });
    this.CONSUME(Name, { LABEL: 'unit' });
  });

  callStatement = this.RULE('callStatement', () => {
    this.CONSUME(Name, { LABEL: 'name' });
    this.SUBRULE(this.callArguments, { LABEL: 'arguments' });
  });

  surgeryStatement = this.RULE('surgeryStatement', () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(Freeze, { LABEL: 'freeze' }) },
            { ALT: () => this.CONSUME(Unfreeze, { LABEL: 'unfreeze' }) },
          ]);
          this.SUBRULE(this.pathPattern, { LABEL: 'pattern' });
          // More patterns, then options (`name: value`): two tokens tell them apart.
          this.MANY(() => {
            this.CONSUME(Comma);
            this.OR3([
              { ALT: () => this.SUBRULE2(this.namedArgument, { LABEL: 'option' }) },
              { ALT: () => this.SUBRULE2(this.pathPattern, { LABEL: 'pattern' }) },
            ]);
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(Replace, { LABEL: 'replace' });
          this.SUBRULE3(this.pathPattern, { LABEL: 'pattern' });
          this.CONSUME(With);
          this.SUBRULE(this.expression, { LABEL: 'value' });
          this.MANY2(() => {
            this.CONSUME2(Comma);
            this.SUBRULE(this.namedArgument, { LABEL: 'option' });
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(Remove, { LABEL: 'remove' });
          this.SUBRULE4(this.pathPattern, { LABEL: 'pattern' });
        },
      },
      {
        ALT: () => {
          this.CONSUME(InsertKw, { LABEL: 'insert' });
          this.SUBRULE2(this.expression, { LABEL: 'value' });
          this.CONSUME(After);
          this.SUBRULE5(this.pathPattern, { LABEL: 'pattern' });
        },
      },
    ]);
  });

  /** `conv1`, `layer4.*`, `layer1.0.conv1` (one DottedPath token), or `*`. */
  pathPattern = this.RULE('pathPattern', () => {
    this.OR([
      { ALT: () => this.CONSUME(DottedPath, { LABEL: 'path' }) },
      { ALT: () => this.CONSUME(Name, { LABEL: 'path' }) },
      { ALT: () => this.CONSUME(Star, { LABEL: 'path' }) },
    ]);
  });

  // ---- expressions, loosest binding first --------------------------------------------------

  /** A chain `a -> B -> C`, or a single stage. */
  expression = this.RULE('expression', () => {
    this.SUBRULE(this.operation, { LABEL: 'stage' });
    this.MANY(() => {
      this.CONSUME(Arrow);
      this.SUBRULE2(this.operation, { LABEL: 'stage' });
    });
  });

  /**
   * A stage: operands joined by binary operators, each operand after its prefix operators
   * (`-a * b + c`, `not x > 1 and y`), optionally naming its layer (`Conv2d(1, 64, 7) as conv1`).
   * The row is recorded flat, in one CST node; grammar/build-expr.ts applies precedence with
   * an explicit stack. One node per stage instead of one per precedence level keeps a long list
   * cheap, and no run of operators or operands costs recursion.
   */
  operation = this.RULE('operation', () => {
    this.MANY(() =>
      this.OR3([
        { ALT: () => this.CONSUME2(Minus, { LABEL: 'prefix' }) },
        { ALT: () => this.CONSUME(Not, { LABEL: 'prefix' }) },
      ]),
    );
    this.SUBRULE(this.primary, { LABEL: 'operand' });
    this.MANY2(() => {
      this.OR([
        { ALT: () => this.CONSUME(Or, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(And, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(EqualEqual, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(NotEqual, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(LessEqual, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(GreaterEqual, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(Less, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(Greater, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(Plus, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(Minus, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(Star, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(Slash, { LABEL: 'operator' }) },
      ]);
      this.MANY3(() =>
        this.OR4([
          { ALT: () => this.CONSUME3(Minus, { LABEL: 'prefix' }) },
          { ALT: () => this.CONSUME2(Not, { LABEL: 'prefix' }) },
        ]),
      );
      this.SUBRULE2(this.primary, { LABEL: 'operand' });
    });
    this.OPTION(() => {
      this.CONSUME(As);
      this.OR2([
        { ALT: () => this.CONSUME(DottedPath, { LABEL: 'alias' }) },
        { ALT: () => this.CONSUME(Name, { LABEL: 'alias' }) },
      ]);
    });
  });

  primary = this.RULE('primary', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(NumberLiteral, { LABEL: 'number' });
          this.OPTION(() => this.CONSUME(Percent, { LABEL: 'percent' }));
        },
      },
      { ALT: () => this.CONSUME(StringLiteral, { LABEL: 'string' }) },
      { ALT: () => this.CONSUME(True, { LABEL: 'true' }) },
      { ALT: () => this.CONSUME(False, { LABEL: 'false' }) },
      { ALT: () => this.CONSUME(Auto, { LABEL: 'auto' }) },
      {
        ALT: () => {
          this.CONSUME(Name, { LABEL: 'name' });
          this.OPTION2(() => this.SUBRULE(this.callArguments, { LABEL: 'arguments' }));
        },
      },
      // `nn.Conv2d(…)`: PyTorch's spelling, read so that it is one diagnostic (grammar/habits.ts).
      {
        ALT: () => {
          this.CONSUME(DottedPath, { LABEL: 'name' });
          this.OPTION3(() => this.SUBRULE2(this.callArguments, { LABEL: 'arguments' }));
        },
      },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.parenthesized) },
      { ALT: () => this.SUBRULE(this.ifExpression) },
    ]);
  });

  /** `if c { … } else if d { … } else { … }`; the else part is optional. */
  ifExpression = this.RULE('ifExpression', () => {
    this.CONSUME(If);
    this.SUBRULE(this.expression, { LABEL: 'condition' });
    this.SUBRULE(this.statementBlock, { LABEL: 'then' });
    this.OPTION(() => {
      this.CONSUME(Else);
      this.OR([
        { ALT: () => this.SUBRULE(this.ifExpression, { LABEL: 'elseIf' }) },
        { ALT: () => this.SUBRULE2(this.statementBlock, { LABEL: 'otherwise' }) },
      ]);
    });
  });

  statementBlock = this.RULE('statementBlock', () => {
    this.CONSUME(LCurly);
    this.MANY({
      GATE: () => !this.atDeclarationStart(),
      DEF: () => this.SUBRULE(this.networkStatement),
    });
    this.CONSUME(RCurly);
  });

  callArguments = this.RULE('callArguments', () => {
    this.CONSUME(LParen);
    this.OPTION(() => {
      this.SUBRULE(this.argument);
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.argument);
      });
      this.OPTION2(() => this.CONSUME2(Comma));
    });
    this.CONSUME(RParen);
  });

  argument = this.RULE('argument', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.namedArgument, { LABEL: 'named' }) },
      { ALT: () => this.SUBRULE(this.expression, { LABEL: 'value' }) },
    ]);
  });

  list = this.RULE('list', () => {
    this.CONSUME(LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.expression, { LABEL: 'item' });
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.expression, { LABEL: 'item' });
      });
      this.OPTION2(() => this.CONSUME2(Comma));
    });
    this.CONSUME(RBracket);
  });

  /** `(a + b)`; with commas a Python tuple `(7, 7)`, read as a list for grammar/habits.ts. */
  parenthesized = this.RULE('parenthesized', () => {
    this.CONSUME(LParen);
    this.SUBRULE(this.expression, { LABEL: 'inner' });
    this.MANY(() => {
      this.CONSUME(Comma, { LABEL: 'comma' });
      this.SUBRULE2(this.expression, { LABEL: 'inner' });
    });
    this.OPTION(() => this.CONSUME2(Comma, { LABEL: 'comma' }));
    this.CONSUME(RParen);
  });

  /**
   * Recovery may pretend a missing closer, `=` or `:` was there, but not a missing opener: an
   * invented `[` or `(` makes the parser read the following statements as its contents and
   * report a cascade of errors the user did not make.
   */
  protected override canTokenTypeBeInsertedInRecovery(tokType: TokenType): boolean {
    return tokType !== LBracket && tokType !== LParen;
  }

  // ---- helpers shared by the declaration rules -----------------------------------------------

  /** `keyword Name`, remembering the declaration so error messages can name it. */
  private declarationHeader(keyword: TokenType, kind: DeclarationKind): void {
    this.CONSUME(keyword);
    this.ACTION(() => (this.messages.declaration = { kind, name: '' }));
    const name = this.CONSUME(Name, { LABEL: 'name' });
    this.ACTION(() => (this.messages.declaration = { kind, name: name.image }));
  }

  /** `(params)? { statements }`, shared by networks and blocks. */
  private networkBody(): void {
    this.OPTION(() => {
      this.CONSUME(LParen);
      this.OPTION2(() => {
        this.SUBRULE(this.parameter);
        this.MANY(() => {
          this.CONSUME(Comma);
          this.SUBRULE2(this.parameter);
        });
      });
      this.CONSUME(RParen);
    });
    this.CONSUME(LCurly);
    this.MANY2({
      GATE: () => !this.atDeclarationStart(),
      DEF: () => this.SUBRULE(this.networkStatement),
    });
    this.CONSUME(RCurly);
  }

  /**
   * Whether the next tokens begin a new top-level declaration. Bodies stop there, so a
   * missing '}' is reported at the next declaration and that declaration still parses.
   */
  private atDeclarationStart(): boolean {
    const [first, second] = [this.LA(1), this.LA(2)];
    if (tokenMatcher(first, Import)) return tokenMatcher(second, StringLiteral);
    return declarationKeywords.some((k) => tokenMatcher(first, k)) && tokenMatcher(second, Name);
  }
}

let sharedParser: NetspecParser | undefined;

/**
 * Parses a token vector; the parser is built once (grammar analysis is the costly part).
 * `endOfInput` is how messages name what follows the tokens (a part of a file ends where the
 * next declaration begins).
 */
export function parseTokens(
  tokens: IToken[],
  endOfInput = 'end of file',
): { cst: CstNode; errors: IRecognitionException[] } {
  sharedParser ??= new NetspecParser();
  return sharedParser.parseTokens(tokens, endOfInput);
}
