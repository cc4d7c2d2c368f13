// Does onnxruntime-node's `session.run` let the event loop run while it computes?
// `node dist/bench/event-loop.js [cpu|webgpu] [n]`: one n³ MatMul, a 1 ms interval timer
// beside it; prints how soon the promise came back, the run's time, how often the timer fired
// during the run and its longest gap (docs/decisions/0018-session-run-blocks-the-event-loop.md).
import { matmulModel } from '../compiler/index.js';
import type { Device } from '../runtime/device.js';
import { createSession, ort } from '../runtime/session.js';

async function measure(device: Device, n: number) {
  const session = await createSession(matmulModel(n), { device, threads: 2 });
  const data = new Float32Array(n * n).fill(0.001);
  const feeds = {
    a: new ort.Tensor('float32', data, [n, n]),
    b: new ort.Tensor('float32', data, [n, n]),
  };
  await session.run(feeds); // warm-up: plans, allocates, compiles shaders
  let [ticks, gap, last] = [0, 0, performance.now()];
  const timer = setInterval(() => {
    const now = performance.now();
    [ticks, gap, last] = [ticks + 1, Math.max(gap, now - last), now];
  }, 1);
  const start = performance.now();
  const running = session.run(feeds);
  const returned = performance.now() - start;
  await running;
  const ran = performance.now() - start;
  clearInterval(timer);
  gap = Math.max(gap, performance.now() - last);
  const ms = (x: number) => Number(x.toFixed(2));
  return {
    device,
    n,
    promiseBackMs: ms(returned),
    runMs: ms(ran),
    timerTicks: ticks,
    longestGapMs: ms(gap),
  };
}

const [device = 'cpu', n = device === 'cpu' ? '3072' : '384'] = process.argv.slice(2);
console.log(JSON.stringify(await measure(device as Device, Number(n))));
