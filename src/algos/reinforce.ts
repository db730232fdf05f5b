/**
 * REINFORCE (Williams 1992): the score-function policy gradient
 *
 *   grad J = E[ sum_t grad log pi(a_t | s_t) * Psi_t ],
 *
 * estimated from a batch of on-policy experience, one step per batch, the batch then discarded.
 * Psi_t is the episode's return R(tau) (the vanilla estimator), the reward-to-go G_t, either minus
 * a baseline (leave-one-out batch mean, or a learned V(s_t)), or a GAE advantage, optionally
 * normalized. See {@link reinforceSchema} for every option and {@link VANILLA} for the textbook form.
 *
 * {@link reinforceAlgorithm} is REINFORCE as an algorithm of the trainer layer (trainer.ts, which
 * owns the run loop: evaluation, best, stopping, checkpoints); its update, in `initReinforce`,
 * reads top to bottom, and its pieces ({@link computeAdvantages} in returns.ts, {@link policyLoss},
 * {@link createPolicyGradient}) are exported and tested alone. {@link reinforce} runs it.
 *
 * @example
 * const { policy, metrics } = reinforce("CartPole-v1", { seed: 1 }, { onMetrics: (m) => console.log(m.returnMean) });
 * console.log(evaluate(policy, "CartPole-v1", { episodes: 10, seed: 0, deterministic: true }).returnMean);
 */

import { valueAndGrad } from "../core/grad.ts";
import { add, mul, neg, sum, Tensor, mean as tmean } from "../core/index.ts";
import { Rng, type RngState } from "../core/rng.ts";
import type { Params } from "../core/tensor.ts";
import { potentialOf } from "../envs/registry.ts";
import type { Shaping } from "../envs/shaping.ts";
import { flatSize, type Space } from "../envs/spaces.ts";
import type { AsyncEnv, Env } from "../envs/types.ts";
import { type AsyncVectorEnv, makeVecOf } from "../envs/vector.ts";
import type { RunningMeanStdState } from "../envs/wrappers.ts";
import {
  type AdamState,
  adam,
  clipGradNorm,
  cloneParams,
  globalNorm,
  type Optimizer,
  type OptState,
  sgd,
  snapshotParams,
} from "../nn/index.ts";
import { reinforceMemoryNeeds } from "./memory.ts";
import { normalizeObservations, normalizingPolicy, observationStats } from "./obs-norm.ts";
import { type ObsScale, obsScaleFor } from "./obs-scale.ts";
import { createPolicy, type Policy, type PolicySpec, policyFromParams } from "./policy.ts";
import { REINFORCE_ENV_PRESETS } from "./presets.ts";
import {
  type ReinforceConfig,
  reinforceSchema,
  resolveReinforceConfig,
  VANILLA,
} from "./reinforce-config.ts";
import {
  type AdvantageBuffers,
  computeAdvantages,
  createNoSignalCheck,
  type NoSignalState,
} from "./returns.ts";
import { type Batch, createRollout, type Rollout, type RolloutState } from "./rollout.ts";
import { streamRng, streamSeed } from "./streams.ts";
import {
  type Algorithm,
  type AlgorithmCheckpoint,
  checkFiniteGrads,
  checkpointPolicy,
  type EnvSource,
  type Learner,
  type RunHooks,
  type RunResult,
  runTrainer,
  runTrainerAsync,
  type TrainerCheckpoint,
  type TrainMetrics,
  type UpdateContext,
  type UpdateResult,
} from "./trainer.ts";
import { createValueFunction, initValueParams, type ValueFunction, valueMlpSpec } from "./value.ts";

export { type ReinforceConfig, reinforceSchema, resolveReinforceConfig, VANILLA };

// ---------------------------------------------------------------------------------------------
// Pieces

/** What {@link policyLoss} reports besides the loss. */
export interface PolicyLossMetrics {
  /** The surrogate objective -loss without the entropy term: scale * sum_t log pi(a_t|s_t) Psi_t. */
  surrogate: number;
  /** Mean entropy of pi(.|s_t) over the batch (pre-squash for tanh-squashed Gaussians). */
  entropy: number;
}

