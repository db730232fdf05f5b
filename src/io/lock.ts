/**
 * One writer per directory: an exclusive lock file holding its owner's pid and host (issue #16).
 *
 * The lock is created complete and atomically: the owner record is written to a private temp file
 * which is then hard-linked to the lock's name. link() fails with EEXIST when the name is taken, so
 * of two processes exactly one gets the lock, and nobody ever reads a half-written owner.
 *
 * A lock left by a process that died (SIGKILL, power loss) is stale: on the same host its pid no
 * longer runs, or runs a process that started at another time (the pid was reused: after a crash
 * or a reboot the number often comes back, and then the lock looked held forever). The start time
 * is the kernel's (Linux: /proc/<pid>/stat, with the boot id); where there is no /proc it is not
 * recorded and a live pid counts as the owner. A stale lock is broken under a second, short-lived
 * lock (`<lock>.break`) and only if it still holds the record that was judged stale, so two
 * processes recovering at once cannot remove the lock a third just took. A lock from another host
 * cannot be checked and counts as held: the message names the file to remove by hand.
 */
import { linkSync, readFileSync, statSync, unlinkSync } from "node:fs";
import { hostname } from "node:os";
import { writeFileDurable } from "./atomic.ts";

/** Who holds a lock (the lock file's contents). */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  /** ISO time the lock was taken. */
  readonly since: string;
  /** What the owner is doing, e.g. "policygrad train". */
  readonly what: string;
  /** Tells apart two locks of one pid (a reused pid, or one process locking twice). */
  readonly token: string;
  /** When the owner process started ({@link processStart}); absent where that is unknown. */
  readonly started?: string;
}

/** The directory is locked by another live process (or one on another host). */
export class LockHeldError extends Error {
  /**
   * @param verified true when the owner runs on this host and is the very process that took the
   * lock (its start time matched); false when that could not be checked (another host, no /proc).
   */
  constructor(
    readonly lockPath: string,
    readonly owner: LockOwner | null,
    readonly verified = false,
  ) {
    super(
      owner === null
        ? `${lockPath} is held by a process that is starting up`
        : `held by ${owner.what} (pid ${owner.pid} on ${owner.host}, since ${owner.since})`,
    );
    this.name = "LockHeldError";
  }
}

export interface FileLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** Removes the lock if it is still this one's; safe to call twice. */
  release(): void;
}

/** True when `pid` runs on this machine (EPERM: it runs, as another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

let bootId: string | undefined;

/**
 * When process `pid` started, as "<boot id>/<clock ticks since boot>" (field 22 of
 * /proc/<pid>/stat; the boot id tells apart two boots that reuse both numbers), or null where
 * /proc is absent or `pid` does not run. Two processes with one pid never share it.
 */
export function processStart(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are counted
  // after its last ")"; the first there is field 3 (state), so field 22 is the 20th.
  const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  if (start === undefined || !/^\d+$/.test(start)) return null;
  if (bootId === undefined) {
    try {
      bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    } catch {
      bootId = "";
    }
  }
  return `${bootId}/${start}`;
}

function readOwner(path: string): LockOwner | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  try {
    const o = JSON.parse(text);
    if (typeof o?.pid === "number" && typeof o?.host === "string") return o as LockOwner;
  } catch {
    // unreadable: judged below by its age
  }
  return { pid: -1, host: "", since: "", what: "an unreadable lock", token: text };
}

/** Creates `path` holding `owner` iff it does not exist; false if it does. */
function createExclusive(path: string, owner: LockOwner): boolean {
  const tmp = `${path}.${process.pid}.${owner.token}.tmp`;
  writeFileDurable(tmp, `${JSON.stringify(owner)}\n`);
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

/** What a lock's owner is now: gone (the lock is stale), held by it (verified or not). */
type OwnerState = "stale" | "verified" | "unverified";

/**
 * A lock nobody can be holding: on this host a pid that does not run or runs a process started at
 * another time than the owner's, or an unreadable file older than 10 s.
 */
function ownerState(path: string, owner: LockOwner): OwnerState {
  if (owner.pid === -1) {
    try {
      return Date.now() - statSync(path).mtimeMs > 10_000 ? "stale" : "unverified";
    } catch {
      return "stale";
    }
  }
  if (owner.host !== hostname()) return "unverified";
  if (!pidAlive(owner.pid)) return "stale";
  const now = owner.started === undefined ? null : processStart(owner.pid);
  if (now === null) return "unverified";
  return now === owner.started ? "verified" : "stale";
}

let tokens = 0;

/**
 * Takes the lock at `path` for this process, recovering a stale one.
 * @throws LockHeldError when a live process (or one on another host) holds it
 */
export function acquireLock(path: string, what: string): FileLock {
  const started = processStart(process.pid);
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    what,
    token: `${Date.now().toString(36)}-${++tokens}`,
    ...(started === null ? {} : { started }),
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusive(path, owner)) return held(path, owner);
    const current = readOwner(path);
    if (current === null) continue; // released in between: try again
    const state = ownerState(path, current);
    if (state !== "stale") throw new LockHeldError(path, current, state === "verified");
    breakStale(path, current);
  }
  throw new LockHeldError(path, readOwner(path));
}

/** Removes the stale lock `seen`, under `<path>.break`, unless it was replaced meanwhile. */
function breakStale(path: string, seen: LockOwner): void {
  const breaker = `${path}.break`;
  const me: LockOwner = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    what: "breaking a stale lock",
    token: `b${++tokens}`,
  };
  if (!createExclusive(breaker, me)) {
    // Someone else is breaking it; a breaker left by a crash mid-break is removed after 10 s.
    try {
      if (Date.now() - statSync(breaker).mtimeMs > 10_000) unlinkSync(breaker);
    } catch {
      // gone already
    }
    return;
  }
  try {
    const now = readOwner(path);
    if (now !== null && now.token === seen.token && now.pid === seen.pid) unlinkSync(path);
  } finally {
    unlinkSync(breaker);
  }
}

function held(path: string, owner: LockOwner): FileLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off("exit", release);
    const now = readOwner(path);
    if (now !== null && now.token === owner.token && now.pid === owner.pid) {
      try {
        unlinkSync(path);
      } catch {
        // removed by hand meanwhile
      }
    }
  };
  // A process.exit() (a second Ctrl-C) still removes the lock; only a kill -9 leaves it (stale).
  process.on("exit", release);
  return { path, owner, release };
}
