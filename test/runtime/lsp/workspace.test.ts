// The language server's workspace: an ONNX model is read and imported once per change of the
// file (its size and modification time), not once per keystroke.
import { copyFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSpec } from '../../../compiler/index.js';
import { Workspace } from '../../../runtime/lsp/workspace.js';
import { RESNET18_ONNX as ONNX } from '../../helpers/machine.js';
import { tempDir } from '../../helpers/spec.js';

describe('workspace', () => {
  it('reads an ONNX file again only when it changes, and the checker imports it once per read', () => {
    const dir = tempDir();
    const model = join(dir, 'resnet18.onnx');
    copyFileSync(ONNX, model);
    const workspace = new Workspace(() => undefined);
    workspace.readingFor(join(dir, 'spec.net')); // reads stay in the spec's folder
    const spec = `network R = onnx("resnet18.onnx", shape: [3, 32, 32]) {\n  freeze *\n}\n`;
    const check = () => checkSpec(spec, join(dir, 'spec.net'), undefined, workspace.readBinary);
    const weight = () => check().spec.networks.get('R')!.initial!.get('conv1.weight')!;
    // Identities compared as booleans: a failing toBe would print 45 MB of bytes.
    const first = workspace.readBinary(model);
    expect(workspace.readBinary(model) === first).toBe(true);
    // The same bytes: the same imported values, not a second import.
    const before = weight();
    expect(weight() === before).toBe(true);
    const later = new Date(Date.now() + 60_000);
    utimesSync(model, later, later);
    expect(workspace.readBinary(model) === first).toBe(false);
    const after = weight();
    expect(after === before).toBe(false);
    expect(Array.from(after.subarray(0, 8))).toEqual(Array.from(before.subarray(0, 8)));
  });

  it('parses only the declarations an edit touches', () => {
    const workspace = new Workspace(() => undefined);
    const text =
      'network A {\n  input x: [4]\n  x -> ReLU\n}\nnetwork B {\n  input x: [4]\n  x -> ReLU\n}\n';
    const [a, b] = workspace.parseFile(text, 'x.net').ast.declarations;
    const edited = workspace.parseFile(text.replace('network A {', 'network A  {'), 'x.net');
    expect(edited.ast.declarations[0]).not.toBe(a);
    expect(edited.ast.declarations[1]).toBe(b);
  });
});