/**
 * The REINFORCE surrogate loss, differentiable in `params`:
 * loss = -scale * sum_t log pi(a_t|s_t) * Psi_t - entropyCoef * mean_t H(pi(.|s_t)).
 * Its gradient is minus the policy-gradient estimate; scale is 1/N for N episodes.
 *
 * @param obs [T, obsDim]; @param actions [T * actDim] raw actions; @param weights [T] Psi_t;
 * @param masks [T * maskSize] the action masks the actions were sampled under, or null
 */
export function policyLoss(
  policy: Policy,
  params: Params,
  obs: Tensor,
  actions: Float64Array,
  weights: Tensor,
  scale: number,
  entropyCoef: number,
  masks: Uint8Array | null = null,
): { loss: Tensor; metrics: PolicyLossMetrics } {
  const { logProb, entropy } = policy.logProbAndEntropy(params, obs, actions, masks);
  const surrogate = mul(sum(mul(logProb, weights)), scale);
  const meanEntropy = tmean(entropy);
  const loss =
    entropyCoef === 0 ? neg(surrogate) : neg(add(surrogate, mul(meanEntropy, entropyCoef)));
  return {
    loss,
    metrics: { surrogate: surrogate.data[0], entropy: meanEntropy.data[0] },
  };
}

/** One policy-gradient estimate (no parameter step). */
export interface PolicyGradient {
  /** The surrogate loss value. */
  loss: number;
  /** Gradient of the loss per parameter (= minus the ascent direction), freshly allocated. */
  grads: Record<string, Float64Array>;
  metrics: PolicyLossMetrics;
}

/**
 * A reusable gradient function of {@link policyLoss} for `policy` (one tape arena for all calls).
 * @returns (batch, weights [T], scale, entropyCoef) -> the estimate at `policy.params`
 */
export function createPolicyGradient(
  policy: Policy,
): (batch: Batch, weights: Float64Array, scale: number, entropyCoef: number) => PolicyGradient {
  const obsDim = policy.spec.obsDim;
  let obs: Tensor | null = null;
  let w: Tensor | null = null;
  let actions: Float64Array = new Float64Array(0);
  let masks: Uint8Array | null = null;
  let scale = 1;
  let entropyCoef = 0;
  let metrics: PolicyLossMetrics = { surrogate: 0, entropy: 0 };
  const vg = valueAndGrad((p) => {
    const r = policyLoss(policy, p, obs!, actions, w!, scale, entropyCoef, masks);
    metrics = r.metrics;
    return r.loss;
  });
  return (batch, weights, s, e) => {
    obs = new Tensor(batch.obs, [batch.size, obsDim]);
    w = new Tensor(weights.subarray(0, batch.size), [batch.size]);
    actions = batch.actions;
    masks = batch.masks;
    scale = s;
    entropyCoef = e;
    const { value, grads } = vg(policy.params);
    return { loss: value, grads, metrics };
  };
}

/** The estimator's 1/N: per episode in episode mode (the textbook form), per step otherwise. */
export function lossScale(batch: Batch, batchMode: ReinforceConfig["batchMode"]): number {
  return batchMode === "episodes" ? 1 / batch.numEpisodes : 1 / Math.max(1, batch.size);
}

/**
 * Collects one batch with `rollout` and returns the policy-gradient estimate at the current
 * parameters, without stepping: what the unbiasedness tests average over many batches. The
 * config's baseline must not be "value" (that needs the trainer's V).
 */
export function sampleGradient(
  policy: Policy,
  rollout: Rollout,
  rng: Rng,
  cfg: ReinforceConfig,
  gradient = createPolicyGradient(policy),
): PolicyGradient & { batch: Batch } {
  if (cfg.baseline === "value") {
    throw new Error('sampleGradient: baseline "value" needs a trained V(s); use reinforce()');
  }
  const batch = rollout.collect(rng, streamSeed(cfg.seed, "envResets"));
  const n = batch.size;
  const buf = {
    advantages: new Float64Array(n),
    valueTargets: new Float64Array(n),
    bootstrap: new Float64Array(n),
  };
  const { advantages } = computeAdvantages(batch, cfg, null, null, buf);
  const g = gradient(batch, advantages, lossScale(batch, cfg.batchMode), cfg.entropyCoef);
  return { ...g, batch };
}

