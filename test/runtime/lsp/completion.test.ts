// Completion through `netspec lsp`, by context: every list is the checker's own registry or
// table, compared with the compiler's exports, not with a copy.
import { describe, expect, it } from 'vitest';
import {
  CALLEES,
  LAYERS,
  OPTIMIZERS,
  LOSSES,
  SOURCES,
  STOP_QUANTITY_WORDS,
  TRAIN_SETTING_WORDS,
} from '../../../compiler/index.js';
import { after, MLP_SPEC, serverForTests, uriOf } from '../../helpers/lsp.js';
import { RESNET18_ONNX } from '../../helpers/machine.js';

interface Item {
  label: string;
  detail?: string;
  documentation?: string;
  insertText?: string;
}

const { lsp } = serverForTests();
let counter = 0;

/** Completion items where `cursor` (a needle, or the text's end) is in `text`. */
async function complete(text: string, cursor?: string, file?: string): Promise<Item[]> {
  const uri = file ? uriOf(file) : uriOf(`test/fixtures/completion-${counter++}.net`);
  await lsp.open(uri, text);
  const lines = text.split('\n');
  const end = { line: lines.length - 1, character: lines[lines.length - 1].length };
  return lsp.request('textDocument/completion', uri, cursor ? after(text, cursor) : end);
}

const labels = (items: Item[]) => items.map((i) => i.label).sort();

const TRAIN = `network Net {
  input x: [4]
  x -> Linear(4, 2)
}
dataset D { train = idx("a.gz", "b.gz") }
transform T { ToTensor }
train R {
  model = Net()
  data = D
  `;

