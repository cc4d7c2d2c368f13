// The one layer registry: every layer a spec can name.
import {
  ELU,
  GELU,
  Hardsigmoid,
  Hardswish,
  Hardtanh,
  LeakyReLU,
  ReLU,
  ReLU6,
  Sigmoid,
  SiLU,
  Softplus,
  Swish,
  Tanh,
} from './activations.js';
import { Dropout } from './dropout.js';
import { Identity } from './identity.js';
import { BatchNorm1d, BatchNorm2d, InstanceNorm2d } from './batch-norm.js';
import { GroupNorm, LayerNorm } from './layer-norm.js';
import { LogSoftmax, Softmax } from './softmax.js';
import { Add, Concat } from './combine.js';
import { Conv2d } from './conv.js';
import { Linear } from './linear.js';
import { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from './pooling.js';
import { Flatten } from './reshaping.js';
import type { LayerDef } from '../vocabulary/defs.js';
import { registry } from '../vocabulary/registry.js';

export const LAYERS = registry<LayerDef>()({
  Linear,
  Flatten,
  ReLU,
  Conv2d,
  MaxPool2d,
  AvgPool2d,
  AdaptiveAvgPool2d,
  Sigmoid,
  Tanh,
  Softplus,
  LeakyReLU,
  ELU,
  SiLU,
  Swish,
  GELU,
  Softmax,
  LogSoftmax,
  ReLU6,
  Hardtanh,
  Hardsigmoid,
  Hardswish,
  Identity,
  Dropout,
  BatchNorm1d,
  BatchNorm2d,
  LayerNorm,
  GroupNorm,
  InstanceNorm2d,
  Add,
  Concat,
});
