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
 * const { policy } = apg("Pendulum-v1", { seed: 0, totalSteps: 100_000 });
 * evaluate(policy, "Pendulum-v1", { episodes: 100, seed: 1, deterministic: true }).returnMean;
 */
import { valueAndGrad } from "../core/grad.ts";
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
import { make } from "../envs/registry.ts";
import type { BoxSpace } from "../envs/spaces.ts";
import {
  type AdamState,
  adam,
  clipGradNorm,
  cloneParams,
  globalNorm,
  type MlpSpec,
  mlp,
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
import { meanStd } from "./returns.ts";

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
  env: DifferentiableEnv,
): PolicySpec {
  const space = env.dynamics.actionSpace(env.params);
  if (space.kind !== "box") {
    throw new Error(
      `apg: ${env.dynamics.name} has a ${space.kind} action space; analytic policy gradients need continuous (Box) actions to differentiate through, use --algo reinforce`,
    );
  }
  const bounded = isBounded(space);
  return {
    obsDim: env.dynamics.obsDim,
    actionSpace: space,
    hiddenSizes: cfg.hiddenSizes,
    activation: cfg.activation,
    logStd: "state-independent",
    // For an unbounded box "clip" clips nothing: the policy's action is its Gaussian sample.
    squash: bounded ? "tanh" : "clip",
    initLogStd: cfg.initLogStd,
  };
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
  const mu = mlp(params, policyMlpSpec(spec), stackColumns(obs));
  const u = eps === null ? mu : add(mu, mul(exp(params[LOG_STD_NAME]), eps));
  if (spec.squash === "clip") return columnsOf(u);
  const space = spec.actionSpace as BoxSpace;
  const D = space.size;
  const mid = new Float64Array(D);
  const half = new Float64Array(D);
  for (let d = 0; d < D; d++) {
    mid[d] = (space.low[d] + space.high[d]) / 2;
    half[d] = (space.high[d] - space.low[d]) / 2;
  }
  return columnsOf(add(new Tensor(mid, [D]), mul(new Tensor(half, [D]), tanh(u))));
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

/** The learning rate of a schedule at `progress` = envSteps / totalSteps in [0, 1]. */
export function scheduledLr(
  lr: number,
  schedule: ApgConfig["lrSchedule"],
  progress: number,
): number {
  const p = Math.min(Math.max(progress, 0), 1);
  if (schedule === "linear") return lr * Math.max(1 - p, 1e-3);
  if (schedule === "cosine") return lr * Math.max(0.5 * (1 + Math.cos(Math.PI * p)), 1e-3);
  return lr;
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
// The trainer

/** Per-update metrics (flat, JSON-safe). */
export interface ApgMetrics {
  update: number;
  envSteps: number;
  episodes: number;
  wallTimeS: number;
  stepsPerSecond: number;
  /** Mean env return (the env's own reward) of the episodes that ended in this window, or null. */
  returnMean: number | null;
  /** Mean env return of the last (up to) 100 finished training episodes, or null. */
  returnMean100: number | null;
  /** The window's loss, -(1/B) sum_b sum_t gamma^t r_t. */
  loss: number;
  /** Global L2 norm of the gradient before clipping. */
  gradNorm: number;
  /** Whether the gradient was scaled down to maxGradNorm. */
  clipped: boolean;
  lr: number;
  /** Mean action-noise std (exp of the log-std), or null for deterministic actions. */
  actionStd: number | null;
  /**
   * Pendulum-v1 only: the fraction of this window's transitions that ended on the +-8 speed clip,
   * where the state's gradient through the speed is zero. Null for other envs.
   */
  speedClipFraction: number | null;
}

export interface ApgState {
  readonly version: 1;
  readonly config: ApgConfig;
  readonly update: number;
  readonly envSteps: number;
  readonly episodes: number;
  readonly wallTimeS: number;
  readonly optimizer: AdamState;
  readonly noiseRng: RngState;
  readonly resetRng: RngState;
  /** The carried env state: stateDim columns of numEnvs values. */
  readonly states: number[][];
  readonly elapsed: number[];
  readonly episodeReturns: number[];
  readonly recentReturns: number[];
}

export interface ApgCheckpoint {
  params: Params;
  state: ApgState;
}

export interface ApgOptions {
  /** Called after every update, with the policy being trained (its parameters are live). */
  onMetrics?: (m: ApgMetrics, policy: Policy) => void;
  signal?: AbortSignal;
  resume?: ApgCheckpoint;
  onCheckpoint?: (c: ApgCheckpoint) => void;
  /** Updates between `onCheckpoint` calls; default 0 (only the final checkpoint is returned). */
  checkpointEvery?: number;
}

export interface ApgResult {
  policy: Policy;
  checkpoint: ApgCheckpoint;
  metrics: ApgMetrics | null;
  stoppedEarly: boolean;
}

/**
 * The differentiable env for an id: the exact env (float32 roundings kept in the forward), or a
 * {@link DifferentiableEnv} given directly. Discrete envs are refused, saying what to use.
 */
export function apgEnv(env: string | DifferentiableEnv): DifferentiableEnv {
  if (env instanceof DifferentiableEnv) return env;
  let d: DifferentiableEnv;
  try {
    d = makeDifferentiable(env);
  } catch (e) {
    throw new Error(
      `apg: cannot train on ${env}: ${(e as Error).message}. Analytic policy gradients need a differentiable env with continuous actions; use --algo reinforce for this env`,
      { cause: e },
    );
  }
  if (d.dynamics.actDim < 1 || d.dynamics.actionSpace(d.params).kind !== "box") {
    apgPolicySpec({ hiddenSizes: [], activation: "tanh", initLogStd: 0 }, d); // throws the message
  }
  return d;
}

/**
 * Rebuilds the trained policy of a checkpoint for the env it was trained on; `policy.act` with
 * `deterministic` is the squashed mean, as in training.
 */
export function apgPolicy(
  checkpoint: Pick<ApgCheckpoint, "params" | "state">,
  env: string | DifferentiableEnv,
): Policy {
  return policyFromParams(apgPolicySpec(checkpoint.state.config, apgEnv(env)), checkpoint.params);
}

/**
 * Trains a policy with analytic policy gradients on a differentiable env (an id, or a
 * {@link DifferentiableEnv}); see {@link apgSchema} for every option.
 */
export function apg(
  envIn: string | DifferentiableEnv,
  config: Partial<ApgConfig> = {},
  options: ApgOptions = {},
): ApgResult {
  const resume = options.resume;
  const cfg = resolveApgConfig(resume ? { ...resume.state.config, ...config } : config);
  const checkpointEvery = options.checkpointEvery ?? 0;
  const env = apgEnv(envIn);
  const B = cfg.numEnvs;
  const D = env.dynamics.actDim;
  const S = env.dynamics.stateDim;
  const limit = env.maxEpisodeSteps ?? Number.POSITIVE_INFINITY;
  const isPendulum = env.dynamics === pendulumDynamics;
  const maxSpeed = isPendulum ? (env.params as { maxSpeed: number }).maxSpeed : 0;

  // Setup: random streams, policy, optimizer, carried env state; or all of it from a checkpoint.
  const root = new Rng(cfg.seed);
  const initRng = root.split();
  const noiseRng = resume ? Rng.fromState(resume.state.noiseRng) : root.split();
  const resetRng = resume ? Rng.fromState(resume.state.resetRng) : root.split();
  const spec = apgPolicySpec(cfg, env);
  const policy = resume
    ? policyFromParams(spec, cloneParams(resume.params))
    : createPolicy(spec, initRng);
  const params = policy.params;
  const optimizer = adam({ lr: cfg.lr, beta1: cfg.beta1, beta2: cfg.beta2 });
  const optState: AdamState = resume
    ? structuredClone(resume.state.optimizer)
    : optimizer.init(params);
  let states = resume
    ? resume.state.states.map((c) => new Tensor(Float64Array.from(c), [B]))
    : env.initialStates(resetRng, B);
  const elapsed = resume ? Int32Array.from(resume.state.elapsed) : new Int32Array(B);
  const episodeReturn = resume
    ? Float64Array.from(resume.state.episodeReturns)
    : new Float64Array(B);
  const recent: number[] = resume ? [...resume.state.recentReturns] : [];
  let update = resume?.state.update ?? 0;
  let envSteps = resume?.state.envSteps ?? 0;
  let episodes = resume?.state.episodes ?? 0;
  const wallStart = performance.now() / 1000 - (resume?.state.wallTimeS ?? 0);
  const noise = cfg.actionNoise === "gaussian" ? new Float64Array(cfg.window * B * D) : null;
  const finished: number[] = [];
  let speedClips = 0;
  let metrics: ApgMetrics | null = null;
  let stoppedEarly = false;
  let at = "";

  // Inside the window: check each step, track the env's own returns, reset rows at their end
  // (a fresh start is a constant, so the gradient is cut there).
  const afterStep = (step: WindowStep) => {
    const tr = step.transition;
    checkFinite(at, `the reward at step ${step.t + 1} of the window`, step.scored.data);
    for (let k = 0; k < S; k++) {
      checkFinite(at, `state component ${k} at step ${step.t + 1} of the window`, tr.next[k].data);
    }
    const r = tr.reward.data;
    let ended = 0;
    for (let i = 0; i < B; i++) {
      episodeReturn[i] += r[i];
      elapsed[i]++;
      if (isPendulum && Math.abs(tr.next[1].data[i]) >= maxSpeed) speedClips++;
      if (elapsed[i] >= limit || tr.terminated.data[i] === 1) ended++;
    }
    if (ended === 0) return undefined;
    const fresh = env.initialStates(resetRng, ended);
    const mask = new Float64Array(B);
    const cols = Array.from({ length: S }, () => new Float64Array(B));
    let j = 0;
    for (let i = 0; i < B; i++) {
      if (!(elapsed[i] >= limit || tr.terminated.data[i] === 1)) continue;
      finished.push(episodeReturn[i]);
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
  let carried: Tensor[] = states;
  const lossOf = valueAndGrad(
    (p) => {
      const out = windowLoss(env, spec, p, states, noise, {
        horizon: cfg.window,
        gamma: cfg.gamma,
        stateGrad: cfg.stateGrad,
        reward: cfg.reward,
        afterStep,
      });
      carried = out.states;
      return out.loss;
    },
    { reuseGrads: true },
  );

  const checkpoint = (): ApgCheckpoint => ({
    params: cloneParams(params),
    state: {
      version: 1,
      config: cfg,
      update,
      envSteps,
      episodes,
      wallTimeS: performance.now() / 1000 - wallStart,
      optimizer: structuredClone(optState),
      noiseRng: noiseRng.getState(),
      resetRng: resetRng.getState(),
      states: states.map((c) => Array.from(c.data)),
      elapsed: Array.from(elapsed),
      episodeReturns: Array.from(episodeReturn),
      recentReturns: [...recent],
    },
  });

  while (envSteps < cfg.totalSteps) {
    if (options.signal?.aborted) {
      stoppedEarly = true;
      break;
    }
    at = `apg (update ${update + 1}, window starting at env step ${envSteps})`;

    // 1. Noise for the whole window, drawn before the forward (the loss is then a fixed function).
    if (noise !== null) fillStandardNormal(noiseRng, noise, 0, noise.length);

    // 2. Unroll the window on the tape and backpropagate the return through it.
    finished.length = 0;
    speedClips = 0;
    const g = lossOf(params);
    // The states reached, copied out of the tape's arena: constants, so the next window's gradient
    // starts there.
    states = carried.map((c) => new Tensor(c.data.slice(), c.shape));
    if (!Number.isFinite(g.value)) throw new Error(`${at}: the loss is ${g.value}`);
    for (const name of Object.keys(g.grads))
      checkFinite(at, `the gradient of ${name}`, g.grads[name]);

    // 3. Clip to the global norm (logging the norm before), step with the scheduled rate.
    const gradNorm =
      cfg.maxGradNorm === null ? globalNorm(g.grads) : clipGradNorm(g.grads, cfg.maxGradNorm);
    const lr = scheduledLr(cfg.lr, cfg.lrSchedule, envSteps / cfg.totalSteps);
    optimizer.step(params, g.grads, optState, lr);

    // 4. Counters and metrics.
    update++;
    envSteps += B * cfg.window;
    episodes += finished.length;
    for (const r of finished) {
      recent.push(r);
      if (recent.length > 100) recent.shift();
    }
    const wallTimeS = performance.now() / 1000 - wallStart;
    const logStd = params[LOG_STD_NAME];
    metrics = {
      update,
      envSteps,
      episodes,
      wallTimeS,
      stepsPerSecond: envSteps / Math.max(wallTimeS, 1e-9),
      returnMean: finished.length > 0 ? meanStd(finished).mean : null,
      returnMean100: recent.length > 0 ? meanStd(recent).mean : null,
      loss: g.value,
      gradNorm,
      clipped: cfg.maxGradNorm !== null && gradNorm > cfg.maxGradNorm,
      lr,
      actionStd: logStd === undefined ? null : meanStd(Array.from(logStd.data, Math.exp)).mean,
      speedClipFraction: isPendulum ? speedClips / (B * cfg.window) : null,
    };
    options.onMetrics?.(metrics, policy);
    if (checkpointEvery > 0 && update % checkpointEvery === 0) options.onCheckpoint?.(checkpoint());
  }
  return { policy, checkpoint: checkpoint(), metrics, stoppedEarly };
}

/** The eval env of an APG run: the exact env of the id. */
export function apgEvalEnv(envId: string) {
  return make(envId);
}