describe('completion', () => {
  it('offers the optimizers after `optimizer = `', async () => {
    const items = await complete(`${TRAIN}optimizer = `);
    expect(labels(items)).toEqual([...OPTIMIZERS.keys()].sort());
    expect(items.find((i) => i.label === 'Adam')?.detail).toMatch(/^Adam\(lr = 0\.001, /);
  });

  it('offers the losses after `loss = ` and the networks after `model = `', async () => {
    expect(labels(await complete(`${TRAIN}loss = `))).toEqual([...LOSSES.keys()].sort());
    expect(labels(await complete(TRAIN, 'model = '))).toEqual(['Net']);
  });

  it('offers the remaining arguments inside `SGD(lr: 0.05, `', async () => {
    const items = await complete(`${TRAIN}optimizer = SGD(lr: 0.05, `);
    const rest = OPTIMIZERS.get('SGD')!
      .args.map((a) => a.name)
      .filter((n) => n !== 'lr');
    expect(items.map((i) => i.label)).toEqual(rest);
    expect(items.find((i) => i.label === 'momentum')).toMatchObject({
      insertText: 'momentum: $0',
      detail: 'default 0',
    });
  });

  it('offers true and false for a boolean argument', async () => {
    expect(labels(await complete(`${TRAIN}optimizer = SGD(nesterov: `))).toEqual(['false', 'true']);
  });

  it("offers a data source's arguments inside `csv(…, `", async () => {
    const items = await complete('dataset D {\n  train = csv("pixels.csv", ');
    const rest = SOURCES.get('csv')!
      .args.slice(1)
      .map((a) => a.name);
    expect(items.map((i) => i.label)).toEqual(rest);
  });

  it('offers the settings not yet written, then the options of `data = D, `', async () => {
    const settings = labels(await complete(TRAIN));
    const unset = TRAIN_SETTING_WORDS.map((w) => w.name).filter(
      (n) => n !== 'model' && n !== 'data',
    );
    expect(settings).toEqual(expect.arrayContaining(unset));
    expect(settings).not.toContain('model');
    expect(labels(await complete(`${TRAIN}`.replace('data = D', 'data = D, batch: 8, ')))).toEqual([
      'drop_last',
      'shuffle',
      'transform',
    ]);
    expect(labels(await complete(TRAIN.replace('data = D', 'data = D, transform: ')))).toEqual([
      'T',
    ]);
  });

  it('offers stop quantities after `stop when`', async () => {
    const items = await complete(`${TRAIN}stop when `);
    expect(labels(items)).toEqual(STOP_QUANTITY_WORDS.map((w) => w.name).sort());
  });

  it('offers layers and declared blocks after `->`', async () => {
    const text = 'block B(n) {\n  input x\n  x -> ReLU\n}\nnetwork N {\n  input x: [4]\n  x -> ';
    const single = [...LAYERS.values()].filter((l) => l.inputs !== 'several').map((l) => l.name);
    expect(labels(await complete(text))).toEqual([...single, 'B'].sort());
  });

  it("offers a block's parameters inside its call, and the network's values at a statement", async () => {
    const text =
      'block B(width, depth = 2) {\n  input x\n  x -> ReLU\n}\nnetwork N(k = 3) {\n  input x: [4]\n  h = x -> B(4, ';
    expect(labels(await complete(text))).toEqual(['depth']);
    const statement = await complete('network N(k = 3) {\n  input x: [4]\n  h = x -> ReLU\n  ');
    expect(labels(statement)).toEqual(expect.arrayContaining(['h', 'k', 'x', 'input', 'output']));
  });

  it('offers transforms in a transform block', async () => {
    const items = await complete('transform A {\n  ');
    expect(labels(items)).toEqual(CALLEES.transforms.map((c) => c.name).sort());
  });

  it('offers declared names from an imported file', async () => {
    const text = 'import "../../specs/blocks.net"\nnetwork N {\n  input x: [1, 28, 28]\n  x -> ';
    expect(labels(await complete(text, undefined, 'test/fixtures/importing.net'))).toEqual(
      expect.arrayContaining(['ConvBNReLU', 'BasicBlock', 'TwoPaths']),
    );
  });

  it('offers the modules of an imported ONNX network after `replace` and `freeze`', async () => {
    const text = `network R = onnx(${JSON.stringify(RESNET18_ONNX)}, shape: [3, 64, 64]) {\n  replace `;
    const items = await complete(text, undefined, 'test/fixtures/onnx-modules.net');
    expect(labels(items)).toEqual(
      expect.arrayContaining(['conv1', 'fc', 'layer4.1.conv2', 'layer4.*', '*']),
    );
    expect(items.find((i) => i.label === 'conv1')?.detail).toBe('Conv2d');
    const freeze = await complete(
      `${text.replace('replace ', 'freeze layer1.*, ')}`,
      undefined,
      'test/fixtures/onnx-modules.net',
    );
    expect(labels(freeze)).toEqual(expect.arrayContaining(['batch_stats', 'layer2.0.bn1']));
  });

  it('offers the modules of the model after `unfreeze` in a train block', async () => {
    const text = `${TRAIN}unfreeze `;
    expect(labels(await complete(text))).toEqual(expect.arrayContaining(['linear1', '*']));
  });

  it('offers the keys of the train block a sweep is over, then values for a key', async () => {
    const text = `${MLP_SPEC}\nsweep S over Baseline {\n  `;
    const items = await complete(text);
    const keys = items.map((i) => i.label);
    for (const key of ['seed', 'optimizer', 'optimizer.lr', 'optimizer.momentum', 'data.batch'])
      expect(keys).toContain(key);
    expect(keys).toContain('model.hidden');
    expect(keys).not.toContain('Linear');
    expect(items.find((i) => i.label === 'optimizer.lr')?.documentation).toBe('SGD: learning rate');
    const ranges = CALLEES.ranges.map((r) => r.name);
    expect(labels(await complete(`${text}optimizer.lr = `))).toEqual([...ranges].sort());
    expect(labels(await complete(`${text}optimizer = [`))).toEqual(
      [...OPTIMIZERS.keys(), ...ranges].sort(),
    );
  });

  it('offers declaration keywords at the top level', async () => {
    expect(labels(await complete('network A {\n  input x: [4]\n}\n'))).toEqual([
      'block',
      'dataset',
      'import',
      'network',
      'sweep',
      'train',
      'transform',
    ]);
  });
});
