// What the server offers and which module answers each request. The server (server.ts) owns
// the connection, the documents and when analyses run; each feature reads an analysis.
import {
  ErrorCodes,
  ResponseError,
  type Connection,
  type ServerCapabilities,
} from 'vscode-languageserver/node.js';
import type { Analysis } from './analysis.js';
import { quickFixes } from './code-actions.js';
import { complete } from './completion.js';
import { formatting } from './formatting.js';
import { hover } from './hover.js';
import { inlayHints } from './inlay-hints.js';
import { definition, documentSymbols, prepareRename, references, rename } from './navigation.js';
import { semanticTokens, TOKEN_MODIFIERS, TOKEN_TYPES } from './semantic-tokens.js';
import { signatureHelp } from './signature.js';
import type { Workspace } from './workspace.js';
import type { Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import type { Diagnostic } from '../../compiler/index.js';

/** What features need from the server: the current analyses and how positions map. */
export interface Session {
  workspace: Workspace;
  /** The analysis of an open document's current text. */
  analysisOf(uri: string): Analysis | undefined;
  /** The analyses of the other open documents. */
  othersThan(uri: string): Analysis[];
  offsetOf(uri: string, position: { line: number; character: number }): number;
  /** Every diagnostic shown for a document (the checker's and the data's). */
  diagnosticsOf(uri: string): Diagnostic[];
  toLsp(d: Diagnostic, uri: string): LspDiagnostic;
}

export const CAPABILITIES: ServerCapabilities = {
  completionProvider: { triggerCharacters: ['>', '(', ',', ' ', ':', '='] },
  hoverProvider: true,
  signatureHelpProvider: { triggerCharacters: ['(', ','], retriggerCharacters: [':'] },
  definitionProvider: true,
  referencesProvider: true,
  renameProvider: { prepareProvider: true },
  documentSymbolProvider: true,
  documentFormattingProvider: true,
  codeActionProvider: { codeActionKinds: ['quickfix'] },
  inlayHintProvider: true,
  semanticTokensProvider: {
    legend: { tokenTypes: [...TOKEN_TYPES], tokenModifiers: [...TOKEN_MODIFIERS] },
    full: true,
  },
};

type Position = { line: number; character: number };

const isIndex = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;

/**
 * The document a request names, checked: a client's malformed request is an InvalidParams
 * answer saying what is missing, not an internal error from reading a field of null.
 */
function uriIn(params: unknown, withPosition: boolean): string {
  const p = params as { textDocument?: { uri?: unknown }; position?: Partial<Position> } | null;
  const uri = p?.textDocument?.uri;
  const position = p?.position;
  const placed = !withPosition || (isIndex(position?.line) && isIndex(position?.character));
  if (typeof uri !== 'string' || !placed) {
    const needs = withPosition ? 'a textDocument.uri and a position' : 'a textDocument.uri';
    throw new ResponseError(ErrorCodes.InvalidParams, `the request needs ${needs}`);
  }
  return uri;
}

export function registerFeatures(connection: Connection, session: Session): void {
  const { workspace } = session;
  const uriOf = (file: string) => workspace.uriOf(file);
  const at = <T>(
    params: { textDocument: { uri: string }; position: Position },
    answer: (analysis: Analysis, offset: number) => T,
    otherwise: T,
  ): T => {
    const uri = uriIn(params, true);
    const analysis = session.analysisOf(uri);
    if (analysis === undefined) return otherwise;
    return answer(analysis, session.offsetOf(uri, params.position));
  };
  const whole = <T>(
    params: { textDocument: { uri: string } },
    answer: (analysis: Analysis) => T,
    otherwise: T,
  ): T => {
    const analysis = session.analysisOf(uriIn(params, false));
    return analysis === undefined ? otherwise : answer(analysis);
  };

  connection.onCompletion((p) => at(p, (a, o) => complete(a, o, workspace.bytesOf), []));
  connection.onHover((p) => at(p, hover, null));
  connection.onSignatureHelp((p) => at(p, signatureHelp, null));
  connection.onDefinition((p) => at(p, (a, o) => definition(a, o, uriOf), null));
  connection.onReferences((p) =>
    at(
      p,
      (a, o) => references(a, o, session.othersThan(a.uri), p.context.includeDeclaration, uriOf),
      [],
    ),
  );
  connection.onPrepareRename((p) => at(p, prepareRename, null));
  connection.onRenameRequest((p) =>
    at(p, (a, o) => rename(a, o, p.newName, session.othersThan(a.uri), uriOf), null),
  );
  connection.onDocumentSymbol((p) => whole(p, documentSymbols, []));
  connection.onDocumentFormatting((p) => whole(p, formatting, []));
  connection.onCodeAction((p) => {
    const uri = uriIn(p, false);
    const toLsp = (d: Diagnostic) => session.toLsp(d, uri);
    return whole(p, () => quickFixes(session.diagnosticsOf(uri), p.range, uri, toLsp), []);
  });
  connection.languages.inlayHint.on((p) => whole(p, (a) => inlayHints(a, p.range), []));
  connection.languages.semanticTokens.on((p) => whole(p, semanticTokens, { data: [] }));
}
