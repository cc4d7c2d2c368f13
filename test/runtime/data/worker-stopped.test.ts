// A loader worker that stops instead of replying — it crashes, runs out of memory, exits — is
// one UserError for the batch it was making, never a wait for a reply that cannot come.
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { ask } from '../../../runtime/data/prefetch.js';
import { UserError } from '../../../runtime/errors.js';

const started: Worker[] = [];
const worker = (source: string) => {
  const w = new Worker(source, { eval: true });
  started.push(w);
  return w;
};
const indices = Uint32Array.of(0, 1, 2);

async function failure(w: Worker): Promise<UserError> {
  const error: unknown = await ask(w, 1, indices, 1).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

describe('a loader worker that stops', () => {
  afterEach(async () => {
    await Promise.all(started.splice(0).map((w) => w.terminate()));
  });

  it('crashing while making a batch', async () => {
    const crashing = worker(
      "require('node:worker_threads').parentPort.on('message', () => { throw new RangeError('offset is out of bounds'); })",
    );
    const error = await failure(crashing);
    expect(error.code).toBe('NS2005');
    expect(error.message).toBe(
      'a data loader worker thread stopped while making a batch: offset is out of bounds ' +
        '(NETSPEC_LOADER_WORKERS=0 makes the batches on the main thread)',
    );
  });

  it('exiting without a reply', async () => {
    const exiting = worker(
      "require('node:worker_threads').parentPort.on('message', () => process.exit(3))",
    );
    const error = await failure(exiting);
    expect(error.code).toBe('NS2005');
    expect(error.message).toMatch(/stopped while making a batch: it exited with code 3 /);
  }, 20_000);

  it("a worker's own UserError keeps its code and words", async () => {
    const refusing = worker(
      "const { parentPort } = require('node:worker_threads'); parentPort.on('message', (r) => " +
        "parentPort.postMessage({ id: r.id, error: { code: 'NS2002', message: 'b.png: cannot decode PNG' } }))",
    );
    const error = await failure(refusing);
    expect([error.code, error.message]).toEqual(['NS2002', 'b.png: cannot decode PNG']);
  });
});
