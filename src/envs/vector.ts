/**
 * Vector environments: N copies stepped together into preallocated batch buffers, with
 * Gymnasium's next-step autoreset (contract B).
 *
 * The step that ends a sub-env's episode returns its final observation, reward and flags (so the
 * final observation of a truncated episode is available for bootstrapping); the following
 * `step()` resets that sub-env instead of stepping it (its action is ignored, reward 0, flags 0,
 * `autoreset[i] = 1`), exactly like `gymnasium.vector` with `AutoresetMode.NEXT_STEP`.
 *
 * Built-ins step their pure physics (physics.ts) directly on one `[N, stateDim]` array: no
 * per-env objects and no allocation per step. Any other `Env` goes through a generic adapter.
 *
 * @example
 * const venv = makeVec("CartPole-v1", 64);
 * venv.reset(0);                                   // sub-env i seeded with deriveSeed(0, i)
 * const actions = new Float64Array(64);            // [N * actDim]
 * venv.step(actions);                              // venv.observations: [64, 4]
 */
import { deriveSeed, Rng, type RngState } from "../core/rng.ts";
import { checkResetResult, checkStepResult } from "./boundary.ts";
import type { Physics } from "./physics.ts";
import { writeAction } from "./physics.ts";
import { type MakeOptions, make, physicsOf } from "./registry.ts";
import { actionMaskSize, describe, describeValue, flatSize, type Space } from "./spaces.ts";
import type { AsyncEnv, Env, ResetResult, StepInfo } from "./types.ts";

export interface VectorEnv {
  readonly numEnvs: number;
  readonly singleObservationSpace: Space;
  readonly singleActionSpace: Space;
  /** flatSize of the observation space. */
  readonly obsDim: number;
  /** flatSize of the action space (Discrete: 1). */
  readonly actDim: number;
  /** [N, obsDim], rewritten in place by reset/step. */
  readonly observations: Float64Array;
  /** [N] */
  readonly rewards: Float64Array;
  /** [N] */
  readonly terminated: Uint8Array;
  /** [N] */
  readonly truncated: Uint8Array;
  /** [N] 1 where this step() reset that sub-env (its action was ignored, reward 0, flags 0). */
  readonly autoreset: Uint8Array;
  /**
   * [N, actionMaskSize] the valid actions for the current observations (from each sub-env's
   * `info.actionMask`, 1 = valid), rewritten in place; null when the env gives no masks (decided
   * at the first reset).
   */
  readonly actionMasks: Uint8Array | null;
  /**
   * Resets every sub-env; sub-env i is seeded with `deriveSeed(seed, i)` (default: continue each
   * stream). Not Gymnasium's `seed + i`: with that, sub-env 1 of seed s replays sub-env 0 of seed
   * s + 1, so runs with consecutive seeds would share episodes.
   */
  reset(seed?: number): void;
  /** actions [N * actDim]; Discrete actions are integers stored as float64. */
  step(actions: Float64Array): void;
  /** JSON-safe state for exact resume. */
  getState(): unknown;
  setState(s: unknown): void;
  close(): void;
}

/**
 * A vector env over {@link AsyncEnv}s: the same buffers, with `reset` and `step` resolving once
 * every sub-env has answered (their calls run concurrently; results land in sub-env order).
 */
export interface AsyncVectorEnv extends Omit<VectorEnv, "reset" | "step"> {
  readonly async: true;
  reset(seed?: number): Promise<void>;
  step(actions: Float64Array): Promise<void>;
}

/**
 * A vector env of `numEnvs` envs from `factory`: an {@link AsyncVectorEnv} when they are
 * {@link AsyncEnv}s (tagged `async: true`), else what {@link makeVec} gives.
 */
export function makeVecOf(
  env: string | (() => Env | AsyncEnv),
  numEnvs: number,
): VectorEnv | AsyncVectorEnv {
  if (typeof env !== "function") return makeVec(env, numEnvs);
  const first = env();
  let made = 0;
  // The first env is used, not thrown away: a factory may hand out scarce resources.
  const next = () => (made++ === 0 ? first : env());
  if ((first as Partial<AsyncEnv>)?.async === true)
    return new AsyncEnvVectorEnv(next as () => AsyncEnv, numEnvs);
  return makeVec(next as () => Env, numEnvs);
}

