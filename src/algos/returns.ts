/**
 * Returns and advantages: small pure functions over flat Float64Arrays.
 *
 * A batch is a flat sequence of steps made of **segments**: runs of consecutive steps of one
 * episode (or of the part of it that fell in this batch). `ends[t]` says what follows step t:
 *
 * | `ends[t]`            | meaning                                             | value after step t |
 * |----------------------|-----------------------------------------------------|--------------------|
 * | `EpisodeEnd.none`    | the next step of the same segment follows           | (recursion)        |
 * | `EpisodeEnd.terminal`| the MDP reached a terminal state                    | 0                  |
 * | `EpisodeEnd.cut`     | truncated (time limit) or the rollout stopped here  | `bootstrap[t]`     |
 *
 * `bootstrap[t]` is read only where `ends[t] === EpisodeEnd.cut`: V(s_{t+1}) when a value function
 * exists, else 0 (no bootstrapping). The last step of a batch must end a segment.
 *
 * Every function writes into a caller buffer `out` (allocation-free; `out` may alias an input when
 * stated) or, when `out` is omitted, into a fresh array. Lengths are those of `rewards` (or the
 * first argument): pass `subarray` views of larger preallocated buffers.
 *
 * {@link computeAdvantages} puts them together for a whole batch, as every policy-gradient
 * algorithm's estimator needs.
 */
import type { Batch } from "./rollout.ts";

/** What follows a step; see the module doc. */
export const EpisodeEnd = { none: 0, terminal: 1, cut: 2 } as const;
export type EpisodeEnd = (typeof EpisodeEnd)[keyof typeof EpisodeEnd];

function check(where: string, n: number, arrays: Record<string, ArrayLike<number> | undefined>) {
  for (const [name, a] of Object.entries(arrays)) {
    if (a !== undefined && a.length !== n) {
      throw new Error(`${where}: ${name} has length ${a.length}, expected ${n} (one per step)`);
    }
  }
}

function checkEnds(where: string, ends: Uint8Array): void {
  if (ends.length > 0 && ends[ends.length - 1] === EpisodeEnd.none) {
    throw new Error(
      `${where}: the last step must end a segment (ends[${ends.length - 1}] is EpisodeEnd.none); mark it terminal or cut`,
    );
  }
}

/**
 * Discounted reward-to-go: G_t = r_t + gamma * (ends[t] none ? G_{t+1} : cut ? bootstrap[t] : 0),
 * i.e. sum_{k >= t} gamma^(k-t) r_k within the segment, plus the discounted bootstrap at a cut.
 *
 * @param rewards [T]
 * @param ends [T] {@link EpisodeEnd} codes
 * @param gamma discount in [0, 1]
 * @param bootstrap [T] value after a cut step (read only there); omitted = 0
 * @param out [T] result; may alias `rewards`
 * @example rewardToGo(new Float64Array([1, 1, 1]), new Uint8Array([0, 0, 1]), 0.5) // [1.75, 1.5, 1]
 */
export function rewardToGo(
  rewards: Float64Array,
  ends: Uint8Array,
  gamma: number,
  bootstrap?: Float64Array,
  out: Float64Array = new Float64Array(rewards.length),
): Float64Array {
  const n = rewards.length;
  check("rewardToGo", n, { ends, bootstrap, out });
  checkEnds("rewardToGo", ends);
  let next = 0;
  for (let t = n - 1; t >= 0; t--) {
    const e = ends[t];
    const after =
      e === EpisodeEnd.none ? next : e === EpisodeEnd.cut && bootstrap ? bootstrap[t] : 0;
    next = rewards[t] + gamma * after;
    out[t] = next;
  }
  return out;
}

/**
 * The full (discounted) return of each step's segment, written at every step of it:
 * R = sum_k gamma^k r_k over the segment (k from its first step), plus gamma^L * bootstrap at a cut
 * after L steps. This is R(tau) of the vanilla estimator (1/N) sum_i sum_t grad log pi(a_t|s_t) R(tau_i).
 *
 * @param rewards [T]; @param ends [T]; @param bootstrap [T] (read at cuts); @param out [T], may alias `rewards`
 * @example fullReturns(new Float64Array([1, 2, 3]), new Uint8Array([0, 1, 1]), 1) // [3, 3, 3]
 */
export function fullReturns(
  rewards: Float64Array,
  ends: Uint8Array,
  gamma: number,
  bootstrap?: Float64Array,
  out: Float64Array = new Float64Array(rewards.length),
): Float64Array {
  const n = rewards.length;
  check("fullReturns", n, { ends, bootstrap, out });
  checkEnds("fullReturns", ends);
  let start = 0;
  while (start < n) {
    let ret = 0;
    let disc = 1;
    let t = start;
    for (; ; t++) {
      ret += disc * rewards[t];
      disc *= gamma;
      if (ends[t] !== EpisodeEnd.none) break;
    }
    if (ends[t] === EpisodeEnd.cut && bootstrap) ret += disc * bootstrap[t];
    for (let k = start; k <= t; k++) out[k] = ret;
    start = t + 1;
  }
  return out;
}

