// The data as `check` and the editor see it, before anything is loaded: a data file that cannot
// be found, a spreadsheet whose rows do not have the columns the declared shape needs, labels
// beyond the classes the model outputs. Each is a warning at the place the spec names the file
// (an error with `check --data`). What a file says is read once per change of the file (path,
// size, modification time); label columns of large spreadsheets only when asked to (`--data`).
import type {
  CheckedSpec,
  DataFile,
  DatasetSpec,
  DataSource,
  Diagnostic,
  Recipe,
} from '../../compiler/index.js';
import { CODES, diagnostic } from '../../compiler/index.js';
import { readCsv, sniff } from './csv.js';
import { UserError } from '../errors.js';
import { readIdx } from './idx.js';
import { listClassFolders, listLabelledFolder } from './images.js';
import { resolveDataFile } from './paths.js';
import { labelColumnIndex } from './sources.js';
import { errnoOf, FileError, statPath } from '../files.js';

export interface ProbeOptions {
  /** Extra folders data files are looked up in (`--data`, $NETSPEC_DATA). */
  roots: readonly string[];
  /** Data problems are errors, not warnings, and label columns of any size are read. */
  strict: boolean;
}

/** Label columns of spreadsheets up to this size are read unless `strict` reads them all. */
export const LABEL_SCAN_BYTES = 8 << 20;

/** What one file says, remembered while its size and modification time hold. */
export class DataFacts {
  private known = new Map<string, { size: number; mtimeMs: number; value: unknown }>();

  /** `read()`'s value for the file at `path`; a problem reading it is reported at `at`. */
  remember<T>(at: DataFile, path: string, what: string, read: () => T): T {
    return located(at, () => {
      const { size, mtimeMs } = stat(path);
      const key = `${what}\n${path}`;
      const known = this.known.get(key);
      if (known && known.size === size && known.mtimeMs === mtimeMs) return known.value as T;
      const value = read();
      this.known.set(key, { size, mtimeMs, value });
      return value;
    });
  }
}

function stat(path: string) {
  try {
    return statPath(path);
  } catch (e) {
    if (e instanceof FileError) throw new UserError(CODES.dataUnreadable, e.message);
    throw new UserError(CODES.dataUnreadable, `${path}: cannot be read (${errnoOf(e)})`);
  }
}

/** Runs `read`, giving a data problem without a place the place `at`. */
function located<T>(at: DataFile, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof UserError && e.at === undefined) throw new UserError(e.code, e.message, at);
    throw e;
  }
}

/** The largest label a file holds, or a problem with the file (UserError). */
type Labels = { max: number; file: DataFile } | undefined;

export function dataWarnings(
  spec: CheckedSpec,
  facts: DataFacts,
  options: ProbeOptions,
): Diagnostic[] {
  const probe = new Probe(facts, options);
  for (const dataset of spec.datasets.values()) probe.dataset(dataset, recipesOf(spec, dataset));
  return probe.found;
}

function recipesOf(spec: CheckedSpec, dataset: DatasetSpec): Recipe[] {
  return [...spec.recipes.values()].filter((r) => r.dataset.name === dataset.name);
}

class Probe {
  readonly found: Diagnostic[] = [];

  constructor(
    private facts: DataFacts,
    private options: ProbeOptions,
  ) {}

  dataset(dataset: DatasetSpec, recipes: Recipe[]): void {
    const splits = [dataset.train, dataset.test, dataset.validation];
    for (const source of splits) {
      if (source === undefined || source.kind === 'split') continue;
      const labels = this.guard(() => this.source(source));
      if (labels) this.classes(labels, dataset, recipes);
    }
  }

