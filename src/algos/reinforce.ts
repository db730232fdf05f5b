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
 * The trainer {@link reinforce} reads top to bottom; its pieces ({@link computeAdvantages},
 * {@link policyLoss}, {@link createPolicyGradient}) are exported and tested alone.
 *
 * @example
 * const { policy, metrics } = reinforce("CartPole-v1", { seed: 1 }, { onMetrics: (m) => console.log(m.returnMean) });
 * console.log(evaluate(policy, "CartPole-v1", { episodes: 10, seed: 0, deterministic: true }).returnMean);
 */
import { valueAndGrad } from "../core/grad.ts";
import { add, mul, neg, sum, Tensor, mean as tmean } from "../core/index.ts";
import { Rng, type RngState } from "../core/rng.ts";
import type { Params } from "../core/tensor.ts";
import { flatSize, type Space } from "../envs/spaces.ts";
import type { Env } from "../envs/types.ts";
import { makeVec } from "../envs/vector.ts";
import {
  type AdamState,
  adam,
  clipGradNorm,
  cloneParams,
  globalNorm,
  type Optimizer,
  type OptState,
  sgd,
} from "../nn/index.ts";
import { createPolicy, type Policy, type PolicySpec, policyFromParams } from "./policy.ts";
import {
  type ReinforceConfig,
  reinforceSchema,
  resolveReinforceConfig,
  VANILLA,
} from "./reinforce-config.ts";
import {
  createNoSignalCheck,
  fullReturns,
  gae,
  meanStd,
  type NoSignalState,
  normalize,
  rewardToGo,
  subtractBatchMeanBaseline,
} from "./returns.ts";
import { type Batch, createRollout, type Rollout, type RolloutState } from "./rollout.ts";
import { createValueFunction, initValueParams, type ValueFunction, valueMlpSpec } from "./value.ts";

export { type ReinforceConfig, reinforceSchema, resolveReinforceConfig, VANILLA };

// ---------------------------------------------------------------------------------------------
// Pieces

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
  cfg: Pick<
    ReinforceConfig,
    "gamma" | "returnMode" | "baseline" | "gaeLambda" | "normalizeAdvantages" | "bootstrapTruncated"
  >,
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
  const batch = rollout.collect(rng, cfg.seed);
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

