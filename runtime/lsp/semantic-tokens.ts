// Semantic tokens: every name by its role (a layer, another registry entry, a declared name, an
// argument, a setting, a parameter or value, a module path, a stop quantity), keywords, numbers,
// strings, comments and arrows by the lexer.
import type { SemanticTokens } from 'vscode-languageserver';
import type { Span } from '../../compiler/index.js';
import { scanTokens } from '../../grammar/index.js';
import type { Analysis } from './analysis.js';
import type { Role } from './roles.js';
import { rolesIn } from './symbols.js';

export const TOKEN_TYPES = [
  'keyword',
  'class',
  'function',
  'parameter',
  'property',
  'variable',
  'namespace',
  'enumMember',
  'number',
  'string',
  'comment',
  'operator',
  'type',
] as const;
export const TOKEN_MODIFIERS = ['declaration', 'defaultLibrary'] as const;

type TokenType = (typeof TOKEN_TYPES)[number];
type Modifier = (typeof TOKEN_MODIFIERS)[number];

interface Token {
  offset: number;
  line: number;
  column: number;
  length: number;
  type: TokenType;
  modifiers: Modifier[];
}

const DECLARED: Record<string, TokenType> = {
  Network: 'class',
  OnnxNetwork: 'class',
  Block: 'class',
  Dataset: 'variable',
  Transform: 'function',
  Train: 'type',
  Sweep: 'type',
};

function classify(role: Role): { type: TokenType; modifiers: Modifier[] } {
  switch (role.kind) {
    case 'callee':
      return {
        type: role.callee.what === 'layer' ? 'class' : 'function',
        modifiers: ['defaultLibrary'],
      };
    case 'declaration':
      return { type: DECLARED[role.target.kind], modifiers: ['declaration'] };
    case 'reference':
      return { type: DECLARED[role.target.kind], modifiers: [] };
    case 'argument':
      return { type: 'parameter', modifiers: [] };
    case 'setting':
      return { type: 'property', modifiers: [] };
    case 'local': {
      const declaration = role.def?.start.offset === role.span.start.offset;
      const type = role.what === 'parameter' ? 'parameter' : 'variable';
      return { type, modifiers: declaration ? ['declaration'] : [] };
    }
    case 'module':
      return { type: 'namespace', modifiers: [] };
    case 'quantity':
      return { type: 'enumMember', modifiers: ['defaultLibrary'] };
  }
}

const LEXICAL: Record<string, TokenType> = {
  NumberLiteral: 'number',
  StringLiteral: 'string',
  UnterminatedString: 'string',
  Arrow: 'operator',
};
const NOT_KEYWORDS = new Set([
  'Identifier',
  'DottedPath',
  ...'Equals Comma Colon LParen RParen LBracket RBracket LCurly RCurly Plus Minus Star Slash Percent EqualEqual NotEqual LessEqual GreaterEqual Less Greater'.split(
    ' ',
  ),
]);

function fromSpan(span: Span, type: TokenType, modifiers: Modifier[]): Token {
  const length = span.end.offset - span.start.offset;
  return {
    offset: span.start.offset,
    line: span.start.line,
    column: span.start.column,
    length,
    type,
    modifiers,
  };
}

export function semanticTokens(analysis: Analysis): SemanticTokens {
  const tokens: Token[] = rolesIn(analysis)
    .filter((r) => r.span.start.line === r.span.end.line)
    .map((r) => {
      const { type, modifiers } = classify(r);
      return fromSpan(r.span, type, modifiers);
    });
  const named = new Set(tokens.map((t) => t.offset));
  for (const t of scanTokens(analysis.text)) {
    if (named.has(t.offset) || t.image.includes('\n')) continue;
    const type = LEXICAL[t.type] ?? (NOT_KEYWORDS.has(t.type) ? undefined : 'keyword');
    if (type === undefined) continue;
    const column = t.offset - analysis.text.lastIndexOf('\n', t.offset - 1);
    tokens.push({
      offset: t.offset,
      line: t.line,
      column,
      length: t.image.length,
      type,
      modifiers: [],
    });
  }
  for (const c of analysis.parsed.comments) tokens.push(fromSpan(c.span, 'comment', []));
  tokens.sort((a, b) => a.offset - b.offset);
  return { data: encode(tokens) };
}

/** LSP's encoding: per token, its line and start relative to the previous token's, and so on. */
function encode(tokens: Token[]): number[] {
  const data: number[] = [];
  let [line, column, end] = [1, 1, -1];
  for (const t of tokens) {
    if (t.offset < end) continue; // overlapping tokens are not allowed; the first one wins
    end = t.offset + t.length;
    const modifiers = t.modifiers.reduce((bits, m) => bits | (1 << TOKEN_MODIFIERS.indexOf(m)), 0);
    const deltaLine = t.line - line;
    data.push(deltaLine, deltaLine === 0 ? t.column - column : t.column - 1, t.length);
    data.push(TOKEN_TYPES.indexOf(t.type), modifiers);
    [line, column] = [t.line, t.column];
  }
  return data;
}
