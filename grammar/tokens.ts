// Every token of the .net language. Order in `allTokens` is the lexer's priority order:
// longer punctuation before its prefixes (`->` before `-`), keywords before `Identifier`.
// Each token has a `label` in user terms ("'->'", 'a name'); error messages print labels,
// never token type names.
import { createToken, Lexer, type TokenType } from 'chevrotain';

export const Whitespace = createToken({
  name: 'Whitespace',
  pattern: /[ \t\r\n]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});

export const Comment = createToken({ name: 'Comment', pattern: /#[^\r\n]*/, group: Lexer.SKIPPED });

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
export const Input = keyword('input');
export const Output = keyword('output');
export const True = keyword('true');
export const False = keyword('false');
export const Auto = keyword('auto');

/** Keywords that start a declaration at the top of a file. */
export const declarationKeywords: readonly TokenType[] = [Dataset, Network, Train];

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
  Arrow,
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
  Input,
  Output,
  True,
  False,
  Auto,
  Name,
  Identifier,
];

export const netspecLexer = new Lexer(allTokens, { positionTracking: 'full' });
