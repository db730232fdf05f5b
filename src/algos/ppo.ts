/**
 * PPO (Schulman et al. 2017) and the unclipped importance-sampled policy gradients it grew from
 * (`objective` "ratio" = `--algo is`, "per-decision" = `--algo is-pd`): each batch is used for
 * several updates, K epochs of shuffled minibatches, the batch keeping the behaviour policy's
 * log-probs. The estimators are in surrogates.ts; this file has the loss, the minibatch step and
 * the update that reads top to bottom ({@link createPpoLearner}'s `update`), with the details of
 * CleanRL's ppo.py ("The 37 Implementation Details of PPO", Huang et al. 2022): GAE with
 * truncation bootstrapping, separate policy and value networks (orthogonal init), Adam with eps
 * 1e-5, lr annealing, per-minibatch advantage normalization, value clipping, an entropy bonus,
 * global gradient clipping and an optional target-KL early stop.
 */
import { enumField } from "../config/schema.ts";
import { valueAndGrad } from "../core/grad.ts";
import { add, mean, mul, neg, reshape, sum, Tensor } from "../core/index.ts";
import * as math from "../core/math.ts";
import { Rng, type RngState } from "../core/rng.ts";
import type { Params } from "../core/tensor.ts";
import { flatSize } from "../envs/spaces.ts";
import type { Env } from "../envs/types.ts";
import { type AsyncVectorEnv, makeVecOf, type VectorEnv } from "../envs/vector.ts";
import { RunningMeanStd, type RunningMeanStdState } from "../envs/wrappers.ts";
import {
  type AdamState,
  adam,
  clipGradNorm,
  cloneParams,
  globalNorm,
  type MlpSpec,
  mlp,
  snapshotParams,
} from "../nn/index.ts";
import { normalizeObservations, normalizingPolicy, observationStats } from "./obs-norm.ts";
import { createPolicy, type Policy, type PolicySpec, policyFromParams } from "./policy.ts";
import {
  PPO_ENV_CONFIGS,
  PPO_ENV_PRESETS,
  type PpoConfig,
  ppoSchema,
  resolvePpoConfig,
} from "./ppo-config.ts";
import { computeAdvantages, meanStd, normalize, segmentCount } from "./returns.ts";
import { normalizeRewards } from "./reward-norm.ts";
import { createRollout, type RolloutState } from "./rollout.ts";
import { streamRng, streamSeed } from "./streams.ts";
import {
  clippedSurrogate,
  perDecisionCoefficients,
  type RatioStats,
  ratioStats,
  ratioSurrogate,
  valueLossClipped,
} from "./surrogates.ts";
import {
  type Algorithm,
  type AlgorithmCheckpoint,
  checkFiniteGrads,
  type EnvSource,
  type Learner,
  type RunHooks,
  type RunResult,
  runTrainer,
  type UpdateContext,
  type UpdateResult,
} from "./trainer.ts";
import { createValueFunction, initValueParams, valueMlpSpec } from "./value.ts";

export { PPO_ENV_CONFIGS, PPO_ENV_PRESETS, type PpoConfig, ppoSchema, resolvePpoConfig };

// ---------------------------------------------------------------------------------------------
// Pieces

/** One minibatch: views of caller-owned buffers, `size` rows each. */
export interface Minibatch {
  readonly size: number;
  /** [M, obsDim] */
  readonly obs: Float64Array;
  /** [M, actDim] raw actions. */
  readonly actions: Float64Array;
  /** [M, maskSize] the action masks, or null. */
  readonly masks: Uint8Array | null;
  /** [M] log pi_old(a_t|s_t) of the behaviour policy. */
  readonly oldLogProb: Float64Array;
  /** [M] advantages (already normalized if the config says so). */
  readonly advantages: Float64Array;
  /** [M] value targets (GAE lambda-returns). */
  readonly returns: Float64Array;
  /** [M] V_old(s_t) from the rollout. */
  readonly oldValues: Float64Array;
  /**
   * Objective "per-decision" only (the whole batch, in order): [M] rewards and episode ends, for
   * the coefficients C_t; null otherwise.
   */
  readonly segments: { rewards: Float64Array; ends: Uint8Array } | null;
}

