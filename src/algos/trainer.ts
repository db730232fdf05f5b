/**
 * The trainer layer: the one run loop every algorithm shares.
 *
 * An {@link Algorithm} says how to build a {@link Learner} (its policy, optimizers and buffers, fresh
 * or from a checkpoint) and what one update is. The trainer owns everything around the update:
 * resolving the config and checking a checkpoint before resuming, the counters and the last-100
 * returns, the learning-rate schedule, the non-finite guard on every metric, evaluation every
 * `evalEvery` env steps on separate envs with their own seeds, the best policy so far, stopping at
 * a return, and the checkpoints. It runs one update at a time ({@link createTrainer}: `step()`), so
 * the CLI, the browser page and user code drive it the same way; {@link runTrainer} is that loop
 * with hooks.
 *
 * @example
 * // One update at a time (e.g. from a UI's animation frame):
 * const t = createTrainer(reinforceAlgorithm, "CartPole-v1", { seed: 0 });
 * while (t.finished === null) {
 *   const { metrics, evaluations } = t.step();
 *   console.log(metrics.envSteps, metrics.returnMean, evaluations[0]?.returnMean);
 * }
 */

import {
  booleanField,
  type ConfigOf,
  type ConfigSchema,
  enumField,
  intField,
  nullableNumberField,
} from "../config/schema.ts";
import * as math from "../core/math.ts";
import type { Params } from "../core/tensor.ts";
import { make } from "../envs/registry.ts";
import type { AsyncEnv, Env } from "../envs/types.ts";
import { type EvaluateResult, evaluate, evaluateAsync } from "./evaluate.ts";
import type { EnvSizes, MemoryNeed } from "./memory.ts";
import type { Policy } from "./policy.ts";
import { meanStd } from "./returns.ts";

// ---------------------------------------------------------------------------------------------
// The fields every algorithm's config shares (spread into its schema, so they are flags too)

export const runSchema = {
  seed: intField(
    0,
    "Seed of everything random: parameter init, action sampling, env resets, evaluation (one stream each, src/algos/streams.ts). Same seed, same run.",
    { min: 0 },
  ),
  totalSteps: intField(
    300_000,
    "Training budget in env steps (transitions used for learning); training stops at the first update boundary at or past it.",
    { min: 1 },
  ),
  lrSchedule: enumField(
    "constant",
    ["constant", "linear", "cosine"] as const,
    'Learning-rate schedule over the budget: "constant", or a "linear" or "cosine" decay from lr toward 0 at totalSteps.',
  ),
  evalEvery: intField(
    10_000,
    "Evaluate the policy every this many env steps, on separate envs with their own seeds; the best evaluation is kept as checkpoints/best. 0: never.",
    { min: 0 },
  ),
  evalEpisodes: intField(10, "Episodes per evaluation, run side by side.", { min: 1 }),
  evalMode: enumField(
    "deterministic",
    ["deterministic", "stochastic", "both"] as const,
    'How evaluations act: the distribution\'s mode, sampled actions, or both ("best" and stopping then use the deterministic one).',
  ),
  stop: booleanField(
    true,
    "Stop when an evaluation's mean return reaches stopAtReturn (the final checkpoint is saved).",
  ),
  stopAtReturn: nullableNumberField(
    null,
    "The evaluation mean return to stop at; null: the env's reward threshold (no stopping when it has none).",
    { nullMeans: "for the env's reward threshold" },
  ),
} as const;

/** The fields {@link runSchema} adds to every algorithm's config. */
export type RunConfig = ConfigOf<typeof runSchema>;

/**
 * An env id from the registry, or a factory of Envs (called once per sub-env). A factory of
 * {@link AsyncEnv}s trains through the async path (`stepAsync`, {@link runTrainerAsync}).
 */
export type EnvSource = string | (() => Env | AsyncEnv);

// ---------------------------------------------------------------------------------------------
// The protocol an algorithm implements

