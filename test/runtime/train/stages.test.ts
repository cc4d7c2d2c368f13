// Training stages: `unfreeze linear2 after 1 epoch` keeps linear2 frozen during epoch 1 and
// trains it from epoch 2 on (recompiled step graphs, weights carried, fresh optimizer state whose
// step count starts at the unfreeze), and a run resumed across the boundary — from the epoch's
// end or from the middle of the next epoch — ends with the same weights as an uninterrupted one.
// The model is a small MLP exported by netspec itself and imported back, so the test is fast.
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Recipe } from '../../../compiler/index.js';
import { checkSpec, compileRecipe, initialParameters } from '../../../compiler/index.js';
import { format } from '../../../grammar/format.js';
import { parse } from '../../../grammar/index.js';
import { readCheckpoint } from '../../../runtime/checkpoint.js';
import { describeStages } from '../../../runtime/cli/info.js';
import { readBinary } from '../../../runtime/cli/load.js';
import type { StageStart } from '../../../runtime/stages.js';
import { Stages } from '../../../runtime/stages.js';
import type { TrainOptions } from '../../../runtime/train.js';
import { train } from '../../../runtime/train.js';
import { Rng } from '../../../compiler/index.js';
import { smallSplit, writeSmallMlp } from '../../helpers/small-mlp.js';
import { tempDir } from '../../helpers/spec.js';

function stagedSpec(file: string, extra = ''): string {
  return `
dataset D { train = idx("unused-images", "unused-labels") }
network F = onnx(${JSON.stringify(file)}, shape: [1, 4, 4]) {
  freeze *
  unfreeze linear3
}
train T {
  model = F
  data = D, batch: 4, shuffle: true
  loss = cross_entropy
  optimizer = Adam(lr: 0.01)
  groups = [group("linear2.*", lr: 0.001)]
  unfreeze linear2 after 1 epoch
  epochs = 3
  seed = 2
  ${extra}
}`;
}

let dir: string;
let recipe: Recipe;

async function run(epochs: number, options: Partial<TrainOptions> = {}) {
  const result = await train(
    recipe,
    compileRecipe(recipe),
    { train: smallSplit('stages-data') },
    {
      epochs,
      threads: 1,
      device: 'cpu',
      ...options,
    },
  );
  return result;
}

const same = (a: Float32Array, b: Float32Array) => a.every((v, i) => v === b[i]);

