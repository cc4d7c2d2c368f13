// The diagnostics of large documents, computed in a worker thread with a time and a memory
// bound, so that one document (a 1 MiB spec, a pathological one) cannot block the server for
// every other document. Small documents are analysed in the server's own thread (server.ts),
// where the parse caches make an edit cheap; docs/decisions/0022 gives the numbers behind the
// split. One large analysis runs at a time, in one worker kept between analyses (its parse
// caches make an edit cheap): past its bound the worker is stopped (a fresh one takes the next
// analysis) and the document gets one diagnostic at 1:1 giving the bound; a newer version of a
// document stops its running analysis the same way and replaces its waiting one.
import { Worker } from 'node:worker_threads';
import type { InitializeParams } from 'vscode-languageserver/node.js';
import type { Diagnostic } from '../../compiler/index.js';
import { CODES, diagnostic } from '../../compiler/index.js';
import { environmentReadTimeout } from '../reader.js';
import type { WorkspaceAccess } from './workspace-access.js';

/** Documents longer than this (in characters) are analysed in a worker. */
export const INLINE_CHARS = 128 * 1024;

export interface Bounds {
  seconds: number;
  memoryMb: number;
  /** How long a read waits on a mount that does not answer (runtime/reader.ts). */
  readSeconds: number;
}

/**
 * Enough for the largest spec the limits allow (docs/decisions/0020) on a loaded machine. A
 * read waits 5 s, not the command line's 30: the server's thread waits with it, and every open
 * document with the server (the limit is on silence, so a slow mount still reads).
 */
export const DEFAULT_BOUNDS: Bounds = { seconds: 60, memoryMb: 2048, readSeconds: 5 };

/**
 * The bounds, from the initialization options `analysisSeconds`, `analysisMemoryMb` and
 * `readTimeoutSeconds` (else NETSPEC_READ_TIMEOUT, else 5).
 */
export function boundsOf(params: InitializeParams): Bounds {
  const options = (params.initializationOptions ?? {}) as Record<string, unknown>;
  const positive = (value: unknown, otherwise: number) =>
    typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : otherwise;
  const readSeconds = environmentReadTimeout() ?? DEFAULT_BOUNDS.readSeconds;
  return {
    seconds: positive(options.analysisSeconds, DEFAULT_BOUNDS.seconds),
    memoryMb: positive(options.analysisMemoryMb, DEFAULT_BOUNDS.memoryMb),
    readSeconds: positive(options.readTimeoutSeconds, readSeconds),
  };
}

/** What a worker needs to analyse one document version. */
export interface AnalysisJob {
  uri: string;
  /** The document's file (its path for a `file:` URI). */
  file: string;
  version: number;
  text: string;
  access: WorkspaceAccess;
  /** The text of the other open documents, by file (an import that is open is read from here). */
  open: [string, string][];
  /** The server's read time limit, for the worker's reads too. */
  readSeconds: number;
}

export interface AnalysisOutcome {
  uri: string;
  version: number;
  /** Diagnostics of this file only. */
  diagnostics: Diagnostic[];
  /** Every file the analysis read (this one and its imports). */
  files: string[];
}

const WORKER_URL = new URL('./analysis-worker.js', import.meta.url);

export class BoundedAnalyses {
  private waiting: AnalysisJob[] = [];
  /** The worker, kept between analyses so that its parse caches make an edit cheap. */
  private worker?: Worker;
  private running?: { job: AnalysisJob; timer: NodeJS.Timeout };
  /** Set from the client's initialize request (boundsOf). */
  bounds: Bounds = DEFAULT_BOUNDS;

  constructor(private readonly publish: (outcome: AnalysisOutcome) => void) {}

  /** Analyses a document version once the analyses before it are done (or stopped). */
  submit(job: AnalysisJob): void {
    this.cancel(job.uri);
    this.waiting.push(job);
    this.next();
  }

  /** Forgets a document's waiting analysis and stops its running one (and its worker). */
  cancel(uri: string): void {
    this.waiting = this.waiting.filter((job) => job.uri !== uri);
    if (this.running?.job.uri === uri) {
      this.endWorker();
      this.next();
    }
  }

  /** Cancels a closed document's analysis; the worker forgets its parse. */
  close(uri: string, file: string): void {
    this.cancel(uri);
    this.worker?.postMessage({ forget: file });
  }

  dispose(): void {
    this.waiting = [];
    this.endWorker();
  }

  private next(): void {
    if (this.running) return;
    const job = this.waiting.shift();
    if (job === undefined) return;
    const timer = setTimeout(
      () => this.stop(`took longer than ${this.bounds.seconds} s`),
      this.bounds.seconds * 1000,
    );
    this.running = { job, timer };
    (this.worker ??= this.startWorker()).postMessage(job);
  }

  private startWorker(): Worker {
    const worker = new Worker(WORKER_URL, {
      resourceLimits: { maxOldGenerationSizeMb: this.bounds.memoryMb },
    });
    worker.on('message', (outcome: AnalysisOutcome) => {
      if (this.worker === worker) this.done(outcome);
    });
    worker.on('error', (error: Error & { code?: string }) => {
      if (this.worker !== worker) return;
      const memory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.stop(
        memory ? `needed more than ${this.bounds.memoryMb} MB` : `failed: ${error.message}`,
      );
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.stop('ended without an answer');
    });
    return worker;
  }

  private done(outcome: AnalysisOutcome): void {
    const job = this.running?.job;
    if (job?.uri !== outcome.uri || job.version !== outcome.version) return;
    clearTimeout(this.running!.timer);
    this.running = undefined;
    this.publish(outcome);
    this.next();
  }

  /** Stops the running analysis: the worker goes, the document gets one diagnostic. */
  private stop(why: string): void {
    const job = this.running?.job;
    this.endWorker();
    if (job) {
      const start = { offset: 0, line: 1, column: 1 };
      const message = `netspec stopped checking this document: the analysis ${why}`;
      const stopped = diagnostic(CODES.limit, message, job.file, { start, end: start });
      this.publish({ uri: job.uri, version: job.version, diagnostics: [stopped], files: [] });
    }
    this.next();
  }

  /** Ends the worker, and with it the running analysis. */
  private endWorker(): void {
    if (this.running) clearTimeout(this.running.timer);
    this.running = undefined;
    void this.worker?.terminate();
    this.worker = undefined;
  }
}