/** What an algorithm saves: parameters as tensors, everything else JSON-safe. */
export interface AlgorithmCheckpoint<S> {
  readonly params: Params;
  readonly valueParams?: Params;
  readonly state: S;
}

/** What the trainer tells one update. */
export interface UpdateContext {
  /** This update's number (1 for the first). */
  readonly update: number;
  /** Env steps used before this update. */
  readonly envSteps: number;
  /** Multiply the configured learning rate(s) by this (the run's `lrSchedule`). */
  readonly lrScale: number;
  /** Where the update is, for error messages: "reinforce (update 3, env step 1200)". */
  readonly where: string;
  /** Where warnings go (the CLI prints them; the library's default is console.warn). */
  readonly warn: (message: string) => void;
}

/** What one update reports. */
export interface UpdateResult<M> {
  /** Transitions this update learned from. */
  readonly envSteps: number;
  /** [E] undiscounted returns and lengths of the episodes that finished during the update. */
  readonly episodeReturns: ArrayLike<number>;
  readonly episodeLengths: ArrayLike<number>;
  /** The algorithm's own metrics: flat, numbers or null (checked finite by the trainer). */
  readonly metrics: M;
}

/** A built algorithm: the policy being trained and everything its updates need. */
export interface Learner<S, M> {
  /** The policy, acting on the env's own observations (with any state it needs to act). */
  readonly policy: Policy;
  /** One update: collect experience, estimate, step. Throws on anything non-finite. */
  update(ctx: UpdateContext): UpdateResult<M>;
  /**
   * The same update awaiting the env at every step: needed for {@link AsyncEnv}s (for a sync env
   * it gives what `update` gives). Optional: an algorithm without it trains sync envs only.
   */
  updateAsync?(ctx: UpdateContext): Promise<UpdateResult<M>>;
  /** A copy of everything needed to continue exactly, parameters included. */
  save(): AlgorithmCheckpoint<S>;
  /** Releases the envs. */
  close(): void;
}

/** A named partial config. */
export interface Preset<C> {
  /** One line for `--help` and `policygrad envs`. */
  readonly description: string;
  readonly config: Partial<C>;
}

/**
 * A training algorithm: its config (schema, checks, presets), how to build its {@link Learner} and
 * how to rebuild a saved policy. `C` is its config, `S` the JSON-safe state it checkpoints, `M` its
 * metrics. Every method uses method syntax on purpose: a table of different algorithms is then an
 * `Algorithm<RunConfig, unknown, object>[]` without casts.
 */
export interface Algorithm<C extends RunConfig, S, M extends object> {
  /** The `--algo` value and the `algo` of its checkpoints. */
  readonly name: string;
  /** One line for `policygrad train --help`. */
  readonly summary: string;
  /** The config's name in messages, e.g. `"ReinforceConfig"`. */
  readonly configName: string;
  /** Every config field with its default and range (contains {@link runSchema}). */
  readonly schema: ConfigSchema;
  /** Named configs for `--preset <name>`. */
  readonly presets: Readonly<Record<string, Preset<C>>>;
  /**
   * Per-environment presets (rl-baselines3-zoo's per-env hyperparameters): the base config of a
   * run on that env; `--preset` and flags override it.
   */
  readonly envPresets: Readonly<Record<string, Preset<C>>>;
  /** Defaults overlaid with `overrides`, every field and cross-field rule checked (throws). */
  resolveConfig(overrides: Readonly<Record<string, unknown>>): C;
  /**
   * Builds the learner for `env`: fresh from `config.seed`, or from `restore` (the state a
   * learner's `save()` returned, possibly through JSON: check it before use).
   */
  init(env: EnvSource, config: C, restore: AlgorithmCheckpoint<unknown> | null): Learner<S, M>;
  /**
   * Lower bounds on a run's memory for an env of these sizes, so the CLI refuses a config that
   * cannot fit before any work (src/cli/bounds.ts); optional.
   */
  memoryNeeds?(config: C, env: EnvSizes): MemoryNeed[];
  /**
   * Throws, saying why and what to use instead, when the algorithm cannot train on `env` at all
   * (e.g. APG on discrete actions), so the CLI refuses before any work; optional.
   */
  checkEnv?(env: EnvSource): void;
  /**
   * The policy of a saved checkpoint for `env` (the env it was trained on); `checkpoint.state` is
   * the algorithm's part (`S`, or null for a 0.1.0 checkpoint). Use {@link checkpointPolicy}.
   */
  policy(
    checkpoint: AlgorithmCheckpoint<unknown>,
    config: C,
    env: Pick<Env, "observationSpace" | "actionSpace">,
  ): Policy;
}

