/**
 * Wrappers, as Gymnasium's: each is an {@link Env} over an Env, so they stack
 * (`new RecordEpisodeStatistics(new NormalizeObservation(make("Pendulum-v1")))`) and everything
 * that accepts an Env accepts a wrapped one. The wrapped env is `wrapper.env`.
 *
 * - {@link TimeLimit}: truncates episodes after a number of steps.
 * - {@link RecordEpisodeStatistics}: `info.episode = { return, length }` on the last step.
 * - {@link NormalizeObservation}, {@link NormalizeReward}: running statistics (Gymnasium's
 *   semantics, including its prior of 1e-4 pseudo-observations with mean 0 and variance 1),
 *   JSON-serializable for checkpoints (`getState`/`setState`) and freezable for evaluation.
 * - {@link ClipAction}, {@link RescaleAction}: Box action transforms.
 *
 * Observations returned by the normalizing wrapper live in a buffer reused by the next call,
 * as the Env contract allows; copy them to keep them.
 */
import {
  type BoxSpace,
  box,
  describe,
  describeValue,
  type Space,
  type VectorValue,
} from "./spaces.ts";
import type { Action, Env, ResetOptions, ResetResult, StepResult } from "./types.ts";

function isVector(x: unknown): x is VectorValue {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}

/**
 * Truncates episodes after `maxEpisodeSteps` steps (`truncated = true` on that step, whether or not
 * it also terminated, as Gymnasium's TimeLimit). Stepping before `reset()` or after the episode ended
 * is an error, whatever the wrapped env does.
 */
export class TimeLimit implements Env {
  readonly env: Env;
  readonly id: string;
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  readonly rewardThreshold?: number;
  readonly maxEpisodeSteps: number;
  private elapsed = 0;
  private phase: "new" | "running" | "done" = "new";

  /**
   * @param options.rewardThreshold reported when the wrapped env declares none (`make` passes the
   *   registered one).
   */
  constructor(env: Env, maxEpisodeSteps: number, options: { rewardThreshold?: number } = {}) {
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps < 1) {
      throw new RangeError(
        `TimeLimit(${env.id}): maxEpisodeSteps must be a positive integer, got ${describeValue(maxEpisodeSteps)}`,
      );
    }
    this.env = env;
    this.id = env.id;
    this.observationSpace = env.observationSpace;
    this.actionSpace = env.actionSpace;
    const threshold = env.rewardThreshold ?? options.rewardThreshold;
    if (threshold !== undefined) this.rewardThreshold = threshold;
    this.maxEpisodeSteps = maxEpisodeSteps;
  }

  /** Steps taken in the current episode. */
  get elapsedSteps(): number {
    return this.elapsed;
  }

  reset(options?: ResetOptions): ResetResult {
    const r = this.env.reset(options);
    this.elapsed = 0;
    this.phase = "running";
    return r;
  }

  step(action: Action): StepResult {
    if (this.phase !== "running") {
      const what =
        this.phase === "new"
          ? "step() called before reset()"
          : `step() called after the episode ended (terminated, or truncated at the time limit of ${this.maxEpisodeSteps} steps) without reset()`;
      throw new Error(
        `${this.id}: ${what}; call env.reset() first (action ${describeValue(action)})`,
      );
    }
    const r = this.env.step(action);
    this.elapsed++;
    const truncated = r.truncated || this.elapsed >= this.maxEpisodeSteps;
    if (r.terminated || truncated) this.phase = "done";
    return truncated === r.truncated ? r : { ...r, truncated };
  }

  close(): void {
    this.env.close();
  }
}

/**
 * Adds `info.episode = { return, length }` (undiscounted return and step count of the episode) to
 * the step that ends an episode (terminated or truncated), as Gymnasium's RecordEpisodeStatistics.
 */
export class RecordEpisodeStatistics implements Env {
  readonly env: Env;
  readonly id: string;
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  readonly rewardThreshold?: number;
  readonly maxEpisodeSteps?: number;
  private episodeReturn = 0;
  private episodeLength = 0;

