// Shapes inline: after each chain stage the shape it outputs and the parameters it adds
// (`-> Conv2d(1, 32, 3)  [N, 32, 26, 26] · 320`), after a replaced or inserted layer of an
// imported network the same, and after `onnx(…)` the imported network's output and size.
import { InlayHintKind, type InlayHint, type Range } from 'vscode-languageserver';
import type { Span } from '../../compiler/index.js';
import type { Analysis } from './analysis.js';
import {
  checkedModels,
  count,
  layerGroups,
  parameterCount,
  showShape,
  stageLabel,
} from './layers.js';

export function inlayHints(analysis: Analysis, range: Range): InlayHint[] {
  const hints: InlayHint[] = [];
  const imported = importedSources(analysis);
  const groups = [...layerGroups(analysis).bySpan].sort(([a], [b]) => a.end.offset - b.end.offset);
  for (const [span, layers] of groups) {
    const label = imported.get(span) ?? stageLabel(layers);
    if (inside(span, range)) hints.push(hint(span, label));
  }
  return hints;
}

/** For each `onnx(…)` source of this file: the imported network's output shape and size. */
function importedSources(analysis: Analysis): Map<Span, string> {
  const labels = new Map<Span, string>();
  for (const decl of analysis.parsed.ast.declarations) {
    if (decl.kind !== 'OnnxNetwork') continue;
    const model = checkedModels(analysis).find((m) => m.name === decl.name.name);
    if (model === undefined) continue;
    const layers = model.layers;
    const total = layers.reduce((n, l) => n + parameterCount(l), 0);
    const trainable = layers.filter((l) => !l.frozen).reduce((n, l) => n + parameterCount(l), 0);
    const part = trainable < total ? ` (${count(trainable)} trainable)` : '';
    labels.set(decl.source.span, `${showShape(model.outputShape)} · ${count(total)}${part}`);
  }
  return labels;
}

function inside(span: Span, range: Range): boolean {
  const line = span.end.line - 1;
  return line >= range.start.line && line <= range.end.line;
}

function hint(span: Span, label: string): InlayHint {
  return {
    position: { line: span.end.line - 1, character: span.end.column - 1 },
    label,
    kind: InlayHintKind.Type,
    paddingLeft: true,
  };
}
