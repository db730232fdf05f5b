/**
 * Reward normalization inside a trainer (CleanRL's ppo_continuous_action wraps every env in
 * NormalizeReward with clipping at 10), over a collected batch, with the NormalizeReward
 * wrapper's own {@link RunningMeanStd} and recursion, one set of statistics shared by all
 * sub-envs and saved in checkpoints. Observations: obs-norm.ts.
 */
import type { RunningMeanStd } from "../envs/wrappers.ts";
import { EpisodeEnd } from "./returns.ts";

/** Gymnasium's epsilon in sqrt(var + epsilon). */
const EPSILON = 1e-8;

/**
 * Gymnasium's NormalizeReward over a batch, lane by lane in the order each sub-env took its steps:
 * G_j <- G_j * gamma * (1 - terminated) + r, the statistics updated with every G_j, then every
 * reward of the batch divided by sqrt(var(G) + epsilon) (not centred) and clipped to
 * [-clip, clip]. `discounted` [N] carries each sub-env's G_j from batch to batch (checkpointed).
 *
 * @param rewards [T] scaled in place; @param ends [T]; @param laneOffsets [N + 1] (Batch)
 */
export function normalizeRewards(
  rewards: Float64Array,
  ends: Uint8Array,
  laneOffsets: Int32Array,
  discounted: Float64Array,
  gamma: number,
  stats: RunningMeanStd,
  clip: number | null,
): void {
  const sample = new Float64Array(1);
  for (let j = 0; j + 1 < laneOffsets.length; j++) {
    let g = discounted[j];
    for (let t = laneOffsets[j]; t < laneOffsets[j + 1]; t++) {
      // As the NormalizeReward wrapper (and Gymnasium): a terminating step drops the old G; a
      // truncation does not.
      g = g * gamma * (ends[t] === EpisodeEnd.terminal ? 0 : 1) + rewards[t];
      sample[0] = g;
      stats.update(sample);
    }
    discounted[j] = g;
  }
  const scale = 1 / Math.sqrt(stats.var[0] + EPSILON);
  for (let t = 0; t < rewards.length; t++) {
    const v = rewards[t] * scale;
    rewards[t] = clip === null ? v : v < -clip ? -clip : v > clip ? clip : v;
  }
}
