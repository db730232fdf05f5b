/**
 * Stop requests: Ctrl-C (SIGINT), SIGTERM (a service manager, `kill`, a CI timeout) and SIGHUP (the
 * terminal closed) all ask a run to stop at the next update boundary and save a checkpoint; a
 * second one quits at once. The exit code is the shell's 128 + signal number (130, 143, 129), and
 * 141 (as SIGPIPE) when stdout was closed (src/cli/output.ts).
 */

export type StopReason = "SIGINT" | "SIGTERM" | "SIGHUP" | "stdout closed";

/** Exit code of a run stopped for `reason`. */
export const STOP_EXIT_CODE: Readonly<Record<StopReason, number>> = {
  SIGINT: 130,
  SIGTERM: 143,
  SIGHUP: 129,
  "stdout closed": 141,
};

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Calls `onStop(reason, count)` for every stop signal (count 1 for the first, 2 for the next...)
 * until the returned function is called. While it is installed, these signals do not kill the
 * process by themselves.
 */
export function onStopSignals(onStop: (reason: StopReason, count: number) => void): () => void {
  let count = 0;
  const handlers = SIGNALS.map((sig) => {
    const h = () => onStop(sig, ++count);
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => {
    for (const [sig, h] of handlers) process.off(sig, h);
  };
}
