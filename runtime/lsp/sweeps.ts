// What a sweep's keys can be: the compiler's `sweepKeys` for the train block the sweep is over,
// found among the declarations this file can see.
import type { NetworkDecl, TrainDecl } from '../../grammar/index.js';
import { sweepKeys } from '../../compiler/index.js';
import type { Analysis } from './analysis.js';
import { declarations } from './analysis.js';

export function keysOfSweep(analysis: Analysis, sweep: string): { key: string; doc: string }[] {
  const all = declarations(analysis);
  const decl = all.find((d) => d.decl.kind === 'Sweep' && d.decl.name.name === sweep)?.decl;
  const over = decl?.kind === 'Sweep' ? decl.over.name : undefined;
  const train = all.find((d) => d.decl.kind === 'Train' && d.decl.name.name === over)?.decl;
  if (train === undefined) return [];
  const networks = new Map(
    all
      .filter((d): d is { decl: NetworkDecl; file: string } => d.decl.kind === 'Network')
      .map((d) => [d.decl.name.name, d]),
  );
  return sweepKeys(train as TrainDecl, { networks });
}
