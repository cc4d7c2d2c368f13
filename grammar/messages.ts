// Parser error messages in user terms: "expected '}' to close network 'MLP', found end of
// file". Chevrotain calls these builders at the moment of an error; the parser keeps
// `declaration` up to date so that messages can name the declaration being parsed.
import {
  EOF,
  tokenLabel,
  tokenMatcher,
  type IParserErrorMessageProvider,
  type IToken,
  type TokenType,
} from 'chevrotain';
import {
  CheckpointKw,
  declarationKeywords,
  Import,
  LCurly,
  RBracket,
  RCurly,
  RParen,
  Stop,
  StringLiteral,
  Unfreeze,
} from './tokens.js';

export type DeclarationKind = 'dataset' | 'network' | 'train' | 'block' | 'transform' | 'sweep';

export interface DeclarationContext {
  kind: DeclarationKind;
  name: string;
}

const DECLARATION_RULES = new Set([
  'datasetDecl',
  'networkDecl',
  'trainDecl',
  'blockDecl',
  'transformDecl',
  'sweepDecl',
  'onnxBody',
]);
const EXPRESSION_RULES = new Set(['expression', 'operation', 'primary']);
const STATEMENT_RULES = new Set([
  'networkStatement',
  'trainStatement',
  'surgeryStatement',
  'sweepEntry',
]);
const TOP_LEVEL_EXPECTATION =
  "'import', 'dataset', 'network', 'block', 'transform', 'train' or 'sweep'";
const MAX_SHOWN_LENGTH = 30;

export class ParseMessages implements IParserErrorMessageProvider {
  declaration: DeclarationContext | undefined;
  /** What follows the text being parsed: the end of the file, or the next declaration's keyword. */
  endOfInput = 'end of file';

  buildMismatchTokenMessage(options: {
    expected: TokenType;
    actual: IToken;
    previous: IToken;
    ruleName: string;
  }): string {
    const { expected, actual, previous, ruleName } = options;
    const expectation =
      this.closingExpectation(expected, actual, ruleName) ??
      `${labelOf(expected)}${after(previous)}`;
    return `expected ${expectation}, found ${this.describe(actual)}`;
  }

  buildNotAllInputParsedMessage(options: { firstRedundant: IToken }): string {
    return `expected ${TOP_LEVEL_EXPECTATION}, found ${this.describe(options.firstRedundant)}`;
  }

  buildNoViableAltMessage(options: {
    expectedPathsPerAlt: TokenType[][][];
    actual: IToken[];
    previous: IToken;
    ruleName: string;
  }): string {
    const { expectedPathsPerAlt, actual, previous, ruleName } = options;
    const found = this.describe(actual[0]);
    // `name=value` is read too (grammar/habits.ts), but ':' is what to write.
    if (ruleName === 'namedArgument') return `expected ':'${after(previous)}, found ${found}`;
    if (EXPRESSION_RULES.has(ruleName)) {
      return `expected an expression${after(previous)}, found ${found}`;
    }
    const keyword = ruleName === 'trainStatement' ? trainKeywordExpectation(actual) : undefined;
    if (keyword) return `expected ${keyword}, found ${this.describe(actual[1])}`;
    if (STATEMENT_RULES.has(ruleName)) {
      return `expected a statement in ${this.declarationName()}, found ${found}`;
    }
    return `expected ${firstTokensOf(expectedPathsPerAlt.flat())}, found ${found}`;
  }

  buildEarlyExitMessage(options: {
    expectedIterationPaths: TokenType[][];
    actual: IToken[];
  }): string {
    const expected = firstTokensOf(options.expectedIterationPaths);
    return `expected ${expected}, found ${this.describe(options.actual[0])}`;
  }

  /** Messages for a missing closer or opener, which read better with their context. */
  private closingExpectation(
    expected: TokenType,
    actual: IToken,
    ruleName: string,
  ): string | undefined {
    if (ruleName === 'file' && expected === EOF) return TOP_LEVEL_EXPECTATION;
    if (ruleName === 'callArguments' && expected === RParen) return "',' or ')' in the arguments";
    if (ruleName === 'list' && expected === RBracket) return "',' or ']' in the list";
    if (ruleName === 'parenthesized' && expected === RParen) return "')' to close '('";
    if (ruleName === 'statementBlock' && expected === RCurly) return "a new statement or '}'";
    if (!DECLARATION_RULES.has(ruleName)) return undefined;
    const declaration = this.declarationName();
    if (expected === LCurly) return `'{' to start the body of ${declaration}`;
    if (expected === RParen) return `',' or ')' in the parameters of ${declaration}`;
    if (expected !== RCurly) return undefined;
    return endsDeclaration(actual)
      ? `'}' to close ${declaration}`
      : `a new statement or '}' in ${declaration}`;
  }

  private declarationName(): string {
    if (this.declaration === undefined) return 'the declaration';
    const { kind, name } = this.declaration;
    return name === '' ? `the ${kind}` : `${kind} '${name}'`;
  }

  private describe(token: IToken | undefined): string {
    return describeToken(token, this.endOfInput);
  }
}

/**
 * `stop`, `checkpoint` and `unfreeze` are also names, so a statement that starts with one and goes wrong
 * matches no alternative; say what the keyword needs rather than "expected a statement".
 */
function trainKeywordExpectation(actual: IToken[]): string | undefined {
  if (tokenMatcher(actual[0], Stop)) return "'when' after 'stop'";
  if (tokenMatcher(actual[0], CheckpointKw)) return "a string after 'checkpoint'";
  if (tokenMatcher(actual[0], Unfreeze))
    return "a module pattern after 'unfreeze', then 'after N epochs'";
  return undefined;
}

/** True for what may legitimately follow a declaration's closing '}'. */
function endsDeclaration(token: IToken): boolean {
  return (
    token.tokenType === EOF || [Import, ...declarationKeywords].some((k) => tokenMatcher(token, k))
  );
}

function labelOf(type: TokenType): string {
  return type === EOF ? 'end of file' : tokenLabel(type);
}

/** "'->'", "a name", "a number" … joined as "A, B or C", without repeats. */
function firstTokensOf(paths: TokenType[][]): string {
  const labels = [...new Set(paths.filter((p) => p.length > 0).map((p) => labelOf(p[0])))];
  if (labels.length === 0) return 'something else';
  if (labels.length === 1) return labels[0];
  return `${labels.slice(0, -1).join(', ')} or ${labels[labels.length - 1]}`;
}

function after(previous: IToken | undefined): string {
  if (previous === undefined || previous.image === '' || Number.isNaN(previous.startOffset)) {
    return '';
  }
  return ` after ${describeToken(previous)}`;
}

/** How a token the user wrote is shown: its text in quotes, or "end of file". */
export function describeToken(token: IToken | undefined, endOfInput = 'end of file'): string {
  if (token === undefined || token.tokenType === EOF) return endOfInput;
  const image =
    token.image.length > MAX_SHOWN_LENGTH
      ? `${token.image.slice(0, MAX_SHOWN_LENGTH)}…`
      : token.image;
  return tokenMatcher(token, StringLiteral) ? image : `'${image}'`;
}
