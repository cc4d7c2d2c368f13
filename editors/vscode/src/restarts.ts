// When a language server that stopped is started again: at once, unless it has stopped more
// than `max` times within the window (a server that dies on every start would otherwise be
// restarted forever). Plain logic, no VS Code API, so that it is tested on its own.

export const RESTART_WINDOW_MS = 3 * 60_000;

export class RestartBudget {
  private stops: number[] = [];

  constructor(
    private readonly max: number,
    private readonly windowMs = RESTART_WINDOW_MS,
  ) {}

  /** Records a stop at `now` (ms) and says whether to start the server again. */
  stopped(now: number): boolean {
    this.stops = this.stops.filter((t) => now - t < this.windowMs);
    this.stops.push(now);
    return this.stops.length <= this.max;
  }

  /** How many stops the current window holds. */
  get recent(): number {
    return this.stops.length;
  }

  /** Forgets earlier stops: a restart the user asked for starts afresh. */
  reset(): void {
    this.stops = [];
  }
}
