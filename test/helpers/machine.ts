// Where this machine keeps what the tests compare against, in one place. `.ci/run` installs
// them from Debian's packages; the environment overrides each for other machines.
import { resolve } from 'node:path';

/** A python3 with torch, torchvision and onnx (Debian's python3-torch, python3-onnx). */
export const PYTHON = process.env.NETSPEC_TEST_PYTHON ?? '/usr/bin/python3';

/** Fashion-MNIST's IDX files (Debian's dataset-fashion-mnist). */
export const FASHION_DIR = process.env.NETSPEC_TEST_FASHION ?? '/usr/share/datasets/fashion-mnist';

/**
 * Fixtures too large to commit: `resnet18/` holds torchvision's ResNet18 exported to ONNX
 * (seeded random weights), an input batch and PyTorch's logits for it. They sit beside the
 * clone, in `../shared/fixtures`.
 */
export const FIXTURES =
  process.env.NETSPEC_TEST_FIXTURES ?? resolve(import.meta.dirname, '../../../shared/fixtures');

/** The ResNet18 fixture's ONNX file. */
export const RESNET18_ONNX = resolve(FIXTURES, 'resnet18/resnet18.onnx');
