/**
 * Analytic policy gradients (APG): the gradient of the return flows through the rollout itself,
 * dr_t/da_t da_t/dtheta and on through every later state, because the env's step is on the
 * autodiff tape (src/envs/diff.ts). B envs are unrolled for a window of H steps; the loss is
 *
 *   L(theta) = -(1/B) sum_b sum_{t<H} gamma^t r(s_{t+1}, a_t),   a_t = squash(mu(o_t) + sigma eps_t)
 *
 * with fixed noise eps (reparameterization). The env state carries on from window to window with
 * its gradient cut at the window start (Brax APG, SHAC), and at every reset.
 *
 * Each transition is scored by its outcome, r(s_{t+1}, a_t) (`reward: "outcome"`): for an env
 * whose reward is of the state before the step (Pendulum-v1, LinearQuadratic-v0) the reward
 * function is evaluated on the state the action leads to, so every action of a window, the last
 * one included, is scored by where it goes. Evaluation always reports the env's own return.
 *
 * State gradient (`stateGrad`): `"full"` backpropagates through every state of the window;
 * `"detach"` feeds each step its state as a constant, s_{t+1} = f(sg[s_t], a_t), so each action
 * gets the gradient of its own transition only (a one-step, greedy objective). With a window of
 * one step the two are the same gradient.
 *
 * The trainer {@link apg} reads top to bottom; its pieces ({@link policyActions},
 * {@link windowLoss}, {@link apgPolicySpec}, ...) are exported and tested alone.
 *
 * @example
 * const { policy } = apg("Pendulum-v1", { seed: 0, totalSteps: 60_000 });
 * evaluate(policy, "Pendulum-v1", { episodes: 100, seed: 1, deterministic: true }).returnMean;
 */

import { valueAndGrad } from "../core/grad.ts";
import * as math from "../core/math.ts";
import { add, exp, mean, mul, neg, stopGradient, tanh, where } from "../core/ops.ts";
import { Rng, type RngState } from "../core/rng.ts";
import { type Params, Tensor } from "../core/tensor.ts";
import { fillStandardNormal } from "../distributions/gaussian.ts";
import { pendulumDynamics } from "../envs/classic/pendulum.ts";
import {
  columnsOf,
  DifferentiableEnv,
  type DiffTransition,
  makeDifferentiable,
  stackColumns,
} from "../envs/diff.ts";
import { PhysicsEnv } from "../envs/physics.ts";
import { type BoxSpace, describe, flatSize, type Space } from "../envs/spaces.ts";
import type { Env } from "../envs/types.ts";
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
import { type ApgConfig, apgSchema, resolveApgConfig } from "./apg-config.ts";
import {
  createPolicy,
  LOG_STD_NAME,
  type Policy,
  type PolicySpec,
  policyFromParams,
  policyMlpSpec,
} from "./policy.ts";
import { APG_ENV_PRESETS } from "./presets.ts";
import { meanStd } from "./returns.ts";
import { streamRng } from "./streams.ts";
import {
  type Algorithm,
  type AlgorithmCheckpoint,
  checkpointPolicy,
  type EnvSource,
  type Learner,
  type RunHooks,
  type RunResult,
  runTrainer,
  type TrainerCheckpoint,
  type UpdateContext,
  type UpdateResult,
} from "./trainer.ts";

export { type ApgConfig, apgSchema, resolveApgConfig };

// ---------------------------------------------------------------------------------------------
// Pieces

/**
 * The policy an APG run trains: an MLP mean, a state-independent log-std, and the action space's
 * bounds met by tanh squashing (bounded Box) or not at all (unbounded Box, e.g. the LQ task).
 * Throws, saying why and what to use, for a non-Box action space.
 */
export function apgPolicySpec(
  cfg: Pick<ApgConfig, "hiddenSizes" | "activation" | "initLogStd">,
  obsDim: number,
  space: Space,
  envName = "this env",
): PolicySpec {
  if (space.kind !== "box") {
    throw new Error(
      `apg: ${envName} has ${describe(space)} actions; analytic policy gradients differentiate the return through continuous (Box) actions and no gradient passes through a discrete choice, so use --algo reinforce for it`,
    );
  }
  return {
    obsDim,
    actionSpace: space,
    hiddenSizes: cfg.hiddenSizes,
    activation: cfg.activation,
    logStd: "state-independent",
    // For an unbounded box "clip" clips nothing: the policy's action is its Gaussian sample.
    squash: isBounded(space) ? "tanh" : "clip",
    initLogStd: cfg.initLogStd,
  };
}

