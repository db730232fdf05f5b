/**
 * Custom environments on the command line (`--env-module <file>`), and consent: importing a module
 * runs its code, so policygrad imports only what the user names on this command line. A run records
 * its modules in config.json (a path inside the run directory relative to it, so the directory can
 * move), but `eval` and `resume` import them only when the module is given again with
 * `--env-module` (which also fixes a run whose module moved) or when `--allow-env-modules` says the
 * run's own list may be imported (issue #16 item 5).
 */
import { existsSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { listEnvs, make } from "../envs/registry.ts";
import { describe } from "../envs/spaces.ts";
import { UsageError } from "./flags.ts";
import { RunDirError } from "./run-dir.ts";

/**
 * Imports the user's modules that register custom environments, so `make` knows their ids;
 * returns their absolute paths.
 */
export async function loadEnvModules(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    if (!existsSync(abs)) {
      throw new UsageError(
        `--env-module ${JSON.stringify(p)}: no such file (expected a JS/TS module that calls register())`,
      );
    }
    try {
      await import(pathToFileURL(abs).href);
    } catch (e) {
      throw new Error(
        `--env-module ${p}: the module failed to load: ${(e as Error)?.message ?? e}`,
      );
    }
    out.push(abs);
  }
  return out;
}

/** How config.json records a module: relative to the run directory when inside it, else absolute. */
export function recordedModulePath(runDir: string, abs: string): string {
  const rel = relative(resolve(runDir), abs);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel.split(sep).join("/") : abs;
}

/** The absolute path of a module recorded by a run in `runDir`. */
export function recordedModuleAbs(runDir: string, recorded: string): string {
  return isAbsolute(recorded) ? recorded : resolve(runDir, recorded);
}

/**
 * The modules to import for a run's env in `eval`/`resume`: those given on the command line, or
 * (with `allow`) the run's own list; none when the env is registered already (a built-in). A run
 * whose env needs its modules and got no consent is a usage error saying what to pass.
 * @returns the absolute paths imported
 */
export async function loadRunEnvModules(
  runDir: string | undefined,
  envId: string,
  recorded: readonly string[],
  given: readonly string[],
  allow: boolean,
): Promise<string[]> {
  if (given.length > 0) return loadEnvModules(given);
  const listed = runDir === undefined ? [] : recorded.map((m) => recordedModuleAbs(runDir, m));
  if (listed.length === 0 || listEnvs().includes(envId)) return [];
  if (allow) return loadEnvModules(listed);
  throw new UsageError(
    `the run trained on "${envId}", which is not a built-in env; its config.json lists ${listed.join(", ")} to register it, and policygrad imports (runs) no code it was not asked to: pass --env-module <file> with the module that registers "${envId}", or --allow-env-modules to import the listed one${listed.length > 1 ? "s" : ""}`,
  );
}

/** The spaces of an env as config.json records them (the policy's shapes depend on them). */
export interface EnvSpaces {
  readonly observation: string;
  readonly action: string;
}

/** `envId`'s spaces, described. */
export function envSpacesOf(envId: string): EnvSpaces {
  const env = make(envId);
  try {
    return { observation: describe(env.observationSpace), action: describe(env.actionSpace) };
  } finally {
    env.close();
  }
}

/**
 * Throws when the env registered as `envId` now has other spaces than the run recorded (a changed
 * module, or another module registering the same id): said plainly, instead of a weight-shape
 * mismatch deep in the policy.
 */
export function checkSameEnv(runDir: string, envId: string, recorded: EnvSpaces | undefined): void {
  if (recorded === undefined) return; // a run made before spaces were recorded
  const now = envSpacesOf(envId);
  if (now.observation !== recorded.observation || now.action !== recorded.action) {
    throw new RunDirError(
      `${runDir} was trained on a different "${envId}": observation space ${recorded.observation}, action space ${recorded.action}; the "${envId}" registered now has ${now.observation} and ${now.action} (a changed or different --env-module?)`,
    );
  }
}
