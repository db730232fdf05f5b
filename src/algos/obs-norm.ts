/**
 * Observation normalization that travels with the policy: the running statistics are part of
 * what the policy needs to act, so they go into every checkpoint, and the policy returned by
 * {@link normalizingPolicy} applies them wherever it acts (rollouts, evaluation during training,
 * the best checkpoint, `eval`, resume). Gymnasium's NormalizeObservation wraps the env instead,
 * which leaves the statistics behind when the policy is saved and run elsewhere.
 *
 * The statistics stay frozen while a batch is collected and its loss computed (so the loss scores
 * the same inputs the policy acted on), and take in the batch's raw observations after the update.
 */
import { Tensor } from "../core/tensor.ts";
import { RunningMeanStd, type RunningMeanStdState } from "../envs/wrappers.ts";
import type { ObservationNormalizer, Policy } from "./policy.ts";

/** Normalized values are clipped to +-this (Gymnasium's NormalizeObservation has no clip; SB3's VecNormalize clips at 10). */
export const OBS_CLIP = 10;
const EPSILON = 1e-8;

/**
 * Writes (x - mean) / sqrt(var + 1e-8), clipped to +-{@link OBS_CLIP}, for `rows` observations
 * [rows, size] of `src` into `out` (may alias `src`).
 */
export function normalizeObservations(
  stats: RunningMeanStd,
  src: ArrayLike<number>,
  rows: number,
  out: Float64Array,
): Float64Array {
  stats.normalizeInto(src, rows, out, EPSILON, OBS_CLIP);
  return out;
}

/** Statistics for `size`-long observations, fresh or from a checkpoint's state (validated). */
export function observationStats(size: number, state?: RunningMeanStdState | null): RunningMeanStd {
  const s = new RunningMeanStd(size);
  if (state) s.setState(state);
  return s;
}

/**
 * `base` acting on observations normalized with `stats` (read at each call, so updating `stats`
 * is seen). Same parameters, spec and head as `base`.
 */
export function normalizingPolicy(base: Policy, stats: RunningMeanStd): Policy {
  if (stats.size !== base.spec.obsDim) {
    throw new Error(
      `normalizingPolicy: statistics of ${stats.size} values for a policy taking ${base.spec.obsDim}`,
    );
  }
  let scratch = new Float64Array(0);
  return {
    spec: base.spec,
    params: base.params,
    actDim: base.actDim,
    head: base.head,
    rawDiffers: base.rawDiffers,
    maskSize: base.maskSize,
    act(obs, batch, rng, outActions, deterministic, outRaw, masks) {
      const n = batch * stats.size;
      if (scratch.length < n) scratch = new Float64Array(n);
      const x = normalizeObservations(stats, obs, batch, scratch).subarray(0, n);
      base.act(x, batch, rng, outActions, deterministic, outRaw, masks);
    },
    logProbAndEntropy(params, obs, actions, masks) {
      const rows = obs.shape[0];
      const x = normalizeObservations(stats, obs.data, rows, new Float64Array(obs.data.length));
      return base.logProbAndEntropy(params, new Tensor(x, obs.shape), actions, masks);
    },
    observationNormalizer: (): ObservationNormalizer => ({
      mean: Array.from(stats.mean),
      var: Array.from(stats.var),
      epsilon: EPSILON,
      clip: OBS_CLIP,
    }),
  };
}
