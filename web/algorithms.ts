/**
 * The algorithms the page offers, each a trainer-layer Algorithm from the package's public API:
 * its config schema (the same one the CLI's flags come from, so the controls show the same
 * ranges and docs), its per-env presets, and the fields shown as controls.
 */
import { type AnyAlgorithm, apgAlgorithm, ppoAlgorithm, reinforceAlgorithm } from "policygrad";

export interface PageAlgorithm {
  readonly label: string;
  readonly algorithm: AnyAlgorithm;
  /** The fields shown as controls, in order (the others keep the preset's or default values). */
  readonly main: readonly string[];
}

/** The trainer's own fields every algorithm shows: seed and budget, evaluation and stopping. */
const RUN_FIELDS = ["seed", "totalSteps", "evalEvery", "stop"] as const;

export const ALGORITHMS: Readonly<Record<string, PageAlgorithm>> = {
  reinforce: {
    label: "REINFORCE",
    algorithm: reinforceAlgorithm,
    main: [
      ...RUN_FIELDS,
      "lr",
      "gamma",
      "batchEpisodes",
      "numEnvs",
      "hiddenSizes",
      "baseline",
      "normalizeAdvantages",
      "entropyCoef",
    ],
  },
  ppo: {
    label: "PPO",
    algorithm: ppoAlgorithm,
    main: [
      ...RUN_FIELDS,
      "lr",
      "gamma",
      "numEnvs",
      "rolloutSteps",
      "updateEpochs",
      "numMinibatches",
      "clipCoef",
      "entropyCoef",
      "hiddenSizes",
    ],
  },
  apg: {
    label: "APG (differentiable envs)",
    algorithm: apgAlgorithm,
    main: [...RUN_FIELDS, "lr", "gamma", "numEnvs", "window", "stateGrad", "hiddenSizes"],
  },
};

/** The starting values of the controls: the algorithm's defaults with the env's preset over them. */
export function initialConfig(a: PageAlgorithm, envId: string): Record<string, unknown> {
  const base: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(a.algorithm.schema)) base[k] = f.default;
  return { ...base, ...(a.algorithm.envPresets[envId]?.config ?? {}) };
}
