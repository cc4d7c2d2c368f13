// Specs that import an ONNX model name it beside them (`onnx("resnet18.onnx", …)`), as a user's
// would; the file is not committed (45 MB). Tests check such specs from a temporary mirror of
// their folder: every file linked from the repository, and the fixture model linked beside them.
import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { RESNET18_ONNX } from './machine.js';
import { ROOT, tempDir } from './spec.js';

/** The models the repository's specs name, by file name, and the fixture each one is. */
const MODELS = { 'resnet18.onnx': RESNET18_ONNX };

let root: string | undefined;
const mirrored = new Set<string>();

/**
 * A temporary root in which each of `folders` (relative to the repository) mirrors the
 * repository's, with the fixture models beside its files: `join(root, 'specs/x.net')` checks as
 * `specs/x.net` would with `specs/resnet18.onnx` in place, and relative paths printed from the
 * root read as they would from the repository.
 */
export function withFixtureModels(...folders: string[]): string {
  root ??= tempDir('netspec-models-');
  for (const folder of folders) {
    if (mirrored.has(folder)) continue;
    const target = join(root, folder);
    mkdirSync(target, { recursive: true });
    for (const file of readdirSync(join(ROOT, folder))) {
      if (file in MODELS) continue; // a local export beside the specs; the tests use the fixture
      symlinkSync(join(ROOT, folder, file), join(target, file));
    }
    for (const [name, fixture] of Object.entries(MODELS)) {
      symlinkSync(fixture, join(target, name));
    }
    mirrored.add(folder);
  }
  return root;
}
