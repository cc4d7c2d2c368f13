// `netspec lsp`: the language server over stdio. Documents are analysed on open and on every
// change (full sync); the features read the latest analysis.
import {
  createConnection,
  DiagnosticSeverity,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type Diagnostic as LspDiagnostic,
} from 'vscode-languageserver/node.js';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic } from '../../compiler/index.js';
import { analyze, type Analysis } from './analysis.js';
import { complete } from './completion.js';
import { hover } from './hover.js';
import { definition, documentSymbols } from './navigation.js';
import { toRange } from './positions.js';

const SEVERITIES = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

export function toLspDiagnostic(d: Diagnostic, uri: string, file: string): LspDiagnostic {
  const related = d.related
    .filter((note) => note.file === file)
    .map((note) => ({ location: { uri, range: toRange(note.span) }, message: note.message }));
  return {
    range: toRange(d.span),
    severity: SEVERITIES[d.severity],
    code: d.code,
    source: 'netspec',
    message: d.message,
    ...(related.length > 0 ? { relatedInformation: related } : {}),
  };
}

export function startLanguageServer(): void {
  const connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout);
  const documents = new TextDocuments(TextDocument);
  const analyses = new Map<string, { version: number; analysis: Analysis }>();

  const analysisOf = (uri: string): Analysis | undefined => {
    const document = documents.get(uri);
    if (document === undefined) return undefined;
    const cached = analyses.get(uri);
    if (cached && cached.version === document.version) return cached.analysis;
    const analysis = analyze(document.getText(), uri);
    analyses.set(uri, { version: document.version, analysis });
    return analysis;
  };
  const offsetOf = (uri: string, position: { line: number; character: number }) =>
    documents.get(uri)?.offsetAt(position) ?? 0;

  connection.onInitialize(() => ({
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Full,
      completionProvider: { triggerCharacters: ['>', '(', ',', ' '] },
      hoverProvider: true,
      definitionProvider: true,
      documentSymbolProvider: true,
    },
    serverInfo: { name: 'netspec' },
  }));

  documents.onDidChangeContent(({ document }) => {
    const analysis = analysisOf(document.uri);
    if (analysis === undefined) return;
    const diagnostics = analysis.diagnostics.map((d) =>
      toLspDiagnostic(d, document.uri, analysis.file),
    );
    void connection.sendDiagnostics({ uri: document.uri, diagnostics });
  });
  documents.onDidClose(({ document }) => {
    analyses.delete(document.uri);
    void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
  });

  connection.onCompletion(({ textDocument, position }) => {
    const analysis = analysisOf(textDocument.uri);
    return analysis ? complete(analysis, offsetOf(textDocument.uri, position)) : [];
  });
  connection.onHover(({ textDocument, position }) => {
    const analysis = analysisOf(textDocument.uri);
    return analysis ? hover(analysis, offsetOf(textDocument.uri, position)) : null;
  });
  connection.onDefinition(({ textDocument, position }) => {
    const analysis = analysisOf(textDocument.uri);
    const offset = offsetOf(textDocument.uri, position);
    return analysis ? definition(analysis, textDocument.uri, offset) : null;
  });
  connection.onDocumentSymbol(({ textDocument }) => {
    const analysis = analysisOf(textDocument.uri);
    return analysis ? documentSymbols(analysis) : [];
  });

  documents.listen(connection);
  connection.listen();
}