/**
 * Generalized advantage estimation (Schulman et al. 2016, "High-dimensional continuous control
 * using generalized advantage estimation", eq. 16): delta_t = r_t + gamma * V_next - V(s_t) with
 * V_next = values[t+1] inside a segment, bootstrap[t] at a cut, 0 at a terminal;
 * A_t = delta_t + gamma * lambda * A_{t+1} within the segment. lambda = 1 gives G_t - V(s_t),
 * lambda = 0 the one-step TD error.
 *
 * @param rewards [T]; @param values [T] V(s_t); @param ends [T]; @param bootstrap [T] (read at cuts)
 * @param out [T] advantages; may alias `rewards` (not `values`)
 */
export function gae(
  rewards: Float64Array,
  values: Float64Array,
  ends: Uint8Array,
  gamma: number,
  lambda: number,
  bootstrap?: Float64Array,
  out: Float64Array = new Float64Array(rewards.length),
): Float64Array {
  const n = rewards.length;
  check("gae", n, { values, ends, bootstrap, out });
  checkEnds("gae", ends);
  let nextAdv = 0;
  for (let t = n - 1; t >= 0; t--) {
    const e = ends[t];
    let vNext: number;
    if (e === EpisodeEnd.none) vNext = values[t + 1];
    else {
      vNext = e === EpisodeEnd.cut && bootstrap ? bootstrap[t] : 0;
      nextAdv = 0;
    }
    const delta = rewards[t] + gamma * vNext - values[t];
    nextAdv = delta + gamma * lambda * nextAdv;
    out[t] = nextAdv;
  }
  return out;
}

/** Number of segments (episodes or episode pieces) in a batch: the count of non-`none` ends. */
export function segmentCount(ends: Uint8Array): number {
  let k = 0;
  for (let t = 0; t < ends.length; t++) if (ends[t] !== EpisodeEnd.none) k++;
  return k;
}

/**
 * Subtracts the batch-mean baseline, leave-one-out: each segment's steps get
 * out_t = w_t - b with b the mean of the weights of all steps *outside* that segment.
 *
 * Why leave-one-out: a baseline computed from the same episode correlates with its score
 * grad log pi and biases the estimate by a factor (1 - 1/N); excluding the episode's own steps makes
 * b independent of it, so E[grad log pi(a_t|s_t) b] = 0 exactly and the estimator stays unbiased
 * (Kool et al. 2019, "Buy 4 REINFORCE samples, get a baseline for free!"). With one segment there
 * is nothing to leave in: b = 0.
 *
 * @param weights [T] per-step returns (full or reward-to-go); @param ends [T]
 * @param out [T]; may alias `weights`
 */
export function subtractBatchMeanBaseline(
  weights: Float64Array,
  ends: Uint8Array,
  out: Float64Array = new Float64Array(weights.length),
): Float64Array {
  const n = weights.length;
  check("subtractBatchMeanBaseline", n, { ends, out });
  checkEnds("subtractBatchMeanBaseline", ends);
  let total = 0;
  for (let t = 0; t < n; t++) total += weights[t];
  let start = 0;
  while (start < n) {
    let end = start;
    let own = weights[start];
    while (ends[end] === EpisodeEnd.none) own += weights[++end];
    const others = n - (end - start + 1);
    const b = others > 0 ? (total - own) / others : 0;
    for (let k = start; k <= end; k++) out[k] = weights[k] - b;
    start = end + 1;
  }
  return out;
}

/**
 * Advantage normalization: out = (x - mean(x)) / (std(x) + eps), population std. A common variance
 * reducer (it also rescales the step); it makes the estimator biased and is off in vanilla mode.
 *
 * @param x [T]; @param out [T], may alias `x`
 */
export function normalize(
  x: Float64Array,
  eps = 1e-8,
  out: Float64Array = new Float64Array(x.length),
): Float64Array {
  const n = x.length;
  check("normalize", n, { out });
  if (n === 0) return out;
  let m = 0;
  for (let i = 0; i < n; i++) m += x[i];
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m);
  const s = Math.sqrt(v / n) + eps;
  for (let i = 0; i < n; i++) out[i] = (x[i] - m) / s;
  return out;
}

/** Mean and population standard deviation of `x` (NaN for an empty array). */
export function meanStd(x: ArrayLike<number>): { mean: number; std: number } {
  const n = x.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN };
  let m = 0;
  for (let i = 0; i < n; i++) m += x[i];
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m);
  return { mean: m, std: Math.sqrt(v / n) };
}

/**
 * True when the values are not all the same. When every return in a batch is equal (a constant or
 * zero reward), reward-to-go/baselines cannot tell good actions from bad ones: the gradient is zero
 * or pure noise.
 */
export function hasVariation(x: ArrayLike<number>): boolean {
  for (let i = 1; i < x.length; i++) if (x[i] !== x[0]) return true;
  return false;
}