/** JSON-safe state of a built-in vector env (see {@link PhysicsVectorEnv}). */
export interface PhysicsVectorState {
  readonly kind: "physics-vector-env";
  readonly id: string;
  readonly numEnvs: number;
  /** [N * stateDim] physics states. */
  readonly states: number[];
  /** [N] steps taken in each sub-env's current episode. */
  readonly elapsed: number[];
  /** [N] 1 where the next step() resets the sub-env. */
  readonly pending: number[];
  /** [N] each sub-env's Rng; null before the first reset. */
  readonly rngs: (RngState | null)[];
  /** The last step's outputs, so buffers read the same after setState. */
  readonly rewards: number[];
  readonly terminated: number[];
  readonly truncated: number[];
  readonly autoreset: number[];
}

/**
 * Creates a vector env of `numEnvs` copies of a registered id (`options` as for `make`) or of the
 * envs a factory returns. Registered built-ins take the fast physics path; everything else the
 * generic adapter.
 */
export function makeVec(
  env: string | (() => Env | AsyncEnv),
  numEnvs: number,
  options: MakeOptions = {},
): VectorEnv {
  if (!Number.isInteger(numEnvs) || numEnvs < 1) {
    throw new RangeError(
      `makeVec: numEnvs must be a positive integer, got ${describeValue(numEnvs)}`,
    );
  }
  if (typeof env === "string") {
    const ph = physicsOf(env, options);
    if (ph !== null) {
      return new PhysicsVectorEnv(env, ph.spec.physics, ph.params, numEnvs, ph.maxEpisodeSteps);
    }
    return new EnvVectorEnv(() => make(env, options), numEnvs);
  }
  if (typeof env !== "function") {
    throw new TypeError(
      `makeVec: env must be an id or a factory () => Env, got ${describeValue(env)}`,
    );
  }
  const sync = (): Env => {
    const e = env();
    if ((e as Partial<AsyncEnv> | null)?.async === true) {
      throw new TypeError(
        `makeVec: the factory returned an async env ("${e.id}": its reset and step return Promises); use makeVecOf, and an algorithm's async path (e.g. reinforceAsync)`,
      );
    }
    return e as Env;
  };
  return new EnvVectorEnv(sync, numEnvs);
}

function checkActions(
  id: string,
  actions: unknown,
  n: number,
  actDim: number,
  space: Space,
): Float64Array {
  if (!(actions instanceof Float64Array) || actions.length !== n * actDim) {
    throw new RangeError(
      `${id} vector env: step(actions) needs a Float64Array of ${n} envs x ${actDim} = ${n * actDim} numbers (action space ${describe(space)}), got ${describeValue(actions)}`,
    );
  }
  return actions;
}

function checkState(id: string, s: unknown, n: number): Record<string, unknown> {
  if (s === null || typeof s !== "object") {
    throw new TypeError(
      `${id} vector env: setState expects an object from getState(), got ${describeValue(s)}`,
    );
  }
  const o = s as Record<string, unknown>;
  if (o["id"] !== id || o["numEnvs"] !== n) {
    throw new TypeError(
      `${id} vector env: setState got a state of env ${describeValue(o["id"])} x ${describeValue(o["numEnvs"])}, expected ${id} x ${n}`,
    );
  }
  return o;
}

function numbers(id: string, o: Record<string, unknown>, key: string, len: number): number[] {
  const v = o[key];
  if (!Array.isArray(v) || v.length !== len || !v.every((x) => typeof x === "number")) {
    throw new TypeError(
      `${id} vector env: setState field ${key} must be ${len} numbers, got ${describeValue(v)}`,
    );
  }
  return v;
}

/**
 * The fast path for built-ins: one `[N, stateDim]` Float64Array, stepped in place by the pure
 * physics (`Physics.stepRows`).
 */
