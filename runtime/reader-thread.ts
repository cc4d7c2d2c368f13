// The reader thread's source, for runtime/reader.ts.
/**
 * The reader thread, plain CommonJS evaluated in the worker (no module to resolve, from sources
 * or from dist): it starts the child, forwards each request, and posts the reply before raising
 * the flag, so the reply is on the port when the caller wakes. A read's bytes come on the
 * child's stdout (a length, then the bytes), straight into the buffer transferred to the caller:
 * through the IPC channel's serialization a 47 MB file took twice as long
 * (docs/decisions/0026-reads-that-time-out.md).
 */
export const READ_THREAD = `
const { workerData, parentPort } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const { flag, port, child: source } = workerData;
const child = spawn(process.execPath, ['-e', source], {
  // No stdin or stderr: a child stuck in the kernel would hold netspec's pipes open past its exit.
  stdio: ['ignore', 'pipe', 'ignore', 'ipc'],
  serialization: 'advanced',
});
child.unref();
child.channel.unref();
// The child has one request at a time (its replies could not be told apart otherwise); the
// others wait here, in order. A child that fails or dies answers the request it had, and every
// later one, with EIO.
const queue = [];
let pending = false;
let dead = false;
const fail = () => {
  dead = true;
  if (pending) reply({ error: 'EIO', dangling: false });
};
function forward() {
  if (pending || queue.length === 0) return;
  pending = true;
  const request = queue.shift();
  if (dead) reply({ error: 'EIO', dangling: false });
  else child.send(request);
}
child.on('error', fail);
child.on('exit', fail);
// The answer (from the IPC channel) and a read's bytes (from stdout), joined in settle().
let answer;
let head = Buffer.alloc(0);
let bytes;
let got = 0;
child.on('message', (message) => {
  // A long operation (a gunzip) says it is alive now and then: the limit is on silence.
  if (message.alive) return alive();
  answer = message;
  settle();
});
child.stdout.on('data', (chunk) => {
  if (!bytes) {
    const need = 8 - head.length;
    head = Buffer.concat([head, chunk.subarray(0, need)]);
    if (head.length < 8) return;
    bytes = new Uint8Array(head.readDoubleLE(0));
    head = Buffer.alloc(0);
    chunk = chunk.subarray(need);
  }
  bytes.set(chunk, got);
  got += chunk.length;
  alive();
  settle();
});
function alive() {
  Atomics.add(flag, 1, 1);
  Atomics.notify(flag, 0);
}
function settle() {
  if (!answer) return;
  if (answer.length !== undefined) {
    if (!bytes || got < bytes.length) return;
    // A file that shrank while it was read is padded to the length first announced.
    if (answer.error === undefined) answer.bytes = bytes.subarray(0, answer.got ?? bytes.length);
    delete answer.length;
    delete answer.got;
    bytes = undefined;
    got = 0;
  }
  const message = answer;
  answer = undefined;
  reply(message);
}
function reply(message) {
  pending = false;
  port.postMessage(message, message.bytes ? [message.bytes.buffer] : []);
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
  forward();
}
parentPort.on('message', (request) => {
  if (request.op === 'abandon') {
    child.kill('SIGKILL');
    process.exit(0);
  }
  queue.push(request);
  forward();
});
`;
