// What `netspec train` prints while it trains: a progress bar on a terminal, one line per epoch
// otherwise, JSON events with --json; LSUV's rescaling and each training stage as it starts.
import cliProgress from 'cli-progress';
import type { LsuvLayerResult } from '../lsuv.js';
import { plural } from '../plural.js';
import type { StageStart } from '../stages.js';
import type { EpochMetrics, StepProgress } from '../train.js';
import { epochLine } from './commands.js';

/** `init = lsuv`'s result: each layer's output variance on the first batch, before → after. */
function lsuvLine(layers: LsuvLayerResult[]): string {
  const each = layers.map(
    (l) =>
      `${l.layer} ${l.before.toPrecision(3)} → ${l.after.toPrecision(3)}` +
      ` (${plural(l.rescales, 'rescale')})`,
  );
  return `lsuv: output variance on the first batch: ${each.join(', ')}`;
}

/** `epoch 2: layer4.0.conv1, layer4.0.bn1, … (12 modules, 8,393,728 parameters) train from now on`. */
function stageLine(s: StageStart): string {
  const shown = s.modules.length > 3 ? [...s.modules.slice(0, 3), '…'] : s.modules;
  const count = plural(s.modules.length, 'module');
  const parameters = s.parameters.toLocaleString('en-US');
  return `epoch ${s.epoch}: ${shown.join(', ')} (${count}, ${parameters} parameters) train from now on`;
}

/** Progress: a bar on a terminal, one line per epoch otherwise, JSON events with --json. */
export function reporter(json: boolean | undefined, epochs: number) {
  const write = (line: string) => process.stdout.write(line + '\n');
  if (json) {
    return {
      step: (p: StepProgress) =>
        p.step % 50 === 0 && write(JSON.stringify({ event: 'step', ...p })),
      epoch: (m: EpochMetrics) => write(JSON.stringify({ event: 'epoch', ...m })),
      lsuv: (layers: LsuvLayerResult[]) => write(JSON.stringify({ event: 'lsuv', layers })),
      stage: (s: StageStart) => write(JSON.stringify({ event: 'stage', ...s })),
      stop: () => undefined,
    };
  }
  const bar = process.stdout.isTTY
    ? new cliProgress.SingleBar({
        format:
          'epoch {epoch} |{bar}| {percentage}% loss {loss} acc {acc} {speed} img/s ETA {eta_formatted}',
        clearOnComplete: true,
      })
    : undefined;
  let active = false;
  return {
    step(p: StepProgress) {
      if (!bar) return;
      if (!active) bar.start(p.total, 0, {});
      active = true;
      const fields = {
        epoch: p.epoch,
        loss: p.loss.toFixed(4),
        acc: (100 * p.accuracy).toFixed(1) + '%',
        speed: Math.round(p.imagesPerSecond),
      };
      bar.update(p.seen, fields);
    },
    epoch(m: EpochMetrics) {
      if (bar && active) bar.stop();
      active = false;
      write(epochLine(m, epochs));
    },
    lsuv: (layers: LsuvLayerResult[]) => write(lsuvLine(layers)),
    stage: (s: StageStart) => write(stageLine(s)),
    stop: () => bar?.stop(),
  };
}
