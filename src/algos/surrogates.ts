/**
 * Surrogate objectives for reusing a batch after the policy has moved, and the statistics that say
 * how far it moved. Small pure pieces (Brax's losses.py), shared by `--algo is`, `--algo is-pd` and
 * PPO, each tested alone.
 *
 * After the first update on a batch, the batch comes from an older policy pi_old ("behaviour"),
 * whose log-probs the batch keeps. Two importance-sampled gradients of J(theta) = E[sum_t gamma^t
 * r_t] can be formed from it, and they are not the same thing:
 *
 * - **per-step** (Kakade & Langford 2002; TRPO; PPO without its clip):
 *   E_old[rho_t grad log pi_theta(a_t|s_t) A_t], rho_t = pi_theta(a_t|s_t) / pi_old(a_t|s_t).
 *   It is the gradient of the surrogate L_old(theta) = J(old) + E_{s~d_old}[E_{a~pi_theta}[A_old]]
 *   ({@link ratioSurrogate}): the states still come from pi_old, so it equals grad J only at
 *   theta = theta_old.
 * - **per-decision** (Precup, Sutton & Singh 2000):
 *   E_old[sum_t grad log pi_theta(a_t|s_t) sum_{t'>=t} gamma^t' r_t' prod_{k<=t'} rho_k], the
 *   gradient of the per-decision importance-sampled return ({@link perDecisionReturn}). The prefix
 *   product prod_{k<=t'} rho_k reweights the state distribution too, so it is unbiased for grad J at
 *   every theta, at the price of a variance that grows with the horizon.
 *
 * PPO (Schulman et al. 2017) takes the per-step surrogate and clips the ratio
 * ({@link clippedSurrogate}).
 */

import { add, clip, exp, maximum, mean, minimum, mul, sub, type Tensor } from "../core/index.ts";
import * as math from "../core/math.ts";
import { EpisodeEnd } from "./returns.ts";

/**
 * rho_t A_t per sample, rho_t = exp(logProb_t - oldLogProb_t): the per-step importance-sampled
 * surrogate. Its gradient is rho_t A_t grad log pi_theta(a_t|s_t); at rho = 1 it is exactly the
 * REINFORCE term A_t grad log pi (d/dx exp(x) = exp(0) = 1).
 *
 * @param logProb [B] log pi_theta(a_t|s_t) (differentiable); @param oldLogProb [B] log pi_old
 * (constant); @param advantages [B] -> [B]
 */
export function ratioSurrogate(logProb: Tensor, oldLogProb: Tensor, advantages: Tensor): Tensor {
  return mul(exp(sub(logProb, oldLogProb)), advantages);
}

/**
 * PPO's clipped surrogate per sample (Schulman et al. 2017, eq. 7):
 * min(rho_t A_t, clip(rho_t, 1 - eps, 1 + eps) A_t). Once the ratio has left [1 - eps, 1 + eps] in
 * the direction the advantage pushes it, the sample's gradient is zero; in the other direction the
 * unclipped term is the smaller one and the gradient flows. At rho = 1 it equals
 * {@link ratioSurrogate} and its gradient (the tie goes to the unclipped term).
 *
 * @param logProb [B]; @param oldLogProb [B]; @param advantages [B]; @param clipCoef eps > 0 -> [B]
 */
export function clippedSurrogate(
  logProb: Tensor,
  oldLogProb: Tensor,
  advantages: Tensor,
  clipCoef: number,
): Tensor {
  if (!(clipCoef > 0))
    throw new RangeError(`clippedSurrogate: clipCoef must be > 0, got ${clipCoef}`);
  const ratio = exp(sub(logProb, oldLogProb));
  return minimum(mul(ratio, advantages), mul(clip(ratio, 1 - clipCoef, 1 + clipCoef), advantages));
}

/**
 * The value loss 0.5 mean((V - G)^2), or with `clipCoef` PPO's clipped form (the "value function
 * loss clipping" of the 37 implementation details):
 * 0.5 mean(max((V - G)^2, (V_old + clip(V - V_old, -eps, eps) - G)^2)).
 *
 * @param values [B] V(s_t) (differentiable); @param oldValues [B] V_old(s_t) from the rollout;
 * @param targets [B] the returns G_t; @param clipCoef eps > 0, or null for the plain loss -> scalar
 */
export function valueLossClipped(
  values: Tensor,
  oldValues: Tensor,
  targets: Tensor,
  clipCoef: number | null,
): Tensor {
  const err = sub(values, targets);
  const sq = mul(err, err);
  if (clipCoef === null) return mul(mean(sq), 0.5);
  if (!(clipCoef > 0))
    throw new RangeError(`valueLossClipped: clipCoef must be > 0 or null, got ${clipCoef}`);
  const clipped = sub(add(oldValues, clip(sub(values, oldValues), -clipCoef, clipCoef)), targets);
  return mul(mean(maximum(sq, mul(clipped, clipped))), 0.5);
}

