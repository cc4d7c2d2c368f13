// netspec as users install it: `npm pack`'s tarball installed globally (under a temporary
// prefix) works from a folder outside the clone, and npm itself warns about nothing.
// (`npm run build` first: the tarball packs dist/cli/ as it is.)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeIdxPair } from '../../helpers/idx.js';
import { ROOT, tempDir } from '../../helpers/spec.js';

const NEW_SPEC = `network Tiny(classes = 10) {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(784, 32) -> ReLU -> Linear(32, classes)
}

dataset Images {
  train = idx("images.gz", "labels.gz")
}

train Quick {
  model = Tiny()
  data = Images, batch: 32
  loss = cross_entropy
  optimizer = SGD(lr: 0.1)
  epochs = 1
}
`;

function npm(args: string[], cwd: string, env: Record<string, string> = {}) {
  return spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 600_000,
  });
}

describe('installing netspec', () => {
  it('npx netspec runs without an npm warning', () => {
    const run = npm(['exec', '--', 'netspec', '--help'], ROOT);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Usage: netspec');
    expect(run.stderr).not.toMatch(/npm warn/i);
  });

  it('npm pack, then npm install -g, gives a netspec that works outside the clone', () => {
    const dir = tempDir('netspec-install-');
    const pack = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
    expect(pack.status, pack.stderr).toBe(0);
    const [{ filename, files }] = JSON.parse(pack.stdout) as {
      filename: string;
      files: { path: string }[];
    }[];
    // The bundle and its launcher, nothing of the sources or tests.
    const paths = files.map((f) => f.path);
    expect(paths).toContain('bin/netspec.js');
    expect(paths).toContain('dist/cli/netspec.js');
    expect(paths.filter((p) => !/^(bin\/|dist\/cli\/|package\.json$|README\.md$)/.test(p))).toEqual(
      [],
    );

    const prefix = join(dir, 'global');
    // Global installs have no project allowScripts: --ignore-scripts keeps onnxruntime-node's
    // postinstall from downloading its CUDA provider (README, "Install").
    const installed = npm(
      [
        'install',
        '-g',
        '--prefix',
        prefix,
        '--prefer-offline',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        join(dir, filename),
      ],
      dir,
    );
    expect(installed.status, installed.stderr).toBe(0);
    expect(installed.stderr).not.toMatch(/npm warn/i);

    const work = join(dir, 'elsewhere');
    mkdirSync(work);
    writeFileSync(join(work, 'new.net'), NEW_SPEC);
    writeIdxPair(work, 4, { gzip: true }); // the data check reads them
    const bin = join(prefix, 'bin/netspec');
    const run = (args: string[]) => spawnSync(bin, args, { cwd: work, encoding: 'utf8' });
    const check = run(['check', 'new.net']);
    expect(check.stderr).toBe('');
    expect(check.stdout).toBe('new.net: ok\n');
    expect(check.status).toBe(0);
    // Compiling loads what `check` does not: onnx-proto, from the installed package.
    const compile = run(['compile', 'new.net', '-o', 'out']);
    expect(compile.status, compile.stderr).toBe(0);
    expect(existsSync(join(work, 'out/Quick.train.onnx'))).toBe(true);
    writeFileSync(join(work, 'typo.net'), NEW_SPEC.replace('ReLU', 'Relu'));
    const typo = run(['check', 'typo.net']);
    expect(typo.status).toBe(1);
    expect(typo.stderr).toMatch(/^typo\.net:3:\d+: error/);
  });
});
