// The VS Code extension's TextMate grammar (editors/vscode/syntaxes/) against netspec's own
// lexer: every token of every example spec gets the scope its token type calls for, so the
// highlighting cannot drift from the language. Also runs vscode-tmgrammar-test on the
// extension's annotated syntax test.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { TokenType } from 'chevrotain';
import { describe, expect, it } from 'vitest';
import * as oniguruma from 'vscode-oniguruma';
import type { IGrammar } from 'vscode-textmate';
import { INITIAL, parseRawGrammar, Registry } from 'vscode-textmate';
import * as T from '../../grammar/tokens.js';
import { ROOT } from '../helpers/spec.js';

const EXTENSION = join(ROOT, 'editors/vscode');
const GRAMMAR = join(EXTENSION, 'syntaxes/netspec.tmLanguage.json');
const SYNTAX_TEST = join(EXTENSION, 'test/syntax.test.net');

const NAME_SCOPES = [
  'variable.other',
  'variable.parameter',
  'entity.name.function.call',
  'entity.name.type',
];

/**
 * The scope a token's first character must carry (a prefix), given the token after it and
 * whether the token starts its line.
 */
const EXPECTED = new Map<TokenType, (next?: TokenType, startsLine?: boolean) => string[]>([
  [T.Comment, () => ['comment.line.number-sign']],
  [T.StringLiteral, () => ['string.quoted.double']],
  [T.UnterminatedString, () => ['invalid.illegal.unterminated-string']],
  [T.NumberLiteral, () => ['constant.numeric']],
  [T.DottedPath, () => ['entity.name.namespace.module-path']],
  [T.Arrow, () => ['keyword.operator.arrow']],
  ...[T.EqualEqual, T.NotEqual, T.LessEqual, T.GreaterEqual, T.Less, T.Greater].map(
    (t) => [t, () => ['keyword.operator.comparison']] as const,
  ),
  [T.Equals, () => ['keyword.operator.assignment']],
  ...[T.Plus, T.Minus, T.Star, T.Slash, T.Percent].map(
    (t) => [t, () => ['keyword.operator.arithmetic']] as const,
  ),
  [T.Comma, () => ['punctuation.separator.comma']],
  [T.Colon, () => ['punctuation.separator.key-value']],
  ...[T.LParen, T.RParen].map((t) => [t, () => ['punctuation.brackets.round']] as const),
  ...[T.LBracket, T.RBracket].map((t) => [t, () => ['punctuation.brackets.square']] as const),
  ...[T.LCurly, T.RCurly].map((t) => [t, () => ['punctuation.brackets.curly']] as const),
  [T.Import, () => ['keyword.control.import']],
  ...[T.True, T.False].map((t) => [t, () => ['constant.language.boolean']] as const),
  [T.Auto, () => ['constant.language.auto']],
  ...[T.If, T.Else].map((t) => [t, () => ['keyword.control.conditional']] as const),
  ...[T.And, T.Or, T.Not].map((t) => [t, () => ['keyword.operator.logical']] as const),
  ...[T.Input, T.Output].map((t) => [t, () => ['storage.modifier']] as const),
  // Declaration words start a declaration, or are names (`train = idx(…)`, `split(train, …)`).
  ...T.declarationKeywords.map(
    (t) =>
      [
        t,
        (next?: TokenType, startsLine?: boolean) =>
          startsLine && !isNamed(next) ? ['storage.type'] : NAME_SCOPES,
      ] as const,
  ),
  // Surgery and run-control words are keywords where they start a statement, names elsewhere.
  ...[
    T.Freeze,
    T.Unfreeze,
    T.Replace,
    T.Remove,
    T.InsertKw,
    T.With,
    T.After,
    T.Stop,
    T.When,
    T.CheckpointKw,
    T.Every,
    T.As,
    T.Over,
  ].map(
    (t) => [t, (next?: TokenType) => (isNamed(next) ? NAME_SCOPES : ['keyword.other'])] as const,
  ),
  [T.Identifier, () => NAME_SCOPES],
]);

/** A word followed by one of these is used as a name, not as a keyword. */
function isNamed(next?: TokenType): boolean {
  return next === T.Equals || next === T.Colon || next === T.LParen;
}

async function loadGrammar(): Promise<IGrammar> {
  const require = createRequire(import.meta.url);
  const wasm = readFileSync(join(require.resolve('vscode-oniguruma'), '../onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.length));
  const registry = new Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async () => parseRawGrammar(readFileSync(GRAMMAR, 'utf8'), GRAMMAR),
  });
  const grammar = await registry.loadGrammar('source.netspec');
  if (!grammar) throw new Error('the grammar did not load');
  return grammar;
}

/** The scopes at each [line, column] (both 0-based) of `text`. */
function scopesAt(grammar: IGrammar, text: string): (line: number, column: number) => string[] {
  let state = INITIAL;
  const lines = text.split('\n').map((line) => {
    const result = grammar.tokenizeLine(line, state);
    state = result.ruleStack;
    return result.tokens;
  });
  return (line, column) =>
    lines[line].find((t) => t.startIndex <= column && column < t.endIndex)?.scopes ?? [];
}

const corpus = [
  ...readdirSync(join(ROOT, 'specs')).map((f) => join(ROOT, 'specs', f)),
  ...readdirSync(join(ROOT, 'test/errors')).map((f) => join(ROOT, 'test/errors', f)),
  SYNTAX_TEST,
].filter((f) => f.endsWith('.net'));

describe('the VS Code grammar', () => {
  it('has a scope for every token type of grammar/tokens.ts', () => {
    const abstract = new Set([T.Whitespace, T.Name]);
    const missing = T.allTokens.filter((t) => !abstract.has(t) && !EXPECTED.has(t));
    expect(missing.map((t) => t.name)).toEqual([]);
  });

  it('scopes every token of the example specs as the lexer reads it', async () => {
    const grammar = await loadGrammar();
    const seen = new Set<TokenType>();
    const wrong: string[] = [];
    for (const file of corpus) {
      const text = readFileSync(file, 'utf8');
      const at = scopesAt(grammar, text);
      const { tokens, groups } = T.netspecLexer.tokenize(text);
      const lines = text.split('\n');
      const all = [...tokens, ...(groups.comments ?? [])];
      for (const [k, token] of all.entries()) {
        seen.add(token.tokenType);
        const next = token.tokenType === T.Comment ? undefined : tokens[k + 1]?.tokenType;
        const before = lines[token.startLine! - 1].slice(0, token.startColumn! - 1);
        const expected = EXPECTED.get(token.tokenType)!(next, before.trim() === '');
        const scopes = at(token.startLine! - 1, token.startColumn! - 1);
        if (!scopes.some((s) => expected.some((e) => s.startsWith(e)))) {
          const where = `${file.slice(ROOT.length + 1)}:${token.startLine}:${token.startColumn}`;
          wrong.push(`${where} ${token.tokenType.name} '${token.image}': ${scopes.join(' ')}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    const unseen = [...EXPECTED.keys()].filter((t) => !seen.has(t)).map((t) => t.name);
    expect(unseen, 'token types no spec or syntax test uses').toEqual([]);
  });

  it('passes the annotated syntax test (vscode-tmgrammar-test)', () => {
    const run = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules/vscode-tmgrammar-test/dist/unit.js'),
        '--grammar',
        GRAMMAR,
        join(EXTENSION, 'test/*.test.net'),
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(run.stdout + run.stderr).toContain('run successfuly');
    expect(run.status).toBe(0);
  });
});