/** REINFORCE's own metrics of one update (the trainer adds the run's: steps, returns, ...). */
export type ReinforceMetrics = {
  /** The surrogate loss (with entropy term). */
  loss: number;
  /** Global L2 norm of the policy gradient before clipping. */
  gradNorm: number;
  /** Mean policy entropy over the batch. */
  entropy: number;
  /** Learning rate used by this update. */
  lr: number;
  /** Mean squared error of V(s) on this batch's targets before its fit (baseline "value"). */
  valueMse: number | null;
};

/** Metrics of one update: flat, JSON-safe; null where a batch had no finished episode. */
export type UpdateMetrics = TrainMetrics<ReinforceMetrics>;

/** REINFORCE's JSON-safe state inside a checkpoint (the trainer's state holds it as `algorithm`). */
export interface ReinforceState {
  readonly optimizer: OptState;
  readonly valueOptimizer: AdamState | null;
  /** The action-sampling stream. */
  readonly rng: RngState;
  /** The vector env's state (null for a custom env, whose state cannot be captured). */
  readonly vecEnv: unknown;
  readonly rollout: RolloutState;
  readonly noSignal: NoSignalState;
  /** Observation statistics (normalizeObservations), part of what the policy needs to act. */
  readonly obsNorm: RunningMeanStdState | null;
}

export type ReinforceCheckpoint = TrainerCheckpoint<ReinforceConfig, ReinforceState>;
export type ReinforceOptions = RunHooks<ReinforceConfig, ReinforceState, ReinforceMetrics>;
export type ReinforceResult = RunResult<ReinforceConfig, ReinforceState, ReinforceMetrics>;

/**
 * The policy architecture a config asks for, given the observation size and the action space
 * (and the observation space, which `scaleObs` needs).
 */
export function policySpecFor(
  cfg: Pick<
    ReinforceConfig,
    "hiddenSizes" | "activation" | "logStd" | "squash" | "initLogStd" | "scaleObs"
  >,
  obsDim: number,
  actionSpace: Space,
  observationSpace?: Space,
): PolicySpec {
  const obsScale = obsScaleOf(cfg, observationSpace);
  return {
    ...(obsScale === null ? {} : { obsScale }),
    obsDim,
    actionSpace,
    hiddenSizes: cfg.hiddenSizes,
    activation: cfg.activation,
    logStd: cfg.logStd,
    squash: cfg.squash,
    initLogStd: cfg.initLogStd,
  };
}

/** The rollout's shaping of a config (null when `shaping` is 0); throws when there is no potential. */
function shapingFor(env: EnvSource, cfg: ReinforceConfig): Shaping | null {
  if (cfg.shaping === 0) return null;
  const phi = typeof env === "string" ? potentialOf(env) : null;
  if (phi === null) {
    const which =
      typeof env === "string"
        ? `env ${env} registers no potential`
        : "an env given as a factory has no registered potential";
    throw new Error(
      `ReinforceConfig.shaping: got ${cfg.shaping}, but ${which} (register one with register(id, factory, { potential })); set shaping to 0`,
    );
  }
  return { potential: phi, gamma: cfg.gamma, scale: cfg.shaping };
}

/** The observation scaling `cfg.scaleObs` asks for (null when off or the space is not a Box). */
function obsScaleOf(
  cfg: Pick<ReinforceConfig, "scaleObs">,
  observationSpace: Space | undefined,
): ObsScale | null {
  if (!cfg.scaleObs) return null;
  if (observationSpace === undefined) {
    throw new Error("policySpecFor: ReinforceConfig.scaleObs needs the observation space");
  }
  return obsScaleFor(observationSpace);
}

function makeOptimizer(cfg: ReinforceConfig): Optimizer {
  return cfg.optimizer === "adam"
    ? (adam({ lr: cfg.lr }) as Optimizer)
    : (sgd({ lr: cfg.lr, momentum: cfg.momentum }) as Optimizer);
}

/** Checks the algorithm part of a REINFORCE checkpoint (it may have come through JSON). */
function isReinforceState(s: unknown): s is ReinforceState {
  const o = s as Partial<ReinforceState> | null;
  return (
    o !== null &&
    typeof o === "object" &&
    typeof o.optimizer === "object" &&
    typeof o.rng === "object" &&
    typeof o.rollout === "object" &&
    typeof o.noSignal === "object"
  );
}

