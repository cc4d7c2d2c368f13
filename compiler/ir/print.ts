// A stable text form of an IR graph, one line per input, constant, node and output, so that
// what a spec became can be read (`netspec compile --print`) and every change to a lowering
// shows up as a diff of committed baselines.
//
// Small constants are written where they are read (`Mul(x, 0.9:f32)`), not as nodes of their
// own. Value names are canonical: the builder numbers every value it makes (`relu1/Relu_7`), and
// one more node early in a graph would renumber every later one. The printer drops that
// number and tells values of the same name apart by their order within it (`relu1/Relu#2`), so
// a change shows up only in the lines it touches.
import { createHash } from 'node:crypto';
import type { AttrValue, DType, Graph, Node, Tensor, ValueInfo } from './graph.js';
import { formatShape, isGraph, isTensor } from './graph.js';

/** Constants with at most this many elements are printed in full; larger ones by a hash. */
const INLINE_ELEMENTS = 16;

export function printGraph(graph: Graph): string {
  return printLines(graph, new Names(), '').join('\n') + '\n';
}

class Names {
  private readonly canonical = new Map<string, string>();
  private readonly taken = new Map<string, number>();
  /** Small constants' values, printed in place of their names. */
  readonly literals = new Map<string, string>();

  of(name: string): string {
    const literal = this.literals.get(name);
    if (literal !== undefined) return literal;
    let found = this.canonical.get(name);
    if (found === undefined) {
      const base = name.replace(/_\d+$/, '');
      const count = (this.taken.get(base) ?? 0) + 1;
      this.taken.set(base, count);
      found = count === 1 ? base : `${base}#${count}`;
      this.canonical.set(name, found);
    }
    return found;
  }
}

function printLines(graph: Graph, names: Names, indent: string): string[] {
  const lines = [`${indent}graph ${graph.name}`];
  for (const input of graph.inputs)
    lines.push(`${indent}  input  ${names.of(input.name)}: ${type(input)}`);
  for (const [name, value] of graph.initializers) {
    lines.push(`${indent}  const  ${names.of(name)}: ${tensorText(value)}`);
  }
  for (const node of graph.nodes) {
    const literal = smallConstant(node);
    if (literal !== undefined) names.literals.set(node.outputs[0], literal);
    else lines.push(...nodeLines(graph, node, names, indent + '  '));
  }
  for (const output of graph.outputs) {
    lines.push(`${indent}  output ${names.of(output.name)}: ${type(output)}`);
  }
  return lines;
}

const SHORT_DTYPE: Record<DType, string> = {
  float32: 'f32',
  float64: 'f64',
  int64: 'i64',
  int32: 'i32',
  uint32: 'u32',
  uint8: 'u8',
  bool: 'bool',
};

/** A Constant node's value as a literal (`0.9:f32`, `[1, -1]:i64`), when it is small. */
function smallConstant(node: Node): string | undefined {
  const value = node.attrs['value'];
  if (node.op !== 'Constant' || !value || !isTensor(value)) return undefined;
  if (value.data.length > INLINE_ELEMENTS) return undefined;
  const items = elements(value);
  const text = value.dims.length === 0 ? items[0] : `[${items.join(', ')}]`;
  return `${text}:${SHORT_DTYPE[value.dtype]}`;
}

function elements(t: Tensor): string[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (v) =>
    typeof v === 'bigint' ? v.toString() : numberText(v),
  );
}

function nodeLines(graph: Graph, node: Node, names: Names, indent: string): string[] {
  const inputs = node.inputs.map((i) => (i === '' ? '_' : names.of(i))).join(', ');
  const outputs = node.outputs.map((o) => {
    const info = graph.values.get(o);
    return info ? `${names.of(o)}: ${type(info)}` : names.of(o);
  });
  const attrs = Object.entries(node.attrs)
    .sort(([a], [b]) => a.localeCompare(b))
    .filter(([, value]) => !isGraph(value))
    .map(([key, value]) => `${key}=${attrText(value)}`);
  const origin = node.origin || '-';
  const head = `${indent}${origin} | ${node.op}(${inputs})${attrs.length ? ' ' + attrs.join(' ') : ''}`;
  const lines = [`${head} -> ${outputs.join(', ')}`];
  for (const [key, value] of Object.entries(node.attrs)) {
    if (!isGraph(value)) continue;
    lines.push(`${indent}  ${key}:`);
    lines.push(...printLines(value, names, indent + '    '));
  }
  return lines;
}

/** A value's type; values of a several-step run have a leading steps dimension, K. */
function type(info: ValueInfo): string {
  const dims = info.perStep ? ['K', ...info.shape] : info.shape;
  return `${info.dtype}[${dims.join(', ')}]`;
}

function attrText(value: AttrValue): string {
  if (isTensor(value)) return tensorText(value);
  if (Array.isArray(value)) return `[${value.map(numberText).join(', ')}]`;
  if (typeof value === 'number') return numberText(value);
  return String(value);
}

function tensorText(t: Tensor): string {
  const head = `${t.dtype}${formatShape(t.dims)}`;
  if (t.data.length <= INLINE_ELEMENTS) return `${head} = [${elements(t).join(', ')}]`;
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return `${head} sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`;
}

/** Numbers as the shortest text that reads back as the same float32 or integer. */
function numberText(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const single = Math.fround(v);
  for (let digits = 1; digits <= 17; digits++) {
    const text = v.toPrecision(digits);
    if (Number(text) === v || (single === v && Math.fround(Number(text)) === single)) {
      return String(Number(text));
    }
  }
  return String(v);
}