/** The message of the no-learning-signal warning. */
export const NO_SIGNAL_WARNING =
  "policygrad: every return in this batch is the same, so the policy gradient carries no learning " +
  "signal (it is zero, or pure noise): the agent cannot learn. The reward needs to vary with the " +
  "agent's actions (check the environment's reward function). This warning is shown once.";

/** State of a {@link createNoSignalCheck} check, JSON-safe (part of a trainer's checkpoint). */
export interface NoSignalState {
  /** The warning was given. */
  warned: boolean;
  /** Some batch had returns that differed. */
  seenSignal: boolean;
}

/**
 * A check that calls `sink(NO_SIGNAL_WARNING)` the first time it sees a batch of episode returns
 * that are all the same, as long as no earlier batch had returns that differed, and never again.
 *
 * Why "no earlier signal": identical returns after learning usually mean the task is mastered
 * (every CartPole episode reaching the 500-step limit), not that the reward is broken; identical
 * returns from the start mean the reward does not depend on what the agent does.
 *
 * @param sink where the warning goes; default `console.warn`
 * @param state the state to continue from (a resumed run), else fresh; updated in place
 * @returns a function of the batch's episode returns R(tau_i) [N] returning whether the batch had
 *   a signal (true for fewer than two returns: nothing to judge)
 */
export function createNoSignalCheck(
  sink: (message: string) => void = (m) => console.warn(m),
  state: NoSignalState = { warned: false, seenSignal: false },
): (returns: ArrayLike<number>) => boolean {
  return (returns) => {
    // One value says nothing about variation; judge from two episodes on.
    if (returns.length < 2) return true;
    const ok = hasVariation(returns);
    if (ok) state.seenSignal = true;
    else if (!state.warned && !state.seenSignal) {
      state.warned = true;
      sink(NO_SIGNAL_WARNING);
    }
    return ok;
  };
}

/** The fields of an algorithm's config that decide {@link computeAdvantages}. */
export interface AdvantageConfig {
  readonly gamma: number;
  readonly returnMode: "reward-to-go" | "full";
  readonly baseline: "none" | "batch-mean" | "value";
  readonly gaeLambda: number | null;
  readonly normalizeAdvantages: boolean;
  readonly bootstrapTruncated: boolean;
}

/** Caller-owned buffers of {@link computeAdvantages}, each at least the batch size long. */
export interface AdvantageBuffers {
  /** [T] out: the per-step weights Psi_t of grad log pi(a_t|s_t). */
  advantages: Float64Array;
  /** [T] out: the regression targets of V(s) (reward-to-go, or GAE lambda-returns). */
  valueTargets: Float64Array;
  /** [T] scratch: bootstrap values at cuts. */
  bootstrap: Float64Array;
}

/**
 * The weights Psi_t of one batch, by the config's returnMode / baseline / gaeLambda /
 * normalizeAdvantages, written into `buf` (views of length `batch.size`). `values` [T] holds
 * V(s_t) and `cutValues` [K] V of each cut's next state when baseline is "value" (else null): the
 * return is bootstrapped with them at cuts when bootstrapTruncated is set.
 *
 * @returns views of the advantages and value targets, of length T
 */
export function computeAdvantages(
  batch: Batch,
  cfg: AdvantageConfig,
  values: Float64Array | null,
  cutValues: Float64Array | null,
  buf: AdvantageBuffers,
): { advantages: Float64Array; valueTargets: Float64Array } {
  const T = batch.size;
  const adv = buf.advantages.subarray(0, T);
  const targets = buf.valueTargets.subarray(0, T);
  const boot = buf.bootstrap.subarray(0, T);
  boot.fill(0);
  const useValue = cfg.baseline === "value";
  if (useValue && (values === null || cutValues === null)) {
    throw new Error('computeAdvantages: baseline "value" needs values [T] and cutValues [K]');
  }
  if (useValue && cfg.bootstrapTruncated) {
    for (let k = 0; k < batch.cutIndex.length; k++) boot[batch.cutIndex[k]] = cutValues![k];
  }
  // Psi_t before the baseline; V(s) regresses on the reward-to-go either way.
  const ret = cfg.returnMode === "full" ? fullReturns : rewardToGo;
  ret(batch.rewards, batch.ends, cfg.gamma, boot, adv);
  if (useValue) {
    const v = values!.subarray(0, T);
    if (cfg.gaeLambda !== null) {
      gae(batch.rewards, v, batch.ends, cfg.gamma, cfg.gaeLambda, boot, adv);
      for (let t = 0; t < T; t++) targets[t] = adv[t] + v[t];
    } else {
      rewardToGo(batch.rewards, batch.ends, cfg.gamma, boot, targets);
      for (let t = 0; t < T; t++) adv[t] -= v[t];
    }
  } else if (cfg.baseline === "batch-mean") {
    subtractBatchMeanBaseline(adv, batch.ends, adv);
  }
  if (cfg.normalizeAdvantages) normalize(adv, 1e-8, adv);
  return { advantages: adv, valueTargets: targets };
}
