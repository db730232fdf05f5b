/**
 * Registers the toy environments with the registry, so `make("Bandit-v0")` and
 * `make("Point1D-v0")` work like the built-ins. Importing this module registers them;
 * `registerToyEnvs()` is idempotent (ids already registered, e.g. by the registry itself, are
 * left alone).
 */
import { listEnvs, register } from "../registry.ts";
import { TOY_ENVS } from "./entries.ts";

export { BANDIT_DEFAULT_MEANS } from "./entries.ts";

/** Registers every entry of `TOY_ENVS` whose id is not registered yet. */
export function registerToyEnvs(): void {
  const known = new Set(listEnvs());
  for (const e of TOY_ENVS) if (!known.has(e.id)) register(e.id, e.factory, e.meta);
}

registerToyEnvs();
