// Shapes inline through `netspec lsp`: after each chain stage its output shape and parameter
// count, for a spec network (specs/fashion-cnn.net) and an imported one (the finetune spec).
import { describe, expect, it } from 'vitest';
import { serverForTests } from '../../helpers/lsp.js';

interface Hint {
  position: { line: number; character: number };
  label: string;
}

const { lsp } = serverForTests();

/** Each hint as `<the line's text up to the hint>  <label>`. */
async function hints(path: string, models = false): Promise<string[]> {
  const { uri, text } = await lsp.openFile(path, models);
  const lines = text.split('\n');
  const range = { start: { line: 0, character: 0 }, end: { line: lines.length, character: 0 } };
  const result = await lsp.request<Hint[]>('textDocument/inlayHint', uri, undefined, { range });
  return result.map((h) => `${lines[h.position.line].slice(0, h.position.character)}  ${h.label}`);
}

describe('inlay hints', () => {
  it('show every stage’s output shape and parameter count in specs/fashion-cnn.net', async () => {
    // 28×28 → conv3 26×26 → conv3 24×24 → pool 12×12; 64·12·12 = 9,216 features.
    expect(await hints('specs/fashion-cnn.net')).toEqual([
      '    -> Conv2d(1, 32, 3)  [N, 32, 26, 26] · 320',
      '    -> ReLU  [N, 32, 26, 26]',
      '    -> Conv2d(32, 64, 3)  [N, 64, 24, 24] · 18,496',
      '    -> ReLU  [N, 64, 24, 24]',
      '    -> MaxPool2d(2)  [N, 64, 12, 12]',
      '    -> Dropout(0.25)  [N, 64, 12, 12]',
      '    -> Flatten  [N, 9216]',
      '    -> Linear(auto, 128)  [N, 128] · 1,179,776',
      '    -> ReLU  [N, 128]',
      '    -> Dropout(0.5)  [N, 128]',
      '    -> Linear(128, classes)  [N, 10] · 1,290',
    ]);
  });

  it('show an imported network’s output and size, and its replaced layers', async () => {
    expect(await hints('specs/resnet18-finetune.net', true)).toEqual([
      'network Finetuned = onnx("resnet18.onnx", shape: [1, 28, 28])  [N, 10] · 11,175,370 (8,266 trainable)',
      '  replace conv1 with Conv2d(1, 64, 7, stride: 2, padding: 3, bias: false)  [N, 64, 14, 14] · 3,136',
      '  replace fc with Linear(512, 10)  [N, 10] · 5,130',
    ]);
  });
});
