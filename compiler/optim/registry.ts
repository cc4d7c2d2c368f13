// The one optimizer registry.
import { Adagrad } from './adagrad.js';
import { Adam, AdamW } from './adam.js';
import { RMSprop } from './rmsprop.js';
import { SGD } from './sgd.js';
import type { OptimizerDef } from '../vocabulary/defs.js';
import { registry } from '../vocabulary/registry.js';

export const OPTIMIZERS = registry<OptimizerDef>()({ SGD, Adagrad, RMSprop, Adam, AdamW });
