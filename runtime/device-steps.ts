// Training steps on a device that keeps the training state (WebGPU): one onnxruntime run of the
// train graph per step, its parameters, optimizer state, buffers and step counter left on the
// device as outputs and fed back as the next step's inputs. A step uploads its batch (uint8
// pixels where the graph scales them), labels and learning rate, and downloads the scalars it
// reports; weights come to the host only when asked for (`HostCopies.toHost`).
import type { CompiledRecipe, TensorEntry } from '../compiler/index.js';
import { carriedKey, copyModel } from '../compiler/index.js';
import type { Images } from './data/batches.js';
import type { Chunk } from './data/chunks.js';
import type { SessionOptions } from './session.js';
import { createSession, ort } from './session.js';
import { labelTensor } from './evaluate.js';
import type { ChunkResult, StepRecord } from './step-runner.js';
import type { Feeds } from './train-state.js';

/** Bytes between the host and the device, counted by what each run was fed and handed back. */
export interface Transfers {
  uploaded: number;
  downloaded: number;
  steps: number;
}

export const onDevice = (t: ort.Tensor) => t.location === 'gpu-buffer';

const bytesOf = (t: ort.Tensor) => (t.data as ArrayBufferView).byteLength;

/** Each output fed back next step, with the input it becomes: `x.next` → `x`, `step.next` → `step`. */
function carriedOutputs(compiled: CompiledRecipe): Map<string, string> {
  const { inputs, outputs } = compiled.manifest.graphs.train;
  const inputOf = new Map(inputs.map((i) => [carriedKey(i.role) ?? i.role.kind, i.name]));
  const pairs = new Map<string, string>();
  for (const output of outputs) {
    const key = carriedKey(output.role) ?? (output.role.kind === 'step' ? 'step' : undefined);
    if (key && inputOf.has(key)) pairs.set(output.name, inputOf.get(key)!);
  }
  return pairs;
}

/** A step's run failed: which step (counted from 0), and why. */
export class StepError extends Error {
  constructor(
    readonly step: number,
    failure: Error,
  ) {
    super(failure.message);
  }
}

export class DeviceStepRunner {
  readonly transfers: Transfers = { uploaded: 0, downloaded: 0, steps: 0 };

  private constructor(
    private session: ort.InferenceSession,
    private compiled: CompiledRecipe,
    private carried: Map<string, string>,
  ) {}

  static async create(
    compiled: CompiledRecipe,
    options: SessionOptions,
  ): Promise<DeviceStepRunner> {
    const carried = carriedOutputs(compiled);
    const session = await createSession(compiled.train, {
      ...options,
      onDevice: [...carried.keys()],
    });
    return new DeviceStepRunner(session, compiled, carried);
  }

  release(): Promise<void> {
    return this.session.release();
  }

  /**
   * Runs `chunk.steps` steps from `state`, the first numbered `firstStep`, at `rates`. `state`
   * itself is left as it is (a divergence re-runs from it); the states between are released.
   */
  async run(
    state: Feeds,
    chunk: Chunk<Images>,
    firstStep: number,
    rates: Float32Array,
  ): Promise<ChunkResult> {
    let current = state;
    const steps: StepRecord[] = [];
    let updatedNorm = NaN;
    for (let j = 0; j < chunk.steps; j++) {
      const feeds: Feeds = {};
      for (const input of this.compiled.manifest.graphs.train.inputs)
        feeds[input.name] = this.feed(input, current, chunk, j, firstStep + j, rates[j]);
      const out = await this.step(feeds, firstStep + j);
      const next: Feeds = {};
      for (const [output, input] of this.carried) next[input] = out[output];
      steps.push(this.record(out));
      updatedNorm = this.scalar(out, 'updated_norm');
      if (j > 0) releaseState(current, next);
      current = next;
      this.transfers.steps++;
    }
    return { state: current, steps, updatedNorm };
  }

  private async step(feeds: Feeds, step: number) {
    try {
      loseDeviceForTests(step);
      return await this.session.run(feeds);
    } catch (e) {
      throw new StepError(step, e as Error);
    }
  }

