/**
 * The run directory: everything one training run leaves behind.
 *
 * ```
 * runs/CartPole-v1__reinforce__s0__20261128-175300/
 *   config.json           algo, env id, the full resolved config, policygrad version, command
 *   metrics.jsonl         one row per update (src/io/metrics.ts)
 *   checkpoints/          latest.json + ckpt-<update>/ (src/io/checkpoint.ts)
 *   learning-curve.svg    return vs env steps
 *   learning-curve.png
 *   eval.json             the final evaluation
 *   policy.safetensors    the final checkpoint as one file (src/io/checkpoint-file.ts): what the
 *                         browser playground opens and `policygrad eval <file>` reads
 * ```
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { removePath, writeFileAtomic } from "../io/atomic.ts";
import { acquireLock, type FileLock, LockHeldError } from "../io/lock.ts";
import { UsageError } from "./flags.ts";

export const RUN_FILES = {
  config: "config.json",
  metrics: "metrics.jsonl",
  checkpoints: "checkpoints",
  plotSvg: "learning-curve.svg",
  plotPng: "learning-curve.png",
  eval: "eval.json",
  policyFile: "policy.safetensors",
  /** Says "a policygrad run": `--force` replaces only directories that have it. */
  marker: ".policygrad",
} as const;

/** The lock file of a run directory (src/io/lock.ts): one writer at a time. Not a run file. */
export const RUN_LOCK = ".policygrad.lock";

/** Inside checkpoints/: the best evaluation's checkpoint, a checkpoints directory of its own. */
export const BEST_CHECKPOINTS = "best";

/** Contents of config.json. */
export interface RunConfig {
  /** policygrad version that started the run. */
  readonly policygrad: string;
  readonly algo: string;
  readonly envId: string;
  /** The algorithm's full resolved config (every field, defaults included). */
  readonly config: Record<string, unknown>;
  /**
   * The modules that register custom environments (`--env-module`): relative to the run directory
   * when inside it, else absolute. Imported again only with consent (src/cli/env-modules.ts).
   */
  readonly envModules?: readonly string[];
  /** The env's spaces when the run started, to tell a changed env apart from a damaged run. */
  readonly envSpaces?: { readonly observation: string; readonly action: string };
  readonly createdAt: string;
  /** The command line that started (or last resumed) the run. */
  readonly command: readonly string[];
}

/** A run directory that is missing or unreadable. */
export class RunDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunDirError";
  }
}

/** Another process is writing the run directory (exit code 2: nothing was touched). */
export class RunDirBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunDirBusyError";
  }
}

/**
 * Takes the run directory's lock for this process (`what`: "train", "resume") for the whole run.
 * @throws RunDirBusyError naming the owner when another live process holds it
 */
export function lockRunDir(dir: string, what: string): FileLock {
  try {
    return acquireLock(join(dir, RUN_LOCK), `policygrad ${what}`);
  } catch (e) {
    if (!(e instanceof LockHeldError)) throw e;
    const o = e.owner;
    // "kill <pid>" only when the pid is known to be the owner: a reused pid is someone else's.
    const hint = e.verified && o !== null ? ` or stop it (kill ${o.pid})` : "";
    const stale =
      e.verified || !o?.host
        ? ""
        : o.host !== hostname()
          ? ` (if that process is gone, remove ${e.lockPath})`
          : ` (if pid ${o.pid} is not that policygrad process, the lock is stale: remove ${e.lockPath})`;
    throw new RunDirBusyError(
      `${dir} is in use: ${e.message}; wait for it to finish${hint}, or use another directory${stale}`,
    );
  }
}

let cachedVersion: string | null = null;
/** The version in package.json (src/cli and dist/cli are both two levels below it). */
export function packageVersion(): string {
  if (cachedVersion === null) {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    cachedVersion = String(pkg.version);
  }
  return cachedVersion;
}

/** The files of `dir` that a run would write (and `--force` would replace). */
export function runFilesIn(dir: string): string[] {
  return Object.values(RUN_FILES).filter((f) => existsSync(join(dir, f)));
}

