/**
 * Training progress on the terminal. On a TTY: one line redrawn in place (at most 10 times a
 * second) with a bar, env steps, episodes, mean return, steps/s and ETA. Otherwise (a pipe, a log
 * file, CI): a plain line each time another tenth of the budget is done, so logs stay short and
 * readable.
 */

/** What the progress display needs from each update's metrics. */
export interface ProgressSample {
  readonly envSteps: number;
  readonly episodes: number;
  /** Mean return of the episodes finished in this update; null/NaN when none finished. */
  readonly returnMean: number | null;
}

export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(s: string): boolean;
}

/** `1234567` -> `1.23M`, `12345` -> `12.3k`. */
export function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** Seconds as `42s`, `3m05s`, `1h02m`. */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return "?";
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export class Progress {
  private readonly tty: boolean;
  private lastDraw = -Infinity;
  private nextTenth: number;
  private lastReturn: number | null = null;
  private lastEval: number | null = null;
  private bestEval: number | null = null;
  private readonly startSteps: number;
  private drewTTY = false;
  private readonly startTime: number;

  /**
   * @param totalSteps the run's budget in env steps.
   * @param startSteps env steps already done (on resume), so steps/s counts only this session.
   * @param now clock in seconds (injectable for tests).
   */
  constructor(
    private readonly out: ProgressStream,
    private readonly totalSteps: number,
    startSteps = 0,
    private readonly now: () => number = () => performance.now() / 1000,
  ) {
    this.tty = out.isTTY === true;
    this.startSteps = startSteps;
    this.startTime = now();
    this.nextTenth = Math.floor((startSteps / totalSteps) * 10) + 1;
  }

  /** Records one update; draws when due. */
  update(s: ProgressSample): void {
    if (s.returnMean !== null && Number.isFinite(s.returnMean)) this.lastReturn = s.returnMean;
    const t = this.now();
    if (this.tty) {
      if (t - this.lastDraw < 0.1 && s.envSteps < this.totalSteps) return;
      this.lastDraw = t;
      // columns is 0 or undefined when the terminal does not say; a narrow one loses the bar first.
      const width = Math.max(20, (this.out.columns || 100) - 1);
      let line = this.line(s, t, true);
      if (line.length > width) line = this.line(s, t, false);
      this.out.write(`\r${line.slice(0, width)}\x1b[K`);
      this.drewTTY = true;
    } else if (s.envSteps >= (this.nextTenth * this.totalSteps) / 10) {
      while (s.envSteps >= (this.nextTenth * this.totalSteps) / 10) this.nextTenth++;
      this.out.write(`${this.line(s, t, false)}\n`);
    }
  }

  /** Records an evaluation's mean return; the line shows the latest and the best so far. */
  evaluation(returnMean: number, best: boolean): void {
    this.lastEval = returnMean;
    if (best) this.bestEval = returnMean;
  }

  /** Ends the in-place line (TTY) so what follows starts on a fresh line. */
  finish(): void {
    if (this.tty && this.drewTTY) this.out.write("\n");
    this.drewTTY = false;
  }

  private line(s: ProgressSample, t: number, bar: boolean): string {
    const frac = Math.min(1, s.envSteps / this.totalSteps);
    const elapsed = t - this.startTime;
    const rate = elapsed > 0 ? (s.envSteps - this.startSteps) / elapsed : 0;
    const eta = rate > 0 ? (this.totalSteps - s.envSteps) / rate : Number.NaN;
    const ret = this.lastReturn === null ? "-" : this.lastReturn.toFixed(1);
    const pct = `${(frac * 100).toFixed(0).padStart(3)}%`;
    const fields = [
      `${formatCount(s.envSteps)}/${formatCount(this.totalSteps)} steps`,
      `${s.episodes} episodes`,
      `return ${ret}`,
      ...(this.lastEval === null
        ? []
        : [`eval ${this.lastEval.toFixed(1)} (best ${this.bestEval?.toFixed(1) ?? "-"})`]),
      `${formatCount(rate)} steps/s`,
      frac >= 1 ? `${formatDuration(elapsed)}` : `ETA ${formatDuration(eta)}`,
    ].join(" | ");
    if (!bar) return `${pct} ${fields}`;
    const n = 24;
    const filled = Math.round(frac * n);
    return `${pct} [${"#".repeat(filled)}${"-".repeat(n - filled)}] ${fields}`;
  }
}