/**
 * Builds REINFORCE's learner: the vector env, the random streams (streams.ts), the policy, V(s),
 * the optimizers and buffers, fresh or from `restore`. Its `update` is the algorithm, top to bottom.
 */
function initReinforce(
  env: EnvSource,
  cfg: ReinforceConfig,
  restore: AlgorithmCheckpoint<unknown> | null,
): Learner<ReinforceState, ReinforceMetrics> {
  if (restore !== null && !isReinforceState(restore.state)) {
    throw new Error(
      `reinforce: the checkpoint's algorithm state must be { optimizer, valueOptimizer, rng, vecEnv, rollout, noSignal }, got ${JSON.stringify(restore.state)?.slice(0, 200)}`,
    );
  }
  const shaping = shapingFor(env, cfg);
  const saved = restore === null ? null : (restore.state as ReinforceState);
  const vec = makeVecOf(env, cfg.numEnvs);
  const isAsync = (vec as Partial<AsyncVectorEnv>).async === true;
  const rng = saved ? Rng.fromState(saved.rng) : streamRng(cfg.seed, "actions");
  const resetSeed = streamSeed(cfg.seed, "envResets");
  const spec = policySpecFor(cfg, vec.obsDim, vec.singleActionSpace, vec.singleObservationSpace);
  const base = restore
    ? policyFromParams(spec, cloneParams(restore.params))
    : createPolicy(spec, streamRng(cfg.seed, "policyInit"));
  const stats = cfg.normalizeObservations ? observationStats(vec.obsDim, saved?.obsNorm) : null;
  const policy = stats ? normalizingPolicy(base, stats) : base;
  const optimizer = makeOptimizer(cfg);
  const optState: OptState = saved
    ? structuredClone(saved.optimizer)
    : optimizer.init(policy.params);
  let value: ValueFunction | null = null;
  if (cfg.baseline === "value") {
    const vSpec = valueMlpSpec(vec.obsDim, cfg.valueHiddenSizes, cfg.activation);
    const vParams = restore?.valueParams
      ? cloneParams(restore.valueParams)
      : initValueParams(vSpec, streamRng(cfg.seed, "valueInit"));
    const vOpt = saved?.valueOptimizer ?? undefined;
    value = createValueFunction(
      vSpec,
      vParams,
      cfg.valueLr,
      vOpt ? structuredClone(vOpt) : undefined,
      spec.obsScale ?? null,
    );
  }
  const rollout = createRollout(
    vec,
    policy,
    cfg.batchMode === "episodes"
      ? { kind: "episodes", episodes: cfg.batchEpisodes }
      : { kind: "steps", steps: cfg.rolloutSteps },
    shaping === null ? {} : { shaping },
  );
  const noSignal: NoSignalState = saved
    ? { ...saved.noSignal }
    : { warned: false, seenSignal: false };
  if (saved) {
    if (saved.vecEnv !== null) vec.setState(saved.vecEnv);
    rollout.setState(saved.rollout);
  }
  const policyGradient = createPolicyGradient(policy);
  const buf: AdvantageBuffers = {
    advantages: new Float64Array(0),
    valueTargets: new Float64Array(0),
    bootstrap: new Float64Array(0),
  };
  let values = new Float64Array(0);
  let cutValues = new Float64Array(0);
  let normObs = new Float64Array(0);
  let normCut = new Float64Array(0);
  let sink: (message: string) => void = () => {};
  const potentialHint =
    typeof env === "string" && potentialOf(env) !== null
      ? ` ${env} has a shaping potential that gives a signal: set shaping > 0 (flag --shaping).`
      : "";
  // Shaped rewards vary with the state by construction, so the check looks at plain runs only.
  const warnNoSignal =
    shaping === null ? createNoSignalCheck((m) => sink(m + potentialHint), noSignal) : () => true;

  /** One REINFORCE update. */
  function update(ctx: UpdateContext): UpdateResult<ReinforceMetrics> {
    if (isAsync) {
      throw new Error(
        `${ctx.where}: this env answers asynchronously (async: true); train it with reinforceAsync() or await trainer.stepAsync()`,
      );
    }
    // 1. Rollout: run the policy in the vector env (no tape, preallocated buffers).
    let batch: Batch;
    try {
      batch = rollout.collect(rng, resetSeed);
    } catch (e) {
      throw new Error(`${ctx.where}: ${(e as Error).message}`, { cause: e });
    }
    return learn(batch, ctx);
  }

  /** The update with its rollout awaiting the env (the async path; a sync env's is update's). */
  async function updateAsync(ctx: UpdateContext): Promise<UpdateResult<ReinforceMetrics>> {
    let batch: Batch;
    try {
      batch = isAsync
        ? await rollout.collectAsync(rng, resetSeed)
        : rollout.collect(rng, resetSeed);
    } catch (e) {
      throw new Error(`${ctx.where}: ${(e as Error).message}`, { cause: e });
    }
    return learn(batch, ctx);
  }

  /** Steps 2-5 of an update, from its batch. */
  function learn(batch: Batch, ctx: UpdateContext): UpdateResult<ReinforceMetrics> {
    sink = ctx.warn;
    const T = batch.size;
    if (cfg.rewardScale !== 1) for (let t = 0; t < T; t++) batch.rewards[t] *= cfg.rewardScale;

    // 2. Returns and advantages (V(s_t) and V at the cuts first, when V is the baseline).
    if (buf.advantages.length < T) {
      buf.advantages = new Float64Array(2 * T);
      buf.valueTargets = new Float64Array(2 * T);
      buf.bootstrap = new Float64Array(2 * T);
      values = new Float64Array(2 * T);
    }
    const K = batch.cutIndex.length;
    if (cutValues.length < K) cutValues = new Float64Array(2 * K);
    // V(s) sees the observations as the policy does (normalized when configured).
    let vObs = batch.obs;
    let vCut = batch.cutObs;
    if (value && stats) {
      if (normObs.length < batch.obs.length) normObs = new Float64Array(2 * batch.obs.length);
      if (normCut.length < batch.cutObs.length) normCut = new Float64Array(2 * batch.cutObs.length);
      vObs = normalizeObservations(stats, batch.obs, T, normObs);
      vCut = normalizeObservations(stats, batch.cutObs, K, normCut);
    }
    if (value) {
      value.predict(vObs, T, values);
      value.predict(vCut, K, cutValues);
    }
    warnNoSignal(batch.episodeReturns);
    const { advantages, valueTargets } = computeAdvantages(
      batch,
      cfg,
      value ? values : null,
      value ? cutValues : null,
      buf,
    );

    // 3. The policy-gradient estimate: gradient of the surrogate loss.
    const g = policyGradient(batch, advantages, lossScale(batch, cfg.batchMode), cfg.entropyCoef);
    if (!Number.isFinite(g.loss)) throw new Error(`${ctx.where}: non-finite policy loss ${g.loss}`);
    checkFiniteGrads(ctx.where, g.grads);

    // 4. Clip, step with the scheduled learning rate.
    const gradNorm =
      cfg.maxGradNorm === null ? globalNorm(g.grads) : clipGradNorm(g.grads, cfg.maxGradNorm);
    const lr = cfg.lr * ctx.lrScale;
    optimizer.step(policy.params, g.grads, optState, lr);

    // 5. Fit V(s) to this batch's returns (after the advantages used the old V).
    let valueMse: number | null = null;
    if (value) {
      try {
        valueMse = value.fit(vObs, valueTargets, T, cfg.valueIterations);
      } catch (e) {
        throw new Error(`${ctx.where}: ${(e as Error).message}`, { cause: e });
      }
    }

    // 6. The observation statistics take in this batch (after its loss used the frozen ones).
    stats?.updateBatch(batch.obs, T);

    return {
      envSteps: T,
      episodeReturns: batch.episodeReturns,
      episodeLengths: batch.episodeLengths,
      metrics: { loss: g.loss, gradNorm, entropy: g.metrics.entropy, lr, valueMse },
    };
  }

  return {
    policy,
    update,
    updateAsync,
    save() {
      let vecEnv: unknown = null;
      try {
        vecEnv = vec.getState();
      } catch {
        // A custom Env's state cannot be captured; resume then restarts its episodes.
      }
      return {
        params: snapshotParams(policy.params),
        ...(value ? { valueParams: snapshotParams(value.params) } : {}),
        state: {
          optimizer: structuredClone(optState),
          valueOptimizer: value ? structuredClone(value.optimizerState()) : null,
          rng: rng.getState(),
          vecEnv: vecEnv === null ? null : structuredClone(vecEnv),
          rollout: rollout.getState(),
          noSignal: { ...noSignal },
          obsNorm: stats ? stats.getState() : null,
        },
      };
    },
    close: () => vec.close(),
  };
}

