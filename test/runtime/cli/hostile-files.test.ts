// Files that are not what a spec says they are — named pipes, devices, folders, broken links,
// other kinds of file, bombs — each give one clear error and exit 1, promptly: no hang, no
// stack trace, nothing written, and no line of a file that is not a spec in the output.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from '../../../grammar/index.js';
import { idxBytes, tinySpec, writeIdxPair } from '../../helpers/idx.js';
import { netspec, tempDir } from '../../helpers/spec.js';

/** A hang guard only: every case here used to hang, or take a minute and gigabytes. */
const PROMPT = 60_000;

function run(dir: string, args: string[]) {
  const started = performance.now();
  const result = netspec(args, dir, process.env, PROMPT);
  return { ...result, seconds: (performance.now() - started) / 1000 };
}

function expectError(result: ReturnType<typeof run>, ...fragments: string[]) {
  expect(result.status, `${result.stderr} (killed after ${result.seconds} s?)`).toBe(1);
  for (const fragment of fragments) expect(result.stderr).toContain(fragment);
  expect(result.stderr).not.toMatch(/\n\s+at |Error:|node:internal/);
}

const mkfifo = (path: string) => execFileSync('mkfifo', [path]);

/** A grayscale PNG whose header declares width × height, with almost no data. */
function pngDeclaring(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, Buffer.from(type), data, Buffer.alloc(4)]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth; colour type 0 (gray)
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('hostile files', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    writeIdxPair(dir, 6);
    mkfifo(join(dir, 'pipe.net'));
    mkfifo(join(dir, 'pipe'));
    mkfifo(join(dir, 'pipe.onnx'));
    symlinkSync('/etc/passwd', join(dir, 'passwd.net'));
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling.net'));
  });
  const spec = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return name;
  };

  it('an import of a named pipe: an error, not a hang', () => {
    const result = run(dir, ['check', spec('a.net', 'import "pipe.net"\n')]);
    expectError(result, 'a.net:1:8: error NS1301', 'pipe.net: is a named pipe, not a regular file');
  });

  it('a spec that is a named pipe, or a device', () => {
    expectError(run(dir, ['check', 'pipe.net']), 'pipe.net: cannot read the spec: is a named pipe');
    expectError(run(dir, ['check', '/dev/zero']), '/dev/zero: cannot read the spec: is a device');
  });

  it('imports read .net specs only, and never show another file', () => {
    const passwd = run(dir, [
      'check',
      spec('b.net', 'import "/etc/passwd"\nimport "passwd.net"\n'),
    ]);
    expectError(passwd, "'/etc/passwd' (etc/passwd: not a .net spec)", 'leads to /etc/passwd');
    expect(passwd.stderr).not.toContain('root:');
    const zero = run(dir, ['check', spec('c.net', 'import "/dev/zero"\nimport "dangling.net"\n')]);
    expectError(zero, 'dev/zero: not a .net spec', 'is a broken symbolic link');
  });

  it('data files that are pipes, devices or folders', () => {
    const pipe = run(dir, ['train', spec('d.net', tinySpec('pipe', 'labels')), '--out', 'o1']);
    expectError(pipe, 'error NS2004', 'pipe: is a named pipe, not a regular file');
    const zero = run(dir, ['train', spec('e.net', tinySpec('/dev/zero', 'labels')), '--out', 'o2']);
    expectError(zero, 'error NS2004', '/dev/zero: is a device');
    const csv = tinySpec('x', 'y').replace(
      'idx("x", "y")',
      'csv(images: "/dev/zero", labels: "labels", shape: [1, 28, 28])',
    );
    expectError(run(dir, ['train', spec('f.net', csv), '--out', 'o3']), '/dev/zero: is a device');
    mkdirSync(join(dir, 'folder.csv'));
    const folder = csv.replace('/dev/zero', 'folder.csv');
    expectError(
      run(dir, ['train', spec('g.net', folder), '--out', 'o4']),
      'is a folder, not a file',
    );
    for (const out of ['o1', 'o2', 'o3', 'o4']) expect(existsSync(join(dir, out))).toBe(false);
  });

  it('an ONNX path and a weights file that are pipes or devices', () => {
    const onnx = 'network R = onnx("pipe", shape: [1, 28, 28]) {}\n';
    expectError(
      run(dir, ['check', spec('h.net', onnx)]),
      'cannot read the ONNX file',
      'is a named pipe',
    );
    expectError(run(dir, ['info', 'pipe.onnx']), 'pipe.onnx: is a named pipe, not a regular file');
    const weights = run(dir, [
      'train',
      spec('i.net', tinySpec('images', 'labels')),
      '--weights',
      'pipe',
    ]);
    expectError(weights, 'pipe: is a named pipe, not a regular file');
  });

  it('a broken link in a class folder', () => {
    mkdirSync(join(dir, 'classes/cat'), { recursive: true });
    symlinkSync(join(dir, 'gone.png'), join(dir, 'classes/cat/a.png'));
    const images = tinySpec('x', 'y').replace(
      'idx("x", "y")',
      'images("classes", shape: [1, 28, 28])',
    );
    const result = run(dir, ['train', spec('j.net', images), '--out', 'o5']);
    expectError(result, 'a.png: is a broken symbolic link');
    expect(existsSync(join(dir, 'o5'))).toBe(false);
  });

  it('a 60000×60000 PNG of a few hundred bytes is refused before decoding', () => {
    mkdirSync(join(dir, 'bomb/cat'), { recursive: true });
    writeFileSync(join(dir, 'bomb/cat/big.png'), pngDeclaring(60_000, 60_000));
    const images = tinySpec('x', 'y').replace(
      'idx("x", "y")',
      'images("bomb", shape: [1, 28, 28])',
    );
    const result = run(dir, ['train', spec('k.net', images), '--out', 'o6']);
    expectError(result, "big.png: image is 60000×60000, but the dataset's shape says 28×28");
    expect(result.seconds).toBeLessThan(30);
  });

  it('a gzip IDX that inflates past its header stops there and leaves no cache', () => {
    // The header promises 6 images (4,720 bytes); the stream holds 64 MiB more.
    const bomb = Buffer.concat([
      idxBytes([6, 28, 28], new Uint8Array(6 * 784)),
      Buffer.alloc(64 << 20),
    ]);
    writeFileSync(join(dir, 'bomb.gz'), gzipSync(bomb, { level: 1 }));
    const promised = 'decompresses to more than the 4720 bytes its IDX header promises';
    for (const stream of [true, false]) {
      const text = tinySpec('bomb.gz', 'labels').replaceAll(
        '"labels")',
        `"labels", stream: ${stream})`,
      );
      const result = run(dir, ['train', spec(`l-${stream}.net`, text), '--out', 'o7']);
      expectError(result, 'error NS2002', `bomb.gz: corrupt gzip data: it ${promised}`);
    }
    const cache = join(dir, '.netspec-cache');
    const left = existsSync(cache) ? readdirSync(cache).filter((f) => f.startsWith('stream-')) : [];
    expect(left).toEqual([]);
  });

  it('fmt --write refuses a file that is not UTF-8, and leaves it as it was', () => {
    const bytes = Buffer.from(
      '# caf\xe9\nnetwork    N {\n  input x: [1, 2, 2]\n  x -> Flatten\n}\n',
      'latin1',
    );
    writeFileSync(join(dir, 'latin1.net'), bytes);
    const result = run(dir, ['fmt', '--write', 'latin1.net']);
    expectError(
      result,
      'latin1.net: cannot read the spec: is not a text file (byte 0xE9 at line 1, column 6 is not UTF-8)',
    );
    expect(readFileSync(join(dir, 'latin1.net'))).toEqual(bytes);
  });

  it('a byte-order mark before a spec is not a character of it', () => {
    const text = '\ufeffnetwork N {\n  input x: [1, 2, 2]\n  x -> Flatten\n}\n';
    expect(run(dir, ['check', spec('bom.net', text)]).stdout).toBe('bom.net: ok\n');
    // As an editor sends it: the text itself starts with U+FEFF.
    expect(parse(text, 'bom.net').diagnostics).toEqual([]);
  });
});
