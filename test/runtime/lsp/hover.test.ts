// Hover through `netspec lsp`: registry entries with their arguments, layers with shapes,
// parameters and FLOPs, settings, argument names, declared names and imported modules.
import { beforeAll, describe, expect, it } from 'vitest';
import { OPTIMIZERS } from '../../../compiler/index.js';
import { at, MLP_SPEC, serverForTests, uriOf } from '../../helpers/lsp.js';

const { lsp } = serverForTests();

async function hover(uri: string, text: string, needle: string, delta = 1): Promise<string> {
  const result = await lsp.request<{ contents: { value: string } } | null>(
    'textDocument/hover',
    uri,
    at(text, needle, delta),
  );
  return result?.contents.value ?? '';
}

const SPEC = MLP_SPEC.replace(
  '  epochs = 1\n',
  '  epochs = 1\n  stop when val_loss < 0.3\n',
).replace('train-labels.gz")\n', 'train-labels.gz")\n  validation = split(train, 10%)\n');
const URI = uriOf('test/fixtures/hover.net');

describe('hover', () => {
  beforeAll(async () => {
    expect((await lsp.open(URI, SPEC)).diagnostics).toEqual([]);
  });

  it("shows SGD's update rule and every argument with its doc and default", async () => {
    const text = await hover(URI, SPEC, 'SGD(');
    expect(text).toContain('**SGD** (optimizer)');
    expect(text).toContain(OPTIMIZERS.get('SGD')!.doc);
    for (const arg of OPTIMIZERS.get('SGD')!.args)
      expect(text).toContain(`\`${arg.name}\` — ${arg.doc}`);
    expect(text).toContain('`momentum` — momentum factor μ (default 0, at least 0)');
  });

  it('shows a layer’s shapes, parameters and FLOPs', async () => {
    const text = await hover(URI, SPEC, 'Linear(784');
    expect(text).toContain(
      '`linear1`: [N, 784] → **[N, 256]**, 200,960 parameters, 401,408 FLOPs per example',
    );
  });

  it('shows an argument name’s doc and a setting’s doc', async () => {
    expect(await hover(URI, SPEC, 'momentum:')).toContain('`momentum` — momentum factor μ');
    expect(await hover(URI, SPEC, 'batch:')).toContain('`batch` — examples per step (default 64');
    expect(await hover(URI, SPEC, 'optimizer =')).toContain('`optimizer` — the optimizer');
    expect(await hover(URI, SPEC, 'val_loss')).toContain('loss on the validation split');
  });

  it('shows what a declared name is, with a network’s shapes and size', async () => {
    const text = await hover(URI, SPEC, 'MLP()');
    expect(text).toContain('network **MLP**(hidden, classes)');
    expect(text).toContain('[N, 1, 28, 28] → **[N, 10]**, 4 layers, 203,530 parameters');
    expect(await hover(URI, SPEC, 'cross_entropy')).toContain('**cross_entropy** (loss)');
    const idx = await hover(URI, SPEC, 'idx(');
    expect(idx).toContain('**idx** (data source)');
    expect(idx).toContain('`labels` — path of the labels file');
  });

  it('shows what a sweep key changes, and jumps from a sweep to its train block', async () => {
    const uri = uriOf('test/fixtures/hover-sweep.net');
    const text = `${MLP_SPEC}\nsweep S over Baseline {\n  optimizer.lr = [0.01, 0.1]\n}\n`;
    await lsp.open(uri, text);
    expect(await hover(uri, text, 'optimizer.lr')).toBe(
      '`optimizer.lr` — SGD: learning rate (sweep key)',
    );
    const location = await lsp.request<{ range: { start: { line: number } } }>(
      'textDocument/definition',
      uri,
      at(text, 'over Baseline', 6),
    );
    expect(location.range.start.line).toBe(at(text, 'train Baseline').line);
  });

  it('shows the module a surgery statement names, and the imported network', async () => {
    const { uri, text } = await lsp.openFile('specs/resnet18-finetune.net', true);
    const conv1 = await hover(uri, text, '  replace conv1', 10);
    expect(conv1).toContain('module `conv1` of Finetuned: **Conv2d**');
    expect(conv1).toContain('[N, 1, 28, 28] → **[N, 64, 14, 14]**, 3,136 parameters');
    const network = await hover(uri, text, 'model = Finetuned', 9);
    // torchvision's 11,689,512 with conv1 (3·64·49) and fc (512·1000 + 1000) replaced by the
    // trainable 1·64·49 = 3,136 and 512·10 + 10 = 5,130; the 8 residual additions are layers too.
    expect(network).toContain('69 layers, 11,175,370 parameters (8,266 trainable)');
  });
});