/** True if `dir` holds any file a run writes. */
export function holdsRun(dir: string): boolean {
  return runFilesIn(dir).length > 0;
}

/**
 * True if `dir` is a policygrad run: it has the marker, or (runs made before the marker existed)
 * a config.json that policygrad wrote: our fields, and the command that made it.
 */
export function isPolicygradRun(dir: string): boolean {
  if (existsSync(join(dir, RUN_FILES.marker))) return true;
  try {
    const rc = readRunConfig(dir);
    return typeof rc.policygrad === "string" && rc.command?.[0] === "policygrad";
  } catch {
    return false;
  }
}

/**
 * Makes `dir` ready for a new run and locks it: created if missing; refused if it already holds a
 * run, unless `force`, which removes that run's files (and only those), and only when `dir` is a
 * policygrad run: a directory that merely holds a config.json is never touched.
 * @returns the lock, held until the run ends
 */
export function prepareRunDir(dir: string, force: boolean): FileLock {
  if (dir.trim() === "") throw new UsageError(`invalid value "" for --out: expected a directory`);
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new UsageError(`--out ${dir} is a file, not a directory`);
  }
  const created = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  // The lock comes first: the checks below and the removal must not race another writer.
  const lock = lockRunDir(dir, "train");
  try {
    const found = runFilesIn(dir);
    if (found.length > 0) {
      if (!isPolicygradRun(dir)) {
        throw new UsageError(
          `--out ${dir} holds ${found.join(", ")} but is not a policygrad run (no ${RUN_FILES.marker} marker)${force ? "; --force replaces only policygrad runs" : ""}: choose another --out`,
        );
      }
      if (!force) {
        throw new UsageError(
          `${dir} already holds a run; continue it with "policygrad resume ${dir}", or pass --force to replace it`,
        );
      }
      for (const f of Object.values(RUN_FILES)) removePath(join(dir, f));
    }
    writeFileAtomic(
      join(dir, RUN_FILES.marker),
      `${JSON.stringify({ policygrad: "run", version: packageVersion() })}\n`,
    );
    return lock;
  } catch (e) {
    lock.release();
    if (created) {
      try {
        rmdirSync(dir); // only if still empty: a refused command leaves nothing behind
      } catch {
        // not empty
      }
    }
    throw e;
  }
}

/** `runs/<env>__<algo>__s<seed>__<UTC yyyymmdd-hhmmss>`, suffixed `-2`, `-3`... if taken. */
export function defaultRunDir(
  envId: string,
  algo: string,
  seed: unknown,
  now = new Date(),
): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const base = join("runs", `${envId}__${algo}__s${seed}__${stamp}`);
  let dir = base;
  for (let n = 2; existsSync(dir); n++) dir = `${base}-${n}`;
  return dir;
}

export function writeRunConfig(dir: string, rc: RunConfig): void {
  writeFileAtomic(join(dir, RUN_FILES.config), `${JSON.stringify(rc, null, 2)}\n`);
}

/** Reads and checks `<dir>/config.json`. */
export function readRunConfig(dir: string): RunConfig {
  const file = join(dir, RUN_FILES.config);
  if (!existsSync(dir)) throw new RunDirError(`${dir}: no such run directory`);
  if (!existsSync(file)) {
    const entries = statSync(dir).isDirectory()
      ? readdirSync(dir).slice(0, 8).join(", ")
      : "a file";
    throw new RunDirError(
      `${dir}: not a run directory (no ${RUN_FILES.config}; found ${entries || "nothing"})`,
    );
  }
  let rc: Record<string, unknown>;
  try {
    rc = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new RunDirError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (
    rc === null ||
    typeof rc !== "object" ||
    typeof rc.algo !== "string" ||
    typeof rc.envId !== "string" ||
    rc.config === null ||
    typeof rc.config !== "object" ||
    !(
      rc.envModules === undefined ||
      (Array.isArray(rc.envModules) && rc.envModules.every((m) => typeof m === "string"))
    )
  ) {
    throw new RunDirError(`${file}: expected {algo, envId, config, envModules?: string[], ...}`);
  }
  return rc as unknown as RunConfig;
}
