// Signature help inside a call: the callee's arguments with their docs, the one being written
// highlighted (by name after `name:`, else by position, else the first not yet given).
import type { SignatureHelp } from 'vscode-languageserver';
import type { Analysis } from './analysis.js';
import { calleeOf } from './calls.js';
import { contextAt } from './context.js';
import { argumentDetail } from './hover.js';
import { signature } from './layers.js';

export function signatureHelp(analysis: Analysis, offset: number): SignatureHelp | null {
  const ctx = contextAt(analysis.text, offset);
  if (ctx.kind !== 'arguments') return null;
  const callee = calleeOf(analysis, ctx);
  if (callee === undefined) return null;
  const label = signature(callee);
  let from = callee.name.length + 1;
  const parameters = callee.args.map((arg) => {
    const start = label.indexOf(arg.name, from);
    from = start + arg.name.length;
    return {
      label: [start, start + arg.name.length] as [number, number],
      documentation: `${arg.doc} (${argumentDetail(arg)})`,
    };
  });
  const byName = (name: string) => callee.args.findIndex((a) => a.name === name);
  const active =
    ctx.valueFor !== undefined
      ? byName(ctx.valueFor)
      : ctx.given.length === 0
        ? ctx.index
        : callee.args.findIndex((a) => !ctx.given.includes(a.name));
  return {
    signatures: [{ label, documentation: callee.doc, parameters }],
    activeSignature: 0,
    activeParameter: Math.max(0, active),
  };
}
