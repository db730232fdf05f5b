/**
 * Environment physics written once, as pure functions over a flat state (Gymnasium's FuncEnv,
 * Brax's `step(state, action)`), and the stateful Gymnasium-style adapter over it.
 *
 * A {@link Physics} never holds state. Its functions work on batches: rows `start <= i < end` of
 * row-major arrays (states `[N, stateDim]`, actions `[N, actDim]`, observations `[N, obsDim]`,
 * rewards and flags `[N]`), like Brax's functions under `vmap`. The stateful {@link PhysicsEnv}
 * calls them on one row, the vector env (vector.ts) on all N rows at once, so there is exactly one
 * copy of each environment's equations (Gymnasium keeps three copies of CartPole's dynamics and
 * they drifted apart).
 *
 * Why batches rather than one state per call: each function's loop is the env's own
 * straight-line code, so its speed does not depend on what V8 decides to inline. With one call
 * per sub-env, the vector env's shared loop calling the physics went megamorphic once a process
 * had stepped five kinds of env (V8 keeps type feedback per function, so no more inlining), and
 * even when monomorphic it shared one inlining budget with its callers, which ran out before the
 * physics was inlined (seen with --trace-turbo-inlining in bench/envs.ts).
 *
 * Why one fused `stepRows` (next state, terminal flag, reward and observation together) rather
 * than one function per quantity: each separate pass re-reads the rows, and a reward of both the
 * state before and after forced the adapters to double-buffer the states. Fused, a row is read
 * once and stepped in place.
 *
 * The built-ins do not write these loops by hand: each is a {@link Dynamics} in the array algebra
 * of num.ts, compiled to these loops by columns.ts and run on Tensors for gradients by diff.ts.
 */
import { Rng } from "../core/rng.ts";
import type { Dynamics } from "./num.ts";
import type { Potential } from "./shaping.ts";
import { type BoxSpace, describe, describeValue, type Space } from "./spaces.ts";
import type { Action, Env, ResetOptions, ResetResult, StepResult } from "./types.ts";

/** Env-specific keyword options, as passed to `make(id, options)`. */
export type EnvOptions = Readonly<Record<string, unknown>>;

/**
 * The pure definition of an environment. `P` is its resolved parameter record (constants that
 * options may change, e.g. Pendulum's gravity). All functions are allocation-free.
 *
 * Batches: every function but `initial` acts on rows `start <= i < end` of its arrays: the state
 * of row i is `s[i * stateDim ..]`, its action `a[i * actDim ..]` (a Discrete action is one
 * float64 holding the integer), its observation `obs[i * obsDim ..]`, its reward and flag `[i]`.
 */
export interface Physics<P = unknown> {
  /** Family name for messages, e.g. "CartPole". */
  readonly name: string;
  readonly stateDim: number;
  readonly obsDim: number;
  /** Scalars per action (1 for Discrete). */
  readonly actDim: number;
  /** Resolves options (documented per env) to parameters; rejects unknown keys. */
  params(options?: EnvOptions): P;
  observationSpace(p: P): Space;
  actionSpace(p: P): Space;
  /** Draws an initial state from `rng` into row `i` of `s` (one row: each sub-env has its Rng). */
  initial(p: P, rng: Rng, s: Float64Array, i: number): void;
  /**
   * One transition of each row `start <= i < end`, fused into one pass over the rows: writes the
   * next state into `ns`, `terminated[i]` (1 where that state is terminal, else 0), the reward
   * of the transition `s --a--> ns` into `rewards[i]`, and the observation of the next state into
   * `obs`. Out-of-bounds continuous actions are clipped here, as Gymnasium's envs do.
   *
   * A row is read entirely before it is written, so `ns` may be `s` (in-place stepping, which
   * both adapters use). `obs` must not alias `s` or `ns`.
   */
  stepRows(
    p: P,
    s: Float64Array,
    a: Float64Array,
    ns: Float64Array,
    obs: Float64Array,
    rewards: Float64Array,
    terminated: Uint8Array,
    start: number,
    end: number,
  ): void;
  /** Writes the observation of each row's state into `obs` (after a reset or a set state). */
  observe(p: P, s: Float64Array, obs: Float64Array, start: number, end: number): void;
  /** The definition in the array algebra these loops were compiled from (columns.ts), if any. */
  readonly dynamics?: Dynamics<P>;
}

