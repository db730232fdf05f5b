/**
 * The table of training algorithms behind `--algo`: each entry is an algorithm of the trainer layer
 * (src/algos/trainer.ts), whose config schema gives the `train` flags. PPO and the two unclipped
 * importance-sampled gradients it grew from share one learner (src/algos/ppo.ts).
 */
import { apgAlgorithm } from "../algos/apg.ts";
import { isAlgorithm, isPdAlgorithm, ppoAlgorithm } from "../algos/ppo.ts";
import { reinforceAlgorithm } from "../algos/reinforce.ts";
import type { AnyAlgorithm } from "../algos/trainer.ts";
import { UsageError } from "./flags.ts";

/** Every algorithm by its `--algo` name. */
export const ALGORITHMS: Readonly<Record<string, AnyAlgorithm>> = {
  reinforce: reinforceAlgorithm,
  ppo: ppoAlgorithm,
  is: isAlgorithm,
  "is-pd": isPdAlgorithm,
  apg: apgAlgorithm,
};

/** The algorithm named `name`; unknown names are a usage error listing the known ones. */
export function getAlgorithm(name: string): AnyAlgorithm {
  const a = ALGORITHMS[name];
  if (!a) {
    throw new UsageError(
      `unknown algorithm "${name}"; known algorithms: ${Object.keys(ALGORITHMS).join(", ")}`,
    );
  }
  return a;
}
