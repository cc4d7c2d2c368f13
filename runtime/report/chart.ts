// Line charts as standalone SVG: the report's plots (loss, accuracy, learning rate). Plain SVG
// keeps the report a set of static files that any browser shows, with nothing to install.

export interface Series {
  name: string;
  points: [number, number][];
  /** Markers only, no line between them (one dot per trial). */
  dots?: boolean;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Format y tick labels, e.g. as percentages. */
  formatY?: (y: number) => string;
  /** Names of the x positions 0, 1, 2 … (categories, such as a setting's values). */
  xLabels?: string[];
}

const WIDTH = 560;
const HEIGHT = 320;
const MARGIN = { left: 64, right: 16, top: 36, bottom: 48 };
const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/** "Nice" tick values covering [min, max]: steps of 1, 2 or 5 × 10^k. */
export function ticks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const first = Math.ceil(min / step) * step;
  const values: number[] = [];
  for (let v = first; v <= max + step * 1e-9; v += step) values.push(Number(v.toPrecision(12)));
  return values;
}

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function lineChart(spec: ChartSpec): string {
  const points = spec.series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  const labels = spec.xLabels;
  // Categories get half a step of room at either end.
  const [x0, x1] = labels
    ? [-0.5, labels.length - 0.5]
    : xs.length
      ? [Math.min(...xs), Math.max(...xs)]
      : [0, 1];
  let [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  // A constant series (a fixed learning rate): a band around it on its own scale.
  if (y0 === y1) [y0, y1] = [y0 - (Math.abs(y0) / 2 || 0.5), y1 + (Math.abs(y1) / 2 || 0.5)];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + (x1 === x0 ? plotW / 2 : ((x - x0) / (x1 - x0)) * plotW);
  const sy = (y: number) => MARGIN.top + plotH - ((y - y0) / (y1 - y0)) * plotH;
  const formatY = spec.formatY ?? ((y: number) => `${Number(y.toPrecision(3))}`);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<title>${escape(spec.title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escape(spec.title)}</text>`,
  ];
  for (const y of ticks(y0, y1)) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${sy(y)}" y2="${sy(y)}" stroke="#e5e5e5"/>`,
    );
    parts.push(
      `<text x="${MARGIN.left - 6}" y="${sy(y) + 4}" text-anchor="end">${escape(formatY(y))}</text>`,
    );
  }
  const xTicks = labels ? labels.map((_, i) => i) : ticks(x0, x1).filter(Number.isInteger);
  for (const x of xTicks) {
    parts.push(
      `<text x="${sx(x)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${escape(labels?.[x] ?? String(x))}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">${escape(spec.xLabel)}</text>`,
    `<text transform="translate(14 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(spec.yLabel)}</text>`,
  );
  spec.series.forEach((series, k) => {
    const color = COLORS[k % COLORS.length];
    const finite = series.points.filter(([, y]) => Number.isFinite(y));
    const d = finite
      .map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
      .join(' ');
    if (finite.length > 1 && !series.dots)
      parts.push(`<path class="series" d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const [x, y] of finite)
      parts.push(
        `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${color}"/>`,
      );
    const ly = MARGIN.top + 14 + 16 * k;
    parts.push(
      `<rect x="${WIDTH - MARGIN.right - 130}" y="${ly - 9}" width="10" height="10" fill="${color}"/>`,
    );
    parts.push(`<text x="${WIDTH - MARGIN.right - 114}" y="${ly}">${escape(series.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export interface HeatMapSpec {
  title: string;
  /** Row and column labels (the classes). */
  labels: string[];
  rowLabel: string;
  columnLabel: string;
  /** counts[row][column] */
  counts: number[][];
}

/**
 * A confusion matrix as an SVG heat map: one `rect.cell` per (true, predicted) pair, shaded by
 * the fraction of its row (so the diagonal reads as each class's accuracy whatever the class
 * sizes), with the count written inside.
 */
export function heatMap(spec: HeatMapSpec): string {
  const n = spec.counts.length;
  const cell = Math.max(18, Math.min(48, Math.floor(480 / Math.max(n, 1))));
  const fontSize = Math.max(8, Math.min(12, cell / 3));
  const longest = Math.max(1, ...spec.labels.map((l) => l.length));
  const labelSpace = Math.min(140, 16 + longest * 7);
  const left = 28 + labelSpace;
  const top = 40;
  const width = left + n * cell + 16;
  const height = top + n * cell + labelSpace + 28;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escape(spec.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escape(spec.title)}</text>`,
  ];
  spec.counts.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => {
      const fraction = total ? count / total : 0;
      // white → dark blue
      const shade = (c0: number, c1: number) => Math.round(c0 + (c1 - c0) * fraction);
      const fill = `rgb(${shade(255, 8)},${shade(255, 48)},${shade(255, 107)})`;
      const x = left + j * cell;
      const y = top + i * cell;
      parts.push(
        `<rect class="cell" data-row="${i}" data-column="${j}" data-count="${count}" x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ddd"><title>${escape(`${spec.labels[i]} → ${spec.labels[j]}: ${count}`)}</title></rect>`,
      );
      if (cell >= 18)
        parts.push(
          `<text x="${x + cell / 2}" y="${y + cell / 2 + fontSize / 3}" text-anchor="middle" font-size="${fontSize}" fill="${fraction > 0.5 ? 'white' : 'black'}">${count}</text>`,
        );
    });
  });
  spec.labels.forEach((label, k) => {
    const y = top + k * cell + cell / 2 + 4;
    parts.push(
      `<text class="row-label" x="${left - 6}" y="${y}" text-anchor="end">${escape(label)}</text>`,
    );
    const x = left + k * cell + cell / 2 + 4;
    const ly = top + n * cell + 6;
    parts.push(
      `<text class="column-label" transform="translate(${x} ${ly}) rotate(-90)" text-anchor="end">${escape(label)}</text>`,
    );
  });
  parts.push(
    `<text transform="translate(14 ${top + (n * cell) / 2}) rotate(-90)" text-anchor="middle">${escape(spec.rowLabel)}</text>`,
    `<text x="${left + (n * cell) / 2}" y="${height - 8}" text-anchor="middle">${escape(spec.columnLabel)}</text>`,
    '</svg>',
  );
  return parts.join('\n');
}