  constructor(env: Env) {
    this.env = env;
    this.id = env.id;
    this.observationSpace = env.observationSpace;
    this.actionSpace = env.actionSpace;
    if (env.rewardThreshold !== undefined) this.rewardThreshold = env.rewardThreshold;
    if (env.maxEpisodeSteps !== undefined) this.maxEpisodeSteps = env.maxEpisodeSteps;
  }

  reset(options?: ResetOptions): ResetResult {
    const r = this.env.reset(options);
    this.episodeReturn = 0;
    this.episodeLength = 0;
    return r;
  }

  step(action: Action): StepResult {
    const r = this.env.step(action);
    this.episodeReturn += r.reward;
    this.episodeLength++;
    if (!(r.terminated || r.truncated)) return r;
    return {
      ...r,
      info: { ...r.info, episode: { return: this.episodeReturn, length: this.episodeLength } },
    };
  }

  close(): void {
    this.env.close();
  }
}

/** JSON-safe state of a {@link RunningMeanStd}. */
export interface RunningMeanStdState {
  readonly count: number;
  readonly mean: number[];
  readonly var: number[];
}

/**
 * Running mean and (population) variance of vectors of `size` numbers, updated one sample or one
 * batch at a time with the parallel-variance formula of Chan, Golub & LeVeque (1979), which is
 * Welford's update for a batch of one. Starts, as Gymnasium's RunningMeanStd, from
 * `initialCount` pseudo-observations (default 1e-4) with mean 0 and variance 1, so the first
 * normalized values are finite; pass `initialCount: 0` for the exact statistics of the data.
 */
export class RunningMeanStd {
  readonly size: number;
  count: number;
  readonly mean: Float64Array;
  readonly var: Float64Array;

  constructor(size: number, options: { initialCount?: number } = {}) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(
        `RunningMeanStd: size must be a positive integer, got ${describeValue(size)}`,
      );
    }
    const c = options.initialCount ?? 1e-4;
    if (!(c >= 0 && Number.isFinite(c))) {
      throw new RangeError(
        `RunningMeanStd: initialCount must be a finite number >= 0, got ${describeValue(c)}`,
      );
    }
    this.size = size;
    this.count = c;
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
  }

  /** Adds one sample `x[offset .. offset + size)`. */
  update(x: ArrayLike<number>, offset = 0): void {
    const n = this.count + 1;
    for (let i = 0; i < this.size; i++) {
      const delta = x[offset + i] - this.mean[i];
      this.mean[i] += delta / n;
      // M2 = var * count + delta^2 * count * 1 / n (the batch of one has M2 = 0).
      this.var[i] = (this.var[i] * this.count + (delta * delta * this.count) / n) / n;
    }
    this.count = n;
  }

  /** Adds `batch` samples stored row-major in `x` `[batch, size]`, combining batch moments. */
  updateBatch(x: ArrayLike<number>, batch: number): void {
    if (!Number.isInteger(batch) || batch < 0 || x.length < batch * this.size) {
      throw new RangeError(
        `RunningMeanStd.updateBatch: x must hold [batch, ${this.size}] = ${batch * this.size} values, got ${x.length}`,
      );
    }
    if (batch === 0) return;
    const total = this.count + batch;
    for (let i = 0; i < this.size; i++) {
      let bMean = 0;
      for (let b = 0; b < batch; b++) bMean += x[b * this.size + i];
      bMean /= batch;
      let bM2 = 0;
      for (let b = 0; b < batch; b++) {
        const d = x[b * this.size + i] - bMean;
        bM2 += d * d;
      }
      const delta = bMean - this.mean[i];
      this.mean[i] += (delta * batch) / total;
      const m2 = this.var[i] * this.count + bM2 + (delta * delta * this.count * batch) / total;
      this.var[i] = m2 / total;
    }
    this.count = total;
  }

  /**
   * Writes `(x - mean) / sqrt(var + epsilon)` for `rows` samples `x` [rows, size] into `out`
   * (may alias `x`), each value clipped to [-clip, clip] when `clip` is given. No allocation.
   */
  normalizeInto(
    x: ArrayLike<number>,
    rows: number,
    out: Float64Array,
    epsilon = 1e-8,
    clip: number | null = null,
  ): void {
    const n = this.size;
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < n; i++) {
        const v = (x[r * n + i] - this.mean[i]) / Math.sqrt(this.var[i] + epsilon);
        out[r * n + i] = clip === null ? v : v < -clip ? -clip : v > clip ? clip : v;
      }
    }
  }

  getState(): RunningMeanStdState {
    return { count: this.count, mean: Array.from(this.mean), var: Array.from(this.var) };
  }

  /** Restores statistics saved by {@link RunningMeanStd.getState} (validated). */
  setState(state: RunningMeanStdState): void {
    const okArr = (a: unknown, nonNeg: boolean) =>
      Array.isArray(a) &&
      a.length === this.size &&
      a.every((v) => typeof v === "number" && Number.isFinite(v) && (!nonNeg || v >= 0));
    if (
      state === null ||
      typeof state !== "object" ||
      typeof state.count !== "number" ||
      !(state.count >= 0 && Number.isFinite(state.count)) ||
      !okArr(state.mean, false) ||
      !okArr(state.var, true)
    ) {
      throw new TypeError(
        `RunningMeanStd.setState: expected { count >= 0, mean: ${this.size} finite numbers, var: ${this.size} finite numbers >= 0 }, got ${JSON.stringify(state)}`,
      );
    }
    this.count = state.count;
    this.mean.set(state.mean);
    this.var.set(state.var);
  }
}

