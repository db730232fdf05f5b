/**
 * Registration entries of the toy environments, without importing the registry, so the registry
 * itself can register them (`for (const e of TOY_ENVS) register(e.id, e.factory, e.meta)`) with no
 * import cycle. `register.ts` does exactly that for callers who import it.
 */
import type { PhysicsSpec } from "../physics.ts";
import type { EnvMeta } from "../registry.ts";
import { describeValue } from "../spaces.ts";
import type { EnvFactory } from "../types.ts";
import { BanditEnv } from "./bandit.ts";
import { point1d, point1dSpec } from "./point.ts";

/** Arm means of Bandit-v0 unless `make("Bandit-v0", { means })` overrides them. */
export const BANDIT_DEFAULT_MEANS: readonly number[] = [0, 0.5, 1];

export interface ToyEnvEntry {
  readonly id: string;
  readonly factory: EnvFactory;
  readonly meta: EnvMeta;
  /** Pure physics, when the env has it: the registry registers it as a built-in (fast vector path). */
  readonly physics?: PhysicsSpec;
}

const banditFactory: EnvFactory = (options = {}) => {
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
};

/** "Bandit-v0" and "Point1D-v0". Point1D is also a pure-physics spec (`point1dSpec`). */
export const TOY_ENVS: readonly ToyEnvEntry[] = [
  {
    id: "Bandit-v0",
    factory: banditFactory,
    meta: {
      maxEpisodeSteps: 1,
      description: "k-armed bandit, one-step episodes, Gaussian rewards (options: means, stds).",
    },
  },
  {
    id: point1dSpec.id,
    factory: (options) => point1d(options),
    physics: point1dSpec as PhysicsSpec,
    meta: {
      maxEpisodeSteps: point1dSpec.maxEpisodeSteps,
      ...(point1dSpec.rewardThreshold !== undefined
        ? { rewardThreshold: point1dSpec.rewardThreshold }
        : {}),
      description: "Move a point on a line to a target; continuous velocity (options: speed).",
    },
  },
];
