/**
 * The environment contract, shaped like Gymnasium's so its users feel at home.
 *
 * A user's own environment is any object satisfying {@link Env}; everything in policygrad
 * (checkEnv, the vector env, wrappers, the trainers) accepts it.
 */
import type { Space } from "./spaces.ts";

/** An action: a number for Discrete spaces, an array or typed array for the others. */
export type Action = number | ArrayLike<number>;

/** Statistics of a finished episode, attached by RecordEpisodeStatistics and the vector env. */
export interface EpisodeStats {
  /** Undiscounted sum of rewards. */
  readonly return: number;
  /** Number of steps. */
  readonly length: number;
}

/**
 * Extra per-step information. A typed record rather than a string-keyed bag: each field says what
 * it is, and environments may add their own typed fields by extending it.
 */
export interface StepInfo {
  /** Present on the step that ends an episode when episode statistics are recorded. */
  readonly episode?: EpisodeStats;
  /**
   * The valid actions in the state just returned, for Discrete, MultiDiscrete and MultiBinary
   * action spaces (games have invalid moves): one entry per class, nonzero (or true) = valid,
   * `actionMaskSize(actionSpace)` entries (MultiDiscrete: component 0's classes, then component
   * 1's, ...). An env that gives a mask at reset gives one at every reset and step. The policy
   * then never samples a masked action (probability 0 in sampling, log-probs and entropy).
   */
  readonly actionMask?: ArrayLike<number> | readonly boolean[];
}

export interface ResetOptions {
  /** Reseeds the environment's generator; without it the episode continues the current stream. */
  readonly seed?: number;
  readonly options?: {
    /**
     * Sets the environment's internal state explicitly (its layout is documented per env, see
     * ../shared/reference/README.md), so a trajectory can be replayed from any state.
     */
    readonly state?: ArrayLike<number>;
  };
}

export interface ResetResult<O = Float64Array> {
  readonly observation: O;
  readonly info: StepInfo;
}

export interface StepResult<O = Float64Array> {
  readonly observation: O;
  readonly reward: number;
  /** The episode reached a terminal state of the MDP (no bootstrapping past it). */
  readonly terminated: boolean;
  /** The episode was cut short (time limit); the state is not terminal. */
  readonly truncated: boolean;
  readonly info: StepInfo;
}

/**
 * A Gymnasium-style environment. Observations are Float64Array; the returned array may be reused
 * by the next `reset`/`step` call, so copy it if you keep it.
 */
export interface Env<O = Float64Array, A = Action> {
  /** Registered id such as `"CartPole-v1"`, or a name of the user's choosing. */
  readonly id: string;
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  /** Return at which the task counts as solved, if it has one (CartPole-v1: 475). */
  readonly rewardThreshold?: number;
  /** Time limit in steps, if any (CartPole-v1: 500). */
  readonly maxEpisodeSteps?: number;
  reset(options?: ResetOptions): ResetResult<O>;
  step(action: A): StepResult<O>;
  close(): void;
}

/** Creates an environment; `options` are env-specific keyword options, as in `gymnasium.make`. */
export type EnvFactory = (options?: Readonly<Record<string, unknown>>) => Env;

/**
 * An environment that answers asynchronously: a game running in a page, a simulator behind a
 * socket. The same contract as {@link Env}, with `reset` and `step` returning Promises, and the
 * `async: true` tag that tells the trainers to take their async rollout path
 * (`reinforceAsync`, `run.updateAsync()`); sync envs keep the sync fast path.
 *
 * @example
 * const env: AsyncEnv = {
 *   async: true, id: "Remote", observationSpace: box(-1, 1, [4]), actionSpace: discrete(2),
 *   reset: (o) => socket.call("reset", o), step: (a) => socket.call("step", a), close() {},
 * };
 */
export interface AsyncEnv<O = Float64Array, A = Action> {
  readonly async: true;
  readonly id: string;
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  readonly rewardThreshold?: number;
  readonly maxEpisodeSteps?: number;
  reset(options?: ResetOptions): Promise<ResetResult<O>>;
  step(action: A): Promise<StepResult<O>>;
  close(): void;
}
