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
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { removePath, writeFileAtomic } from "../io/atomic.ts";
import { UsageError } from "./flags.ts";

export const RUN_FILES = {
  config: "config.json",
  metrics: "metrics.jsonl",
  checkpoints: "checkpoints",
  plotSvg: "learning-curve.svg",
  plotPng: "learning-curve.png",
  eval: "eval.json",
  policyFile: "policy.safetensors",
} as const;

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
  /** Absolute paths of the modules that register custom environments (`--env-module`). */
  readonly envModules?: readonly string[];
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

let cachedVersion: string | null = null;
/** The version in package.json (src/cli and dist/cli are both two levels below it). */
export function packageVersion(): string {
  if (cachedVersion === null) {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    cachedVersion = String(pkg.version);
  }
  return cachedVersion;
}

/** True if `dir` holds any file a run writes. */
export function holdsRun(dir: string): boolean {
  return Object.values(RUN_FILES).some((f) => existsSync(join(dir, f)));
}

/**
 * Makes `dir` ready for a new run: created if missing; refused if it already holds a run, unless
 * `force`, which removes that run's files (and only those).
 */
export function prepareRunDir(dir: string, force: boolean): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new UsageError(`--out ${dir} is a file, not a directory`);
  }
  if (holdsRun(dir)) {
    if (!force) {
      throw new UsageError(
        `${dir} already holds a run; continue it with "policygrad resume ${dir}", or pass --force to replace it`,
      );
    }
    for (const f of Object.values(RUN_FILES)) removePath(join(dir, f));
  }
  mkdirSync(dir, { recursive: true });
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
