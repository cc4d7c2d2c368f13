// The one optimizer registry.
import { Adagrad } from './adagrad.js';
import { Adam, AdamW } from './adam.js';
import type { OptimizerDef } from './optimizer.js';
import { RMSprop } from './rmsprop.js';
import { SGD } from './sgd.js';

export const OPTIMIZERS: ReadonlyMap<string, OptimizerDef> = new Map(
  [SGD, Adagrad, RMSprop, Adam, AdamW].map((def) => [def.name, def]),
);