export class PhysicsVectorEnv<P = unknown> implements VectorEnv {
  readonly id: string;
  readonly numEnvs: number;
  readonly singleObservationSpace: Space;
  readonly singleActionSpace: Space;
  readonly obsDim: number;
  readonly actDim: number;
  readonly observations: Float64Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly autoreset: Uint8Array;
  /** The built-ins have no invalid actions. */
  readonly actionMasks = null;
  readonly maxEpisodeSteps: number;
  private readonly physics: Physics<P>;
  private readonly params: P;
  private readonly states: Float64Array;
  private readonly elapsed: Int32Array;
  private readonly pending: Uint8Array;
  private rngs: Rng[] | null = null;
  private readonly discreteN: number;

  constructor(
    id: string,
    physics: Physics<P>,
    params: P,
    numEnvs: number,
    maxEpisodeSteps: number,
  ) {
    this.id = id;
    this.physics = physics;
    this.params = params;
    this.numEnvs = numEnvs;
    this.maxEpisodeSteps = maxEpisodeSteps;
    this.singleObservationSpace = physics.observationSpace(params);
    this.singleActionSpace = physics.actionSpace(params);
    this.obsDim = physics.obsDim;
    this.actDim = physics.actDim;
    const sa = this.singleActionSpace;
    // Built-in discrete spaces start at 0; -1 marks a continuous action space.
    this.discreteN = sa.kind === "discrete" ? sa.n : -1;
    this.observations = new Float64Array(numEnvs * physics.obsDim);
    this.rewards = new Float64Array(numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.autoreset = new Uint8Array(numEnvs);
    this.states = new Float64Array(numEnvs * physics.stateDim);
    this.elapsed = new Int32Array(numEnvs);
    this.pending = new Uint8Array(numEnvs);
  }

  reset(seed?: number): void {
    if (seed !== undefined && !Number.isInteger(seed)) {
      throw new TypeError(
        `${this.id} vector env: reset seed must be an integer, got ${describeValue(seed)}`,
      );
    }
    if (seed !== undefined || this.rngs === null) {
      const base = seed ?? 0;
      this.rngs = Array.from({ length: this.numEnvs }, (_, i) => new Rng(deriveSeed(base, i)));
    }
    const { physics: ph, params: p, states } = this;
    for (let i = 0; i < this.numEnvs; i++) ph.initial(p, this.rngs[i], states, i);
    ph.observe(p, states, this.observations, 0, this.numEnvs);
    this.elapsed.fill(0);
    this.pending.fill(0);
    this.rewards.fill(0);
    this.terminated.fill(0);
    this.truncated.fill(0);
    this.autoreset.fill(0);
  }

  step(actions: Float64Array): void {
    const n = this.numEnvs;
    const rngs = this.rngs;
    // Bad input is reported by a cold method, so this hot one stays small (V8 inlines within a
    // bytecode budget shared with the caller).
    if (
      !(actions instanceof Float64Array) ||
      actions.length !== n * this.actDim ||
      rngs === null ||
      !this.valid(actions)
    ) {
      this.reject(actions);
    }
    const { states, rewards, terminated, truncated, autoreset, pending, elapsed } = this;
    // Every sub-env is stepped in place, including those whose episode ended last step:
    // resetting them afterwards overwrites that result, and keeps the rare branch out of the
    // physics' loop.
    this.physics.stepRows(
      this.params,
      states,
      actions,
      states,
      this.observations,
      rewards,
      terminated,
      0,
      n,
    );
    const limit = this.maxEpisodeSteps;
    let resets = 0;
    for (let i = 0; i < n; i++) {
      const steps = elapsed[i] + 1;
      elapsed[i] = steps;
      const trunc = steps >= limit ? 1 : 0;
      truncated[i] = trunc;
      const reset = pending[i];
      autoreset[i] = reset;
      resets |= reset;
      pending[i] = terminated[i] | trunc;
    }
    if (resets !== 0) this.autoresetPending(rngs);
  }

  /**
   * Gymnasium's next-step autoreset of the sub-envs whose episode ended on the previous step
   * (`autoreset[i] = 1`): a fresh initial state into `ns`, its observation, reward 0, flags 0.
   */
  private autoresetPending(rngs: Rng[]): void {
    const { physics: ph, params: p, autoreset, states: ns } = this;
    for (let i = 0; i < this.numEnvs; i++) {
      if (autoreset[i] !== 1) continue;
      ph.initial(p, rngs[i], ns, i);
      ph.observe(p, ns, this.observations, i, i + 1);
      this.elapsed[i] = 0;
      this.pending[i] = 0;
      this.rewards[i] = 0;
      this.terminated[i] = 0;
      this.truncated[i] = 0;
    }
  }

  /** Whether every action is in the space (one pass over [N * actDim]). */
  private valid(actions: Float64Array): boolean {
    const k = this.discreteN;
    for (let j = 0; j < actions.length; j++) {
      const a = actions[j];
      if (!(k > 0 ? Number.isInteger(a) && a >= 0 && a < k : !Number.isNaN(a))) return false;
    }
    return true;
  }

  /** Throws the error for a step() that {@link step}'s checks refused; names the sub-env. */
  private reject(actions: unknown): never {
    checkActions(this.id, actions, this.numEnvs, this.actDim, this.singleActionSpace);
    if (this.rngs === null) {
      throw new Error(
        `${this.id} vector env: step() called before reset(); call reset(seed) first`,
      );
    }
    const acts = actions as Float64Array;
    const ad = this.actDim;
    let j = 0;
    while (j < acts.length && this.valid(acts.subarray(j, j + 1))) j++;
    const i = Math.floor(j / ad);
    throw new RangeError(
      `${this.id} vector env: invalid action ${describeValue(Array.from(acts.subarray(i * ad, (i + 1) * ad)))} for sub-env ${i}, action space ${describe(this.singleActionSpace)}`,
    );
  }

  getState(): PhysicsVectorState {
    return {
      kind: "physics-vector-env",
      id: this.id,
      numEnvs: this.numEnvs,
      states: Array.from(this.states),
      elapsed: Array.from(this.elapsed),
      pending: Array.from(this.pending),
      rngs:
        this.rngs === null ? Array(this.numEnvs).fill(null) : this.rngs.map((r) => r.getState()),
      rewards: Array.from(this.rewards),
      terminated: Array.from(this.terminated),
      truncated: Array.from(this.truncated),
      autoreset: Array.from(this.autoreset),
    };
  }

  setState(state: unknown): void {
    const n = this.numEnvs;
    const o = checkState(this.id, state, n);
    const sd = this.physics.stateDim;
    const states = numbers(this.id, o, "states", n * sd);
    const rngs = o["rngs"];
    if (!Array.isArray(rngs) || rngs.length !== n) {
      throw new TypeError(`${this.id} vector env: setState field rngs must have ${n} entries`);
    }
    this.rngs = rngs.some((r) => r === null) ? null : rngs.map((r) => Rng.fromState(r as RngState));
    this.states.set(states);
    this.elapsed.set(numbers(this.id, o, "elapsed", n));
    this.pending.set(numbers(this.id, o, "pending", n));
    this.rewards.set(numbers(this.id, o, "rewards", n));
    this.terminated.set(numbers(this.id, o, "terminated", n));
    this.truncated.set(numbers(this.id, o, "truncated", n));
    this.autoreset.set(numbers(this.id, o, "autoreset", n));
    this.physics.observe(this.params, this.states, this.observations, 0, n);
  }

  close(): void {}
}

/**
 * The generic adapter: N `Env` objects stepped one by one into the shared buffers, with the same
 * next-step autoreset. Every result is checked against the Env contract (src/envs/boundary.ts, as
 * in evaluation). `getState`/`setState` throw: a custom env's internal state is its own, so exact
 * resume needs a built-in id.
 */
export class EnvVectorEnv implements VectorEnv {
  readonly numEnvs: number;
  readonly singleObservationSpace: Space;
  readonly singleActionSpace: Space;
  readonly obsDim: number;
  readonly actDim: number;
  readonly observations: Float64Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly autoreset: Uint8Array;
  readonly envs: readonly (Env | AsyncEnv)[];
  actionMasks: Uint8Array | null = null;
  private readonly maskSize: number;
  private readonly pending: Uint8Array;
  private readonly scratch: Float64Array[];
  private started = false;

