// What `netspec data` prints about a dataset: counts per split, classes and their
// frequencies, image shape, per-channel pixel statistics.
import type { LoadedData, Split } from './dataset.js';
import { computeStats } from './stats.js';

const count = (n: number) => n.toLocaleString('en-US');

export function describeData(name: string, data: LoadedData): string[] {
  const lines = [`dataset ${name}`];
  const splits = [
    ['train', data.train],
    ['validation', data.validation],
    ['test', data.test],
  ] as const;
  for (const [label, split] of splits) {
    if (split)
      lines.push(
        `  ${label.padEnd(11)}${count(split.count).padStart(8)} examples  [${split.imageShape.join(', ')}]  ${split.origin}  (${split.streamed ? `streamed from disk: ${split.streamed}` : 'in memory'}${split.taken ? `; take ${split.taken}` : ''})`,
      );
  }
  lines.push(`  classes    ${data.classes}`);
  const frequencies = classCounts(data.train, data.classes);
  frequencies.forEach((n, label) => {
    const name = data.classNames?.[label] ?? String(label);
    const share = ((100 * n) / data.train.count).toFixed(1);
    lines.push(
      `    ${String(label).padStart(3)} ${name.padEnd(16)}${count(n).padStart(8)}  ${share}%`,
    );
  });
  const stats = computeStats(data.train, []);
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(4)).join(', ');
  lines.push(
    `  pixels     mean [${fmt(stats.mean)}]  std [${fmt(stats.std)}]  (train, per channel, as tensors)`,
  );
  return lines;
}

function classCounts(split: Split, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const label of split.labels) counts[label]++;
  return counts;
}
