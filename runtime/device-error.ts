// The one error a device can raise for the user to act on, kept apart from session.ts so that
// the CLI can recognize it without loading onnxruntime.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The command that installs onnxruntime's CUDA provider into this installation: its install
 * script, which netspec's package.json keeps from running at `npm ci` (it downloads from
 * outside the npm registry).
 */
export function cudaInstallCommand(): string {
  const main = fileURLToPath(import.meta.resolve('onnxruntime-node'));
  const script = join(dirname(main), '..', 'script', 'install.js');
  return `ONNXRUNTIME_NODE_INSTALL=cuda12 node ${script}`;
}