  private feed(
    input: TensorEntry,
    state: Feeds,
    chunk: Chunk<Images>,
    j: number,
    step: number,
    rate: number,
  ): ort.Tensor {
    const { size, shape } = chunk;
    const upload = (t: ort.Tensor) => ((this.transfers.uploaded += bytesOf(t)), t);
    switch (input.role.kind) {
      case 'images': {
        const pixels = chunk.images.length / chunk.steps;
        const images = chunk.images.subarray(j * pixels, (j + 1) * pixels);
        const type = images instanceof Uint8Array ? 'uint8' : 'float32';
        return upload(new ort.Tensor(type, images, [size, ...shape]));
      }
      case 'labels':
        return upload(
          labelTensor(chunk.labels.subarray(j * size, (j + 1) * size), labelType(input)),
        );
      case 'lr':
        return upload(new ort.Tensor('float32', Float32Array.of(rate), []));
      case 'step':
        return state.step ?? upload(integerTensor([step], input, []));
      default: {
        const tensor = state[input.name];
        return onDevice(tensor) ? tensor : upload(tensor);
      }
    }
  }

  private scalar(out: ort.InferenceSession.OnnxValueMapType, name: string): number {
    const value = out[name];
    if (!value) return NaN;
    this.transfers.downloaded += bytesOf(value);
    return (value.data as Float32Array)[0];
  }

  private record(out: ort.InferenceSession.OnnxValueMapType): StepRecord {
    const monitors: Record<string, number> = {};
    const terms: Record<string, number> = {};
    for (const { role, name } of this.compiled.manifest.graphs.train.outputs) {
      if (role.kind === 'monitor') monitors[role.monitor] = this.scalar(out, name);
      if (role.kind === 'loss_term') terms[role.term] = this.scalar(out, name);
    }
    return {
      loss: this.scalar(out, 'loss'),
      correct: this.scalar(out, 'correct'),
      gradNorm: monitors.grad_norm,
      paramNorm: monitors.param_norm,
      monitors,
      terms,
    };
  }
}

/**
 * A GPU cannot be lost at will (SwiftShader never is): the tests of a lost device set
 * NETSPEC_TEST_LOSE_DEVICE_AT_STEP, and the step of that number fails as Dawn fails it.
 */
function loseDeviceForTests(step: number): void {
  const at = process.env.NETSPEC_TEST_LOSE_DEVICE_AT_STEP;
  if (at !== undefined && Number(at) === step)
    throw new Error(`WebGPU device lost (NETSPEC_TEST_LOSE_DEVICE_AT_STEP=${at})`);
}

/** The integer type of a graph input: int64, or int32 where the device computes no int64. */
export function labelType(entry: TensorEntry): 'int64' | 'int32' {
  return entry.dtype === 'int64' ? 'int64' : 'int32';
}

/** Integers as the graph takes them. */
function integerTensor(values: readonly number[], entry: TensorEntry, dims: number[]) {
  if (entry.dtype === 'int64')
    return new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims);
  return new ort.Tensor('int32', Int32Array.from(values), dims);
}

/** Frees the device memory of `state`'s tensors that `keep` does not hold too. */
export function releaseState(state: Feeds, keep: Feeds = {}): void {
  const kept = new Set(Object.values(keep));
  for (const tensor of Object.values(state))
    if (onDevice(tensor) && !kept.has(tensor)) tensor.dispose();
}

/**
 * The training state as host tensors, for checkpoints, evaluation reports and the end of a run:
 * device tensors are brought back through a graph that copies them (onnxruntime-node cannot
 * read a device tensor directly); host tensors are copied.
 */
export class HostCopies {
  private sessions = new Map<string, ort.InferenceSession>();

  constructor(private options: SessionOptions) {}

  async toHost(state: Feeds, transfers?: Transfers): Promise<Feeds> {
    const names = Object.keys(state).filter((name) => onDevice(state[name]));
    const host: Feeds = {};
    for (const [name, t] of Object.entries(state)) {
      if (!onDevice(t))
        host[name] = new ort.Tensor(t.type, (t.data as Float32Array).slice(), t.dims.slice());
    }
    if (names.length === 0) return host;
    const session = await this.session(names, state);
    const out = await session.run(Object.fromEntries(names.map((n) => [n, state[n]])));
    for (const name of names) {
      host[name] = out[`${name}.copy`];
      if (transfers) transfers.downloaded += bytesOf(host[name]);
    }
    return host;
  }

  private async session(names: string[], state: Feeds): Promise<ort.InferenceSession> {
    const key = names.map((n) => `${n}:${state[n].dims.join('x')}`).join(',');
    const cached = this.sessions.get(key);
    if (cached) return cached;
    const values = names.map((name) => ({
      name,
      dtype: state[name].type as 'float32' | 'int32',
      shape: state[name].dims.slice(),
    }));
    const session = await createSession(copyModel(values), this.options);
    this.sessions.set(key, session);
    return session;
  }

  async release(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.release()));
    this.sessions.clear();
  }
}