  constructor(factory: () => Env, numEnvs: number) {
    this.envs = Array.from({ length: numEnvs }, () => factory());
    const first = this.envs[0];
    this.numEnvs = numEnvs;
    this.singleObservationSpace = first.observationSpace;
    this.singleActionSpace = first.actionSpace;
    this.obsDim = flatSize(first.observationSpace);
    this.actDim = flatSize(first.actionSpace);
    this.observations = new Float64Array(numEnvs * this.obsDim);
    this.rewards = new Float64Array(numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.autoreset = new Uint8Array(numEnvs);
    this.pending = new Uint8Array(numEnvs);
    // One per sub-env: async sub-envs hold their action while the others step.
    this.scratch = Array.from({ length: numEnvs }, () => new Float64Array(this.actDim));
    this.maskSize = actionMaskSize(first.actionSpace);
  }

  /** Masks are on from the first reset where a sub-env gives one (a Box space takes none). */
  protected startMasks(infos: readonly StepInfo[]): void {
    if (
      this.actionMasks === null &&
      this.maskSize > 0 &&
      infos.some((x) => x?.actionMask !== undefined)
    ) {
      this.actionMasks = new Uint8Array(this.numEnvs * this.maskSize);
    }
  }

  /** Copies sub-env i's `info.actionMask` into `actionMasks` (when masks are on), checking it. */
  private writeMask(i: number, info: StepInfo, where: string): void {
    const masks = this.actionMasks;
    if (masks === null) return;
    const m = info?.actionMask;
    const k = this.maskSize;
    if (m === undefined || m === null || m.length !== k) {
      throw new RangeError(
        `${this.envs[i].id} vector env: sub-env ${i} gave info.actionMask ${m === undefined ? "no mask" : describeValue(m)} at ${where}; it gave masks at reset, so every reset and step needs one of ${k} entries (action space ${describe(this.singleActionSpace)})`,
      );
    }
    let valid = 0;
    for (let j = 0; j < k; j++) {
      const v = m[j] ? 1 : 0;
      masks[i * k + j] = v;
      valid += v;
    }
    if (valid === 0) {
      throw new RangeError(
        `${this.envs[i].id} vector env: sub-env ${i} masked every action at ${where}; at least one action must be valid`,
      );
    }
  }

  private writeObs(i: number, o: ArrayLike<number>): void {
    if (o?.length !== this.obsDim) {
      throw new RangeError(
        `${this.envs[i].id} vector env: sub-env ${i} returned an observation of length ${o?.length}, space ${describe(this.singleObservationSpace)} needs ${this.obsDim}`,
      );
    }
    for (let j = 0; j < this.obsDim; j++) this.observations[i * this.obsDim + j] = o[j];
  }

  reset(seed?: number): void {
    const rs: ResetResult<ArrayLike<number>>[] = [];
    for (let i = 0; i < this.numEnvs; i++) {
      const r: unknown = (this.envs[i] as Env).reset(
        seed === undefined ? {} : { seed: deriveSeed(seed, i) },
      );
      checkResetResult(this.envs[i].id, r, this.obsDim);
      this.writeObs(i, r.observation);
      rs.push(r);
    }
    this.startMasks(rs.map((r) => r.info));
    for (let i = 0; i < this.numEnvs; i++) this.writeMask(i, rs[i].info, "reset");
    this.resetDone();
  }

  protected resetDone(): void {
    this.started = true;
    this.pending.fill(0);
    this.rewards.fill(0);
    this.terminated.fill(0);
    this.truncated.fill(0);
    this.autoreset.fill(0);
  }

  step(actions: Float64Array): void {
    this.checkStep(actions);
    for (let i = 0; i < this.numEnvs; i++) {
      const env = this.envs[i] as Env;
      if (this.pending[i] === 1) this.afterReset(i, env.reset());
      else this.afterStep(i, env.step(this.actionOf(i, actions)));
    }
  }

  protected checkStep(actions: Float64Array): void {
    const id = this.envs[0].id;
    checkActions(id, actions, this.numEnvs, this.actDim, this.singleActionSpace);
    if (!this.started)
      throw new Error(`${id} vector env: step() called before reset(); call reset(seed) first`);
  }

  /** Sub-env i's action: a number for Discrete, else a validated copy (no view of `actions`). */
  protected actionOf(i: number, actions: Float64Array): number | Float64Array {
    if (this.singleActionSpace.kind === "discrete") return actions[i];
    const a = this.scratch[i];
    writeAction(
      this.envs[i].id,
      this.singleActionSpace,
      actions.subarray(i * this.actDim, (i + 1) * this.actDim),
      a,
    );
    return a;
  }

  /** Next-step autoreset of sub-env i (its episode ended on the previous step). */
  protected afterReset(i: number, r: unknown): void {
    checkResetResult(this.envs[i].id, r, this.obsDim);
    this.writeObs(i, r.observation);
    this.writeMask(i, r.info, "reset");
    this.pending[i] = 0;
    this.rewards[i] = 0;
    this.terminated[i] = 0;
    this.truncated[i] = 0;
    this.autoreset[i] = 1;
  }

  protected afterStep(i: number, r: unknown): void {
    checkStepResult(this.envs[i].id, r, this.obsDim);
    this.writeObs(i, r.observation);
    this.writeMask(i, r.info, "step");
    this.rewards[i] = r.reward;
    this.terminated[i] = r.terminated ? 1 : 0;
    this.truncated[i] = r.truncated ? 1 : 0;
    this.pending[i] = r.terminated || r.truncated ? 1 : 0;
    this.autoreset[i] = 0;
  }

  protected isPending(i: number): boolean {
    return this.pending[i] === 1;
  }

  /** Not supported for arbitrary envs (their internal state is theirs); throws with a reason. */
  getState(): unknown {
    throw new Error(
      `${this.envs[0].id} vector env: getState() is only available for built-in envs (makeVec("CartPole-v1", n), ...); a custom Env's internal state cannot be captured generically`,
    );
  }

  setState(_s: unknown): void {
    this.getState();
  }

  close(): void {
    for (const e of this.envs) e.close();
  }
}

/**
 * The generic adapter over {@link AsyncEnv}s: each `reset`/`step` calls every sub-env at once and
 * writes the answers into the buffers in sub-env order, so the result does not depend on which
 * answers first.
 */
export class AsyncEnvVectorEnv extends EnvVectorEnv implements AsyncVectorEnv {
  readonly async = true;

