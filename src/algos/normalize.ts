/**
 * Observation and reward normalization inside a trainer (CleanRL's ppo_continuous_action wraps
 * every env in NormalizeObservation and NormalizeReward with clipping at 10). The statistics are
 * the wrappers' own {@link RunningMeanStd}, one set shared by all sub-envs, so they can travel with
 * the policy: {@link normalizingPolicy} applies them wherever the policy acts (evaluation, `eval`,
 * exports), and the trainer saves them in its checkpoints.
 *
 * Statistics change only between batches: a batch is collected and trained on with one fixed
 * normalization, so the behaviour log-probs the update recomputes are exactly those the actions
 * were sampled with (ratio 1 at the first minibatch), and a resumed run is bit-identical.
 */
import { Tensor } from "../core/index.ts";
import type { Rng } from "../core/rng.ts";
import type { Params } from "../core/tensor.ts";
import { RunningMeanStd, type RunningMeanStdState } from "../envs/wrappers.ts";
import type { Policy } from "./policy.ts";
import { EpisodeEnd } from "./returns.ts";

/** Gymnasium's epsilon in sqrt(var + epsilon). */
export const NORMALIZE_EPSILON = 1e-8;

/** JSON-safe observation normalizer: the statistics and the clip. */
export interface ObsNormalizerState {
  readonly stats: RunningMeanStdState;
  /** Normalized values are clipped to [-clip, clip]; null: no clip. */
  readonly clip: number | null;
}

/**
 * The policy `inner` acting on normalized observations: `act` and `logProbAndEntropy` take raw
 * observations and normalize them with `stats` (read at every call, so updating `stats` changes
 * the normalization; the stats are not updated here). Parameters, spec and head are `inner`'s.
 */
export function normalizingPolicy(
  inner: Policy,
  stats: RunningMeanStd,
  clip: number | null,
): Policy {
  const obsDim = inner.spec.obsDim;
  if (stats.size !== obsDim) {
    throw new RangeError(
      `normalizingPolicy: statistics of size ${stats.size} for a policy taking ${obsDim} observations`,
    );
  }
  let scratch = new Float64Array(0);
  return {
    ...inner,
    act(
      obs: Float64Array,
      batch: number,
      rng: Rng,
      outActions: Float64Array,
      deterministic?: boolean,
      outRaw?: Float64Array,
      masks?: Uint8Array | null,
    ): void {
      if (scratch.length < batch * obsDim) scratch = new Float64Array(batch * obsDim);
      if (obs.length < batch * obsDim) {
        throw new Error(
          `policy.act: obs has ${obs.length} values, batch ${batch} x obsDim ${obsDim} needs ${batch * obsDim}`,
        );
      }
      stats.normalizeInto(obs, batch, scratch, NORMALIZE_EPSILON, clip);
      inner.act(scratch, batch, rng, outActions, deterministic, outRaw, masks);
    },
    logProbAndEntropy(
      params: Params,
      obs: Tensor,
      actions: Float64Array,
      masks?: Uint8Array | null,
    ) {
      const rows = obs.shape[0];
      const x = new Float64Array(rows * obsDim);
      stats.normalizeInto(obs.data, rows, x, NORMALIZE_EPSILON, clip);
      return inner.logProbAndEntropy(params, new Tensor(x, obs.shape), actions, masks);
    },
  };
}

/** A fresh observation normalizer's statistics (Gymnasium's prior), or restored ones. */
export function obsStats(obsDim: number, state?: RunningMeanStdState): RunningMeanStd {
  const s = new RunningMeanStd(obsDim);
  if (state !== undefined) s.setState(state);
  return s;
}

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
  const scale = 1 / Math.sqrt(stats.var[0] + NORMALIZE_EPSILON);
  for (let t = 0; t < rewards.length; t++) {
    const v = rewards[t] * scale;
    rewards[t] = clip === null ? v : v < -clip ? -clip : v > clip ? clip : v;
  }
}
