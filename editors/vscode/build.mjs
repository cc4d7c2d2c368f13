// `npm run vsix`: bundles the language client (src/extension.ts and vscode-languageclient) into
// out/extension.js and packages the extension as dist/netspec-<version>.vsix with vsce, offline
// (no dependencies to install: the bundle holds them).
import { build } from 'esbuild';
import { createVSIX } from '@vscode/vsce';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { version } = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
const packagePath = join(here, '../../dist', `netspec-${version}.vsix`);

await build({
  entryPoints: [join(here, 'src/extension.ts')],
  outfile: join(here, 'out/extension.js'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node18',
  external: ['vscode'],
  minify: true,
  logLevel: 'warning',
});
mkdirSync(dirname(packagePath), { recursive: true });
await createVSIX({
  cwd: here,
  packagePath,
  dependencies: false,
  // The license is the repository's (package.json says MIT); the extension has no file of its own.
  skipLicense: true,
  allowMissingRepository: true,
});
process.stdout.write(`wrote ${packagePath}\n`);
