// The reader child's source, for runtime/reader.ts.
/**
 * The reader child, plain CommonJS run by `node -e`: the system calls that may block. Only
 * regular files are opened: the type and size are checked before opening, and again on the open
 * file (a pipe swapped in between), and the open itself does not block.
 */
export const READ_CHILD = `
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
 * keeps alive while the data flows, then answers as a stat does, or with the error.
 */
function gunzip(request) {
  const opened = attempt(request.path, () => openChecked(request));
  if (opened.fd === undefined) return process.send(opened);
  const { fd, mode, size, mtimeMs } = opened;
  const { createGunzip } = require('node:zlib');
  const { pipeline, Transform } = require('node:stream');
  let written = 0;
  const bounded = new Transform({
    transform(chunk, _, next) {
      written += chunk.length;
      keepAlive();
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
/**
 * Says the request is alive, at most every 250 ms (the limit is on silence), for the operations
 * that send nothing else while they work: a gunzip, a folder's stats.
 */
let aliveAt = 0;
function keepAlive() {
  if (Date.now() - aliveAt < 250) return;
  aliveAt = Date.now();
  process.send({ alive: true });
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
 * entry is not); kept alive, as a large folder's stats take a while.
 */
function list(path) {
  const names = fs.readdirSync(path);
  const folders = names.map((name) => {
    keepAlive();
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