/** Any algorithm, as the CLI's table holds them. */
export type AnyAlgorithm = Algorithm<RunConfig, unknown, object>;

// ---------------------------------------------------------------------------------------------
// What the trainer records

/** The metrics every update reports, besides the algorithm's own. */
export interface RunMetrics {
  /** Updates done so far (1 after the first). */
  update: number;
  /** Transitions used for learning so far. */
  envSteps: number;
  /** Episodes finished so far. */
  episodes: number;
  /** Seconds of training so far (across resumes). */
  wallTimeS: number;
  /** envSteps / wallTimeS. */
  stepsPerSecond: number;
  /** Transitions in this update's batch. */
  batchSteps: number;
  /** Episodes finished in this batch. */
  batchEpisodes: number;
  /** Mean / std (population) undiscounted return of the episodes finished in this batch. */
  returnMean: number | null;
  returnStd: number | null;
  /** Mean length of the episodes finished in this batch. */
  lengthMean: number | null;
  /** Mean return of the last (up to) 100 finished episodes: Gymnasium's "solved" criterion. */
  returnMean100: number | null;
}

/** One update's metrics row: the run's and the algorithm's. */
export type TrainMetrics<M> = RunMetrics & M;

/**
 * One evaluation's row: flat numbers like an update's row, in the same stream (metrics.jsonl),
 * told apart by its `eval` fields.
 */
export interface EvalMetrics {
  /** The update after which the policy was evaluated, and the env steps then. */
  readonly update: number;
  readonly envSteps: number;
  readonly wallTimeS: number;
  /** 1: acting with the distribution's mode; 0: sampled actions. */
  readonly evalDeterministic: 0 | 1;
  readonly evalEpisodes: number;
  readonly evalReturnMean: number;
  /** Population standard deviation of the episodes' returns. */
  readonly evalReturnStd: number;
  readonly evalLengthMean: number;
  /** 1 when this evaluation is the best so far (the one deciding "best" and stopping), else 0. */
  readonly evalBest: 0 | 1;
}

/** Whether a metrics row is an evaluation's. */
export function isEvalRow(row: Readonly<Record<string, unknown>>): boolean {
  return typeof row.evalReturnMean === "number";
}

/** The best evaluation so far. */
export interface BestSoFar {
  readonly returnMean: number;
  readonly update: number;
  readonly envSteps: number;
}

/** The trainer's JSON-safe state in every checkpoint; the algorithm's own is `algorithm`. */
export interface TrainerState<C, S> {
  readonly format: typeof STATE_FORMAT;
  readonly version: typeof STATE_VERSION;
  readonly algo: string;
  readonly config: C;
  readonly update: number;
  readonly envSteps: number;
  readonly episodes: number;
  readonly wallTimeS: number;
  /** Returns of the last (up to) 100 episodes, oldest first. */
  readonly recentReturns: number[];
  readonly best: BestSoFar | null;
  readonly algorithm: S;
}

export type TrainerCheckpoint<C, S> = AlgorithmCheckpoint<TrainerState<C, S>>;

const STATE_FORMAT = "policygrad-trainer";
/** 2: the trainer layer (0.2.0). 1 was REINFORCE's own flat state (0.1.0). */
const STATE_VERSION = 2;