/** REINFORCE as a trainer-layer {@link Algorithm}: what `reinforce()` and `--algo reinforce` run. */
export const reinforceAlgorithm: Algorithm<ReinforceConfig, ReinforceState, ReinforceMetrics> = {
  name: "reinforce",
  summary: "REINFORCE, the Monte-Carlo policy gradient (Williams 1992), with optional baselines",
  configName: "ReinforceConfig",
  schema: reinforceSchema,
  presets: {
    vanilla: {
      description:
        "the textbook estimator: N fresh episodes, full returns R(tau), no baseline, no normalization",
      config: VANILLA,
    },
  },
  envPresets: REINFORCE_ENV_PRESETS,
  resolveConfig: (overrides) => resolveReinforceConfig(overrides),
  init: initReinforce,
  memoryNeeds: reinforceMemoryNeeds,
  policy(checkpoint, cfg, env) {
    const spec = policySpecFor(
      cfg,
      flatSize(env.observationSpace),
      env.actionSpace,
      env.observationSpace,
    );
    const policy = policyFromParams(spec, checkpoint.params);
    if (!cfg.normalizeObservations) return policy;
    const saved = (checkpoint.state as Partial<ReinforceState> | null)?.obsNorm;
    if (!saved) {
      throw new Error(
        "reinforce: the config normalizes observations but the checkpoint holds no statistics (state.algorithm.obsNorm)",
      );
    }
    return normalizingPolicy(policy, observationStats(spec.obsDim, saved));
  },
};