/** What {@link ppoLoss} reports besides the loss. */
export interface PpoLossMetrics {
  /** The policy term of the loss (minus the surrogate). */
  policyLoss: number;
  /** 0.5 mean squared (clipped) value error. */
  valueLoss: number;
  /** Mean policy entropy over the minibatch. */
  entropy: number;
}

/** The loss's config fields. */
export type PpoLossConfig = Pick<
  PpoConfig,
  "objective" | "clipCoef" | "clipValueLoss" | "entropyCoef" | "valueCoef" | "gamma"
>;

/**
 * The joint loss of one minibatch, differentiable in the policy's and V's parameters (`params`
 * holds both, `policy.*` and `value.*`):
 *
 *   loss = -mean_t S_t - entropyCoef mean_t H(pi(.|s_t)) + valueCoef * 0.5 mean_t (V(s_t) - G_t)^2
 *
 * S_t is PPO's clipped surrogate ("clipped"), rho_t A_t ("ratio"), or for "per-decision"
 * log pi_theta(a_t|s_t) C_t with the per-decision coefficients C_t (surrogates.ts) computed from
 * the current log-ratios and held constant, averaged over the batch's segments instead of its steps
 * (an estimate of grad J per episode). The value error is clipped around V_old when
 * `clipValueLoss` (by clipCoef, as CleanRL).
 *
 * @returns the loss and its parts; `logProb` [M] is the forward's log pi_theta (for ratio stats)
 */
export function ppoLoss(
  policy: Policy,
  valueSpec: MlpSpec,
  params: Params,
  mb: Minibatch,
  cfg: PpoLossConfig,
): { loss: Tensor; logProb: Tensor; metrics: PpoLossMetrics } {
  const M = mb.size;
  const obs = new Tensor(mb.obs, [M, policy.spec.obsDim]);
  const { logProb, entropy } = policy.logProbAndEntropy(params, obs, mb.actions, mb.masks);
  const oldLogProb = new Tensor(mb.oldLogProb, [M]);
  let policyLoss: Tensor;
  if (cfg.objective === "per-decision") {
    const seg = mb.segments;
    if (seg === null) throw new Error('ppoLoss: objective "per-decision" needs mb.segments');
    const logRatio = new Float64Array(M);
    for (let t = 0; t < M; t++) logRatio[t] = logProb.data[t] - mb.oldLogProb[t];
    const c = perDecisionCoefficients(
      logRatio,
      seg.rewards,
      seg.ends,
      cfg.gamma,
      new Float64Array(M),
      new Float64Array(M),
    );
    policyLoss = neg(mul(sum(mul(logProb, new Tensor(c, [M]))), 1 / segmentCount(seg.ends)));
  } else {
    const adv = new Tensor(mb.advantages, [M]);
    const s =
      cfg.objective === "clipped"
        ? clippedSurrogate(logProb, oldLogProb, adv, cfg.clipCoef)
        : ratioSurrogate(logProb, oldLogProb, adv);
    policyLoss = neg(mean(s));
  }
  const meanEntropy = mean(entropy);
  const values = reshape(mlp(params, valueSpec, obs), [M]);
  const valueLoss = valueLossClipped(
    values,
    new Tensor(mb.oldValues, [M]),
    new Tensor(mb.returns, [M]),
    cfg.clipValueLoss ? cfg.clipCoef : null,
  );
  const loss = add(
    add(policyLoss, mul(meanEntropy, -cfg.entropyCoef)),
    mul(valueLoss, cfg.valueCoef),
  );
  return {
    loss,
    logProb,
    metrics: {
      policyLoss: policyLoss.data[0],
      valueLoss: valueLoss.data[0],
      entropy: meanEntropy.data[0],
    },
  };
}

/**
 * A reusable gradient function of {@link ppoLoss} (one tape arena, gradient arrays reused: read or
 * step with them before the next call). `logRatio` [M] is log pi_theta - log pi_old of the
 * minibatch, copied out of the forward pass.
 */