/** JSON-safe state of a {@link NormalizeObservation}. */
export interface NormalizeObservationState {
  readonly kind: "normalize-observation";
  readonly stats: RunningMeanStdState;
}

/**
 * Normalizes observations to roughly zero mean and unit variance with running statistics:
 * `(obs - mean) / sqrt(var + epsilon)`, the statistics updated with every observation (from reset
 * and step) before normalizing, as Gymnasium's NormalizeObservation. Set `frozen = true` to stop
 * updating (evaluation). The observation space becomes Box(-inf, inf) of the same shape.
 */
export class NormalizeObservation implements Env {
  readonly env: Env;
  readonly id: string;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: Space;
  readonly rewardThreshold?: number;
  readonly maxEpisodeSteps?: number;
  readonly epsilon: number;
  readonly stats: RunningMeanStd;
  /** When true, statistics are used but no longer updated. */
  frozen = false;
  private readonly out: Float64Array;

  constructor(env: Env, options: { epsilon?: number; frozen?: boolean } = {}) {
    const space = env.observationSpace;
    if (space.kind !== "box") {
      throw new TypeError(
        `NormalizeObservation(${env.id}): needs a Box observation space, got ${describe(space)}`,
      );
    }
    this.env = env;
    this.id = env.id;
    this.actionSpace = env.actionSpace;
    if (env.rewardThreshold !== undefined) this.rewardThreshold = env.rewardThreshold;
    if (env.maxEpisodeSteps !== undefined) this.maxEpisodeSteps = env.maxEpisodeSteps;
    this.observationSpace = box(-Infinity, Infinity, space.shape);
    this.epsilon = options.epsilon ?? 1e-8;
    this.frozen = options.frozen ?? false;
    this.stats = new RunningMeanStd(space.size);
    this.out = new Float64Array(space.size);
  }

  reset(options?: ResetOptions): ResetResult {
    const r = this.env.reset(options);
    return { ...r, observation: this.normalize(r.observation) };
  }

  step(action: Action): StepResult {
    const r = this.env.step(action);
    return { ...r, observation: this.normalize(r.observation) };
  }

  close(): void {
    this.env.close();
  }

  getState(): NormalizeObservationState {
    return { kind: "normalize-observation", stats: this.stats.getState() };
  }

  setState(state: NormalizeObservationState): void {
    if (state === null || typeof state !== "object" || state.kind !== "normalize-observation") {
      throw new TypeError(
        `NormalizeObservation.setState: expected { kind: "normalize-observation", stats }, got ${JSON.stringify(state)}`,
      );
    }
    this.stats.setState(state.stats);
  }

  private normalize(obs: Float64Array): Float64Array {
    if (!this.frozen) this.stats.update(obs);
    this.stats.normalizeInto(obs, 1, this.out, this.epsilon);
    return this.out;
  }
}