  /** Checks a source's files and returns its largest label, when it was read. */
  private source(source: DataSource): Labels {
    const path = (file: DataFile) => resolveDataFile(file, this.options.roots);
    switch (source.kind) {
      case 'idx': {
        path(source.images);
        const labels = path(source.labels);
        const max = this.remember(source.labels, labels, 'idx', () =>
          largest(readIdx(labels, 1).data),
        );
        return { max, file: source.labels };
      }
      case 'csv':
        return this.csv(source, path(source.images), source.labels && path(source.labels));
      case 'images': {
        const dir = path(source.dir);
        if (source.labels === undefined) {
          const count = () => listClassFolders(dir).classNames?.length ?? 0;
          return { max: this.remember(source.dir, dir, 'folders', count) - 1, file: source.dir };
        }
        const sheet = path(source.labels);
        const labels = () => largest(listLabelledFolder(dir, sheet, false).labels);
        return { max: this.remember(source.labels, sheet, 'sheet', labels), file: source.labels };
      }
    }
  }

  private csv(
    source: DataSource & { kind: 'csv' },
    images: string,
    labelsPath: string | undefined,
  ): Labels {
    const at = source.images;
    const sniffed = () => sniff(images, source.delimiter);
    const { delimiter, header } = this.remember(at, images, `sniff ${source.delimiter}`, sniffed);
    const column = located(at, () => labelColumnIndex(source, header, images));
    const pixels = source.shape[0] * source.shape[1] * source.shape[2];
    const expected = pixels + (column >= 0 ? 1 : 0);
    if (header.length !== expected) {
      const label = column >= 0 ? ' and the label column' : '';
      const message = `'${at.path}' has ${header.length} columns per row, but shape [${source.shape.join(', ')}] needs ${pixels} pixel columns${label}`;
      this.warn(CODES.dataMismatch, message, at);
      return undefined;
    }
    const labelsAt = source.labels ?? at;
    const file = labelsPath ?? images;
    if (!this.options.strict && stat(file).size > LABEL_SCAN_BYTES) return undefined;
    const layout = { delimiter: source.delimiter, header: source.header, max: 255 };
    const read = labelsPath
      ? () => {
          const sheet = { ...layout, columns: 1, labelColumn: 0, what: 'label' };
          return readCsv(labelsPath, sheet, sniff(labelsPath, 'auto').delimiter);
        }
      : () => {
          const rows = { ...layout, columns: expected, labelColumn: column, what: 'pixel' };
          return readCsv(images, rows, delimiter, () => {});
        };
    const max = this.remember(labelsAt, file, `labels ${column}`, () => largest(read().labels));
    return { max, file: labelsAt };
  }

  /** Labels must be below the classes of every model trained on the data (or its `classes`). */
  private classes(labels: NonNullable<Labels>, dataset: DatasetSpec, recipes: Recipe[]): void {
    const named = labels.file.path;
    for (const recipe of recipes) {
      const [, outputs] = recipe.model.outputShape;
      if (typeof outputs !== 'number' || labels.max < outputs) continue;
      const message = `labels in '${named}' go up to ${labels.max}, but model '${recipe.model.name}' of train '${recipe.name}' outputs ${outputs} classes`;
      return this.warn(CODES.dataMismatch, message, labels.file);
    }
    const declared = dataset.classes?.length;
    if (recipes.length === 0 && declared !== undefined && labels.max >= declared) {
      const message = `labels in '${named}' go up to ${labels.max}, but dataset '${dataset.name}' declares ${declared} classes`;
      this.warn(CODES.dataMismatch, message, labels.file);
    }
  }

  private remember<T>(at: DataFile, path: string, what: string, read: () => T): T {
    return this.facts.remember(at, path, what, read);
  }

  /** Runs a check; a data problem it meets (a missing or malformed file) becomes a diagnostic. */
  private guard<T>(check: () => T): T | undefined {
    try {
      return check();
    } catch (e) {
      if (!(e instanceof UserError) || e.at === undefined) throw e;
      this.warn(e.code, e.message, e.at);
      return undefined;
    }
  }

  private warn(code: string, message: string, at: DataFile): void {
    const severity = this.options.strict ? 'error' : 'warning';
    this.found.push(diagnostic(code, message, at.file, at.span, [], severity));
  }
}

function largest(values: ArrayLike<number>): number {
  let max = -1;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  return max;
}