/** {@link apgPolicySpec} for a differentiable env. */
export function apgPolicySpecFor(
  cfg: Pick<ApgConfig, "hiddenSizes" | "activation" | "initLogStd">,
  env: DifferentiableEnv,
): PolicySpec {
  const d = env.dynamics;
  return apgPolicySpec(cfg, d.obsDim, d.actionSpace(env.params), d.name);
}

function isBounded(space: BoxSpace): boolean {
  for (let d = 0; d < space.size; d++) {
    if (!(Number.isFinite(space.low[d]) && Number.isFinite(space.high[d]))) return false;
  }
  return true;
}

/**
 * Differentiable actions of a batch: obs columns (obsDim Tensors `[B]`) -> actDim action columns
 * `[B]`, a = mid + half * tanh(mu + sigma * eps) for a bounded box (the policy's deterministic
 * action when `eps` is null), a = mu + sigma * eps for an unbounded one. `eps` is `[B, D]`.
 */
export function policyActions(
  params: Params,
  spec: PolicySpec,
  obs: readonly Tensor[],
  eps: Tensor | null,
): Tensor[] {
  const { mlpSpec, mid, half } = actionLayout(spec);
  const mu = mlp(params, mlpSpec, stackColumns(obs));
  const u = eps === null ? mu : add(mu, mul(exp(params[LOG_STD_NAME]), eps));
  if (mid === null || half === null) return columnsOf(u);
  return columnsOf(add(mid, mul(half, tanh(u))));
}

interface ActionLayout {
  readonly mlpSpec: MlpSpec;
  /** The box's centre and half-width `[D]`, or null for an unsquashed policy. */
  readonly mid: Tensor | null;
  readonly half: Tensor | null;
}

// Built once per spec: a fresh MlpSpec per step would also miss mlp()'s layout cache.
const layouts = new WeakMap<PolicySpec, ActionLayout>();

function actionLayout(spec: PolicySpec): ActionLayout {
  let l = layouts.get(spec);
  if (l === undefined) {
    let mid: Tensor | null = null;
    let half: Tensor | null = null;
    if (spec.squash === "tanh") {
      const space = spec.actionSpace as BoxSpace;
      const D = space.size;
      mid = new Tensor(new Float64Array(D), [D]);
      half = new Tensor(new Float64Array(D), [D]);
      for (let d = 0; d < D; d++) {
        mid.data[d] = (space.low[d] + space.high[d]) / 2;
        half.data[d] = (space.high[d] - space.low[d]) / 2;
      }
    }
    l = { mlpSpec: policyMlpSpec(spec), mid, half };
    layouts.set(spec, l);
  }
  return l;
}

/**
 * The reward APG scores a transition by. `"outcome"`: r(s_{t+1}, a_t); for an env whose reward is
 * of the state before the step (`dynamics.rewardOf === "state"`) that is its reward function
 * evaluated at (next, a) (the step from there is computed too and left unused). `"env"`: the
 * env's reward as written.
 */
export function transitionReward(
  env: DifferentiableEnv,
  tr: DiffTransition,
  actions: readonly Tensor[],
  scoring: ApgConfig["reward"],
): Tensor {
  if (scoring === "env" || env.dynamics.rewardOf !== "state") return tr.reward;
  return env.step(tr.next, actions).reward;
}

/** What {@link windowLoss} reports of each step, for metrics, checks and resets. */
export interface WindowStep {
  /** Step index in the window, 0-based. */
  readonly t: number;
  readonly actions: readonly Tensor[];
  readonly transition: DiffTransition;
  /** The reward the loss scores (see {@link transitionReward}). */
  readonly scored: Tensor;
}

export interface WindowOptions {
  readonly horizon: number;
  readonly gamma: number;
  readonly stateGrad: ApgConfig["stateGrad"];
  readonly reward: ApgConfig["reward"];
  /**
   * Called after each step; may return the states (and their observations) to continue from,
   * e.g. with some rows reset, or nothing to continue from the step's next states.
   */
  readonly afterStep?: (step: WindowStep) => { states: Tensor[]; obs: Tensor[] } | undefined;
}

/**
 * The loss of one window, to call inside `valueAndGrad`:
 * -(1/B) sum_b sum_{t<H} gamma^t r_t from the constant states `start` (stateDim Tensors `[B]`).
 * `noise` holds eps for every step, `[H, B, D]` row-major, or is null for deterministic actions.
 * Returns the loss and the states after the window (on the tape; copy them out to carry on).
 */
