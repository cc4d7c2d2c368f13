// Bundles the `netspec` command into dist/cli/ (run by `npm run build`). Loaded as one file
// instead of hundreds of modules (chevrotain alone brings some 600 lodash-es files), the CLI
// starts several times faster (docs/decisions/0015-startup.md). Each command's module stays its own
// chunk, loaded by the action that runs it. onnxruntime-node (a native library) and onnx-proto
// (generated protobuf code that resolves optional modules at run time) stay outside, loaded
// from node_modules when a command needs them; the data loader's worker and the language
// server's analysis worker are entries of their own, beside the chunks, where
// `new URL('./worker.js', import.meta.url)` and `new URL('./analysis-worker.js', …)` find them.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const outdir = 'dist/cli';
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: {
    netspec: 'runtime/cli/main.ts',
    worker: 'runtime/data/worker.ts',
    'analysis-worker': 'runtime/lsp/analysis-worker.ts',
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['onnxruntime-node', 'onnx-proto'],
  chunkNames: '[name]-[hash]',
  // Chevrotain's checks of the grammar run in the tests, not at every start (grammar/bundled.ts).
  define: { NETSPEC_BUNDLED: 'true' },
  // Bundled CommonJS packages (commander, the language server) call `require` for Node's own
  // modules; an ES module has none unless it makes one.
  banner: {
    js: "import { createRequire as netspecRequire } from 'node:module'; const require = netspecRequire(import.meta.url);",
  },
  // Less source to compile at every start; names are kept, so an internal error's stack trace
  // stays readable (docs/decisions/0015-startup.md).
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