/**
 * Rebuilds the trained policy of a checkpoint (from {@link reinforce}'s result or
 * `loadCheckpoint(runDir)`, this release's or 0.1.0's) for `env`, the environment it was trained on.
 *
 * @example
 * const policy = reinforcePolicy(loadCheckpoint("runs/my-run"), make("CartPole-v1"));
 */
export function reinforcePolicy(
  checkpoint: Pick<AlgorithmCheckpoint<unknown>, "params" | "state">,
  env: Pick<Env, "observationSpace" | "actionSpace">,
): Policy {
  return checkpointPolicy(reinforceAlgorithm, checkpoint, env);
}

/**
 * Trains a policy with REINFORCE on `env` (a registered id or a factory of Envs): the trainer
 * layer's {@link runTrainer} with {@link reinforceAlgorithm}. Evaluates every `evalEvery` env steps
 * and stops when an evaluation reaches the env's reward threshold unless `stop` is false.
 *
 * @param config overrides of {@link reinforceSchema}'s defaults (checked; errors name the field)
 * @example
 * const ac = new AbortController();
 * const run = reinforce("CartPole-v1", { seed: 0, totalSteps: 100_000 }, {
 *   signal: ac.signal,
 *   onMetrics: (m) => { if ((m.returnMean100 ?? 0) >= 475) ac.abort(); },
 * });
 */
export function reinforce(
  env: EnvSource,
  config: Partial<ReinforceConfig> = {},
  options: ReinforceOptions = {},
): ReinforceResult {
  return runTrainer(reinforceAlgorithm, env, config, options);
}

/**
 * {@link reinforce} on environments that answer asynchronously ({@link AsyncEnv}, e.g. a game in
 * a page or a simulator behind a socket): the same updates and evaluations, awaiting the env at
 * every step. With the same seed it gives the same metrics as the sync env it wraps.
 */
export function reinforceAsync(
  env: EnvSource,
  config: Partial<ReinforceConfig> = {},
  options: ReinforceOptions = {},
): Promise<ReinforceResult> {
  return runTrainerAsync(reinforceAlgorithm, env, config, options);
}
