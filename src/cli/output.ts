/**
 * The CLI's stdout and stderr, made safe to write when the reader went away: `policygrad train |
 * head -1` closes the pipe after one line, and a closed terminal (SIGHUP) fails writes with EIO.
 * Node reports both as an 'error' event (EPIPE, EIO) which, unhandled, would end the process with a
 * stack trace mid-training. Here the first such error marks the stream closed: later writes are
 * dropped, and listeners are told once, so a run can save and stop (src/cli/signals.ts).
 */
import type { ProgressStream } from "./progress.ts";

/** A stream that never throws and says when its reader went away. */
export interface GuardedStream extends ProgressStream {
  /** True once a write failed because nobody reads any more. */
  readonly closed: boolean;
  /** Calls `listener` once when the stream closes (at once if it already has); returns an unsubscribe. */
  onClose(listener: () => void): () => void;
}

interface Writable {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(s: string): boolean;
  on(event: "error", listener: (e: Error) => void): unknown;
}

/** Wraps `stream` (process.stdout or process.stderr). */
export function guardStream(stream: Writable): GuardedStream {
  let closed = false;
  const listeners = new Set<() => void>();
  const close = () => {
    if (closed) return;
    closed = true;
    for (const l of [...listeners]) l();
    listeners.clear();
  };
  // Every write error means the output is gone (EPIPE, EIO, a destroyed stream): none is worth a crash.
  stream.on("error", close);
  return {
    get isTTY() {
      return stream.isTTY;
    },
    get columns() {
      return stream.columns;
    },
    get closed() {
      return closed;
    },
    write(s: string): boolean {
      if (closed) return false;
      try {
        return stream.write(s);
      } catch {
        close();
        return false;
      }
    },
    onClose(listener) {
      if (closed) {
        listener();
        return () => {};
      }
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
