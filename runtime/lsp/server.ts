// `netspec lsp`: the language server over stdio. Documents are analysed on open and on every
// change (full sync); an edit re-parses only the declaration it touches (workspace.ts) and
// re-publishes the diagnostics of open documents that import the edited one. The features
// (features.ts) read the latest analysis. Input that is not well framed closes the connection
// (framing.ts); documents read only files under the workspace folders (workspace-access.ts)
// unless the client allows more. A large document is analysed in a worker within a time and a
// memory bound (bounded.ts); it gets diagnostics but no other feature.
import {
  createConnection,
  DiagnosticSeverity,
  ProposedFeatures,
  StreamMessageReader,
  StreamMessageWriter,
  TextDocuments,
  TextDocumentSyncKind,
  type Diagnostic as LspDiagnostic,
} from 'vscode-languageserver/node.js';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic } from '../../compiler/index.js';
import { analyze, type Analysis } from './analysis.js';
import { BoundedAnalyses, boundsOf, INLINE_CHARS, type AnalysisOutcome } from './bounded.js';
import { DataCheck } from './data-check.js';
import { CAPABILITIES, registerFeatures, type Session } from './features.js';
import { toRange } from './positions.js';
import { FramingGuard } from './framing.js';
import { chooseReadTimeout } from '../reader.js';
import { Workspace } from './workspace.js';
import { workspaceAccess, type WorkspaceAccess } from './workspace-access.js';

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

/** Ends the server on input it cannot answer: the editor sees the exit and restarts it. */
function closeOn(error: Error): never {
  process.stderr.write(`netspec lsp: closing the connection: ${error.message}\n`);
  process.exit(1);
}

export function startLanguageServer(): void {
  // Sending to a client that has gone throws outside every handler (the JSON-RPC library's own
  // log of a message it cannot read, for one): the server then ends as on bad framing.
  process.on('uncaughtException', closeOn);
  const input = new FramingGuard();
  input.on('error', closeOn);
  process.stdin.pipe(input);
  const reader = new StreamMessageReader(input);
  reader.onError(closeOn); // a body that is not JSON
  const writer = new StreamMessageWriter(process.stdout);
  const connection = createConnection(ProposedFeatures.all, reader, writer);
  const documents = new TextDocuments(TextDocument);
  const workspace: Workspace = new Workspace((file): string | undefined =>
    documents.get(workspace.uriOf(file))?.getText(),
  );
  // An analysis holds while its document's version and every open document's text hold.
  let generation = 0;
  const dataCheck = new DataCheck();
  const analyses = new Map<string, { version: number; generation: number; analysis: Analysis }>();
  let access: WorkspaceAccess = { roots: [], anywhere: false };
  /** The latest diagnostics of each large document, from its worker. */
  const bounded = new Map<string, AnalysisOutcome>();
  const isLarge = (uri: string) => (documents.get(uri)?.getText().length ?? 0) > INLINE_CHARS;

  /** The analysis of a small open document (a large one has none in this thread). */
  const analysisOf = (uri: string): Analysis | undefined => {
    const document = documents.get(uri);
    if (document === undefined || isLarge(uri)) return undefined;
    const cached = analyses.get(uri);
    if (cached && cached.version === document.version && cached.generation === generation)
      return cached.analysis;
    const analysis = analyze(workspace, document.getText(), uri);
    analyses.set(uri, { version: document.version, generation, analysis });
    return analysis;
  };
  const session: Session = {
    workspace,
    analysisOf,
    othersThan: (uri) =>
      documents
        .all()
        .filter((d) => d.uri !== uri)
        .flatMap((d) => analysisOf(d.uri) ?? []),
    offsetOf: (uri, position) => documents.get(uri)?.offsetAt(position) ?? 0,
    diagnosticsOf: (uri) => {
      if (isLarge(uri)) return bounded.get(uri)?.diagnostics ?? [];
      const analysis = analysisOf(uri);
      if (analysis === undefined) return [];
      const data = dataCheck.warningsOf(analysis);
      return data.length === 0
        ? analysis.diagnostics
        : byPosition([...analysis.diagnostics, ...data]);
    },
    toLsp: (d, uri) => toLspDiagnostic(d, uri, workspace.fileOf(uri)),
  };

  // A client whose input ended has gone, though messages it sent before are still answered:
  // sending to it throws (at once, or later), and its diagnostics go nowhere.
  const publishTo = (uri: string, diagnostics: LspDiagnostic[]): void => {
    try {
      connection.sendDiagnostics({ uri, diagnostics }).catch(() => undefined);
    } catch {
      return;
    }
  };
  const send = (uri: string): void =>
    publishTo(
      uri,
      session.diagnosticsOf(uri).map((d) => session.toLsp(d, uri)),
    );
  // The checker's diagnostics at once; the data's once typing pauses (data-check.ts).
  const publish = (uri: string): void => {
    const document = documents.get(uri);
    if (document !== undefined && isLarge(uri)) return analyser.submit(jobOf(document));
    analyser.cancel(uri);
    bounded.delete(uri);
    if (analysisOf(uri) === undefined) return;
    send(uri);
    dataCheck.schedule(
      uri,
      () => analysisOf(uri),
      () => send(uri),
    );
  };

  const jobOf = (document: TextDocument) => ({
    uri: document.uri,
    file: workspace.fileOf(document.uri),
    version: document.version,
    text: document.getText(),
    access,
    open: documents
      .all()
      .filter((d) => d.uri !== document.uri)
      .map((d): [string, string] => [workspace.fileOf(d.uri), d.getText()]),
    readSeconds: analyser.bounds.readSeconds,
  });
  const published = (outcome: AnalysisOutcome): void => {
    if (documents.get(outcome.uri)?.version !== outcome.version) return;
    bounded.set(outcome.uri, outcome);
    send(outcome.uri);
  };
  const analyser = new BoundedAnalyses(published);

  connection.onInitialize((params) => {
    access = workspaceAccess(params);
    workspace.allowReads(access);
    analyser.bounds = boundsOf(params);
    chooseReadTimeout(analyser.bounds.readSeconds);
    return {
      capabilities: { textDocumentSync: TextDocumentSyncKind.Full, ...CAPABILITIES },
      serverInfo: { name: 'netspec' },
    };
  });

  documents.onDidChangeContent(({ document }) => {
    generation++;
    publish(document.uri);
    // Open documents that import this one see its new text.
    const file = workspace.fileOf(document.uri);
    for (const other of documents.all()) {
      if (other.uri === document.uri) continue;
      const sources = analyses.get(other.uri)?.analysis.checked?.sources;
      if (sources?.has(file) || bounded.get(other.uri)?.files.includes(file)) publish(other.uri);
    }
  });
  documents.onDidClose(({ document }) => {
    generation++;
    analyses.delete(document.uri);
    analyser.close(document.uri, workspace.fileOf(document.uri));
    bounded.delete(document.uri);
    dataCheck.forget(document.uri);
    workspace.forget(workspace.fileOf(document.uri));
    publishTo(document.uri, []);
  });

  connection.onShutdown(() => {
    dataCheck.dispose();
    analyser.dispose();
  });
  registerFeatures(connection, session);
  documents.listen(connection);
  connection.listen();
}

function byPosition(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort((a, b) => a.span.start.offset - b.span.start.offset);
}