  constructor(factory: () => AsyncEnv, numEnvs: number) {
    super(factory as unknown as () => Env, numEnvs);
  }

  // The async form of the base's reset (a Promise<void> is a valid void return).
  override async reset(seed?: number): Promise<void> {
    const envs = this.envs as readonly AsyncEnv[];
    const rs = await Promise.all(
      envs.map((e, i) => e.reset(seed === undefined ? {} : { seed: deriveSeed(seed, i) })),
    );
    // Written after all answered: an env may reuse its observation buffer, but not before its
    // next call.
    for (let i = 0; i < rs.length; i++) checkResetResult(envs[i].id, rs[i], this.obsDim);
    this.startMasks(rs.map((r) => r.info));
    for (let i = 0; i < rs.length; i++) this.afterReset(i, rs[i]);
    this.resetDone();
  }

  override async step(actions: Float64Array): Promise<void> {
    this.checkStep(actions);
    const envs = this.envs as readonly AsyncEnv[];
    const resets = envs.map((_, i) => this.isPending(i));
    const rs = await Promise.all(
      envs.map((e, i) => (resets[i] ? e.reset() : e.step(this.actionOf(i, actions)))),
    );
    for (let i = 0; i < rs.length; i++) {
      if (resets[i]) this.afterReset(i, rs[i]);
      else this.afterStep(i, rs[i]);
    }
  }
}