/** JSON-safe state of a {@link NormalizeReward}. */
export interface NormalizeRewardState {
  readonly kind: "normalize-reward";
  readonly stats: RunningMeanStdState;
  /** The running discounted return the statistics are taken over. */
  readonly discountedReturn: number;
}

/**
 * Scales rewards by the running standard deviation of the discounted return, as Gymnasium's
 * NormalizeReward: `G <- G * gamma * (1 - terminated) + r`, statistics updated with G, reward
 * returned as `r / sqrt(var(G) + epsilon)` (not centred, see openai/baselines#538). As in
 * Gymnasium, G is reset only by termination (not by truncation or reset). Set `frozen = true` to
 * stop updating (evaluation).
 */
export class NormalizeReward implements Env {
  readonly env: Env;
  readonly id: string;
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  readonly rewardThreshold?: number;
  readonly maxEpisodeSteps?: number;
  readonly gamma: number;
  readonly epsilon: number;
  readonly stats = new RunningMeanStd(1);
  /** When true, statistics are used but no longer updated. */
  frozen = false;
  private discountedReturn = 0;
  private readonly sample = new Float64Array(1);

  constructor(env: Env, options: { gamma?: number; epsilon?: number; frozen?: boolean } = {}) {
    const gamma = options.gamma ?? 0.99;
    if (!(gamma >= 0 && gamma <= 1)) {
      throw new RangeError(
        `NormalizeReward(${env.id}): gamma must be in [0, 1], got ${describeValue(gamma)}`,
      );
    }
    this.env = env;
    this.id = env.id;
    this.observationSpace = env.observationSpace;
    this.actionSpace = env.actionSpace;
    if (env.rewardThreshold !== undefined) this.rewardThreshold = env.rewardThreshold;
    if (env.maxEpisodeSteps !== undefined) this.maxEpisodeSteps = env.maxEpisodeSteps;
    this.gamma = gamma;
    this.epsilon = options.epsilon ?? 1e-8;
    this.frozen = options.frozen ?? false;
  }

  reset(options?: ResetOptions): ResetResult {
    return this.env.reset(options);
  }

  step(action: Action): StepResult {
    const r = this.env.step(action);
    this.discountedReturn = this.discountedReturn * this.gamma * (r.terminated ? 0 : 1) + r.reward;
    if (!this.frozen) {
      this.sample[0] = this.discountedReturn;
      this.stats.update(this.sample);
    }
    return { ...r, reward: r.reward / Math.sqrt(this.stats.var[0] + this.epsilon) };
  }

  close(): void {
    this.env.close();
  }

  getState(): NormalizeRewardState {
    return {
      kind: "normalize-reward",
      stats: this.stats.getState(),
      discountedReturn: this.discountedReturn,
    };
  }

  setState(state: NormalizeRewardState): void {
    if (
      state === null ||
      typeof state !== "object" ||
      state.kind !== "normalize-reward" ||
      typeof state.discountedReturn !== "number" ||
      !Number.isFinite(state.discountedReturn)
    ) {
      throw new TypeError(
        `NormalizeReward.setState: expected { kind: "normalize-reward", stats, discountedReturn: finite number }, got ${JSON.stringify(state)}`,
      );
    }
    this.stats.setState(state.stats);
    this.discountedReturn = state.discountedReturn;
  }
}

/** Checks a Box-space action's shape for an action wrapper and returns it as a vector. */
function boxAction(who: string, id: string, space: BoxSpace, action: Action): VectorValue {
  if (!isVector(action) || action.length !== space.size) {
    throw new RangeError(
      `${id}: invalid action ${describeValue(action)} for ${who} action space ${describe(space)}: expected an array of ${space.size} numbers`,
    );
  }
  return action;
}

/**
 * Clips Box actions to the wrapped env's bounds before stepping, as Gymnasium's ClipAction; its
 * own action space is Box(-inf, inf) of the same shape. NaN is passed through (the env rejects it).
 */
export class ClipAction implements Env {
  readonly env: Env;
  readonly id: string;
  readonly observationSpace: Space;
  readonly actionSpace: BoxSpace;
  readonly rewardThreshold?: number;
  readonly maxEpisodeSteps?: number;
  private readonly inner: BoxSpace;
  private readonly buffer: Float64Array;

