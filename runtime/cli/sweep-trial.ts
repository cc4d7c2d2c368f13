// `netspec sweep … --trial K`: one trial in this process, into its run folder under the sweep
// folder — what every runner runs (local child processes, Slurm array tasks, Kubernetes pods).
// A finished trial is skipped; an interrupted one resumes from its last checkpoint with the
// same machinery as `train --resume`; how it ended is written to result.json, a failure's
// message included.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SweepTrial } from '../../compiler/index.js';
import type { Device } from '../session.js';
import { resumeRecipe } from '../start-weights.js';
import type { SweepManifest } from '../sweep/folder.js';
import {
  claimTrial,
  isFinished,
  readResult,
  startTrialFolder,
  trialDir,
  writeResult,
} from '../sweep/folder.js';
import type { LoadedSpec } from './load.js';
import { userErrorLine } from './errors.js';
import { loadResume, runTraining } from './train-command.js';

export interface TrialOptions {
  out: string;
  dataRoots: string[];
  threads: number;
  device: Device;
  json?: boolean;
}

export async function runTrial(
  loaded: LoadedSpec,
  manifest: SweepManifest,
  trial: SweepTrial,
  options: TrialOptions,
): Promise<number> {
  const { out } = options;
  const done = readResult(out, trial);
  if (isFinished(done)) {
    process.stdout.write(`${trial.name}: finished already (${done!.status})\n`);
    return 0;
  }
  startTrialFolder(out, trial);
  const release = claimTrial(out, trial);
  try {
    const dir = trialDir(out, trial);
    const checkpoints = join(dir, 'checkpoints');
    const resume = existsSync(join(checkpoints, 'last', 'state.json'))
      ? { ...loadResume(checkpoints), from: checkpoints }
      : undefined;
    if (resume)
      process.stdout.write(`${trial.name}: resuming from step ${resume.checkpoint.state.step}\n`);
    const outcome = await runTraining({
      specPath: manifest.spec,
      sources: loaded.sources,
      recipe: resume ? resumeRecipe(trial.recipe, resume.checkpoint) : trial.recipe,
      out: dir,
      checkpointDir: checkpoints,
      dataRoots: options.dataRoots,
      threads: options.threads,
      device: options.device,
      json: options.json,
      resume,
      signal: parentGone(),
    });
    // Interrupted: no result, so the next run of the sweep resumes it.
    if (outcome.code === 130) return 130;
    const { diverged, stopped } = outcome.result;
    writeResult(out, trial, { status: diverged ? 'diverged' : 'done', stopped });
    return 0;
  } catch (e) {
    const line = userErrorLine(e)?.trimEnd() || (e as Error).message || String(e);
    writeResult(out, trial, { status: 'failed', error: line.replace(/^error: /, '') });
    throw e;
  } finally {
    release();
  }
}

/**
 * A trial started by `netspec sweep` (with an IPC channel) stops like Ctrl-C when that process
 * goes away, even by SIGKILL: it writes a checkpoint rather than run on unwatched.
 */
function parentGone(): AbortSignal | undefined {
  if (!process.channel) return undefined;
  const gone = new AbortController();
  // The channel must not keep this process alive once training is over.
  process.channel.unref();
  process.once('disconnect', () => gone.abort());
  return gone.signal;
}
