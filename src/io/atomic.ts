/**
 * Atomic file writes: a reader (or a process restarted after a crash) sees either the old file or
 * the new one, never a torn mix. The data goes to a temp file in the same directory (rename is only
 * atomic within one file system), is fsynced so the rename cannot reach the disk before the bytes,
 * then renamed over the target; finally the directory is fsynced so the rename itself is durable.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

let counter = 0;

/** A temp path next to `path`, unique within this process and across processes (pid). */
export function tempPathFor(path: string): string {
  counter += 1;
  return join(dirname(path), `.${basename(path)}.${process.pid}.${counter}.tmp`);
}

/** Writes all of `data` to `fd` (writeSync may write less than asked). */
function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

/**
 * Writes `data` to a new file and fsyncs it, without renaming (for files inside a directory that is
 * itself published atomically later).
 */
export function writeFileDurable(path: string, data: string | Uint8Array): void {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const fd = openSync(path, "w");
  try {
    writeAll(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * An error about `path` from a failed write of its temp file: the message names the user's file and
 * the reason ("EACCES: permission denied"), never our temp file's name.
 */
export function writeError(path: string, e: unknown): FileWriteError {
  if (e instanceof FileWriteError) return e;
  const err = e as NodeJS.ErrnoException;
  const reason = typeof err?.message === "string" ? err.message.split(",")[0] : String(e);
  return new FileWriteError(`cannot write ${path}: ${reason}`, err?.code, e);
}

/** A file could not be written; the message names it and the reason (e.g. "ENOSPC: no space..."). */
export class FileWriteError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    cause: unknown,
  ) {
    super(message, { cause });
    this.name = "FileWriteError";
  }
}

/** Replaces `path` with `data` atomically (temp file + fsync + rename + directory fsync). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tempPathFor(path);
  try {
    writeFileDurable(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // the temp file may not exist; the original error is the one to report
    }
    throw writeError(path, e);
  }
  fsyncDir(dirname(path));
}

/** Renames `from` to `to` (file or directory) and makes the rename durable. */
export function renameDurable(from: string, to: string): void {
  renameSync(from, to);
  fsyncDir(dirname(to));
}

/**
 * Fsyncs a directory so entries created or renamed in it survive a power loss. Some platforms
 * (Windows) cannot open directories; there the rename is as durable as the OS makes it.
 */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // not supported here: best effort
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Removes a file or directory tree if it exists. */
export function removePath(path: string): void {
  rmSync(path, { recursive: true, force: true });
}