/** Throws unless `state` is a trainer state this build reads; the message names its version. */
export function checkTrainerState(state: unknown, algo?: string): TrainerState<unknown, unknown> {
  const s = state as Partial<TrainerState<unknown, unknown>>;
  if (s === null || typeof s !== "object" || s.format !== STATE_FORMAT) {
    const v: unknown = s !== null && typeof s === "object" ? s.version : undefined;
    throw new Error(
      v === 1
        ? "the checkpoint's state is version 1 (policygrad 0.1.0, before the trainer layer); this build resumes version 2 only. Its policy still loads (reinforcePolicy, policygrad eval); retrain to resume."
        : `expected a trainer checkpoint ({ params, state: { format: "${STATE_FORMAT}", version: ${STATE_VERSION}, ... } }), got state ${JSON.stringify(state)?.slice(0, 200)}`,
    );
  }
  const version: unknown = s.version;
  if (version !== STATE_VERSION) {
    throw new Error(
      `the checkpoint's state is version ${JSON.stringify(version)}; this build reads version ${STATE_VERSION}`,
    );
  }
  if (algo !== undefined && s.algo !== algo) {
    throw new Error(`the checkpoint was written by algorithm "${s.algo}", not "${algo}"`);
  }
  for (const k of ["update", "envSteps", "episodes"] as const) {
    if (!Number.isSafeInteger(s[k]) || (s[k] as number) < 0) {
      throw new Error(`the checkpoint's state.${k} must be an integer >= 0, got ${s[k]}`);
    }
  }
  if (typeof s.config !== "object" || s.config === null || !Array.isArray(s.recentReturns)) {
    throw new Error("the checkpoint's state needs a config object and recentReturns");
  }
  return s as TrainerState<unknown, unknown>;
}

/**
 * The config a checkpoint was trained with, from this build's state (version 2) or the previous
 * release's REINFORCE state (version 1, `{ version: 1, config, ... }`): enough to rebuild its policy.
 */
export function checkpointConfig(state: unknown): Readonly<Record<string, unknown>> {
  const s = state as { version?: unknown; config?: unknown } | null;
  if (s !== null && typeof s === "object" && s.version === 1 && typeof s.config === "object") {
    return s.config as Readonly<Record<string, unknown>>;
  }
  return checkTrainerState(state).config as Readonly<Record<string, unknown>>;
}

/**
 * The policy of a saved checkpoint (this release's, or 0.1.0's REINFORCE checkpoints) for `env`,
 * rebuilt by `algorithm` with everything it needs to act (e.g. observation statistics).
 */
