// Reads with a time limit. A file on a mount that stops answering (an NFS server gone, a FUSE
// daemon that stalls) blocks stat, open and read in the kernel, with nothing to interrupt them.
// A FUSE request already sent cannot even be killed: a thread blocked in one keeps its whole
// process from exiting until the daemon answers. So the system calls run in a reader child
// process, which may stay stuck while netspec reports the file and exits. The reader thread (a
// worker) talks to the child asynchronously; the caller keeps a synchronous API by posting the
// request and `Atomics.wait`ing on a shared flag with a time limit, then taking the reply with
// receiveMessageOnPort (the bytes are transferred, not copied again). Both are made at the first
// read and kept; a reader that did not answer in time is abandoned, and the next read makes a
// fresh one. docs/decisions/0026-reads-that-time-out.md gives the numbers behind the design.
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';

/** What the reader is asked: see READ_CHILD for what each operation does. */
export type ReadRequest =
  | { op: 'stat'; path: string }
  | { op: 'realpath'; path: string }
  | { op: 'read'; path: string; limit: number; tail?: number };

export type ReadReply =
  /** The file's type and size: a `stat` request's answer, or why a `read` stopped before opening. */
  | { mode: number; size: number; mtimeMs: number; bytes?: undefined; error?: undefined }
  /** A `realpath` request's answer: the path with its links resolved. */
  | { real: string; error?: undefined }
  /** A read's bytes, and the mode and size of the open file. */
  | { mode: number; size: number; mtimeMs: number; bytes: Uint8Array; error?: undefined }
  /** A system error's code; `dangling` for a missing file that is a broken symbolic link. */
  | { error: string; dangling: boolean };

/** The time limit of one request in seconds: NETSPEC_READ_TIMEOUT, or 30. */
export function readTimeoutSeconds(): number {
  const value = Number(process.env.NETSPEC_READ_TIMEOUT);
  return Number.isFinite(value) && value > 0 ? value : 30;
}

interface Reader {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
}

let reader: Reader | undefined;

function startReader(): Reader {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(READ_THREAD, {
    eval: true,
    workerData: { flag, port: port2, child: READ_CHILD },
    transferList: [port2],
  });
  // An idle or abandoned reader must not keep netspec running.
  worker.unref();
  port1.unref();
  return { worker, port: port1, flag };
}

/**
 * Starts the reader now, so that its child process (some 50 ms of Node's start-up) starts while
 * the command's own modules load, instead of in front of the first read.
 */
export function warmReader(): void {
  reader ??= startReader();
}

/** Runs a request in the reader; undefined when it did not answer within the time limit. */
export function askReader(request: ReadRequest): ReadReply | undefined {
  reader ??= startReader();
  const { port, flag } = reader;
  Atomics.store(flag, 0, 0);
  reader.worker.postMessage(request);
  const answered = Atomics.wait(flag, 0, 0, readTimeoutSeconds() * 1000) !== 'timed-out';
  const reply = answered ? receiveMessageOnPort(port) : undefined;
  if (!reply) {
    // Stuck in the kernel: leave it (its child exits once the mount answers) for a fresh one.
    reader.worker.postMessage({ op: 'abandon' });
    reader = undefined;
    return undefined;
  }
  return reply.message as ReadReply;
}

/**
 * The reader thread, plain CommonJS evaluated in the worker (no module to resolve, from sources
 * or from dist): it starts the child, forwards each request, and posts the reply before raising
 * the flag, so the reply is on the port when the caller wakes.
 */
const READ_THREAD = `
const { workerData, parentPort } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const { flag, port, child: source } = workerData;
const child = spawn(process.execPath, ['-e', source], {
  // No stdio: a child stuck in the kernel would hold netspec's output pipe open past its exit.
  stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  serialization: 'advanced',
});
child.unref();
child.channel.unref();
// A child that fails or dies answers the request it had, and every later one, with EIO.
let pending = false;
let dead = false;
const fail = () => {
  dead = true;
  if (pending) reply({ error: 'EIO', dangling: false });
};
child.on('error', fail);
child.on('exit', fail);
child.on('message', reply);
function reply(message) {
  pending = false;
  const bytes = message.bytes;
  const whole = bytes && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  port.postMessage(message, whole ? [bytes.buffer] : []);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}
parentPort.on('message', (request) => {
  if (request.op === 'abandon') {
    child.kill('SIGKILL');
    process.exit(0);
  }
  pending = true;
  if (dead) reply({ error: 'EIO', dangling: false });
  else child.send(request);
});
`;

/**
 * The reader child, plain CommonJS run by \`node -e\`: the system calls that may block. Only
 * regular files are opened: the type and size are checked before opening, and again on the open
 * file (a pipe swapped in between), and the open itself does not block.
 */
const READ_CHILD = `
const fs = require('node:fs');
const { S_IFMT, S_IFREG, O_RDONLY, O_NONBLOCK } = fs.constants;
process.on('disconnect', () => process.exit(0));
process.on('message', (request) => {
  let answer;
  try {
    if (request.op === 'stat') answer = stat(request.path);
    else if (request.op === 'realpath') answer = { real: fs.realpathSync(request.path) };
    else answer = read(request);
  } catch (e) {
    answer = { error: e.code || 'EIO', dangling: e.code === 'ENOENT' && dangling(request.path) };
  }
  process.send(answer);
});
function stat(path) {
  const { mode, size, mtimeMs } = fs.statSync(path);
  return { mode, size, mtimeMs };
}
function readable({ mode, size }, limit) {
  return (mode & S_IFMT) === S_IFREG && size <= limit;
}
function read({ path, limit, tail }) {
  const before = stat(path);
  if (!readable(before, limit)) return before;
  const fd = fs.openSync(path, O_RDONLY | O_NONBLOCK);
  try {
    const { mode, size, mtimeMs } = fs.fstatSync(fd);
    if (!readable({ mode, size }, limit)) return { mode, size, mtimeMs };
    const start = tail === undefined ? 0 : Math.max(0, size - tail);
    const bytes = new Uint8Array(size - start);
    let done = 0;
    while (done < bytes.length) {
      const n = fs.readSync(fd, bytes, done, bytes.length - done, start + done);
      if (n === 0) break; // the file shrank while being read
      done += n;
    }
    return { mode, size, mtimeMs, bytes: bytes.subarray(0, done) };
  } finally {
    fs.closeSync(fd);
  }
}
function dangling(path) {
  try {
    return fs.lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
`;
