// Per-class results on a split from the network's logits: loss, accuracy, the confusion matrix
// and precision / recall / F1 per class. One implementation for `netspec eval` and the end of a
// training run, so the report and the command never disagree.

export interface ClassMetrics {
  name: string;
  /** Examples whose true class this is. */
  support: number;
  /** Of those, predicted as this class. */
  correct: number;
  /** correct ÷ support: the class's accuracy (undefined when the split has none of it). */
  recall?: number;
  /** correct ÷ examples predicted as this class (undefined when none were). */
  precision?: number;
  f1?: number;
}

export interface ClassReport {
  split: string;
  count: number;
  loss: number;
  accuracy: number;
  /** rows: true class, columns: predicted class. */
  confusion: number[][];
  classes: ClassMetrics[];
}

/**
 * Results from `logits` ([count, classes], row-major) and the true labels. `names` labels the
 * classes (index k when absent). The loss is the mean cross-entropy of the softmax.
 */
export function classReport(
  split: string,
  logits: Float32Array,
  labels: ArrayLike<number>,
  names: readonly string[] = [],
): ClassReport {
  const count = labels.length;
  const classes = count ? logits.length / count : names.length;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let lossSum = 0;
  for (let i = 0; i < count; i++) {
    const row = logits.subarray(i * classes, (i + 1) * classes);
    let top = 0;
    for (let k = 1; k < classes; k++) if (row[k] > row[top]) top = k;
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(row[k] - row[top]);
    const label = labels[i];
    // log softmax of the true class, computed stably: (x_label − max) − log Σ exp(x_k − max)
    lossSum -= row[label] - row[top] - Math.log(sum);
    confusion[label][top]++;
  }
  const correct = confusion.reduce((n, row, k) => n + row[k], 0);
  const predicted = confusion[0]?.map((_, j) => confusion.reduce((n, row) => n + row[j], 0)) ?? [];
  const perClass = confusion.map((row, k): ClassMetrics => {
    const support = row.reduce((a, b) => a + b, 0);
    const recall = support ? row[k] / support : undefined;
    const precision = predicted[k] ? row[k] / predicted[k] : undefined;
    const f1 =
      recall !== undefined && precision !== undefined
        ? recall + precision > 0
          ? (2 * recall * precision) / (recall + precision)
          : 0
        : undefined;
    return { name: names[k] ?? String(k), support, correct: row[k], recall, precision, f1 };
  });
  return {
    split,
    count,
    loss: count ? lossSum / count : NaN,
    accuracy: count ? correct / count : NaN,
    confusion,
    classes: perClass,
  };
}

const pct = (x: number | undefined, width = 6) =>
  (x === undefined ? '-' : `${(100 * x).toFixed(1)}%`).padStart(width);

/** The text `netspec eval` prints: totals, then one line per class with its confusion row. */
export function classReportText(report: ClassReport): string {
  const width = Math.max(5, ...report.confusion.flat().map((n) => String(n).length + 1));
  const nameWidth = Math.max(12, ...report.classes.map((c) => c.name.length + 1));
  const lines = [
    `${report.split}: ${report.count} examples, loss ${report.loss.toFixed(4)}, accuracy ${(100 * report.accuracy).toFixed(2)}%`,
    'per class (rows: true class, columns: predicted):',
    `${''.padStart(4)}${'class'.padEnd(nameWidth)} ${'acc'.padStart(6)} ${'prec'.padStart(6)} ${'F1'.padStart(6)}  ${report.confusion.map((_, j) => String(j).padStart(width)).join('')}`,
  ];
  report.classes.forEach((c, k) => {
    lines.push(
      `${String(k).padStart(3)} ${c.name.padEnd(nameWidth)} ${pct(c.recall)} ${pct(c.precision)} ${pct(c.f1)}  ${report.confusion[k].map((n) => String(n).padStart(width)).join('')}`,
    );
  });
  return lines.join('\n') + '\n';
}