export function windowLoss(
  env: DifferentiableEnv,
  spec: PolicySpec,
  params: Params,
  start: readonly Tensor[],
  noise: Float64Array | null,
  opts: WindowOptions,
): { loss: Tensor; states: Tensor[] } {
  const B = start[0].shape[0];
  const D = env.dynamics.actDim;
  const detach = opts.stateGrad === "detach";
  let states = [...start];
  let obs = env.observe(states);
  let ret: Tensor | null = null;
  let discount = 1;
  for (let t = 0; t < opts.horizon; t++) {
    if (detach) {
      states = states.map(stopGradient);
      obs = obs.map(stopGradient);
    }
    const eps =
      noise === null ? null : new Tensor(noise.subarray(t * B * D, (t + 1) * B * D), [B, D]);
    const actions = policyActions(params, spec, obs, eps);
    const transition = env.step(states, actions);
    const scored = transitionReward(env, transition, actions, opts.reward);
    const term = mul(mean(scored), discount);
    ret = ret === null ? term : add(ret, term);
    discount *= opts.gamma;
    const cont = opts.afterStep?.({ t, actions, transition, scored });
    states = cont?.states ?? transition.next;
    obs = cont?.obs ?? transition.obs;
  }
  if (ret === null) throw new RangeError(`windowLoss: horizon must be >= 1, got ${opts.horizon}`);
  return { loss: neg(ret), states };
}

/**
 * Throws if any value of `x` is NaN or infinite, naming `what` and the first bad row: a NaN that
 * reached the parameters would ruin the run, so APG stops where it first appears.
 */
