// Data warnings in the editor (runtime/data/probe.ts): run after the checker's diagnostics are
// out, never on the keystroke itself, and for the latest text only; a file is read once per
// change of the file. The probe's modules (image decoders and all) load on first use, so the
// server's first diagnostics do not wait for them.
import type { Diagnostic } from '../../compiler/index.js';
import type { Analysis } from './analysis.js';

type Probe = typeof import('../data/probe.js');
type Paths = typeof import('../data/paths.js');

/** How long typing must pause before the data is looked at. */
const PAUSE_MS = 150;

export class DataCheck {
  private modules?: Promise<[Probe, Paths]>;
  private facts?: InstanceType<Probe['DataFacts']>;
  private found = new WeakMap<Analysis, Diagnostic[]>();
  /** The last warnings found for each document, with the text each pointed at. */
  private last = new Map<string, { warning: Diagnostic; written: string }[]>();
  private timers = new Map<string, NodeJS.Timeout>();

  /**
   * The data warnings of this analysis of a document; until its data is looked at, the last
   * ones found whose file name is still written where it was (so they do not flicker as one types).
   */
  warningsOf(analysis: Analysis): Diagnostic[] {
    const found = this.found.get(analysis);
    if (found) return found;
    const at = (d: Diagnostic) => analysis.text.slice(d.span.start.offset, d.span.end.offset);
    const last = this.last.get(analysis.uri) ?? [];
    return last.filter((l) => at(l.warning) === l.written).map((l) => l.warning);
  }

  /**
   * Looks at the data of a document's latest analysis once typing pauses, and calls `changed`
   * when that adds or removes warnings.
   */
  schedule(uri: string, latest: () => Analysis | undefined, changed: () => void): void {
    clearTimeout(this.timers.get(uri));
    const timer = setTimeout(() => {
      this.timers.delete(uri);
      const analysis = latest();
      if (analysis === undefined || this.found.has(analysis)) return;
      void this.check(analysis).then((warnings) => {
        if (latest() !== analysis) return;
        const shown = this.warningsOf(analysis);
        this.found.set(analysis, warnings);
        const written = (d: Diagnostic) =>
          analysis.text.slice(d.span.start.offset, d.span.end.offset);
        this.last.set(
          analysis.uri,
          warnings.map((warning) => ({ warning, written: written(warning) })),
        );
        if (JSON.stringify(warnings) !== JSON.stringify(shown)) changed();
      });
    }, PAUSE_MS);
    this.timers.set(uri, timer);
  }

  private async check(analysis: Analysis): Promise<Diagnostic[]> {
    const spec = analysis.checked?.spec;
    if (spec === undefined) return [];
    this.modules ??= Promise.all([import('../data/probe.js'), import('../data/paths.js')]);
    const [probe, paths] = await this.modules;
    this.facts ??= new probe.DataFacts();
    const options = { roots: paths.dataRoots([]), strict: false };
    return probe.dataWarnings(spec, this.facts, options).filter((d) => d.file === analysis.file);
  }

  /** Forgets a closed document. */
  forget(uri: string): void {
    clearTimeout(this.timers.get(uri));
    this.timers.delete(uri);
    this.last.delete(uri);
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