export function checkpointPolicy<C extends RunConfig, S, M extends object>(
  algorithm: Algorithm<C, S, M>,
  checkpoint: Pick<AlgorithmCheckpoint<unknown>, "params" | "state">,
  env: Pick<Env, "observationSpace" | "actionSpace">,
): Policy {
  let config: C;
  try {
    config = algorithm.resolveConfig(checkpointConfig(checkpoint.state));
  } catch (e) {
    throw new Error(
      `${algorithm.name}: not a checkpoint of ${algorithm.configName}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  const s = checkpoint.state as { format?: unknown; algorithm?: unknown } | null;
  const state =
    s !== null && typeof s === "object" && s.format === STATE_FORMAT ? s.algorithm : null;
  return algorithm.policy({ params: checkpoint.params, state }, config, env);
}

// ---------------------------------------------------------------------------------------------
// Pieces every algorithm uses

/** The factor on the learning rate at `progress` in [0, 1] of the budget (floored at 1e-6). */
export function lrScale(schedule: RunConfig["lrSchedule"], progress: number): number {
  const p = Math.min(Math.max(progress, 0), 1);
  const f =
    schedule === "linear" ? 1 - p : schedule === "cosine" ? 0.5 * (1 + math.cos(Math.PI * p)) : 1;
  return Math.max(f, 1e-6);
}

/** Throws if any gradient entry is NaN or infinite, naming the parameter and index. */
export function checkFiniteGrads(
  where: string,
  grads: Readonly<Record<string, Float64Array>>,
): void {
  for (const name of Object.keys(grads)) {
    const g = grads[name];
    for (let i = 0; i < g.length; i++) {
      if (!Number.isFinite(g[i])) {
        throw new Error(`${where}: non-finite gradient ${g[i]} in "${name}"[${i}]`);
      }
    }
  }
}

/** The env's reward threshold, or undefined. */
export function envRewardThreshold(env: EnvSource): number | undefined {
  const e = typeof env === "string" ? make(env) : env();
  try {
    return e.rewardThreshold;
  } finally {
    e.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The trainer

export interface TrainerOptions {
  /** Continue exactly where this checkpoint (a {@link TrainerCheckpoint}) was taken; `config` may override fields, e.g. totalSteps. */
  resume?: AlgorithmCheckpoint<unknown>;
  /** Where warnings go; default console.warn. */
  onWarning?: (message: string) => void;
  /**
   * The env evaluations (and the default stopping return) use; default the training env. E.g. the
   * unshaped env when training on a reward-shaped one.
   */
  evalEnv?: EnvSource;
}

/** What one `step()` did. */
export interface TrainerStep<M> {
  readonly metrics: TrainMetrics<M>;
  /** The evaluations run after this update (none, or one per evalMode). */
  readonly evaluations: readonly EvalMetrics[];
  /** True when this update's evaluation is the best so far: `checkpoint()` now is the best policy. */
  readonly best: boolean;
}

/** A run, one update at a time. */
export interface Trainer<C extends RunConfig, S, M extends object> {
  readonly algorithm: Algorithm<C, S, M>;
  readonly config: C;
  readonly policy: Policy;
  /** Why the run is over: the budget is spent, or an evaluation reached `stopAtReturn`; null while it runs. */
  readonly finished: "budget" | "return" | null;
  /** The return the run stops at, or null (stop off, or the env has no threshold). */
  readonly stopAtReturn: number | null;
  readonly best: BestSoFar | null;
  readonly update: number;
  readonly envSteps: number;
  /** Runs one update (and the evaluation due after it). Throws when the run is finished. */
  step(): TrainerStep<M>;
  /** `step()` awaiting the env: the way to train on {@link AsyncEnv}s (works for sync envs too). */
  stepAsync(): Promise<TrainerStep<M>>;
  /** Everything needed to continue exactly (a copy). */
  checkpoint(): TrainerCheckpoint<C, S>;
  /** Evaluates the current policy as the run's evaluations do. */
  evaluate(deterministic: boolean): EvaluateResult;
  close(): void;
}

/**
 * Builds a run of `algorithm` on `env`: fresh from `config` (overrides of the algorithm's defaults),
 * or from `options.resume` (its config, overridden by `config`).
 */
export function createTrainer<C extends RunConfig, S, M extends object>(
  algorithm: Algorithm<C, S, M>,
  env: EnvSource,
  config: Readonly<Record<string, unknown>> = {},
  options: TrainerOptions = {},
): Trainer<C, S, M> {
  const resume = options.resume;
  const saved = resume === undefined ? null : checkResume(algorithm.name, resume);
  const cfg = algorithm.resolveConfig(
    saved ? { ...(saved.config as Record<string, unknown>), ...config } : config,
  );
  const learner = algorithm.init(
    env,
    cfg,
    resume && saved
      ? {
          params: resume.params,
          ...(resume.valueParams ? { valueParams: resume.valueParams } : {}),
          state: saved.algorithm,
        }
      : null,
  );
  const warn = options.onWarning ?? ((m: string) => console.warn(m));
  const evalEnv = options.evalEnv ?? env;
  const threshold = cfg.stop ? (cfg.stopAtReturn ?? envRewardThreshold(evalEnv) ?? null) : null;
  let update = saved?.update ?? 0;
  let envSteps = saved?.envSteps ?? 0;
  let episodes = saved?.episodes ?? 0;
  const recent: number[] = saved ? [...saved.recentReturns] : [];
  let best: BestSoFar | null = saved?.best ?? null;
  const wallStart = performance.now() / 1000 - (saved?.wallTimeS ?? 0);
  // A run whose best evaluation reached the stopping return has stopped; resuming it changes nothing.
  let finished: "budget" | "return" | null =
    envSteps >= cfg.totalSteps
      ? "budget"
      : threshold !== null && best !== null && best.returnMean >= threshold
        ? "return"
        : null;

  const evaluateNow = (deterministic: boolean): EvaluateResult =>
    evaluate(learner.policy, evalEnv as string | (() => Env), evalOptions(deterministic));

  const evalOptions = (deterministic: boolean) => ({
    episodes: cfg.evalEpisodes,
    seed: cfg.seed,
    deterministic,
  });
  // One step is begin, the learner's update, record, the evaluations due, finish; step() and
  // stepAsync() differ only in awaiting the update and the evaluations.
  let evaluations: EvalMetrics[] = [];

  function begin(what: string): UpdateContext {
    if (finished !== null) {
      throw new Error(
        `${algorithm.name}: the run is finished (${finished}); ${what}() has nothing to do`,
      );
    }
    evaluations = [];
    return {
      update: update + 1,
      envSteps,
      lrScale: lrScale(cfg.lrSchedule, envSteps / cfg.totalSteps),
      where: `${algorithm.name} (update ${update + 1}, env step ${envSteps})`,
      warn,
    };
  }

  /** Counts the update in; says whether an evaluation is due, and in which modes. */
  function record(
    r: UpdateResult<M>,
    ctx: UpdateContext,
  ): { run: RunMetrics; due: boolean; modes: boolean[] } {
    for (const [k, v] of Object.entries(r.metrics)) {
      if (typeof v === "number" && !Number.isFinite(v)) {
        throw new Error(`${ctx.where}: non-finite ${k} ${v}`);
      }
    }
    const before = envSteps;
    update++;
    envSteps += r.envSteps;
    const E = r.episodeReturns.length;
    episodes += E;
    for (let i = 0; i < E; i++) {
      recent.push(r.episodeReturns[i]);
      if (recent.length > 100) recent.shift();
    }
    const rs = meanStd(r.episodeReturns);
    const wallTimeS = performance.now() / 1000 - wallStart;
    const run: RunMetrics = {
      update,
      envSteps,
      episodes,
      wallTimeS,
      stepsPerSecond: envSteps / Math.max(wallTimeS, 1e-9),
      batchSteps: r.envSteps,
      batchEpisodes: E,
      returnMean: E > 0 ? rs.mean : null,
      returnStd: E > 0 ? rs.std : null,
      lengthMean: E > 0 ? meanStd(r.episodeLengths).mean : null,
      returnMean100: recent.length > 0 ? meanStd(recent).mean : null,
    };
    if (envSteps >= cfg.totalSteps) finished = "budget";
    // Evaluation: when this update crossed a multiple of evalEvery. Not also after the last
    // update: a run continued with a larger budget must log what one longer run logs.
    const due =
      cfg.evalEvery > 0 &&
      Math.floor(envSteps / cfg.evalEvery) > Math.floor(before / cfg.evalEvery);
    const modes = cfg.evalMode === "both" ? [true, false] : [cfg.evalMode === "deterministic"];
    return { run, due, modes };
  }

  function recordEval(e: EvaluateResult, deterministic: boolean): void {
    // The first mode decides: deterministic when it is evaluated.
    const decides = evaluations.length === 0;
    const isBest = decides && (best === null || e.returnMean > best.returnMean);
    if (isBest) best = { returnMean: e.returnMean, update, envSteps };
    evaluations.push({
      update,
      envSteps,
      wallTimeS: performance.now() / 1000 - wallStart,
      evalDeterministic: deterministic ? 1 : 0,
      evalEpisodes: e.episodes,
      evalReturnMean: e.returnMean,
      evalReturnStd: e.returnStd,
      evalLengthMean: e.lengthMean,
      evalBest: isBest ? 1 : 0,
    });
    if (decides && threshold !== null && e.returnMean >= threshold) finished = "return";
  }

  function finish(run: RunMetrics, metrics: M): TrainerStep<M> {
    const isBest = evaluations.length > 0 && evaluations[0].evalBest === 1;
    return { metrics: { ...run, ...metrics }, evaluations, best: isBest };
  }

  const trainer: Trainer<C, S, M> = {
    algorithm,
    config: cfg,
    policy: learner.policy,
    get finished() {
      return finished;
    },
    stopAtReturn: threshold,
    get best() {
      return best;
    },
    get update() {
      return update;
    },
    get envSteps() {
      return envSteps;
    },
    evaluate: evaluateNow,
    step() {
      const ctx = begin("step");
      const r = learner.update(ctx);
      const { run, due, modes } = record(r, ctx);
      if (due) for (const d of modes) recordEval(evaluateNow(d), d);
      return finish(run, r.metrics);
    },
    async stepAsync() {
      const ctx = begin("stepAsync");
      // An algorithm without an async update trains sync envs only (its init refuses async
      // ones), so its sync update serves here: callers drive every run through stepAsync.
      const r =
        learner.updateAsync === undefined ? learner.update(ctx) : await learner.updateAsync(ctx);
      const { run, due, modes } = record(r, ctx);
      if (due) {
        for (const d of modes) {
          recordEval(await evaluateAsync(learner.policy, evalEnv, evalOptions(d)), d);
        }
      }
      return finish(run, r.metrics);
    },
    checkpoint() {
      const a = learner.save();
      return {
        params: a.params,
        ...(a.valueParams ? { valueParams: a.valueParams } : {}),
        state: {
          format: STATE_FORMAT,
          version: STATE_VERSION,
          algo: algorithm.name,
          config: cfg,
          update,
          envSteps,
          episodes,
          wallTimeS: performance.now() / 1000 - wallStart,
          recentReturns: [...recent],
          best,
          algorithm: a.state,
        },
      };
    },
    close: () => learner.close(),
  };
  return trainer;
}

function checkResume(
  algo: string,
  c: AlgorithmCheckpoint<unknown>,
): TrainerState<unknown, unknown> {
  try {
    if (c === null || typeof c !== "object" || typeof c.params !== "object") {
      throw new Error(`expected { params, valueParams?, state }, got ${typeof c}`);
    }
    return checkTrainerState(c.state, algo);
  } catch (e) {
    throw new Error(`${algo}: options.resume: ${(e as Error).message}`, { cause: e });
  }
}

/** Hooks of {@link runTrainer}; the sinks of the metric stream. */
export interface RunHooks<C, S, M> extends TrainerOptions {
  /** Called after every update. */
  onMetrics?: (m: TrainMetrics<M>) => void;
  /** Called after every evaluation, after that update's onMetrics. */
  onEval?: (e: EvalMetrics) => void;
  /** Called with the checkpoint of each new best evaluation (after onEval). */
  onBest?: (c: TrainerCheckpoint<C, S>, e: EvalMetrics) => void;
  /** Stops cleanly at the next update boundary. */
  signal?: AbortSignal;
  onCheckpoint?: (c: TrainerCheckpoint<C, S>) => void;
  /** Updates between `onCheckpoint` calls; default 0 (only the final checkpoint is returned). */
  checkpointEvery?: number;
}

export interface RunResult<C, S, M> {
  policy: Policy;
  /** The state at the end (or at the stop). */
  checkpoint: TrainerCheckpoint<C, S>;
  /** The last update's metrics (null if no update ran). */
  metrics: TrainMetrics<M> | null;
  /** True when stopped by the signal. */
  stoppedEarly: boolean;
  /** Why the run ended: budget spent, return reached, or the signal ("interrupted"). */
  stopReason: "budget" | "return" | "interrupted";
  /** The last evaluation that decides best and stopping (null if none ran). */
  lastEval: EvalMetrics | null;
  /** The return the run stops at (null: stopping off, or the env has no threshold). */
  stopAtReturn: number | null;
  /** The best evaluation and its checkpoint (since this process started: `best.update` tells). */
  best: (BestSoFar & { checkpoint: TrainerCheckpoint<C, S> | null }) | null;
}

/** Runs `algorithm` on `env` to the end of its budget (or a stop), calling the hooks. */
export function runTrainer<C extends RunConfig, S, M extends object>(
  algorithm: Algorithm<C, S, M>,
  env: EnvSource,
  config: Readonly<Record<string, unknown>> = {},
  hooks: RunHooks<C, S, M> = {},
): RunResult<C, S, M> {
  const run = driver(algorithm, env, config, hooks);
  try {
    while (run.more()) run.handle(run.trainer.step());
    return run.result();
  } finally {
    run.trainer.close();
  }
}

/**
 * {@link runTrainer} on envs that answer asynchronously ({@link AsyncEnv}): the same updates,
 * evaluations and hooks, awaiting the env at every step. With the same seed it gives the same
 * metrics as the sync env it wraps.
 */
export async function runTrainerAsync<C extends RunConfig, S, M extends object>(
  algorithm: Algorithm<C, S, M>,
  env: EnvSource,
  config: Readonly<Record<string, unknown>> = {},
  hooks: RunHooks<C, S, M> = {},
): Promise<RunResult<C, S, M>> {
  const run = driver(algorithm, env, config, hooks);
  try {
    while (run.more()) run.handle(await run.trainer.stepAsync());
    return run.result();
  } finally {
    run.trainer.close();
  }
}

/** What runTrainer and runTrainerAsync share: the trainer, the hooks around each step, the result. */
function driver<C extends RunConfig, S, M extends object>(
  algorithm: Algorithm<C, S, M>,
  env: EnvSource,
  config: Readonly<Record<string, unknown>>,
  hooks: RunHooks<C, S, M>,
) {
  const checkpointEvery = hooks.checkpointEvery ?? 0;
  if (!Number.isInteger(checkpointEvery) || checkpointEvery < 0) {
    throw new Error(
      `${algorithm.name}: options.checkpointEvery must be an integer >= 0, got ${checkpointEvery}`,
    );
  }
  const t = createTrainer(algorithm, env, config, hooks);
  let metrics: TrainMetrics<M> | null = null;
  let lastEval: EvalMetrics | null = null;
  let bestCheckpoint: TrainerCheckpoint<C, S> | null = null;
  let stoppedEarly = false;
  return {
    trainer: t,
    more(): boolean {
      if (t.finished !== null) return false;
      stoppedEarly = hooks.signal?.aborted === true;
      return !stoppedEarly;
    },
    handle(s: TrainerStep<M>): void {
      metrics = s.metrics;
      hooks.onMetrics?.(s.metrics);
      for (const e of s.evaluations) hooks.onEval?.(e);
      if (s.evaluations.length > 0) lastEval = s.evaluations[0];
      if (s.best) {
        bestCheckpoint = t.checkpoint();
        hooks.onBest?.(bestCheckpoint, s.evaluations[0]);
      }
      if (checkpointEvery > 0 && s.metrics.update % checkpointEvery === 0) {
        hooks.onCheckpoint?.(t.checkpoint());
      }
    },
    result(): RunResult<C, S, M> {
      const best = t.best;
      return {
        policy: t.policy,
        checkpoint: t.checkpoint(),
        metrics,
        stoppedEarly,
        stopReason: stoppedEarly ? "interrupted" : (t.finished ?? "budget"),
        lastEval,
        stopAtReturn: t.stopAtReturn,
        best: best === null ? null : { ...best, checkpoint: bestCheckpoint },
      };
    },
  };
}