export function checkFinite(where: string, what: string, x: Float64Array): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new Error(`${where}: ${what} is ${x[i]} (row ${i}); the parameters were not updated`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The algorithm

/** APG's own metrics of one update (the trainer adds counters and returns). */
export type ApgMetrics = {
  /** The window's loss, -(1/B) sum_b sum_t gamma^t r_t (scored as `reward` says). */
  loss: number;
  /** Global L2 norm of the gradient before clipping. */
  gradNorm: number;
  /** 1 when the gradient was scaled down to maxGradNorm, else 0. */
  clipped: number;
  lr: number;
  /** Mean std of the action noise (exp of the log-std), or null for deterministic actions. */
  actionStd: number | null;
  /**
   * Pendulum-v1 only: the fraction of the window's transitions that ended on the +-8 speed clip,
   * where the gradient through the speed is zero. Null for other envs.
   */
  speedClipFraction: number | null;
};

/** What an APG checkpoint holds besides the parameters and the trainer's state. */
export interface ApgState {
  readonly optimizer: AdamState;
  readonly noiseRng: RngState;
  readonly resetRng: RngState;
  /** The carried env state: stateDim columns of numEnvs values. */
  readonly states: number[][];
  /** Steps into its episode and return so far, per env. */
  readonly elapsed: number[];
  readonly episodeReturns: number[];
}

export type ApgCheckpoint = TrainerCheckpoint<ApgConfig, ApgState>;
export type ApgOptions = RunHooks<ApgConfig, ApgState, ApgMetrics>;
export type ApgResult = RunResult<ApgConfig, ApgState, ApgMetrics>;

/**
 * The differentiable env of a source: an id (the exact env: Gymnasium's float32 roundings kept in
 * the forward, straight through in the backward, so APG trains on the env it is evaluated on), or
 * a factory whose envs are defined in the array algebra (a `PhysicsEnv` over a Dynamics).
 * Throws, saying what to use instead, for an env APG cannot differentiate.
 */
export function apgEnv(source: EnvSource): DifferentiableEnv {
  let env: DifferentiableEnv;
  if (typeof source === "string") {
    try {
      env = makeDifferentiable(source);
    } catch (e) {
      throw new Error(
        `apg: cannot differentiate ${source}: ${(e as Error).message}; use --algo reinforce for it`,
        { cause: e },
      );
    }
  } else {
    const e = source();
    const dyn = e instanceof PhysicsEnv ? e.physics.dynamics : undefined;
    if (!(e instanceof PhysicsEnv) || dyn === undefined) {
      e.close();
      throw new Error(
        `apg: ${e.id} is not written in the array algebra (a PhysicsEnv over a Dynamics, see src/envs/num.ts), so there is no step to differentiate; use reinforce for it`,
      );
    }
    env = new DifferentiableEnv(dyn, e.params, {
      ...(e.maxEpisodeSteps === undefined ? {} : { maxEpisodeSteps: e.maxEpisodeSteps }),
    });
    e.close();
  }
  apgPolicySpecFor({ hiddenSizes: [], activation: "tanh", initLogStd: 0 }, env); // discrete: throws
  return env;
}

function isApgState(s: unknown): s is ApgState {
  const o = s as Partial<ApgState> | null;
  return (
    o !== null &&
    typeof o === "object" &&
    typeof o.optimizer === "object" &&
    Array.isArray(o.states) &&
    Array.isArray(o.elapsed) &&
    Array.isArray(o.episodeReturns)
  );
}

function initApg(
  source: EnvSource,
  cfg: ApgConfig,
  restore: AlgorithmCheckpoint<unknown> | null,
): Learner<ApgState, ApgMetrics> {
  if (restore !== null && !isApgState(restore.state)) {
    throw new Error(
      `apg: the checkpoint's algorithm state must be { optimizer, noiseRng, resetRng, states, elapsed, episodeReturns }, got ${JSON.stringify(restore.state)?.slice(0, 200)}`,
    );
  }
  const saved = restore === null ? null : (restore.state as ApgState);
  const env = apgEnv(source);
  const B = cfg.numEnvs;
  const D = env.dynamics.actDim;
  const S = env.dynamics.stateDim;
  const limit = env.maxEpisodeSteps ?? Number.POSITIVE_INFINITY;
  const isPendulum = env.dynamics === pendulumDynamics;
  const maxSpeed = isPendulum ? (env.params as { maxSpeed: number }).maxSpeed : 0;

  // Setup: random streams, policy, optimizer, the carried env state; or all of it from a checkpoint.
  const noiseRng = saved ? Rng.fromState(saved.noiseRng) : streamRng(cfg.seed, "actions");
  const resetRng = saved ? Rng.fromState(saved.resetRng) : streamRng(cfg.seed, "envResets");
  const spec = apgPolicySpecFor(cfg, env);
  const policy = restore
    ? policyFromParams(spec, cloneParams(restore.params))
    : createPolicy(spec, streamRng(cfg.seed, "policyInit"));
  const params = policy.params;
  const optimizer = adam({ lr: cfg.lr, beta1: cfg.beta1, beta2: cfg.beta2 });
  const optState: AdamState = saved ? structuredClone(saved.optimizer) : optimizer.init(params);
  let states = saved
    ? saved.states.map((c) => new Tensor(Float64Array.from(c), [B]))
    : env.initialStates(resetRng, B);
  const elapsed = saved ? Int32Array.from(saved.elapsed) : new Int32Array(B);
  const episodeReturn = saved ? Float64Array.from(saved.episodeReturns) : new Float64Array(B);
  const noise = cfg.actionNoise === "gaussian" ? new Float64Array(cfg.window * B * D) : null;
  const finished: number[] = [];
  const finishedLengths: number[] = [];
  let speedClips = 0;
  let at = "";

  // After each step of a window: check it, add up the env's own returns, and start the rows whose
  // episode ended afresh (a fresh start is a constant: the gradient is cut there).
  const afterStep = (step: WindowStep) => {
    const tr = step.transition;
    checkFinite(at, `the reward at step ${step.t + 1} of the window`, step.scored.data);
    for (let k = 0; k < S; k++) {
      checkFinite(at, `state component ${k} at step ${step.t + 1} of the window`, tr.next[k].data);
    }
    const r = tr.reward.data;
    const done = tr.terminated.data;
    let ended = 0;
    for (let i = 0; i < B; i++) {
      episodeReturn[i] += r[i];
      elapsed[i]++;
      if (isPendulum && Math.abs(tr.next[1].data[i]) >= maxSpeed) speedClips++;
      if (elapsed[i] >= limit || done[i] === 1) ended++;
    }
    if (ended === 0) return undefined;
    const fresh = env.initialStates(resetRng, ended);
    const mask = new Float64Array(B);
    const cols = Array.from({ length: S }, () => new Float64Array(B));
    for (let i = 0, j = 0; i < B; i++) {
      if (!(elapsed[i] >= limit || done[i] === 1)) continue;
      finished.push(episodeReturn[i]);
      finishedLengths.push(elapsed[i]);
      episodeReturn[i] = 0;
      elapsed[i] = 0;
      mask[i] = 1;
      for (let k = 0; k < S; k++) cols[k][i] = fresh[k].data[j];
      j++;
    }
    const m = new Tensor(mask, [B]);
    const next = tr.next.map((x, k) => where(m, new Tensor(cols[k], [B]), x));
    return { states: next, obs: env.observe(next) };
  };
  let reached: Tensor[] = states;
  const lossAndGrad = valueAndGrad(
    (p) => {
      const out = windowLoss(env, spec, p, states, noise, {
        horizon: cfg.window,
        gamma: cfg.gamma,
        stateGrad: cfg.stateGrad,
        reward: cfg.reward,
        afterStep,
      });
      reached = out.states;
      return out.loss;
    },
    { reuseGrads: true },
  );

  /** One APG update: one window. */
  function update(ctx: UpdateContext): UpdateResult<ApgMetrics> {
    at = ctx.where;
    finished.length = 0;
    finishedLengths.length = 0;
    speedClips = 0;

    // 1. Noise for the whole window, drawn first: the loss is then a fixed function of theta.
    if (noise !== null) fillStandardNormal(noiseRng, noise, 0, noise.length);

    // 2. Unroll the window on the tape and backpropagate its return.
    const g = lossAndGrad(params);
    // The states reached, copied out of the tape's arena: constants, so the next window's
    // gradient starts there.
    states = reached.map((c) => new Tensor(c.data.slice(), c.shape));
    if (!Number.isFinite(g.value)) throw new Error(`${at}: the loss is ${g.value}`);
    for (const name of Object.keys(g.grads)) {
      checkFinite(at, `the gradient of ${name}`, g.grads[name]);
    }

    // 3. Clip to the global norm (the norm before clipping is logged), step at the scheduled lr.
    const gradNorm =
      cfg.maxGradNorm === null ? globalNorm(g.grads) : clipGradNorm(g.grads, cfg.maxGradNorm);
    const lr = cfg.lr * ctx.lrScale;
    optimizer.step(params, g.grads, optState, lr);

    const logStd = params[LOG_STD_NAME];
    return {
      envSteps: B * cfg.window,
      episodeReturns: finished,
      episodeLengths: finishedLengths,
      metrics: {
        loss: g.value,
        gradNorm,
        clipped: cfg.maxGradNorm !== null && gradNorm > cfg.maxGradNorm ? 1 : 0,
        lr,
        actionStd:
          noise === null ? null : meanStd(Array.from(logStd.data, (v) => math.exp(v))).mean,
        speedClipFraction: isPendulum ? speedClips / (B * cfg.window) : null,
      },
    };
  }

  return {
    policy,
    update,
    save: () => ({
      params: snapshotParams(params),
      state: {
        optimizer: structuredClone(optState),
        noiseRng: noiseRng.getState(),
        resetRng: resetRng.getState(),
        states: states.map((c) => Array.from(c.data)),
        elapsed: Array.from(elapsed),
        episodeReturns: Array.from(episodeReturn),
      },
    }),
    close: () => {},
  };
}

/** APG as a trainer-layer {@link Algorithm}: what `apg()` and `--algo apg` run. */
export const apgAlgorithm: Algorithm<ApgConfig, ApgState, ApgMetrics> = {
  name: "apg",
  summary:
    "analytic policy gradients: backpropagate the return through the differentiable env (Box actions)",
  configName: "ApgConfig",
  schema: apgSchema,
  presets: {},
  envPresets: APG_ENV_PRESETS,
  resolveConfig: (overrides) => resolveApgConfig(overrides),
  init: initApg,
  checkEnv: (env) => void apgEnv(env),
  policy(checkpoint, cfg, env) {
    const spec = apgPolicySpec(cfg, flatSize(env.observationSpace), env.actionSpace);
    return policyFromParams(spec, checkpoint.params);
  },
};

/**
 * Rebuilds the trained policy of an APG checkpoint for `env`, the environment it was trained on.
 * Its deterministic action is the squashed mean, the action APG trained.
 */
export function apgPolicy(
  checkpoint: Pick<AlgorithmCheckpoint<unknown>, "params" | "state">,
  env: Pick<Env, "observationSpace" | "actionSpace">,
): Policy {
  return checkpointPolicy(apgAlgorithm, checkpoint, env);
}

/**
 * Trains a policy with analytic policy gradients on a differentiable env (an id, or a factory of
 * PhysicsEnvs defined in the array algebra): the trainer layer's {@link runTrainer} with
 * {@link apgAlgorithm}. See {@link apgSchema} for every option.
 *
 * @example
 * const { policy } = apg("Pendulum-v1", { seed: 0, totalSteps: 60_000 });
 */
export function apg(
  env: EnvSource,
  config: Partial<ApgConfig> = {},
  options: ApgOptions = {},
): ApgResult {
  return runTrainer(apgAlgorithm, env, config, options);
}
