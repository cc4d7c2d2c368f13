// Where this machine keeps what the tests compare against, in one place. `.ci/run` installs
// them from Debian's packages; the environment overrides each for other machines.

/** A python3 with torch, torchvision and onnx (Debian's python3-torch, python3-onnx). */
export const PYTHON = process.env.NETSPEC_TEST_PYTHON ?? '/usr/bin/python3';

/** Fashion-MNIST's IDX files (Debian's dataset-fashion-mnist). */
export const FASHION_DIR = process.env.NETSPEC_TEST_FASHION ?? '/usr/share/datasets/fashion-mnist';
