// The one optimizer registry.
import type { OptimizerDef } from './optimizer.js';
import { SGD } from './sgd.js';

export const OPTIMIZERS: ReadonlyMap<string, OptimizerDef> = new Map([[SGD.name, SGD]]);
