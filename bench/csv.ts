// The CSV ingest figure for `npm run bench`: Fashion-MNIST's 60,000 training images written as
// the seed's images spreadsheet (60,000 rows × 784 uint8 columns, ≈133 MB) in a temporary
// folder, then read by netspec's byte-level parser, beside pandas.read_csv's 4.6 s on
// the same file (measured once on the development VM; the bench does not run pandas).
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsv, sniff } from '../runtime/data/csv.js';
import { readIdx } from '../runtime/data/idx.js';

const PANDAS_SECONDS = 4.6;

function writeSpreadsheet(path: string): void {
  const { data } = readIdx('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz', 3);
  const rows: string[] = [];
  for (let i = 0; i < data.length / 784; i++)
    rows.push(data.subarray(i * 784, (i + 1) * 784).join(','));
  writeFileSync(path, rows.join('\n') + '\n');
}

export function csvIngestLine(): string {
  const dir = mkdtempSync(join(tmpdir(), 'netspec-bench-'));
  try {
    const path = join(dir, 'train_images.csv');
    writeSpreadsheet(path);
    const megabytes = statSync(path).size / 1e6;
    const layout = {
      delimiter: 'auto',
      header: false,
      columns: 784,
      labelColumn: -1,
      what: 'pixel',
      max: 255,
    };
    const times: number[] = [];
    for (let run = 0; run < 3; run++) {
      const start = performance.now();
      readCsv(path, layout, sniff(path, 'auto').delimiter);
      times.push((performance.now() - start) / 1000);
    }
    const seconds = Math.min(...times);
    return (
      `CSV ingest of the 60,000×784 images spreadsheet (${megabytes.toFixed(0)} MB): ${seconds.toFixed(2)} s = ` +
      `${(megabytes / seconds).toFixed(0)} MB/s, ${(PANDAS_SECONDS / seconds).toFixed(1)}× pandas.read_csv (${PANDAS_SECONDS} s, measured once)`
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