export function createPpoGradient(
  policy: Policy,
  valueSpec: MlpSpec,
): (
  params: Params,
  mb: Minibatch,
  cfg: PpoLossConfig,
) => {
  loss: number;
  grads: Record<string, Float64Array>;
  metrics: PpoLossMetrics;
  logRatio: Float64Array;
} {
  let mb: Minibatch | null = null;
  let cfg: PpoLossConfig | null = null;
  let metrics: PpoLossMetrics = { policyLoss: 0, valueLoss: 0, entropy: 0 };
  let logRatio = new Float64Array(0);
  const vg = valueAndGrad(
    (p) => {
      const r = ppoLoss(policy, valueSpec, p, mb!, cfg!);
      metrics = r.metrics;
      for (let t = 0; t < mb!.size; t++) logRatio[t] = r.logProb.data[t] - mb!.oldLogProb[t];
      return r.loss;
    },
    { reuseGrads: true },
  );
  return (params, m, c) => {
    mb = m;
    cfg = c;
    if (logRatio.length < m.size) logRatio = new Float64Array(m.size);
    const { value, grads } = vg(params);
    return { loss: value, grads, metrics, logRatio: logRatio.subarray(0, m.size) };
  };
}

/** Fisher-Yates: `order` becomes a uniformly random permutation of 0 .. order.length - 1. */
export function shuffledIndices(rng: Rng, order: Int32Array): Int32Array {
  for (let i = 0; i < order.length; i++) order[i] = i;
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  return order;
}

// ---------------------------------------------------------------------------------------------
// The learner

/** Metrics of one PPO update (besides the trainer's counters). */
export interface PpoMetrics {
  /** Mean over the minibatch steps of the batch. */
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  /** Global norm of the joint gradient before clipping, mean over the minibatch steps. */
  gradNorm: number;
  /** The learning rate of this update. */
  lr: number;
  /** Of the last minibatch step (CleanRL's approx_kl): how far the policy moved this batch. */
  approxKl: number;
  /** Fraction of samples whose ratio left [1 - clipCoef, 1 + clipCoef], mean over minibatch steps. */
  clipFraction: number;
  /** Ratio mean and max, and the weights' effective sample size fraction, of the last step. */
  ratioMean: number;
  ratioMax: number;
  essFraction: number;
  /** Epochs run (fewer than updateEpochs when the target KL stopped them). */
  epochs: number;
  /** 1 - Var(G - V) / Var(G) over the batch, before the update (CleanRL's explained_variance). */
  explainedVariance: number | null;
}

/** JSON-safe learner state inside a checkpoint (the trainer keeps the config and counters). */
export interface PpoState {
  readonly optimizer: AdamState;
  readonly rng: RngState;
  readonly shuffleRng: RngState;
  readonly vecEnv: unknown;
  readonly rollout: RolloutState;
  /** The observation normalizer's statistics (normalizeObservations), else null. */
  readonly obsNorm: RunningMeanStdState | null;
  /** The reward normalizer's statistics and each sub-env's running discounted return. */
  readonly rewardStats: RunningMeanStdState | null;
  readonly discountedReturns: number[] | null;
}

function isPpoState(s: unknown): s is PpoState {
  const o = s as Partial<PpoState> | null;
  return (
    o !== null &&
    typeof o === "object" &&
    typeof o.optimizer === "object" &&
    typeof o.rng === "object" &&
    typeof o.shuffleRng === "object" &&
    typeof o.rollout === "object" &&
    "obsNorm" in o &&
    "rewardStats" in o
  );
}

