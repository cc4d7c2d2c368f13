// The loader makes each next batch while the consumer awaits its step (`ahead`): the next item
// is made before the consumer's awaited work ends, errors come at their item's turn, and a
// consumer that stops early closes the source.
import { describe, expect, it } from 'vitest';
import { ahead } from '../../../runtime/data/prefetch.js';

/** Work that completes on a later turn of the event loop, as onnxruntime's step does. */
const step = (log: string[], k: number) =>
  new Promise<void>((resolve) =>
    setTimeout(() => {
      log.push(`step ${k} done`);
      resolve();
    }, 5),
  );

describe('batches made ahead', () => {
  it('makes the next item while the consumer awaits its step', async () => {
    const log: string[] = [];
    function* items() {
      for (let k = 0; k < 3; k++) {
        log.push(`make ${k}`);
        yield k;
      }
    }
    for await (const k of ahead(items())) {
      log.push(`got ${k}`);
      await step(log, k);
    }
    expect(log).toEqual([
      'make 0',
      'got 0',
      'make 1',
      'step 0 done',
      'got 1',
      'make 2',
      'step 1 done',
      'got 2',
      'step 2 done',
    ]);
  });

  it('raises an error making an item when that item is due, after the ones before it', async () => {
    function* items() {
      yield 'a';
      throw new Error('image 7 is corrupt');
    }
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const item of ahead(items())) got.push(item);
      })(),
    ).rejects.toThrow('image 7 is corrupt');
    expect(got).toEqual(['a']);
  });

  it('closes the source when the consumer stops early', async () => {
    let closed = false;
    function* items() {
      try {
        for (let k = 0; ; k++) yield k;
      } finally {
        closed = true;
      }
    }
    for await (const k of ahead(items())) if (k === 2) break;
    expect(closed).toBe(true);
  });
});