  constructor(env: Env) {
    if (env.actionSpace.kind !== "box") {
      throw new TypeError(
        `ClipAction(${env.id}): needs a Box action space, got ${describe(env.actionSpace)}`,
      );
    }
    this.env = env;
    this.id = env.id;
    this.observationSpace = env.observationSpace;
    this.inner = env.actionSpace;
    this.actionSpace = box(-Infinity, Infinity, this.inner.shape);
    if (env.rewardThreshold !== undefined) this.rewardThreshold = env.rewardThreshold;
    if (env.maxEpisodeSteps !== undefined) this.maxEpisodeSteps = env.maxEpisodeSteps;
    this.buffer = new Float64Array(this.inner.size);
  }

  reset(options?: ResetOptions): ResetResult {
    return this.env.reset(options);
  }

  step(action: Action): StepResult {
    const a = boxAction("ClipAction", this.id, this.actionSpace, action);
    const { low, high } = this.inner;
    for (let i = 0; i < this.buffer.length; i++) {
      const v = a[i];
      // Math.min/max propagate NaN, so the env's own check reports it.
      this.buffer[i] = Math.min(Math.max(v, low[i]), high[i]);
    }
    return this.env.step(this.buffer);
  }

  close(): void {
    this.env.close();
  }
}

/**
 * Affinely maps actions from `[minAction, maxAction]` to the wrapped env's finite Box bounds
 * `[low, high]`: `low + (high - low) (a - minAction) / (maxAction - minAction)`, as Gymnasium's
 * RescaleAction (no clipping: out-of-range actions map outside the bounds and the env decides).
 * `minAction`/`maxAction` are scalars or arrays of the action size.
 */
export class RescaleAction implements Env {
  readonly env: Env;
  readonly id: string;
  readonly observationSpace: Space;
  readonly actionSpace: BoxSpace;
  readonly rewardThreshold?: number;
  readonly maxEpisodeSteps?: number;
  private readonly inner: BoxSpace;
  private readonly buffer: Float64Array;

  constructor(env: Env, minAction: number | VectorValue, maxAction: number | VectorValue) {
    const space = env.actionSpace;
    if (space.kind !== "box") {
      throw new TypeError(
        `RescaleAction(${env.id}): needs a Box action space, got ${describe(space)}`,
      );
    }
    for (let i = 0; i < space.size; i++) {
      if (!Number.isFinite(space.low[i]) || !Number.isFinite(space.high[i])) {
        throw new RangeError(
          `RescaleAction(${env.id}): needs finite action bounds, got ${describe(space)} (element ${i})`,
        );
      }
    }
    const target = box(minAction, maxAction, space.shape);
    for (let i = 0; i < space.size; i++) {
      if (
        !(target.low[i] < target.high[i]) ||
        !Number.isFinite(target.low[i]) ||
        !Number.isFinite(target.high[i])
      ) {
        throw new RangeError(
          `RescaleAction(${env.id}): need finite minAction < maxAction at element ${i}, got ${target.low[i]} and ${target.high[i]}`,
        );
      }
    }
    this.env = env;
    this.id = env.id;
    this.observationSpace = env.observationSpace;
    this.inner = space;
    this.actionSpace = target;
    if (env.rewardThreshold !== undefined) this.rewardThreshold = env.rewardThreshold;
    if (env.maxEpisodeSteps !== undefined) this.maxEpisodeSteps = env.maxEpisodeSteps;
    this.buffer = new Float64Array(space.size);
  }

  reset(options?: ResetOptions): ResetResult {
    return this.env.reset(options);
  }

  step(action: Action): StepResult {
    const a = boxAction("RescaleAction", this.id, this.actionSpace, action);
    const { low, high } = this.inner;
    const { low: min, high: max } = this.actionSpace;
    for (let i = 0; i < this.buffer.length; i++) {
      this.buffer[i] = low[i] + ((high[i] - low[i]) * (a[i] - min[i])) / (max[i] - min[i]);
    }
    return this.env.step(this.buffer);
  }

  close(): void {
    this.env.close();
  }
}
