// Reading what `netspec sweep` wrote, for tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** sweep.csv's rows as objects, without the time column (which no two runs share). */
export function sweepTable(dir: string): Record<string, string>[] {
  const [header, ...rows] = readFileSync(join(dir, 'sweep.csv'), 'utf8').trim().split('\n');
  const columns = csvCells(header);
  return rows.map((row) => {
    const cells = csvCells(row);
    const entries = columns.map((c, i) => [c, cells[i]] as const);
    return Object.fromEntries(entries.filter(([c]) => c !== 'seconds'));
  });
}

/** One CSV line's cells: quoted cells may hold commas and doubled quotes. */
function csvCells(line: string): string[] {
  return [...line.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map((m) =>
    m[1].startsWith('"') ? m[1].slice(1, -1).replace(/""/g, '"') : m[1],
  );
}
