// Line charts as standalone SVG: the report's plots (loss, accuracy, learning rate). Plain SVG
// keeps the report a set of static files that any browser shows, with nothing to install.

export interface Series {
  name: string;
  points: [number, number][];
  /**
   * `line` (the default: a line, with dots when there are few points), `faint` (a thin,
   * translucent line: raw per-step values under their smoothed curve), `points` (dots only:
   * per-epoch values on a step axis).
   */
  style?: 'line' | 'faint' | 'points';
  /** Markers only, no line between them (one dot per trial): `style: 'points'`. */
  dots?: boolean;
  /** Index into the palette; series that belong together (raw and smoothed) share one. */
  color?: number;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Format y tick labels, e.g. as percentages; `step` is the distance between ticks. */
  formatY?: (y: number, step: number) => string;
  /** Labelled vertical marks along the top edge: where each epoch ends on a step axis. */
  marks?: { at: number; label: string }[];
  /** Names of the x positions 0, 1, 2 … (categories, such as a setting's values). */
  xLabels?: string[];
}

const WIDTH = 560;
const HEIGHT = 320;
const MARGIN = { left: 64, right: 16, bottom: 48 };
const TITLE_HEIGHT = 28;
const LEGEND_ROW = 16;
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
  if (nearlyEqual(min, max)) return [min];
  const step = tickStep(min, max, count);
  const first = Math.ceil(min / step) * step;
  const values: number[] = [];
  for (let v = first; v <= max + step * 1e-9; v += step) values.push(Number(v.toPrecision(12)));
  return values;
}

/** Equal to float64 rounding: a step between them would not move a sum from one to the other. */
const nearlyEqual = (a: number, b: number) =>
  Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));

function tickStep(min: number, max: number, count: number): number {
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
}

/**
 * A tick label with as many decimals as the tick step needs, so neighbouring labels differ
 * (19.80, 19.82, … rather than 19.8 four times).
 */
export function formatTick(y: number, step: number): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  if (decimals > 6 || Math.abs(y) >= 1e6) return y.toExponential(Math.min(3, decimals));
  return y.toFixed(decimals);
}

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The legend: one row of swatches between the title and the plot, never over the data. */
function legend(series: Series[]): { rows: number; parts: string[] } {
  const parts: string[] = [];
  let x = MARGIN.left;
  let row = 0;
  series.forEach((s, k) => {
    const width = 24 + 7 * s.name.length;
    if (x + width > WIDTH - MARGIN.right && x > MARGIN.left) [x, row] = [MARGIN.left, row + 1];
    const y = TITLE_HEIGHT + 12 + row * LEGEND_ROW;
    const color = COLORS[(s.color ?? k) % COLORS.length];
    const opacity = s.style === 'faint' ? ' opacity="0.35"' : '';
    parts.push(
      `<rect class="legend" x="${x}" y="${y - 9}" width="10" height="10" fill="${color}"${opacity}/>`,
      `<text x="${x + 14}" y="${y}">${escape(s.name)}</text>`,
    );
    x += width;
  });
  return { rows: series.length ? row + 1 : 0, parts };
}

export function lineChart(spec: ChartSpec): string {
  const points = spec.series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  const labels = spec.xLabels;
  let [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  // Room at both ends, so dots at the first and last x are not cut by the frame; categories
  // get half a step.
  const xPad = labels ? 0.5 : (x1 - x0) * 0.02;
  if (labels) [x0, x1] = [0, labels.length - 1];
  [x0, x1] = [x0 - xPad, x1 + xPad];
  let [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  // A constant series (a fixed learning rate): a band around it on its own scale.
  if (nearlyEqual(y0, y1))
    [y0, y1] = [y0 - (Math.abs(y0) / 2 || 0.5), y1 + (Math.abs(y1) / 2 || 0.5)];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  const key = legend(spec.series);
  const top = TITLE_HEIGHT + key.rows * LEGEND_ROW + (spec.marks?.length ? 18 : 6);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + (x1 === x0 ? plotW / 2 : ((x - x0) / (x1 - x0)) * plotW);
  const sy = (y: number) => top + plotH - ((y - y0) / (y1 - y0)) * plotH;
  const yTicks = ticks(y0, y1);
  const yStep = yTicks.length > 1 ? yTicks[1] - yTicks[0] : Math.abs(y1 - y0) || 1;
  const formatY = spec.formatY ?? formatTick;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<title>${escape(spec.title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escape(spec.title)}</text>`,
    ...key.parts,
  ];
  for (const y of yTicks) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${sy(y)}" y2="${sy(y)}" stroke="#e5e5e5"/>`,
      `<text class="y-tick" x="${MARGIN.left - 6}" y="${sy(y) + 4}" text-anchor="end">${escape(formatY(y, yStep))}</text>`,
    );
  }
  const inData = (x: number) => x >= x0 + xPad - 1e-9 && x <= x1 - xPad + 1e-9;
  const xTicks = labels
    ? labels.map((_, i) => i)
    : ticks(x0, x1).filter((x) => Number.isInteger(x) && inData(x));
  for (const x of xTicks) {
    parts.push(
      `<text class="x-tick" x="${sx(x)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${escape(labels?.[x] ?? String(x))}</text>`,
    );
  }
  for (const mark of thinned(spec.marks ?? [], plotW)) {
    const x = sx(mark.at).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${top}" y2="${top + plotH}" stroke="#bbb" stroke-dasharray="3,3"/>`,
      `<text class="mark" x="${x}" y="${top - 4}" text-anchor="end" font-size="10" fill="#555">${escape(mark.label)}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">${escape(spec.xLabel)}</text>`,
    `<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(spec.yLabel)}</text>`,
  );
  spec.series.forEach((series, k) => parts.push(...drawSeries(series, k, sx, sy)));
  parts.push('</svg>');
  return parts.join('\n');
}

/** Marks at least 40 px apart (the last one always kept), so their labels do not collide. */
function thinned(marks: { at: number; label: string }[], width: number) {
  const every = Math.max(1, Math.ceil((40 * marks.length) / width));
  return marks.filter((_, i) => i % every === every - 1 || i === marks.length - 1);
}

function drawSeries(
  series: Series,
  k: number,
  sx: (x: number) => number,
  sy: (y: number) => number,
): string[] {
  const color = COLORS[(series.color ?? k) % COLORS.length];
  const finite = series.points.filter(([, y]) => Number.isFinite(y));
  const d = finite
    .map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
    .join(' ');
  const parts: string[] = [];
  const style = series.dots ? 'points' : (series.style ?? 'line');
  if (style !== 'points' && finite.length > 1) {
    const stroke =
      style === 'faint' ? 'stroke-width="1" stroke-opacity="0.35"' : 'stroke-width="2"';
    parts.push(`<path class="series" d="${d}" fill="none" stroke="${color}" ${stroke}/>`);
  }
  // Dots where they can be told apart: epoch values, short curves.
  if (style === 'points' || (style === 'line' && finite.length <= 60)) {
    const r = style === 'points' ? 4 : 3;
    for (const [x, y] of finite)
      parts.push(
        `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="${r}" fill="${color}" stroke="white"/>`,
      );
  }
  return parts;
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