/** The policy architecture a config asks for. */
export function ppoPolicySpec(
  cfg: PpoConfig,
  obsDim: number,
  actionSpace: PolicySpec["actionSpace"],
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
 * Builds the learner of PPO, `is` or `is-pd` (by `cfg.objective`) on `env`: the vector env, the
 * random streams (streams.ts), the policy, V(s), one Adam over both, the normalizers, fresh or
 * from `restore`. Its `update` is the algorithm, top to bottom.
 */
export function initPpo(
  env: EnvSource,
  cfg: PpoConfig,
  restore: AlgorithmCheckpoint<unknown> | null,
): Learner<PpoState, PpoMetrics> {
  if (restore !== null && (!isPpoState(restore.state) || restore.valueParams === undefined)) {
    throw new Error(
      `ppo: the checkpoint must hold valueParams and the state { optimizer, rng, shuffleRng, vecEnv, rollout, obsNorm, rewardStats, discountedReturns }, got ${JSON.stringify(restore.state)?.slice(0, 200)}`,
    );
  }
  const saved = restore === null ? null : (restore.state as PpoState);
  const made = makeVecOf(env, cfg.numEnvs);
  if ((made as Partial<AsyncVectorEnv>).async === true) {
    made.close();
    throw new Error(
      `${cfg.objective === "clipped" ? "ppo" : "is"}: this env answers asynchronously (async: true); PPO has no async update yet: train it with reinforceAsync()`,
    );
  }
  const vec = made as VectorEnv;
  const rng = saved ? Rng.fromState(saved.rng) : streamRng(cfg.seed, "actions");
  const shuffleRng = saved ? Rng.fromState(saved.shuffleRng) : streamRng(cfg.seed, "minibatches");
  const resetSeed = streamSeed(cfg.seed, "envResets");
  const spec = ppoPolicySpec(cfg, vec.obsDim, vec.singleActionSpace);
  // `inner` is the network on normalized observations; `policy` acts on the env's own.
  const inner = restore
    ? policyFromParams(spec, cloneParams(restore.params))
    : createPolicy(spec, streamRng(cfg.seed, "policyInit"));
  const obsNorm = cfg.normalizeObservations ? observationStats(vec.obsDim, saved?.obsNorm) : null;
  const policy = obsNorm ? normalizingPolicy(inner, obsNorm) : inner;
  const rewardNorm = cfg.normalizeRewards ? new RunningMeanStd(1) : null;
  const discounted = new Float64Array(cfg.numEnvs);
  if (rewardNorm && saved?.rewardStats) {
    rewardNorm.setState(saved.rewardStats);
    discounted.set(saved.discountedReturns ?? []);
  }
  const valueSpec = valueMlpSpec(vec.obsDim, cfg.valueHiddenSizes, cfg.activation);
  const valueParams = restore?.valueParams
    ? cloneParams(restore.valueParams)
    : initValueParams(valueSpec, streamRng(cfg.seed, "valueInit"));
  // One Adam over both networks, as CleanRL (the joint loss weighs V's term by valueCoef).
  const params: Params = { ...inner.params, ...valueParams };
  const optimizer = adam({ lr: cfg.lr, eps: cfg.adamEps });
  const optState: AdamState = saved ? structuredClone(saved.optimizer) : optimizer.init(params);
  // V's no-tape predictions for the rollout (its own fit is not used: V trains in the joint loss).
  const value = createValueFunction(valueSpec, valueParams, cfg.lr);
  const rollout = createRollout(vec, policy, { kind: "steps", steps: cfg.rolloutSteps });
  if (saved) {
    if (saved.vecEnv !== null) vec.setState(saved.vecEnv);
    rollout.setState(saved.rollout);
  }
  const gradient = createPpoGradient(inner, valueSpec);
  const perDecision = cfg.objective === "per-decision";

  // Batch-sized buffers, grown when a batch is longer than any before.
  let cap = 0;
  let values = new Float64Array(0);
  let cutValues = new Float64Array(0);
  let normObs = new Float64Array(0);
  let normCut = new Float64Array(0);
  let oldLogProb = new Float64Array(0);
  let order = new Int32Array(0);
  const adv = {
    advantages: new Float64Array(0),
    valueTargets: new Float64Array(0),
    bootstrap: new Float64Array(0),
  };
  const mbBuf = {
    obs: new Float64Array(0),
    actions: new Float64Array(0),
    masks: new Uint8Array(0),
    oldLogProb: new Float64Array(0),
    advantages: new Float64Array(0),
    returns: new Float64Array(0),
    oldValues: new Float64Array(0),
  };
  const obsDim = vec.obsDim;
  const actDim = policy.actDim;
  const maskSize = policy.maskSize;

  function ensure(T: number, K: number): void {
    if (T > cap) {
      cap = 2 * T;
      values = new Float64Array(cap);
      oldLogProb = new Float64Array(cap);
      adv.advantages = new Float64Array(cap);
      adv.valueTargets = new Float64Array(cap);
      adv.bootstrap = new Float64Array(cap);
      mbBuf.obs = new Float64Array(cap * obsDim);
      mbBuf.actions = new Float64Array(cap * actDim);
      mbBuf.masks = new Uint8Array(cap * maskSize);
      mbBuf.oldLogProb = new Float64Array(cap);
      mbBuf.advantages = new Float64Array(cap);
      mbBuf.returns = new Float64Array(cap);
      mbBuf.oldValues = new Float64Array(cap);
      if (obsNorm) normObs = new Float64Array(cap * obsDim);
    }
    if (obsNorm && normCut.length < K * obsDim) normCut = new Float64Array(2 * K * obsDim);
    if (order.length !== T) order = new Int32Array(T);
    if (cutValues.length < K) cutValues = new Float64Array(2 * K);
  }

  function update(ctx: UpdateContext): UpdateResult<PpoMetrics> {
    const { where } = ctx;

    // 1. Rollout with the current policy (the behaviour policy of this batch).
    let batch: ReturnType<typeof rollout.collect>;
    try {
      batch = rollout.collect(rng, resetSeed);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
    }
    const T = batch.size;
    const K = batch.cutIndex.length;
    ensure(T, K);

    // 2. The batch's observations as the networks see them (normalized with this batch's fixed
    //    statistics) and its rewards (normalized, when configured); the behaviour log-probs (the
    //    same function the update differentiates, so the first ratio is exactly 1), V(s_t), V at
    //    the cuts, then GAE advantages and lambda-returns.
    let obs = batch.obs;
    let cutObs = batch.cutObs;
    if (obsNorm) {
      normalizeObservations(obsNorm, batch.obs, T, normObs);
      normalizeObservations(obsNorm, batch.cutObs, K, normCut);
      obs = normObs.subarray(0, T * obsDim);
      cutObs = normCut.subarray(0, K * obsDim);
    }
    if (rewardNorm) {
      normalizeRewards(
        batch.rewards,
        batch.ends,
        batch.laneOffsets,
        discounted,
        cfg.gamma,
        rewardNorm,
        cfg.clipRewards,
      );
    }
    const obsT = new Tensor(obs, [T, obsDim]);
    oldLogProb.set(
      inner.logProbAndEntropy(inner.params, obsT, batch.actions, batch.masks).logProb.data,
    );
    value.predict(obs, T, values);
    value.predict(cutObs, K, cutValues);
    const { advantages, valueTargets } = computeAdvantages(
      batch,
      {
        gamma: cfg.gamma,
        returnMode: "reward-to-go",
        baseline: "value",
        gaeLambda: cfg.gaeLambda,
        normalizeAdvantages: false,
        bootstrapTruncated: cfg.bootstrapTruncated,
      },
      values,
      cutValues,
      adv,
    );
    const explainedVariance = explained(valueTargets, values, T);

    // 3. K epochs over the batch: shuffled minibatches (per-decision: the whole batch in order),
    //    one clipped Adam step each; stop early once the policy is targetKl away.
    const lr = cfg.lr * ctx.lrScale;
    const numMb = perDecision ? 1 : Math.min(cfg.numMinibatches, T);
    // Every minibatch of a batch has the same size M (the T mod numMb rows left over are a
    // different random few each epoch): the tape's buffers are then reused from step to step,
    // where alternating sizes reallocated them all (docs/performance.md, 2026-12-02).
    const M = Math.floor(T / numMb);
    let steps = 0;
    let epochs = 0;
    let sums = { policyLoss: 0, valueLoss: 0, entropy: 0, gradNorm: 0, clipFraction: 0 };
    let last: RatioStats = {
      ratioMean: 1,
      ratioMax: 1,
      approxKl: 0,
      clipFraction: 0,
      essFraction: 1,
    };
    for (let epoch = 0; epoch < cfg.updateEpochs; epoch++) {
      if (!perDecision) shuffledIndices(shuffleRng, order);
      else for (let i = 0; i < T; i++) order[i] = i;
      for (let k = 0; k < numMb; k++) {
        const from = k * M;
        const to = (k + 1) * M;
        const mb = gather(batch, from, to, advantages, valueTargets);
        const g = gradient(params, mb, cfg);
        if (!Number.isFinite(g.loss)) throw new Error(`${where}: non-finite PPO loss ${g.loss}`);
        const gradNorm =
          cfg.maxGradNorm === null ? globalNorm(g.grads) : clipGradNorm(g.grads, cfg.maxGradNorm);
        // A finite norm means every entry is finite: only a non-finite one needs the scan that
        // names the parameter (clipGradNorm leaves non-finite gradients untouched).
        if (!Number.isFinite(gradNorm)) checkFiniteGrads(where, g.grads);
        optimizer.step(params, g.grads, optState, lr);
        last = ratioStats(g.logRatio, mb.size, cfg.clipCoef);
        sums = {
          policyLoss: sums.policyLoss + g.metrics.policyLoss,
          valueLoss: sums.valueLoss + g.metrics.valueLoss,
          entropy: sums.entropy + g.metrics.entropy,
          gradNorm: sums.gradNorm + gradNorm,
          clipFraction: sums.clipFraction + last.clipFraction,
        };
        steps++;
      }
      epochs++;
      if (cfg.targetKl !== null && last.approxKl > cfg.targetKl) break;
    }

    // 4. The observation statistics take in this batch (the next batch acts with them).
    obsNorm?.updateBatch(batch.obs, T);

    return {
      envSteps: T,
      episodeReturns: batch.episodeReturns,
      episodeLengths: batch.episodeLengths,
      metrics: {
        policyLoss: sums.policyLoss / steps,
        valueLoss: sums.valueLoss / steps,
        entropy: sums.entropy / steps,
        gradNorm: sums.gradNorm / steps,
        lr,
        approxKl: last.approxKl,
        clipFraction: sums.clipFraction / steps,
        ratioMean: last.ratioMean,
        ratioMax: last.ratioMax,
        essFraction: last.essFraction,
        epochs,
        explainedVariance,
      },
    };

    /** Copies the rows order[from .. to) of the batch into the minibatch buffers. */
    function gather(
      b: typeof batch,
      from: number,
      to: number,
      a: Float64Array,
      targets: Float64Array,
    ): Minibatch {
      const M = to - from;
      for (let i = 0; i < M; i++) {
        const t = order[from + i];
        for (let d = 0; d < obsDim; d++) mbBuf.obs[i * obsDim + d] = obs[t * obsDim + d];
        for (let d = 0; d < actDim; d++) mbBuf.actions[i * actDim + d] = b.actions[t * actDim + d];
        if (b.masks !== null) {
          for (let d = 0; d < maskSize; d++)
            mbBuf.masks[i * maskSize + d] = b.masks[t * maskSize + d];
        }
        mbBuf.oldLogProb[i] = oldLogProb[t];
        mbBuf.advantages[i] = a[t];
        mbBuf.returns[i] = targets[t];
        mbBuf.oldValues[i] = values[t];
      }
      const advM = mbBuf.advantages.subarray(0, M);
      if (cfg.normalizeAdvantages && !perDecision) normalize(advM, 1e-8, advM);
      return {
        size: M,
        obs: mbBuf.obs.subarray(0, M * obsDim),
        actions: mbBuf.actions.subarray(0, M * actDim),
        masks: b.masks === null ? null : mbBuf.masks.subarray(0, M * maskSize),
        oldLogProb: mbBuf.oldLogProb.subarray(0, M),
        advantages: advM,
        returns: mbBuf.returns.subarray(0, M),
        oldValues: mbBuf.oldValues.subarray(0, M),
        segments: perDecision ? { rewards: b.rewards, ends: b.ends } : null,
      };
    }
  }

  return {
    policy,
    update,
    save() {
      let vecEnv: unknown = null;
      try {
        vecEnv = structuredClone(vec.getState());
      } catch {
        // A custom Env's state cannot be captured; resume then restarts its episodes.
      }
      return {
        params: snapshotParams(inner.params),
        valueParams: snapshotParams(valueParams),
        state: {
          optimizer: structuredClone(optState),
          rng: rng.getState(),
          shuffleRng: shuffleRng.getState(),
          vecEnv,
          rollout: rollout.getState(),
          obsNorm: obsNorm ? obsNorm.getState() : null,
          rewardStats: rewardNorm ? rewardNorm.getState() : null,
          discountedReturns: rewardNorm ? Array.from(discounted) : null,
        },
      };
    },
    close: () => vec.close(),
  };
}

/** 1 - Var(targets - values) / Var(targets) over [T]; null when the targets do not vary. */
function explained(targets: Float64Array, values: Float64Array, T: number): number | null {
  const vt = math.pow(meanStd(targets.subarray(0, T)).std, 2);
  if (!(vt > 0)) return null;
  let m = 0;
  for (let t = 0; t < T; t++) m += targets[t] - values[t];
  m /= T;
  let v = 0;
  for (let t = 0; t < T; t++) v += math.pow(targets[t] - values[t] - m, 2);
  return 1 - v / T / vt;
}

/**
 * The acting policy of a saved PPO checkpoint for `env` (the Algorithm's `policy`; for a file,
 * use the trainer's `checkpointPolicy`): the network, behind its observation normalizer when the
 * run had one. `checkpoint.state` is the learner's state.
 */
export function ppoPolicyFromCheckpoint(
  checkpoint: Pick<AlgorithmCheckpoint<unknown>, "params" | "state">,
  cfg: PpoConfig,
  env: Pick<Env, "observationSpace" | "actionSpace">,
): Policy {
  const obsDim = flatSize(env.observationSpace);
  const inner = policyFromParams(ppoPolicySpec(cfg, obsDim, env.actionSpace), checkpoint.params);
  if (!cfg.normalizeObservations) return inner;
  const stats = (checkpoint.state as Partial<PpoState> | null)?.obsNorm;
  if (!stats) {
    throw new Error(
      "ppo: the config normalizes observations but the checkpoint holds no statistics (state.algorithm.obsNorm)",
    );
  }
  return normalizingPolicy(inner, observationStats(obsDim, stats));
}

/** One member of the PPO family as a trainer-layer {@link Algorithm}. */
function ppoFamily(
  name: string,
  objective: PpoConfig["objective"],
  summary: string,
): Algorithm<PpoConfig, PpoState, PpoMetrics> {
  return {
    name,
    summary,
    configName: "PpoConfig",
    // The objective's default is this member's, so `--help` shows it.
    schema: {
      ...ppoSchema,
      objective: enumField(objective, ppoSchema.objective.choices, ppoSchema.objective.doc),
    },
    presets: {},
    envPresets: PPO_ENV_PRESETS,
    resolveConfig(overrides) {
      const cfg = resolvePpoConfig({ objective, ...overrides } as Partial<PpoConfig>);
      if (cfg.objective !== objective) {
        throw new Error(
          `PpoConfig.objective: --algo ${name} is objective "${objective}", got "${cfg.objective}" (--algo ppo is "clipped", is "ratio", is-pd "per-decision")`,
        );
      }
      return cfg;
    },
    init: initPpo,
    policy: ppoPolicyFromCheckpoint,
  };
}

/** PPO: the clipped surrogate (`--algo ppo`). */
export const ppoAlgorithm = ppoFamily(
  "ppo",
  "clipped",
  "PPO (Schulman et al. 2017): K epochs of minibatch steps per batch on the clipped surrogate",
);
/** The per-step importance-sampled gradient, unclipped (`--algo is`). */
export const isAlgorithm = ppoFamily(
  "is",
  "ratio",
  "importance-sampled policy gradient, per-step ratio rho_t A_t, unclipped (the gradient of L_old)",
);
/** Per-decision importance sampling (`--algo is-pd`). */
export const isPdAlgorithm = ppoFamily(
  "is-pd",
  "per-decision",
  "per-decision importance-sampled policy gradient (Precup 2000): unbiased for grad J, high variance",
);

/**
 * Trains with PPO on `env`: the trainer layer's {@link runTrainer} with {@link ppoAlgorithm}
 * (evaluation every `evalEvery` env steps, the best checkpoint, stopping at the env's threshold).
 *
 * @example
 * const { policy } = ppo("CartPole-v1", { ...PPO_ENV_CONFIGS["CartPole-v1"], seed: 0 });
 */
export function ppo(
  env: EnvSource,
  config: Partial<PpoConfig> = {},
  options: RunHooks<PpoConfig, PpoState, PpoMetrics> = {},
): RunResult<PpoConfig, PpoState, PpoMetrics> {
  return runTrainer(ppoAlgorithm, env, config, options);
}
