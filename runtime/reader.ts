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
  | { op: 'read'; path: string; limit: number; tail?: number; head?: number };

/** Many files in one request: their stats, or their whole bytes (one frame, split by `length`). */
export type BatchRequest =
  { op: 'stats'; paths: string[] } | { op: 'reads'; paths: string[]; limit: number };

/** A batch's answer: one reply per path, in order; `bytes` holds the read files' bytes end to end. */
export interface BatchReply {
  each: (ReadReply & { length?: number })[];
  bytes?: Uint8Array;
}

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
  // [0]: 1 once the reply is on the port; [1]: counts the pieces of bytes received so far.
  const flag = new Int32Array(new SharedArrayBuffer(8));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(READ_THREAD, {
    eval: true,
    // Not the process's options: `--input-type=module` would make this CommonJS source a module.
    execArgv: [],
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
export function askReader(request: ReadRequest): ReadReply | undefined;
export function askReader(request: BatchRequest): BatchReply | undefined;
export function askReader(request: ReadRequest | BatchRequest): ReadReply | BatchReply | undefined {
  reader ??= startReader();
  const { port, flag } = reader;
  Atomics.store(flag, 0, 0);
  reader.worker.postMessage(request);
  const reply = answeredWithin(flag, readTimeoutSeconds() * 1000)
    ? receiveMessageOnPort(port)
    : undefined;
  if (!reply) {
    // Stuck in the kernel: leave it (its child exits once the mount answers) for a fresh one.
    reader.worker.postMessage({ op: 'abandon' });
    reader = undefined;
    return undefined;
  }
  return reply.message as ReadReply | BatchReply;
}

/**
 * Waits for the reply while the reader makes progress: the limit is on a silence, not on the
 * whole read (a large file on a slow but live mount takes as long as it takes).
 */
function answeredWithin(flag: Int32Array, ms: number): boolean {
  let progress = Atomics.load(flag, 1);
  for (;;) {
    const woken = Atomics.wait(flag, 0, 0, ms);
    if (Atomics.load(flag, 0) !== 0) return true;
    const now = Atomics.load(flag, 1);
    if (woken === 'timed-out' && now === progress) return false;
    progress = now;
  }
}

/**
 * The reader thread, plain CommonJS evaluated in the worker (no module to resolve, from sources
 * or from dist): it starts the child, forwards each request, and posts the reply before raising
 * the flag, so the reply is on the port when the caller wakes. A read's bytes come on the
 * child's stdout (a length, then the bytes), straight into the buffer transferred to the caller:
 * through the IPC channel's serialization a 47 MB file took twice as long
 * (docs/decisions/0026-reads-that-time-out.md).
 */
const READ_THREAD = `
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
// A child that fails or dies answers the request it had, and every later one, with EIO.
let pending = false;
let dead = false;
const fail = () => {
  dead = true;
  if (pending) reply({ error: 'EIO', dangling: false });
};
child.on('error', fail);
child.on('exit', fail);
// The answer (from the IPC channel) and a read's bytes (from stdout), joined in settle().
let answer;
let head = Buffer.alloc(0);
let bytes;
let got = 0;
child.on('message', (message) => {
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
  Atomics.add(flag, 1, 1);
  Atomics.notify(flag, 0);
  settle();
});
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
  if (request.op === 'read') return streamRead(request);
  let answer;
  if (request.op === 'stats') answer = { each: request.paths.map((path) => attempt(path, stat)) };
  else if (request.op === 'reads')
    answer = { each: request.paths.map((path) => attempt(path, () => read({ ...request, path }))) };
  else if (request.op === 'stat') answer = attempt(request.path, stat);
  else answer = attempt(request.path, (path) => ({ real: fs.realpathSync(path) }));
  // A batch's bytes go on stdout after the answer, as one frame: its length, then each file's.
  const parts = [];
  for (const entry of answer.each || []) {
    if (!entry.bytes) continue;
    parts.push(entry.bytes);
    entry.length = entry.bytes.length;
    delete entry.bytes;
  }
  if (request.op === 'reads') answer.length = parts.reduce((sum, part) => sum + part.length, 0);
  process.send(answer);
  if (request.op !== 'reads') return;
  writeLength(answer.length);
  for (const part of parts) write(part);
});
/**
 * One file, in pieces: its length on stdout, then each piece as it is read (the reader thread
 * counts them), then the answer; a file that shrinks or fails part way is padded to the length.
 */
function streamRead(request) {
  const opened = attempt(request.path, () => openChecked(request));
  if (opened.fd === undefined) return process.send(opened);
  const { fd, mode, size, mtimeMs } = opened;
  const start = request.tail === undefined ? 0 : Math.max(0, size - request.tail);
  const length = Math.min(size - start, request.head === undefined ? size : request.head);
  writeLength(length);
  const piece = Buffer.allocUnsafe(Math.min(length, 4 * 2 ** 20));
  let done = 0;
  let error;
  try {
    while (done < length) {
      const n = fs.readSync(fd, piece, 0, Math.min(piece.length, length - done), start + done);
      if (n === 0) break; // the file shrank while being read
      write(piece.subarray(0, n));
      done += n;
    }
  } catch (e) {
    error = { error: e.code || 'EIO', dangling: false };
  }
  fs.closeSync(fd);
  if (done < length) write(Buffer.alloc(length - done));
  process.send({ ...(error || { mode, size, mtimeMs, got: done }), length });
}
function writeLength(length) {
  const head = Buffer.alloc(8);
  head.writeDoubleLE(length);
  write(head);
}
function attempt(path, what) {
  try {
    return what(path);
  } catch (e) {
    return { error: e.code || 'EIO', dangling: e.code === 'ENOENT' && dangling(path) };
  }
}
function write(bytes) {
  let done = 0;
  while (done < bytes.length) {
    try {
      done += fs.writeSync(1, bytes, done, bytes.length - done);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
    }
  }
}
function stat(path) {
  const { mode, size, mtimeMs } = fs.statSync(path);
  return { mode, size, mtimeMs };
}
function readable({ mode, size }, limit) {
  return (mode & S_IFMT) === S_IFREG && size <= limit;
}
/** Opens a checked file: its descriptor, mode, size and time; or why it is not opened. */
function openChecked({ path, limit }) {
  const before = stat(path);
  if (!readable(before, limit)) return before;
  const fd = fs.openSync(path, O_RDONLY | O_NONBLOCK);
  const { mode, size, mtimeMs } = fs.fstatSync(fd);
  if (readable({ mode, size }, limit)) return { fd, mode, size, mtimeMs };
  fs.closeSync(fd);
  return { mode, size, mtimeMs };
}
/** A whole file (for a batch): its bytes, or why it is not read. */
function read(request) {
  const opened = openChecked(request);
  if (opened.fd === undefined) return opened;
  const { fd, mode, size, mtimeMs } = opened;
  try {
    const bytes = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const n = fs.readSync(fd, bytes, done, size - done, done);
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