describe('unfreeze … after N epochs', () => {
  beforeAll(() => {
    dir = tempDir();
    const { spec, diagnostics } = checkSpec(
      stagedSpec(writeSmallMlp(dir)),
      'stages.net',
      undefined,
      readBinary,
    );
    expect(diagnostics.map((d) => d.message)).toEqual([]);
    recipe = spec.recipes.get('T')!;
  });

  it('parses and formats: netspec fmt prints the statements canonically and round-trips', () => {
    const messy = `network N = onnx("m.onnx", shape: [1, 4, 4]) {
  freeze   *,batch_stats:true   # keep batch statistics
  unfreeze linear3
}
train T {
  unfreeze   layer4.*,fc   after 2   epochs
  epochs = 3
}
`;
    const { ast, diagnostics } = parse(messy, 'm.net');
    expect(diagnostics).toEqual([]);
    const [network, trainDecl] = ast.declarations;
    expect(network.kind === 'OnnxNetwork' && network.body[0]).toMatchObject({
      kind: 'Freeze',
      patterns: [{ text: '*' }],
      options: [{ name: { name: 'batch_stats' } }],
    });
    expect(trainDecl.kind === 'Train' && trainDecl.body[0]).toMatchObject({
      kind: 'UnfreezeAfter',
      patterns: [{ text: 'layer4.*' }, { text: 'fc' }],
      after: { value: 2 },
      unit: { name: 'epochs' },
    });
    const printed = format(messy, 'm.net').text;
    expect(printed).toContain('  freeze *, batch_stats: true  # keep batch statistics\n');
    expect(printed).toContain('  unfreeze layer4.*, fc after 2 epochs\n');
    expect(format(printed, 'm.net').text).toBe(printed);
  });

  it('checks the statement: stages by epoch, with the frozen modules they unfreeze', () => {
    expect(recipe.stages).toEqual([{ after: 1, paths: ['linear2'] }]);
  });

  it('netspec info lists what trains from which epoch', () => {
    // linear3 (8·3 + 3) trains from the start; linear2 (8·8 + 8) joins from epoch 2.
    expect(describeStages(recipe).split('\n')).toEqual([
      'recipe T trains F in stages:',
      '  epoch 1 on: 27 trainable parameters',
      '  epoch 2 on: + linear2 (1 module, 72 parameters) → 99 trainable',
    ]);
  });

  it('linear2 stays frozen in epoch 1 and trains from epoch 2', async () => {
    const pretrained = initialParameters(recipe.model, recipe.seed);
    const one = await run(1);
    const starts: StageStart[] = [];
    const two = await run(2, { onStage: (start) => starts.push(start) });
    expect(starts).toEqual([{ epoch: 2, modules: ['linear2'], parameters: 8 * 8 + 8 }]);
    for (const name of ['linear2.weight', 'linear2.bias', 'linear1.weight']) {
      expect(same(one.weights.get(name)!, pretrained.get(name)!), name).toBe(true);
    }
    expect(same(one.weights.get('linear3.weight')!, pretrained.get('linear3.weight')!)).toBe(false);
    expect(same(two.weights.get('linear2.weight')!, pretrained.get('linear2.weight')!)).toBe(false);
    expect(same(two.weights.get('linear1.weight')!, pretrained.get('linear1.weight')!)).toBe(true);
    // Adam's first step moves each weight by about its group's lr (m̂/√v̂ = ±1) when the step
    // count starts at the unfreeze: linear2's group lr is 0.001, 3 steps in epoch 2.
    const moved = two.weights
      .get('linear2.weight')!
      .map((w, i) => Math.abs(w - pretrained.get('linear2.weight')![i]));
    expect(Math.max(...moved)).toBeLessThan(3 * 0.001 + 1e-6);
    expect(Math.max(...moved)).toBeGreaterThan(0.5 * 0.001);
  });

  it("the stage graph's first update of a newly trained parameter is torch's first Adam step", async () => {
    const stages = new Stages(recipe, compileRecipe(recipe));
    const compiled = stages.compiled(1, [3]);
    const session = await ort.InferenceSession.create(compiled.train);
    const values = initialParameters(recipe.model, recipe.seed);
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of compiled.manifest.graphs.train.inputs) {
      const dims = input.shape.map((d) => (d === 'N' ? 4 : d));
      if (input.role.kind === 'param')
        feeds[input.name] = new ort.Tensor('float32', values.get(input.role.param)!, dims);
      if (input.role.kind === 'state')
        feeds[input.name] = new ort.Tensor(
          'float32',
          new Float32Array(dims.reduce((a, b) => a * b, 1)),
          dims,
        );
    }
    const rng = new Rng(1, 'stage-step');
    feeds.x = new ort.Tensor(
      'float32',
      Float32Array.from({ length: 64 }, () => rng.normal()),
      [4, 1, 4, 4],
    );
    feeds.labels = new ort.Tensor('int64', BigInt64Array.of(0n, 1n, 2n, 0n), [4]);
    feeds.lr = new ort.Tensor('float32', Float32Array.of(0.01), []);
    feeds.step = new ort.Tensor('int64', BigInt64Array.of(3n), []); // 3 steps done in stage 0
    const out = await session.run(feeds);
    const before = values.get('linear2.weight')!;
    const after = out['linear2.weight.next'].data as Float32Array;
    // Bias-corrected first step: |Δ| = lr_group · |g| / (|g| + eps) ≈ 0.001 wherever g ≠ 0.
    const steps = Array.from(after, (w, i) => Math.abs(w - before[i])).filter((d) => d > 0);
    expect(steps.length).toBeGreaterThan(0);
    for (const d of steps) expect(d).toBeCloseTo(0.001, 4);
  });

  it('a run resumed across the boundary ends with the same weights', async () => {
    const whole = await run(3);
    // Stopped at the end of epoch 1 (stage 0), resumed into stage 1.
    const atEpoch = join(dir, 'epoch');
    await run(1, { checkpoint: { dir: atEpoch, every: 1, unit: 'epoch' } });
    const resumed = await run(3, { resume: readCheckpoint(join(atEpoch, 'last')) });
    // A stage-0 checkpoint (e.g. restore_best's best epoch) read into stage 1's graphs.
    const stages = new Stages(recipe, compileRecipe(recipe));
    const early = readCheckpoint(join(atEpoch, 'last'));
    const carried = stages.restore(early, stages.compiled(1, early.state.stepsAtEpoch));
    if (Array.isArray(carried)) throw new Error(carried.join('\n'));
    const pretrained = initialParameters(recipe.model, recipe.seed).get('linear2.weight')!;
    expect(same(carried['linear2.weight'].data as Float32Array, pretrained)).toBe(true);
    expect((carried['linear2.weight.exp_avg'].data as Float32Array).every((v) => v === 0)).toBe(
      true,
    );
    // Interrupted in the middle of epoch 2 (stage 1): the checkpoint carries linear2's Adam state.
    const midway = join(dir, 'midway');
    const abort = new AbortController();
    const cut = await run(3, {
      checkpoint: { dir: midway, every: 1, unit: 'step' },
      signal: abort.signal,
      onStep: (p) => (p.step === 5 ? abort.abort() : undefined),
    });
    expect(cut.interrupted).toBe(true);
    const saved = readCheckpoint(join(midway, 'last'));
    expect(saved.optimizer.has('linear2.weight.exp_avg')).toBe(true);
    const continued = await run(3, { resume: saved });
    for (const [name, w] of whole.weights) {
      expect(same(resumed.weights.get(name)!, w), `epoch boundary: ${name}`).toBe(true);
      expect(same(continued.weights.get(name)!, w), `mid-epoch: ${name}`).toBe(true);
    }
    expect(
      same(
        whole.weights.get('linear1.weight')!,
        initialParameters(recipe.model, 2).get('linear1.weight')!,
      ),
    ).toBe(true);
  });

  it("an earlier stage's checkpoint restores a newly trained layer from its own weights", async () => {
    // A run started from other weights (`--weights`) saves its frozen linear2 in every
    // checkpoint; read into stage 1, the checkpoint's values count, not the spec's constants.
    const early = join(dir, 'early');
    await run(1, { checkpoint: { dir: early, every: 1, unit: 'epoch' } });
    const checkpoint = readCheckpoint(join(early, 'last'));
    const own = checkpoint.weights.get('linear2.weight')!;
    own.data = own.data.map((_, i) => 0.01 * i);
    const stages = new Stages(recipe, compileRecipe(recipe));
    const carried = stages.restore(checkpoint, stages.compiled(1, checkpoint.state.stepsAtEpoch));
    if (Array.isArray(carried)) throw new Error(carried.join('\n'));
    expect(same(carried['linear2.weight'].data as Float32Array, own.data)).toBe(true);
  });

  it('reports patterns that match nothing, or nothing frozen, and a wrong unit at the statement', () => {
    const text = stagedSpec(join(dir, 'mlp.onnx')).replace(
      'unfreeze linear2 after 1 epoch',
      'unfreeze linea2, linear3 after 0 steps',
    );
    const { diagnostics } = checkSpec(text, 'stages.net', undefined, readBinary);
    expect(diagnostics.map((d) => [d.span.start.line, d.message])).toEqual([
      [13, "no module of 'F' matches 'linea2'; did you mean 'linear2'?"],
      [13, "'linear3' matches no frozen module of 'F' (freeze it in the network first)"],
      [13, 'unfreeze after: a positive whole number of epochs'],
      [13, "unfreeze … after N epochs, not 'steps'"],
    ]);
  });
});
