// Every token of the .net language. Order in `allTokens` is the lexer's priority order:
// longer punctuation before its prefixes (`->` before `-`), keywords before `Identifier`.
// Each token has a `label` in user terms ("'->'", 'a name'); error messages print labels,
// never token type names.
import { createToken, Lexer, type TokenType } from 'chevrotain';
import { SKIP_GRAMMAR_CHECKS } from './bundled.js';

export const Whitespace = createToken({
  name: 'Whitespace',
  pattern: /[ \t\r\n]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});

// Comments are kept in their own group (not the parser's input) so that the formatter and the
// editor can put them back where they were.
export const Comment = createToken({ name: 'Comment', pattern: /#[^\r\n]*/, group: 'comments' });

// `Name` is a category, never produced by the lexer: it matches identifiers and the "soft"
// keywords below. The declaration keywords double as ordinary names inside a body, because
// `train = idx(...)` in a dataset and `split(train, 10%)` are natural to write.
export const Name = createToken({ name: 'Name', pattern: Lexer.NA, label: 'a name' });

export const Identifier = createToken({
  name: 'Identifier',
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  categories: [Name],
  label: 'a name',
});

function keyword(word: string, categories: TokenType[] = []): TokenType {
  return createToken({
    name: word[0].toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories,
    label: `'${word}'`,
  });
}

export const Import = keyword('import', [Name]);
export const Dataset = keyword('dataset', [Name]);
export const Network = keyword('network', [Name]);
export const Train = keyword('train', [Name]);
export const Block = keyword('block', [Name]);
export const Transform = keyword('transform', [Name]);
export const Sweep = keyword('sweep', [Name]);
export const Input = keyword('input');
export const Output = keyword('output');
export const True = keyword('true');
export const False = keyword('false');
export const Auto = keyword('auto');
export const If = keyword('if');
export const Else = keyword('else');
export const And = keyword('and');
export const Or = keyword('or');
export const Not = keyword('not');

// Contextual keywords: they start a statement only where that statement may appear (surgery in
// `network N = onnx(...) { }`, `stop when`/`checkpoint` in a train block, `over` in a sweep's
// header) and are ordinary names everywhere else, so `stop = 3` or `Linear(...) -> freeze` keep
// working.
export const Freeze = keyword('freeze', [Name]);
export const Unfreeze = keyword('unfreeze', [Name]);
export const Replace = keyword('replace', [Name]);
export const Remove = keyword('remove', [Name]);
export const InsertKw = keyword('insert', [Name]);
export const With = keyword('with', [Name]);
export const After = keyword('after', [Name]);
export const Stop = keyword('stop', [Name]);
export const When = keyword('when', [Name]);
export const CheckpointKw = keyword('checkpoint', [Name]);
export const Every = keyword('every', [Name]);
export const As = keyword('as', [Name]);
export const Over = keyword('over', [Name]);

const contextualKeywords = [
  Freeze,
  Unfreeze,
  Replace,
  Remove,
  InsertKw,
  With,
  After,
  Stop,
  When,
  CheckpointKw,
  Every,
  As,
  Over,
];

/** Keywords that start a declaration at the top of a file. */
export const declarationKeywords: readonly TokenType[] = [
  Dataset,
  Network,
  Train,
  Block,
  Transform,
  Sweep,
];

/**
 * A module path with at least one dot, as surgery names modules: `layer1.0.conv1`, `layer4.*`.
 * Nothing else in the language puts a dot after a name, so it is one token (a number such as
 * `.5` never directly follows a name).
 */
export const DottedPath = createToken({
  name: 'DottedPath',
  pattern: /[A-Za-z_][A-Za-z0-9_]*(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|\d+|\*))+/,
  label: 'a module path',
});

export const StringLiteral = createToken({
  name: 'StringLiteral',
  pattern: /"(?:[^"\\\r\n]|\\.)*"/,
  label: 'a string',
});

// A string cut off by the end of its line. It counts as a string for the parser (so the rest
// of the file still parses) and the lexing step reports it once.
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: /"(?:[^"\\\r\n]|\\.)*\\?/,
  categories: [StringLiteral],
  label: 'a string',
});

export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: /(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/,
  label: 'a number',
});

function punctuation(name: string, text: string): TokenType {
  const escaped = text.replace(/[-[\]{}()*+/.]/g, '\\$&');
  return createToken({ name, pattern: new RegExp(escaped), label: `'${text}'` });
}

export const Arrow = punctuation('Arrow', '->');
export const EqualEqual = punctuation('EqualEqual', '==');
export const NotEqual = punctuation('NotEqual', '!=');
export const LessEqual = punctuation('LessEqual', '<=');
export const GreaterEqual = punctuation('GreaterEqual', '>=');
export const Less = punctuation('Less', '<');
export const Greater = punctuation('Greater', '>');
export const Equals = punctuation('Equals', '=');
export const Comma = punctuation('Comma', ',');
export const Colon = punctuation('Colon', ':');
export const LParen = punctuation('LParen', '(');
export const RParen = punctuation('RParen', ')');
export const LBracket = punctuation('LBracket', '[');
export const RBracket = punctuation('RBracket', ']');
export const LCurly = punctuation('LCurly', '{');
export const RCurly = punctuation('RCurly', '}');
export const Plus = punctuation('Plus', '+');
export const Minus = punctuation('Minus', '-');
export const Star = punctuation('Star', '*');
export const Slash = punctuation('Slash', '/');
export const Percent = punctuation('Percent', '%');

export const allTokens: TokenType[] = [
  Whitespace,
  Comment,
  StringLiteral,
  UnterminatedString,
  NumberLiteral,
  DottedPath,
  Arrow,
  EqualEqual,
  NotEqual,
  LessEqual,
  GreaterEqual,
  Less,
  Greater,
  Equals,
  Comma,
  Colon,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LCurly,
  RCurly,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  Import,
  Dataset,
  Network,
  Train,
  Block,
  Transform,
  Sweep,
  Input,
  Output,
  True,
  False,
  Auto,
  If,
  Else,
  And,
  Or,
  Not,
  ...contextualKeywords,
  Name,
  Identifier,
];

export const netspecLexer = new Lexer(allTokens, {
  positionTracking: 'full',
  skipValidations: SKIP_GRAMMAR_CHECKS,
});
