/**
 * Registers the toy environments with the registry, so `make("Bandit-v0")` and
 * `make("Point1D-v0")` work like the built-ins. Importing this module (the envs barrel does)
 * registers them; `registerToyEnvs()` is idempotent for callers who want to be explicit.
 */
import { listEnvs, register } from "../registry.ts";
import { describeValue } from "../spaces.ts";
import { BanditEnv } from "./bandit.ts";
import { point1d, point1dSpec } from "./point.ts";

/** Arm means of Bandit-v0 unless `make("Bandit-v0", { means })` overrides them. */
export const BANDIT_DEFAULT_MEANS: readonly number[] = [0, 0.5, 1];

/** Registers "Bandit-v0" and "Point1D-v0" unless already registered. */
export function registerToyEnvs(): void {
  const known = new Set(listEnvs());
  if (!known.has("Bandit-v0")) {
    register(
      "Bandit-v0",
      (options = {}) => {
        for (const key of Object.keys(options)) {
          if (key !== "means" && key !== "stds") {
            throw new TypeError(`Bandit-v0: unknown option "${key}"; known options: means, stds`);
          }
        }
        const means = options.means ?? BANDIT_DEFAULT_MEANS;
        if (!Array.isArray(means)) {
          throw new TypeError(
            `Bandit-v0: option means must be an array of numbers, got ${describeValue(means)}`,
          );
        }
        const stds = options.stds ?? 1;
        if (typeof stds !== "number" && !Array.isArray(stds)) {
          throw new TypeError(
            `Bandit-v0: option stds must be a number or an array of numbers, got ${describeValue(stds)}`,
          );
        }
        return new BanditEnv(means, stds, "Bandit-v0");
      },
      {
        maxEpisodeSteps: 1,
        description: "k-armed bandit, one-step episodes, Gaussian rewards (options: means, stds).",
      },
    );
  }
  if (!known.has(point1dSpec.id)) {
    register(point1dSpec.id, (options) => point1d(options), {
      maxEpisodeSteps: point1dSpec.maxEpisodeSteps,
      ...(point1dSpec.rewardThreshold !== undefined
        ? { rewardThreshold: point1dSpec.rewardThreshold }
        : {}),
      description: "Move a point on a line to a target; continuous velocity (options: speed).",
    });
  }
}

registerToyEnvs();
