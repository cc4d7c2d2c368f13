// Formatting through the editor: `netspec fmt`'s printer (grammar/format.ts) as one edit that
// replaces the document; a document with syntax errors is left as it is.
import type { TextEdit } from 'vscode-languageserver';
import { format } from '../../grammar/index.js';
import type { Analysis } from './analysis.js';

export function formatting(analysis: Analysis): TextEdit[] {
  const { text, diagnostics } = format(analysis.text, analysis.file);
  if (text === analysis.text || diagnostics.some((d) => d.severity === 'error')) return [];
  const lines = analysis.text.split(/\r\n|\r|\n/);
  const end = { line: lines.length - 1, character: lines[lines.length - 1].length };
  return [{ range: { start: { line: 0, character: 0 }, end }, newText: text }];
}
