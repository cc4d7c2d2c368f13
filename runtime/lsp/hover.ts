// Hover: on a layer use, its doc, inferred output shape and parameter count; on a layer name
// the checker could not place (a network without defaults), its signature; on a declared
// name, what it declares.
import type { Hover } from 'vscode-languageserver';
import { LAYERS } from '../../compiler/index.js';
import type { Declaration } from '../../grammar/index.js';
import { DECLARATION_WORDS, declarationNamed, type Analysis } from './analysis.js';
import { layerAt, parameterCount, showShape, signature } from './layers.js';
import { toRange, wordAt } from './positions.js';

export function hover(analysis: Analysis, offset: number): Hover | null {
  const word = wordAt(analysis.text, offset);
  if (word === undefined) return null;
  const layer = layerAt(analysis, offset);
  if (layer && layer.def.name === word.word) {
    const count = parameterCount(layer).toLocaleString('en-US');
    const lines = [
      `**${layer.def.name}** \`${layer.path}\` — ${layer.def.doc}`,
      '',
      `output shape: \`${showShape(layer.outputShape)}\` (input \`${layer.inputShapes.map(showShape).join(', ')}\`)`,
      '',
      `parameters: ${count}`,
    ];
    return { contents: { kind: 'markdown', value: lines.join('\n') }, range: toRange(layer.span) };
  }
  const def = LAYERS.get(word.word);
  if (def) return markdown(`**${def.name}** — ${def.doc}\n\n\`${signature(def)}\``);
  const decl = declarationNamed(analysis, word.word);
  return decl ? markdown(describeDeclaration(decl)) : null;
}

function markdown(value: string): Hover {
  return { contents: { kind: 'markdown', value } };
}

function describeDeclaration(decl: Declaration): string {
  const what = DECLARATION_WORDS[decl.kind];
  if (decl.kind === 'Network' || decl.kind === 'Block') {
    const params = decl.params.map((p) => p.name.name).join(', ');
    return `${what} **${decl.name.name}**(${params})`;
  }
  return `${what} **${decl.name.name}**`;
}