/** Throws if any gradient entry is NaN or infinite, naming the parameter and index. */
function checkFiniteGrads(where: string, grads: Record<string, Float64Array>): void {
  for (const name of Object.keys(grads)) {
    const g = grads[name];
    for (let i = 0; i < g.length; i++) {
      if (!Number.isFinite(g[i])) {
        throw new Error(`${where}: non-finite gradient ${g[i]} in "${name}"[${i}]`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The trainer

/** Metrics of one update: flat, JSON-safe; null where a batch had no finished episode. */
export interface UpdateMetrics {
  /** Updates done so far (1 after the first). */
  update: number;
  /** Transitions used for learning so far (autoreset steps and unused overrun steps excluded). */
  envSteps: number;
  /** Episodes finished so far. */
  episodes: number;
  /** Seconds of training so far (across resumes). */
  wallTimeS: number;
  /** envSteps / wallTimeS. */
  stepsPerSecond: number;
  /** Transitions in this batch. */
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
}

/** JSON-safe trainer state inside a checkpoint. */
export interface ReinforceState {
  readonly version: 1;
  readonly config: ReinforceConfig;
  readonly update: number;
  readonly envSteps: number;
  readonly episodes: number;
  readonly wallTimeS: number;
  readonly optimizer: OptState;
  readonly valueOptimizer: AdamState | null;
  readonly rng: RngState;
  /** The vector env's state (null for a custom env, whose state cannot be captured). */
  readonly vecEnv: unknown;
  readonly rollout: RolloutState;
  /** Returns of the last (up to) 100 episodes, oldest first. */
  readonly recentReturns: number[];
  readonly noSignal: NoSignalState;
}

export interface ReinforceCheckpoint {
  /** Policy parameters (a copy; training does not change them). */
  params: Params;
  /** V(s) parameters when baseline is "value". */
  valueParams?: Params;
  state: ReinforceState;
}

export interface ReinforceOptions {
  /** Called after every update. */
  onMetrics?: (m: UpdateMetrics) => void;
  /** Stops cleanly at the next update boundary. */
  signal?: AbortSignal;
  /** Continue exactly where the checkpoint was taken (its config; `config` may override fields, e.g. totalSteps). */
  resume?: ReinforceCheckpoint;
  onCheckpoint?: (c: ReinforceCheckpoint) => void;
  /** Updates between `onCheckpoint` calls; default 0 (only the final checkpoint is returned). */
  checkpointEvery?: number;
  /** Where the no-learning-signal warning goes; default console.warn. */
  onWarning?: (message: string) => void;
}

export interface ReinforceResult {
  policy: Policy;
  checkpoint: ReinforceCheckpoint;
  /** The last update's metrics (null if no update ran). */
  metrics: UpdateMetrics | null;
  /** True when stopped by the signal before totalSteps. */
  stoppedEarly: boolean;
}

/** The policy architecture a config asks for, given the observation size and the action space. */
export function policySpecFor(
  cfg: ReinforceConfig,
  obsDim: number,
  actionSpace: Space,
): PolicySpec {
  return {
    obsDim,
    actionSpace,
    hiddenSizes: cfg.hiddenSizes,
    activation: cfg.activation,
    logStd: cfg.logStd,
    squash: cfg.squash,
    initLogStd: cfg.initLogStd,
  };
}

/**
 * Rebuilds the trained policy of a checkpoint (from {@link reinforce}'s result or
 * `loadCheckpoint(runDir)`) for `env`, the environment it was trained on.
 *
 * @example
 * const policy = reinforcePolicy(loadCheckpoint("runs/my-run"), make("CartPole-v1"));
 */
export function reinforcePolicy(
  checkpoint: Pick<ReinforceCheckpoint, "params" | "state">,
  env: Pick<Env, "observationSpace" | "actionSpace">,
): Policy {
  checkResume(checkpoint as ReinforceCheckpoint);
  const spec = policySpecFor(
    checkpoint.state.config,
    flatSize(env.observationSpace),
    env.actionSpace,
  );
  return policyFromParams(spec, checkpoint.params);
}

function makeOptimizer(cfg: ReinforceConfig): Optimizer {
  return cfg.optimizer === "adam"
    ? (adam({ lr: cfg.lr }) as Optimizer)
    : (sgd({ lr: cfg.lr, momentum: cfg.momentum }) as Optimizer);
}

function checkResume(c: ReinforceCheckpoint): void {
  const s = c?.state;
  if (s === undefined || s === null || s.version !== 1 || typeof s.config !== "object") {
    throw new Error(
      `reinforce: options.resume must be a ReinforceCheckpoint ({ params, valueParams?, state: { version: 1, config, ... } }), got state ${JSON.stringify(s)?.slice(0, 200)}`,
    );
  }
}

/**
 * Trains a policy with REINFORCE on `env` (a registered id or a factory of Envs).
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
  env: string | (() => Env),
  config: Partial<ReinforceConfig> = {},
  options: ReinforceOptions = {},
): ReinforceResult {
  const resume = options.resume;
  if (resume !== undefined) checkResume(resume);
  const cfg = resolveReinforceConfig(resume ? { ...resume.state.config, ...config } : config);
  const checkpointEvery = options.checkpointEvery ?? 0;
  if (!Number.isInteger(checkpointEvery) || checkpointEvery < 0) {
    throw new Error(
      `reinforce: options.checkpointEvery must be an integer >= 0, got ${checkpointEvery}`,
    );
  }

  // Setup: env, random streams, policy, V(s), optimizers, buffers; or all of it from a checkpoint.
  const vec = makeVec(env, cfg.numEnvs);
  const root = new Rng(cfg.seed);
  const policyInitRng = root.split();
  const valueInitRng = root.split();
  const rng = resume ? Rng.fromState(resume.state.rng) : root.split();
  const spec = policySpecFor(cfg, vec.obsDim, vec.singleActionSpace);
  const policy = resume
    ? policyFromParams(spec, cloneParams(resume.params))
    : createPolicy(spec, policyInitRng);
  const optimizer = makeOptimizer(cfg);
  const optState: OptState = resume
    ? structuredClone(resume.state.optimizer)
    : optimizer.init(policy.params);
  let value: ValueFunction | null = null;
  if (cfg.baseline === "value") {
    const vSpec = valueMlpSpec(vec.obsDim, cfg.valueHiddenSizes, cfg.activation);
    const vParams = resume?.valueParams
      ? cloneParams(resume.valueParams)
      : initValueParams(vSpec, valueInitRng);
    const vOpt = resume?.state.valueOptimizer ?? undefined;
    value = createValueFunction(
      vSpec,
      vParams,
      cfg.valueLr,
      vOpt ? structuredClone(vOpt) : undefined,
    );
  }
  const rollout = createRollout(
    vec,
    policy,
    cfg.batchMode === "episodes"
      ? { kind: "episodes", episodes: cfg.batchEpisodes }
      : { kind: "steps", steps: cfg.rolloutSteps },
  );
  const noSignal: NoSignalState = resume
    ? { ...resume.state.noSignal }
    : { warned: false, seenSignal: false };
  const warnNoSignal = createNoSignalCheck(options.onWarning ?? ((m) => console.warn(m)), noSignal);
  if (resume) {
    if (resume.state.vecEnv !== null) vec.setState(resume.state.vecEnv);
    rollout.setState(resume.state.rollout);
  }
  let update = resume?.state.update ?? 0;
  let envSteps = resume?.state.envSteps ?? 0;
  let episodes = resume?.state.episodes ?? 0;
  const recent: number[] = resume ? [...resume.state.recentReturns] : [];
  const wallStart = performance.now() / 1000 - (resume?.state.wallTimeS ?? 0);
  const policyGradient = createPolicyGradient(policy);
  const buf: AdvantageBuffers = {
    advantages: new Float64Array(0),
    valueTargets: new Float64Array(0),
    bootstrap: new Float64Array(0),
  };
  let values = new Float64Array(0);
  let cutValues = new Float64Array(0);
  let metrics: UpdateMetrics | null = null;
  let stoppedEarly = false;

  const checkpoint = (): ReinforceCheckpoint => {
    let vecEnv: unknown = null;
    try {
      vecEnv = vec.getState();
    } catch {
      // A custom Env's state cannot be captured; resume then restarts its episodes.
    }
    return {
      params: cloneParams(policy.params),
      ...(value ? { valueParams: cloneParams(value.params) } : {}),
      state: {
        version: 1,
        config: cfg,
        update,
        envSteps,
        episodes,
        wallTimeS: performance.now() / 1000 - wallStart,
        optimizer: structuredClone(optState),
        valueOptimizer: value ? structuredClone(value.optimizerState()) : null,
        rng: rng.getState(),
        vecEnv: vecEnv === null ? null : structuredClone(vecEnv),
        rollout: rollout.getState(),
        recentReturns: [...recent],
        noSignal: { ...noSignal },
      },
    };
  };

  while (envSteps < cfg.totalSteps) {
    if (options.signal?.aborted) {
      stoppedEarly = true;
      break;
    }
    const where = `reinforce (update ${update + 1}, env step ${envSteps})`;

    // 1. Rollout: run the policy in the vector env (no tape, preallocated buffers).
    let batch: Batch;
    try {
      batch = rollout.collect(rng, cfg.seed);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
    }
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
    if (value) {
      value.predict(batch.obs, T, values);
      value.predict(batch.cutObs, K, cutValues);
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
    if (!Number.isFinite(g.loss)) throw new Error(`${where}: non-finite policy loss ${g.loss}`);
    checkFiniteGrads(where, g.grads);

    // 4. Clip, step with the scheduled learning rate.
    const gradNorm =
      cfg.maxGradNorm === null ? globalNorm(g.grads) : clipGradNorm(g.grads, cfg.maxGradNorm);
    const lr =
      cfg.lrSchedule === "linear" ? cfg.lr * Math.max(1 - envSteps / cfg.totalSteps, 1e-6) : cfg.lr;
    optimizer.step(policy.params, g.grads, optState, lr);

    // 5. Fit V(s) to this batch's returns (after the advantages used the old V).
    let valueMse: number | null = null;
    if (value) {
      try {
        valueMse = value.fit(batch.obs, valueTargets, T, cfg.valueIterations);
      } catch (e) {
        throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
      }
    }

    // 6. Counters and metrics.
    update++;
    envSteps += T;
    const E = batch.episodeReturns.length;
    episodes += E;
    for (let i = 0; i < E; i++) {
      recent.push(batch.episodeReturns[i]);
      if (recent.length > 100) recent.shift();
    }
    const rs = meanStd(batch.episodeReturns);
    const wallTimeS = performance.now() / 1000 - wallStart;
    metrics = {
      update,
      envSteps,
      episodes,
      wallTimeS,
      stepsPerSecond: envSteps / Math.max(wallTimeS, 1e-9),
      batchSteps: T,
      batchEpisodes: E,
      returnMean: E > 0 ? rs.mean : null,
      returnStd: E > 0 ? rs.std : null,
      lengthMean: E > 0 ? meanStd(batch.episodeLengths).mean : null,
      returnMean100: recent.length > 0 ? meanStd(recent).mean : null,
      loss: g.loss,
      gradNorm,
      entropy: g.metrics.entropy,
      lr,
      valueMse,
    };
    options.onMetrics?.(metrics);
    if (checkpointEvery > 0 && update % checkpointEvery === 0) options.onCheckpoint?.(checkpoint());
  }

  const final = checkpoint();
  vec.close();
  return { policy, checkpoint: final, metrics, stoppedEarly };
}
