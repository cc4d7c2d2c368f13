// Every loss against torch.nn (value and gradient with respect to the model output, in float64
// so the comparison is tight), against central finite differences of the whole float64 train
// step, and its shape check and argument validation.
import ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { backward } from '../../../compiler/autodiff/backward.js';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import { serializeModel } from '../../../compiler/onnx/serialize.js';
import {
  checkSpec,
  compileRecipe,
  initialParameters,
  LOSSES,
  Rng,
} from '../../../compiler/index.js';
import { python, recipeOf, ROOT } from '../../helpers/spec.js';
import { onnx } from '../../../compiler/ops/index.js';

const SPEC = (loss: string, classes = 5) => `
dataset D { train = idx("unused-images", "unused-labels") }
network Small {
  input x: [1, 3, 4]
  x -> Flatten -> Linear(12, 7) -> ReLU -> Linear(7, ${classes})
}
train T {
  model = Small()
  data = D, batch: 16
  loss = ${loss}
  optimizer = SGD(lr: 0.1)
  epochs = 1
}`;

/** [netspec loss, torch oracle loss] — mse, l1 and bce compare with one-hot labels there too. */
const CASES: [string, { name: string; args?: Record<string, unknown> }][] = [
  ['cross_entropy', { name: 'cross_entropy' }],
  [
    'cross_entropy(label_smoothing: 0.1)',
    { name: 'cross_entropy', args: { label_smoothing: 0.1 } },
  ],
  ['cross_entropy(label_smoothing: 1)', { name: 'cross_entropy', args: { label_smoothing: 1 } }],
  ['nll', { name: 'nll' }],
  ['mse', { name: 'mse' }],
  ['l1', { name: 'l1' }],
  ['bce_with_logits', { name: 'bce_with_logits' }],
];

const N = 6;
const C = 5;

/** A float64 graph: logits → loss, and the loss's gradient with respect to the logits. */
async function lossSession(loss: string) {
  const recipe = recipeOf(SPEC(loss));
  const b = new GraphBuilder('loss', 'float64');
  const logits = b.input('logits', 'float64', ['N', C]);
  const labels = b.input('labels', 'int64', ['N']);
  const value = recipe.loss.def.build(b, logits, labels, recipe.loss.args);
  const grad = backward(b, value, [logits]).get(logits)!;
  b.output(b.op(onnx.Identity, [value], {}, 'loss'));
  b.output(b.op(onnx.Identity, [grad], {}, 'grad'));
  const session = await ort.InferenceSession.create(serializeModel(b.graph));
  return async (x: Float64Array, y: number[]) => {
    const out = await session.run({
      logits: new ort.Tensor('float64', x, [y.length, C]),
      labels: new ort.Tensor('int64', BigInt64Array.from(y.map(BigInt)), [y.length]),
    });
    return { loss: (out.loss.data as Float64Array)[0], grad: out.grad.data as Float64Array };
  };
}

/** Ordinary logits, and logits far out where a naive exp or log overflows or underflows. */
function inputs() {
  const rng = new Rng(3, 'loss-inputs');
  const labels = Array.from({ length: N }, () => rng.below(C));
  const ordinary = Float64Array.from({ length: N * C }, () => 2 * rng.normal());
  const extreme = Float64Array.from({ length: N * C }, (_, i) => (i % 3 === 0 ? -1 : 1) * 800);
  extreme[7] = 0; // exactly at the kinks of ReLU and |x|
  return { labels, ordinary, extreme };
}

describe('losses match torch.nn', () => {
  const { labels, ordinary, extreme } = inputs();
  type Answer = { loss: number; grad: number[] };
  const torch = new Map<string, Answer>();

  beforeAll(() => {
    const requests = CASES.flatMap(([, loss]) =>
      [ordinary, extreme].map((x) => ({
        kind: 'loss',
        logits: Array.from(x),
        shape: [N, C],
        labels,
        loss,
        dtype: 'float64',
      })),
    );
    const script = `${ROOT}/test/oracle/optim_steps.py`;
    const result = python(script, [], Buffer.from(JSON.stringify(requests)));
    expect(result.stderr).toBe('');
    const answers = JSON.parse(result.stdout) as Answer[];
    CASES.forEach(([loss], k) => {
      torch.set(`${loss} ordinary`, answers[2 * k]);
      torch.set(`${loss} extreme`, answers[2 * k + 1]);
    });
  });

  it.each(CASES)('%s: value and gradient', async (loss) => {
    const run = await lossSession(loss);
    for (const [which, x] of [
      ['ordinary', ordinary],
      ['extreme', extreme],
    ] as const) {
      const ours = await run(x, labels);
      const expected = torch.get(`${loss} ${which}`)!;
      // nll of raw scores is unbounded, so extreme inputs give large but finite values.
      expect(Number.isFinite(ours.loss), `${which} loss finite`).toBe(true);
      const scale = Math.max(1, Math.abs(expected.loss));
      expect(Math.abs(ours.loss - expected.loss), `${which} loss`).toBeLessThan(1e-12 * scale);
      ours.grad.forEach((g, i) =>
        expect(Math.abs(g - expected.grad[i]), `${which} grad[${i}]`).toBeLessThan(1e-12),
      );
    }
  });
});

