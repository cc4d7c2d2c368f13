// "Did you mean …?" suggestions for misspelled names, and the quick fix that writes one.
import type { Diagnostic } from '../../grammar/index.js';
import { withFix } from '../../grammar/index.js';

/** Levenshtein distance, case-insensitive: `relu` and `ReLU` are distance 0. */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
    }
    previous = current;
  }
  return previous[b.length];
}

/** The closest candidate within a third of the name's length, if any. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.ceil(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

export function didYouMean(name: string, candidates: Iterable<string>): string {
  const suggestion = closest(name, candidates);
  return suggestion ? `; did you mean '${suggestion}'?` : '';
}

const HINT = /; did you mean '([^']+)'\?/;

/**
 * A diagnostic whose message suggests a name (didYouMean's hint) gets the fix that writes the
 * suggestion over the misspelt one, where its span is exactly that name (or that name quoted).
 */
export function withSuggestionFix(d: Diagnostic, source: string | undefined): Diagnostic {
  const suggestion = HINT.exec(d.message)?.[1];
  if (suggestion === undefined || source === undefined) return d;
  const written = source.slice(d.span.start.offset, d.span.end.offset);
  const quoted = /^"(.*)"$/.exec(written);
  const name = quoted ? quoted[1] : written;
  if (!d.message.includes(`'${name}'`)) return d;
  const text = quoted ? JSON.stringify(suggestion) : suggestion;
  return withFix(d, `Write ${text}`, [{ span: d.span, text }]);
}
