// Counts in messages: "1 epoch", "2 epochs", "row has 1 column".

/** `n word`, with an `s` unless n is 1 (or `many` for irregular words). */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : many}`;
}