/** Registration data of a built-in: physics, its registry id and limits. */
export interface PhysicsSpec<P = unknown> {
  readonly id: string;
  readonly physics: Physics<P>;
  readonly maxEpisodeSteps: number;
  readonly rewardThreshold?: number;
  /** A potential for reward shaping, on tasks whose own reward gives a learner little signal. */
  readonly potential?: Potential;
}

/**
 * Checks `options` only has `known` keys and returns a getter for finite numbers with defaults.
 * Shared by the built-ins' `params` so bad options fail loudly.
 */
export function readOptions(
  env: string,
  options: EnvOptions | undefined,
  known: readonly string[],
): (key: string, fallback: number) => number {
  const opts = options ?? {};
  for (const k of Object.keys(opts)) {
    if (!known.includes(k)) {
      throw new TypeError(
        `${env}: unknown option "${k}"; known options: ${known.length ? known.join(", ") : "(none)"}`,
      );
    }
  }
  return (key, fallback) => {
    const v = opts[key];
    if (v === undefined) return fallback;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new TypeError(`${env}: option ${key} must be a finite number, got ${describeValue(v)}`);
    }
    return v;
  };
}

/**
 * Validates a single action against `space` for env `id` and writes it into `out[0 ..]` as
 * float64. Errors name the env, the action and the space. Box actions out of bounds are accepted
 * (the physics clips them, as Gymnasium does); NaN, non-numbers and wrong lengths are rejected.
 */
export function writeAction(id: string, space: Space, action: unknown, out: Float64Array): void {
  switch (space.kind) {
    case "discrete": {
      if (typeof action !== "number")
        invalidAction(id, space, action, "expected an integer number");
      const a = action as number;
      if (!Number.isInteger(a)) invalidAction(id, space, action, "expected an integer");
      if (a < space.start || a >= space.start + space.n) {
        invalidAction(
          id,
          space,
          action,
          `expected an integer in [${space.start}, ${space.start + space.n - 1}]`,
        );
      }
      out[0] = a;
      return;
    }
    case "box":
    case "multi-discrete":
    case "multi-binary": {
      const n = space.kind === "box" ? space.size : flatLen(space);
      const isArr =
        Array.isArray(action) || (ArrayBuffer.isView(action) && !(action instanceof DataView));
      if (!isArr) invalidAction(id, space, action, `expected an array of ${n} numbers`);
      const arr = action as ArrayLike<unknown>;
      if (arr.length !== n)
        invalidAction(id, space, action, `expected length ${n}, got ${arr.length}`);
      for (let i = 0; i < n; i++) {
        const v = arr[i];
        if (typeof v !== "number") invalidAction(id, space, action, `element ${i} is not a number`);
        if (Number.isNaN(v)) invalidAction(id, space, action, `element ${i} is NaN`);
        if (space.kind !== "box" && !Number.isInteger(v))
          invalidAction(id, space, action, `element ${i} is not an integer`);
        out[i] = v as number;
      }
      return;
    }
  }
}

// A module function rather than a closure inside writeAction: that runs on every step, and a
// closure per call costs an allocation (and, under tsx, a defineProperty for its name: 60% of a
// CartPole step).
function invalidAction(id: string, space: Space, action: unknown, why: string): never {
  throw new RangeError(
    `${id}: invalid action ${describeValue(action)} for action space ${describe(space)}: ${why}`,
  );
}

function flatLen(space: Exclude<Space, BoxSpace | { kind: "discrete" }>): number {
  return space.kind === "multi-discrete" ? space.nvec.length : space.n;
}

/**
 * The stateful, Gymnasium-style adapter over a {@link Physics}: `reset`/`step` with seeding,
 * explicit state setting, the time limit (truncation at `maxEpisodeSteps`) and input checks.
 *
 * `reset({ seed })` creates the env's Rng from the seed; `reset()` continues the current stream
 * (an env never seeded starts from seed 0, so runs are reproducible by default).
 * `reset({ options: { state } })` sets the physics state explicitly (layouts per env).
 * The returned observation array is reused by the next call (copy it to keep it).
 */
