// Quick fixes: every diagnostic that knows its fix (a did-you-mean, PyTorch's spelling, `auto`
// for an input size) offers it as a code action that edits the document.
import {
  CodeActionKind,
  type CodeAction,
  type Diagnostic as LspDiagnostic,
  type Range,
} from 'vscode-languageserver';
import type { Diagnostic } from '../../compiler/index.js';
import { toRange } from './positions.js';

export function quickFixes(
  diagnostics: readonly Diagnostic[],
  range: Range,
  uri: string,
  toLsp: (d: Diagnostic) => LspDiagnostic,
): CodeAction[] {
  return diagnostics
    .filter((d) => d.fixes && overlaps(toRange(d.span), range))
    .flatMap((d) =>
      d.fixes!.map((fix, i) => ({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [toLsp(d)],
        isPreferred: i === 0,
        edit: {
          changes: { [uri]: fix.edits.map((e) => ({ range: toRange(e.span), newText: e.text })) },
        },
      })),
    );
}

function overlaps(a: Range, b: Range): boolean {
  const before = (p: Range['start'], q: Range['start']) =>
    p.line < q.line || (p.line === q.line && p.character <= q.character);
  return before(a.start, b.end) && before(b.start, a.end);
}
