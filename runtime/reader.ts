// Reads with a time limit. A file on a mount that stops answering (an NFS server gone, a FUSE
// daemon that stalls) blocks stat, open and read in the kernel, with nothing to interrupt them.
// A FUSE request already sent cannot even be killed: a thread blocked in one keeps its whole
// process from exiting until the daemon answers. So the system calls run in a reader child
// process, which may stay stuck while netspec reports the file and exits. The reader thread (a
// worker) talks to the child asynchronously; the caller keeps a synchronous API by posting the
// request and `Atomics.wait`ing on a shared flag with a time limit, then taking the reply with
// receiveMessageOnPort (the bytes are transferred, not copied again). A request may also be sent
// ahead and its reply collected later (a streamed source's next batch, read while this one is
// used). Thread and child are made at the first read and kept; a reader that did not answer in
// time is abandoned, and the next read makes a fresh one. docs/decisions/0026 gives the numbers
// behind the design.
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { READ_CHILD } from './reader-child.js';
import { READ_THREAD } from './reader-thread.js';

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
  /** Requests sent, and replies taken off the port (they come in the order sent). */
  sent: number;
  taken: number;
  /** Replies taken for tickets not yet collected (a read-ahead's, while another was asked). */
  early: Map<number, ReadReply | BatchReply>;
}

let reader: Reader | undefined;

function startReader(): Reader {
  // [0]: the replies put on the port so far; [1]: the pieces of bytes received so far.
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
  return { worker, port: port1, flag, sent: 0, taken: 0, early: new Map() };
}

/**
 * Starts the reader now, so that its child process (some 50 ms of Node's start-up) starts while
 * the command's own modules load, instead of in front of the first read.
 */
export function warmReader(): void {
  reader ??= startReader();
}

/** A request sent ahead of its use: its reply is collected with `replyTo`. */
export interface Ticket<R> {
  reader: Reader;
  id: number;
  request: R;
}

/**
 * Sends a request without waiting (a read-ahead: the reader reads while the caller works). Every
 * ticket must be collected with `replyTo`, in any order; the reader answers one at a time.
 */
export function sendToReader<R extends ReadRequest | BatchRequest>(request: R): Ticket<R> {
  reader ??= startReader();
  reader.worker.postMessage(request);
  return { reader, id: reader.sent++, request };
}

/** What a request is answered with. */
export type ReplyOf<R> = R extends BatchRequest ? BatchReply : ReadReply;

/** A ticket's reply; undefined when the reader did not answer within the time limit. */
export function replyTo<R extends ReadRequest | BatchRequest>(
  ticket: Ticket<R>,
): ReplyOf<R> | undefined {
  const asked = ticket.reader;
  // Its reader was abandoned (another request did not answer): ask a fresh one.
  if (asked !== reader) return replyTo(sendToReader(ticket.request));
  while (asked.taken <= ticket.id) {
    if (!answeredWithin(asked.flag, asked.taken, readTimeoutSeconds() * 1000)) {
      // Stuck in the kernel: leave it (its child exits once the mount answers) for a fresh one.
      asked.worker.postMessage({ op: 'abandon' });
      reader = undefined;
      return undefined;
    }
    const reply = receiveMessageOnPort(asked.port)!.message as ReadReply | BatchReply;
    asked.early.set(asked.taken++, reply);
  }
  const reply = asked.early.get(ticket.id);
  if (reply === undefined) throw new Error(`reader ticket ${ticket.id} was collected twice`);
  asked.early.delete(ticket.id);
  return reply as ReplyOf<R>;
}

/** Runs a request in the reader; undefined when it did not answer within the time limit. */
export function askReader<R extends ReadRequest | BatchRequest>(
  request: R,
): ReplyOf<R> | undefined {
  return replyTo(sendToReader(request));
}

/**
 * Waits for the next reply (the flag's count of replies to pass `taken`) while the reader makes
 * progress: the limit is on a silence, not on the whole read (a large file on a slow but live
 * mount takes as long as it takes).
 */
function answeredWithin(flag: Int32Array, taken: number, ms: number): boolean {
  let progress = Atomics.load(flag, 1);
  for (;;) {
    const woken = Atomics.wait(flag, 0, taken, ms);
    if (Atomics.load(flag, 0) !== taken) return true;
    const now = Atomics.load(flag, 1);
    if (woken === 'timed-out' && now === progress) return false;
    progress = now;
  }
}