export class PhysicsEnv<P = unknown> implements Env {
  readonly id: string;
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  readonly rewardThreshold?: number;
  readonly maxEpisodeSteps?: number;
  readonly physics: Physics<P>;
  readonly params: P;
  private readonly state: Float64Array;
  private readonly obs: Float64Array;
  private readonly act: Float64Array;
  private readonly reward1 = new Float64Array(1);
  private readonly terminated1 = new Uint8Array(1);
  private rng: Rng | null = null;
  private elapsed = 0;
  private phase: "new" | "running" | "done" = "new";

  /**
   * @param maxEpisodeSteps time limit; `undefined` for none (then `truncated` is always false).
   */
  constructor(
    id: string,
    physics: Physics<P>,
    params: P,
    limits: { maxEpisodeSteps?: number; rewardThreshold?: number } = {},
  ) {
    this.id = id;
    this.physics = physics;
    this.params = params;
    this.observationSpace = physics.observationSpace(params);
    this.actionSpace = physics.actionSpace(params);
    if (limits.maxEpisodeSteps !== undefined) this.maxEpisodeSteps = limits.maxEpisodeSteps;
    if (limits.rewardThreshold !== undefined) this.rewardThreshold = limits.rewardThreshold;
    this.state = new Float64Array(physics.stateDim);
    this.obs = new Float64Array(physics.obsDim);
    this.act = new Float64Array(physics.actDim);
  }

  reset(options: ResetOptions = {}): ResetResult {
    if (options.seed !== undefined) {
      if (!Number.isInteger(options.seed)) {
        throw new TypeError(
          `${this.id}: reset seed must be an integer, got ${describeValue(options.seed)}`,
        );
      }
      this.rng = new Rng(options.seed);
    } else if (this.rng === null) {
      this.rng = new Rng(0);
    }
    const given = options.options?.state;
    if (given !== undefined) this.setState(given);
    else this.physics.initial(this.params, this.rng, this.state, 0);
    this.elapsed = 0;
    this.phase = "running";
    this.physics.observe(this.params, this.state, this.obs, 0, 1);
    return { observation: this.obs, info: {} };
  }

  step(action: Action): StepResult {
    if (this.phase !== "running") {
      const what =
        this.phase === "new"
          ? "step() called before reset()"
          : "step() called after the episode ended (terminated or truncated) without reset()";
      throw new Error(
        `${this.id}: ${what}; call env.reset() first (action ${describeValue(action)}, action space ${describe(this.actionSpace)})`,
      );
    }
    writeAction(this.id, this.actionSpace, action, this.act);
    const { reward1, terminated1, state } = this;
    this.physics.stepRows(
      this.params,
      state,
      this.act,
      state,
      this.obs,
      reward1,
      terminated1,
      0,
      1,
    );
    this.elapsed++;
    const reward = reward1[0];
    const terminated = terminated1[0] === 1;
    // Gymnasium's TimeLimit sets truncated at the limit whether or not the step also terminated.
    const truncated = this.maxEpisodeSteps !== undefined && this.elapsed >= this.maxEpisodeSteps;
    if (terminated || truncated) this.phase = "done";
    return { observation: this.obs, reward, terminated, truncated, info: {} };
  }

  /** Steps taken in the current episode. */
  get elapsedSteps(): number {
    return this.elapsed;
  }

  close(): void {}

  private setState(given: ArrayLike<number>): void {
    const n = this.physics.stateDim;
    const ok =
      (Array.isArray(given) || ArrayBuffer.isView(given)) &&
      given.length === n &&
      Array.from(given).every((v) => typeof v === "number" && Number.isFinite(v));
    if (!ok) {
      throw new RangeError(
        `${this.id}: reset options.state must be ${n} finite numbers (${this.physics.name} state layout), got ${describeValue(given)}`,
      );
    }
    for (let i = 0; i < n; i++) this.state[i] = given[i];
  }
}
