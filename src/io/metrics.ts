/**
 * metrics.jsonl: one JSON object per line, one line per update. Each row goes to the kernel with a
 * single write() on a file opened for append, so a crash loses at most the row being written; the
 * reader tolerates that torn last line. NaN and +-Infinity are written as null (JSON has neither).
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from "node:fs";
import { writeFileAtomic } from "./atomic.ts";

/** A metrics row: flat numbers (null where a value was undefined, e.g. no episode finished yet). */
export type MetricsRow = Readonly<Record<string, number | null>>;

/** Appends rows to a metrics.jsonl file. */
export class MetricsWriter {
  private fd: number | null;

  /** Opens (creating if needed) `path` for appending. */
  constructor(readonly path: string) {
    this.fd = openSync(path, "a");
  }

  /** Appends one row as one line, in a single write. */
  append(row: object): void {
    if (this.fd === null) throw new Error(`MetricsWriter(${this.path}): append after close`);
    const line = Buffer.from(`${formatRow(row)}\n`, "utf8");
    let off = 0;
    while (off < line.length) off += writeSync(this.fd, line, off, line.length - off);
  }

  /** Forces the rows written so far to disk (called at checkpoints). */
  sync(): void {
    if (this.fd !== null) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === null) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
  }
}

/** One row as a JSON line (no newline): numbers kept, non-finite numbers as null, non-numbers dropped. */
export function formatRow(row: object): string {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(row)) {
    if (typeof v === "number") out[k] = Number.isFinite(v) ? v : null;
    else if (v === null) out[k] = null;
  }
  return JSON.stringify(out);
}

/** What {@link readMetrics} found. */
export interface MetricsFile {
  readonly rows: MetricsRow[];
  /** True when the last line was incomplete (a crash mid-write) and was skipped. */
  readonly tornLastLine: boolean;
}

/**
 * Reads a metrics.jsonl file. A last line without its newline that does not parse is skipped (torn
 * by a crash); any other bad line is an error naming the file and the line number.
 */
export function readMetrics(path: string): MetricsFile {
  if (!existsSync(path)) throw new Error(`${path}: metrics file does not exist`);
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  const complete = text.endsWith("\n") || text.length === 0;
  const rows: MetricsRow[] = [];
  let torn = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const isLast = i === lines.length - 1;
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (isLast && !complete) {
        torn = true;
        continue;
      }
      throw new Error(`${path}:${i + 1}: not a JSON line: ${JSON.stringify(line.slice(0, 80))}`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new Error(`${path}:${i + 1}: expected a JSON object per line`);
    }
    for (const [k, v] of Object.entries(value)) {
      if (v !== null && typeof v !== "number") {
        throw new Error(
          `${path}:${i + 1}: field "${k}" is ${JSON.stringify(v)}, expected a number or null`,
        );
      }
    }
    rows.push(value as MetricsRow);
  }
  return { rows, tornLastLine: torn };
}

/** Atomically replaces the file with `rows` (used on resume to drop rows past the checkpoint). */
export function writeMetrics(
  path: string,
  rows: readonly Readonly<Record<string, unknown>>[],
): void {
  writeFileAtomic(path, rows.map((r) => `${formatRow(r)}\n`).join(""));
}
