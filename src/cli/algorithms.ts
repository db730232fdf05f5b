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

/**
 * The young generation (V8's new space) of the training thread, in MB, fixed per algorithm. V8
 * doubles a new space each time the bytes that survived its scavenges add up to its size, up to
 * its limit (48 MB by default: a new space of 32 MB): REINFORCE on CartPole reached 8 MB in its
 * first second and 16 MB at a time that depended on the run, a 10 MB step in RSS with the live
 * heap flat. At 12 MB the new space stays at what that training reaches in warm-up, at no CPU
 * cost for REINFORCE and PPO. APG keeps a whole unroll's tape alive across scavenges: at 12 MB it
 * promoted it, collected 3.6x as long and ran 1.2x slower, so it keeps V8's default (undefined).
 * docs/performance.md, "Memory of a long run", has the measurements.
 */
export function trainingYoungGenerationMb(algo: string): number | undefined {
  return algo === "apg" ? undefined : 12;
}