/**
 * The per-decision coefficients C_t of one batch: the gradient of {@link perDecisionReturn} is
 * sum_t C_t grad log pi_theta(a_t|s_t), with
 *
 *   C_t = sum_{t' >= t in the segment} gamma^(t' - t0) r_t' W_t',   W_t' = prod_{k = t0 .. t'} rho_k,
 *
 * t0 the first step of t's segment (d/dtheta of W_t' is W_t' sum_{k<=t'} grad log pi_k; regrouping
 * the double sum by k gives C_k). So the per-decision estimator is the REINFORCE loss
 * -sum_t log pi_theta(a_t|s_t) C_t with C held constant, recomputed from the current log-ratios
 * before each gradient. Segments are whole episodes in episode mode, where this is exactly Precup's
 * estimator; a segment that starts mid-episode (steps mode) starts its product and discount there.
 * At a cut nothing is bootstrapped (the weight of a value after the cut would need its own product).
 *
 * @param logRatio [T] log pi_theta - log pi_old per step; @param rewards [T]; @param ends [T]
 * @param gamma discount in [0, 1]; @param weights [T] out: W_t; @param out [T] out: C_t
 * @returns out
 */
export function perDecisionCoefficients(
  logRatio: ArrayLike<number>,
  rewards: ArrayLike<number>,
  ends: Uint8Array,
  gamma: number,
  weights: Float64Array,
  out: Float64Array,
): Float64Array {
  const n = rewards.length;
  if (logRatio.length !== n || ends.length !== n || weights.length < n || out.length < n) {
    throw new RangeError(
      `perDecisionCoefficients: logRatio (${logRatio.length}), ends (${ends.length}) must have ${n} entries (rewards), weights (${weights.length}) and out (${out.length}) at least ${n}`,
    );
  }
  if (n > 0 && ends[n - 1] === EpisodeEnd.none) {
    throw new RangeError(
      "perDecisionCoefficients: the last step must end a segment (ends[T-1] != none)",
    );
  }
  // Forward: W_t and the discounted weighted reward gamma^(t-t0) r_t W_t (kept in out for now).
  let logW = 0;
  let discount = 1;
  for (let t = 0; t < n; t++) {
    logW += logRatio[t];
    const w = math.exp(logW);
    weights[t] = w;
    out[t] = discount * rewards[t] * w;
    discount *= gamma;
    if (ends[t] !== EpisodeEnd.none) {
      logW = 0;
      discount = 1;
    }
  }
  // Backward: the suffix sums within each segment.
  let acc = 0;
  for (let t = n - 1; t >= 0; t--) {
    if (ends[t] !== EpisodeEnd.none) acc = 0;
    acc += out[t];
    out[t] = acc;
  }
  return out;
}

/**
 * The per-decision importance-sampled return of a batch, summed over its segments:
 * sum_t gamma^(t - t0) r_t W_t (see {@link perDecisionCoefficients}). Divided by the episode count
 * it is an unbiased estimate of J(theta) from pi_old's episodes (Precup et al. 2000); its gradient
 * in theta is sum_t C_t grad log pi_theta(a_t|s_t).
 */
export function perDecisionReturn(
  logRatio: ArrayLike<number>,
  rewards: ArrayLike<number>,
  ends: Uint8Array,
  gamma: number,
): number {
  const n = rewards.length;
  const c = perDecisionCoefficients(
    logRatio,
    rewards,
    ends,
    gamma,
    new Float64Array(n),
    new Float64Array(n),
  );
  // C at each segment's first step is that segment's whole weighted return.
  let total = 0;
  for (let t = 0; t < n; t++) if (t === 0 || ends[t - 1] !== EpisodeEnd.none) total += c[t];
  return total;
}

/** How far pi_theta has moved from the behaviour policy on a batch (see {@link ratioStats}). */
export interface RatioStats {
  /** Mean and maximum of rho_t = pi_theta / pi_old. */
  ratioMean: number;
  ratioMax: number;
  /**
   * KL(pi_old || pi_theta) estimated by mean((rho - 1) - log rho) (Schulman 2020, "Approximating
   * KL divergence", k3: unbiased and never negative), CleanRL's approx_kl.
   */
  approxKl: number;
  /** Fraction of samples with |rho - 1| > clipCoef (0 when clipCoef is null). */
  clipFraction: number;
  /**
   * Effective sample size of the weights rho_t as a fraction of the batch:
   * (sum rho)^2 / (B sum rho^2) (Kong 1992), 1 when all weights are equal.
   */
  essFraction: number;
}

/**
 * {@link RatioStats} of log-ratios log pi_theta - log pi_old [n]. No allocation.
 * @param clipCoef the clip range eps, or null
 */
export function ratioStats(
  logRatio: ArrayLike<number>,
  n: number,
  clipCoef: number | null,
): RatioStats {
  if (n < 1 || logRatio.length < n) {
    throw new RangeError(`ratioStats: n must be in [1, ${logRatio.length}], got ${n}`);
  }
  let sum = 0;
  let sumSq = 0;
  let max = -Infinity;
  let kl = 0;
  let clipped = 0;
  for (let i = 0; i < n; i++) {
    const lr = logRatio[i];
    const r = math.exp(lr);
    sum += r;
    sumSq += r * r;
    if (r > max) max = r;
    kl += r - 1 - lr;
    if (clipCoef !== null && Math.abs(r - 1) > clipCoef) clipped++;
  }
  return {
    ratioMean: sum / n,
    ratioMax: max,
    approxKl: kl / n,
    clipFraction: clipped / n,
    essFraction: sumSq > 0 ? (sum * sum) / (n * sumSq) : 0,
  };
}

/** The effective sample size (sum w)^2 / sum w^2 of non-negative weights [n] (Kong 1992). */
export function effectiveSampleSize(weights: ArrayLike<number>, n = weights.length): number {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    s += weights[i];
    s2 += weights[i] * weights[i];
  }
  return s2 > 0 ? (s * s) / s2 : 0;
}