describe('train-step gradients of every loss', () => {
  it.each(CASES)('%s: match central finite differences', async (loss) => {
    const recipe = recipeOf(SPEC(loss));
    const compiled = compileRecipe(recipe, { floatType: 'float64', gradients: true });
    const session = await ort.InferenceSession.create(compiled.train);
    const rng = new Rng(7, 'loss-gradcheck');
    const params = new Map(
      [...initialParameters(recipe.model, 3)].map(([name, v]) => [
        name,
        Float64Array.from(v, (w) => w * 3),
      ]),
    );
    const shapes = new Map(compiled.manifest.parameters.map((p) => [p.name, p.shape]));
    const feeds = () => {
      const f: Record<string, ort.Tensor> = {
        x: new ort.Tensor('float64', x, [16, 1, 3, 4]),
        labels: new ort.Tensor('int64', labels, [16]),
        lr: new ort.Tensor('float64', Float64Array.of(0), []),
        step: new ort.Tensor('int64', BigInt64Array.of(0n), []),
      };
      for (const [name, v] of params) f[name] = new ort.Tensor('float64', v, shapes.get(name)!);
      return f;
    };
    const x = Float64Array.from({ length: 16 * 12 }, () => rng.normal());
    const labels = BigInt64Array.from({ length: 16 }, () => BigInt(rng.below(C)));
    const lossAt = async () => ((await session.run(feeds())).loss.data as Float64Array)[0];
    const out = await session.run(feeds());
    const eps = 1e-6;
    let largest = 0;
    for (const [name, values] of params) {
      const analytic = out[`${name}.grad`].data as Float64Array;
      for (let i = 0; i < values.length; i++) {
        const saved = values[i];
        values[i] = saved + eps;
        const up = await lossAt();
        values[i] = saved - eps;
        const down = await lossAt();
        values[i] = saved;
        const numeric = (up - down) / (2 * eps);
        largest = Math.max(largest, Math.abs(numeric));
        expect(Math.abs(analytic[i] - numeric), `${name}[${i}]`).toBeLessThan(
          1e-7 + 1e-6 * Math.abs(numeric),
        );
      }
    }
    // The check can fail: the gradient is not trivially zero.
    expect(largest).toBeGreaterThan(1e-3);
  });
});

describe('loss shape checks and arguments', () => {
  it.each([...LOSSES.keys()])('%s accepts [N, classes] and explains anything else', (name) => {
    const loss = LOSSES.get(name)!;
    expect(loss.check(['N', 10], 10)).toBeUndefined();
    expect(loss.check(['N', 10], undefined)).toBeUndefined();
    expect(loss.check(['N', 7], 10)).toMatch(
      new RegExp(`^${name}: the model outputs 7 .* per example, but the dataset has 10 classes$`),
    );
    expect(loss.check(['N', 2, 5], 5)).toMatch(
      new RegExp(`^${name} needs .* shaped \\[N, classes\\], but the model outputs \\[N, 2, 5\\]$`),
    );
  });

  it('rejects a label smoothing outside [0, 1] and unknown arguments', () => {
    const messages = (loss: string) =>
      checkSpec(SPEC(loss), 'test.net').diagnostics.map((d) => d.message);
    expect(messages('cross_entropy(label_smoothing: 1.5)')).toEqual([
      "cross_entropy: 'label_smoothing' must be at most 1, found 1.5",
    ]);
    expect(messages('mse(reduction: "sum")')).toEqual(["mse has no argument 'reduction'"]);
    expect(messages('cross_entropy(label_smoothing: 0.2)')).toEqual([]);
  });
});
