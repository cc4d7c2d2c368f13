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
  /** A folder's entries, and whether each is a folder (a link followed). */
  | { op: 'list'; path: string }
  /** A file's bytes: all, its last `tail`, its first `head`, or each range of `ranges`. */
  | ReadOf
  /** A gzip file inflated into `target` (netspec's own), never past `inflateLimit` bytes. */
  | { op: 'gunzip'; path: string; limit: number; target: string; inflateLimit: number };

export interface ReadOf {
  op: 'read';
  path: string;
  /** The largest file read: one past it is not opened (its size and mode come back). */
  limit: number;
  tail?: number;
  head?: number;
  /**
   * Offset and length of each range, one after another (a typed array: a batch's 64 ranges
   * cost a fifth as much to pass as an array of pairs). Ranges past the file's end are cut
   * short there; the bytes come end to end.
   */
  ranges?: Float64Array;
}

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
  /** A `list` request's answer: the entries' names, and whether each is a folder. */
  | { names: string[]; folders: boolean[]; error?: undefined }
  /** A read's bytes, and the mode and size of the open file. */
  | { mode: number; size: number; mtimeMs: number; bytes: Uint8Array; error?: undefined }
  /**
   * A system error's code; `dangling` for a missing file that is a broken symbolic link. A
   * gunzip's data error has zlib's code and message (or ERR_INFLATES_PAST); `target` marks an
   * error writing its target.
   */
  | { error: string; dangling: boolean; message?: string; target?: boolean };

/** A limit the process chose (the language server's), ahead of the environment's. */
let chosenSeconds: number | undefined;

/** Sets the time limit of this thread's requests, in seconds. */
export function chooseReadTimeout(seconds: number): void {
  chosenSeconds = seconds;
}

/** The time limit of one request in seconds: the chosen one, NETSPEC_READ_TIMEOUT, or 30. */
export function readTimeoutSeconds(): number {
  return chosenSeconds ?? environmentReadTimeout() ?? 30;
}

/** NETSPEC_READ_TIMEOUT's seconds, when it holds a positive number. */
export function environmentReadTimeout(): number | undefined {
  const value = Number(process.env.NETSPEC_READ_TIMEOUT);
  return Number.isFinite(value) && value > 0 ? value : undefined;
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
  if (request.op === 'gunzip') return gunzip(request);
  let answer;
  if (request.op === 'stats') answer = { each: request.paths.map((path) => attempt(path, stat)) };
  else if (request.op === 'reads')
    answer = { each: request.paths.map((path) => attempt(path, () => read({ ...request, path }))) };
  else if (request.op === 'stat') answer = attempt(request.path, stat);
  else if (request.op === 'list') answer = attempt(request.path, list);
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
 * A file's ranges, in pieces: their total length on stdout, then their bytes end to end, a few
 * megabytes at a time as they are read (the reader thread counts the pieces), then the answer.
 * A file that shrinks or fails part way is padded to the length, and \`got\` says how much is real.
 */
function streamRead(request) {
  const opened = attempt(request.path, () => openChecked(request));
  if (opened.fd === undefined) return process.send(opened);
  const { fd, mode, size, mtimeMs } = opened;
  const ranges = rangesOf(request, size);
  let length = 0;
  for (let i = 1; i < ranges.length; i += 2) length += ranges[i];
  writeLength(length);
  const piece = Buffer.allocUnsafe(Math.min(length, 4 * 2 ** 20));
  let fill = 0;
  let done = 0;
  let error;
  try {
    reading: for (let i = 0; i < ranges.length; i += 2) {
      const at = ranges[i];
      const n = ranges[i + 1];
      for (let got = 0; got < n;) {
        if (fill === piece.length) fill = flush(piece, fill);
        const k = fs.readSync(fd, piece, fill, Math.min(piece.length - fill, n - got), at + got);
        if (k === 0) break reading; // the file shrank while being read
        fill += k;
        got += k;
        done += k;
      }
    }
  } catch (e) {
    error = { error: e.code || 'EIO', dangling: false };
  }
  flush(piece, fill);
  fs.closeSync(fd);
  if (done < length) write(Buffer.alloc(length - done));
  process.send({ ...(error || { mode, size, mtimeMs, got: done }), length });
}
function flush(piece, fill) {
  write(piece.subarray(0, fill));
  return 0;
}
/** The offsets and lengths a read asks for, the lengths cut to the file's size. */
function rangesOf({ ranges, tail, head }, size) {
  if (!ranges) {
    const start = tail === undefined ? 0 : Math.max(0, size - tail);
    ranges = [start, head === undefined ? size : head];
  }
  const cut = Float64Array.from(ranges);
  for (let i = 0; i < cut.length; i += 2) cut[i + 1] = Math.max(0, Math.min(cut[i + 1], size - cut[i]));
  return cut;
}
/**
 * Inflates a gzip file into \`target\`, streaming, stopping past \`inflateLimit\` bytes (a bomb);
 * says it is alive every few hundred milliseconds, then answers as a stat does, or with the error.
 */
function gunzip(request) {
  const opened = attempt(request.path, () => openChecked(request));
  if (opened.fd === undefined) return process.send(opened);
  const { fd, mode, size, mtimeMs } = opened;
  const { createGunzip } = require('node:zlib');
  const { pipeline, Transform } = require('node:stream');
  let written = 0;
  let said = Date.now();
  const bounded = new Transform({
    transform(chunk, _, next) {
      written += chunk.length;
      if (Date.now() - said > 250) {
        said = Date.now();
        process.send({ alive: true });
      }
      if (written <= request.inflateLimit) return next(null, chunk);
      next(Object.assign(new Error('inflates past its bound'), { code: 'ERR_INFLATES_PAST' }));
    },
  });
  // Whose error ends it: the file's (a read), the target's (a write) or the data's (zlib's).
  const from = fs.createReadStream(null, { fd }).on('error', (e) => (e.side = 'file'));
  const to = fs.createWriteStream(request.target).on('error', (e) => (e.side = 'target'));
  pipeline(from, createGunzip(), bounded, to, (e) => {
    if (!e) return process.send({ mode, size, mtimeMs });
    const error = { error: e.code || 'EIO', dangling: false };
    if (e.side === 'target') error.target = true;
    else if (e.side !== 'file') error.message = e.message;
    process.send(error);
  });
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
/**
 * A folder's names, and whether each is a folder (following links; a broken link or a vanished
 * entry is not); alive every few hundred milliseconds, as a large folder's stats take a while.
 */
function list(path) {
  const names = fs.readdirSync(path);
  let said = Date.now();
  const folders = names.map((name) => {
    if (Date.now() - said > 250) {
      said = Date.now();
      process.send({ alive: true });
    }
    try {
      return fs.statSync(path + '/' + name).isDirectory();
    } catch {
      return false;
    }
  });
  return { names, folders };
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
