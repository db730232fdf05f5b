/**
 * The gradient probe: for one stochastic policy, how good are the score-function (REINFORCE) and
 * the pathwise (APG) estimates of the policy gradient, horizon by horizon?
 *
 * The objective at horizon H is J_H(theta) = E[sum_{t<H} gamma^t r_t], the expectation over the
 * env's initial distribution (the starts `reset` draws) and the policy's Gaussian noise, with the
 * env's own reward (as written: of the pre-step state for Pendulum-v1), no resets within H.
 * One sample is one trajectory:
 *
 * - REINFORCE: sum_{t<H} grad log N(u_t; mu(o_t), sigma) G_t with the reward-to-go
 *   G_t = sum_{t<=k<H} gamma^k r_k (u_t the pre-squash Gaussian sample); unbiased for any reward.
 * - APG: the gradient of sum_{t<H} gamma^t r_t through the policy and the dynamics at fixed noise
 *   (windowLoss with `stateGrad: "full"`, `reward: "env"`); unbiased where the return is a
 *   differentiable function of theta, biased where it is not (a reward's jump, such as
 *   MountainCarContinuous's goal bonus, has no derivative to follow).
 *
 * The reference g* is exact on the LQ task (with the policy's noise, from the LQ recursion);
 * elsewhere it is the mean of `referenceSamples` REINFORCE samples, checked by central finite
 * differences of J_H with common random numbers along random directions.
 */

import { valueAndGrad } from "../core/grad.ts";
import * as math from "../core/math.ts";
import { mul, sum, mean as tmean } from "../core/ops.ts";
import { Rng } from "../core/rng.ts";
import { type Params, Tensor } from "../core/tensor.ts";
import { diagGaussianLogProb } from "../distributions/gaussian.ts";
import { type DifferentiableEnv, stackColumns } from "../envs/diff.ts";
import {
  type LinearQuadraticParams,
  linearQuadraticDynamics,
  lqReturn,
} from "../envs/toy/linear_quadratic.ts";
import { mlp } from "../nn/index.ts";
import { policyActions, windowLoss } from "./apg.ts";
import { LOG_STD_NAME, type PolicySpec, policyMlpSpec } from "./policy.ts";

export type Estimator = "reinforce" | "apg";

/** One estimator at one horizon. */
export interface ProbeRow {
  readonly estimator: Estimator;
  readonly horizon: number;
  /** Samples behind the row. */
  readonly samples: number;
  /** tr(Cov[g]) / |g*|^2 of one sample. */
  readonly variance: number;
  /** E[cos(g, g*)] of one sample. */
  readonly cosine: number;
  /** |mean g - g*| / |g*|. */
  readonly bias: number;
  /** Standard error of that bias: sqrt(tr(Cov[g]) / samples) / |g*|. */
  readonly biasSe: number;
  /** The largest |mean g - g*| / SE over the coordinates (unbiased: below about 4). */
  readonly biasZ: number;
  /** Samples whose mean reaches cosine 0.9 to g* (from the bias and variance); Infinity if never. */
  readonly samplesToCos09: number;
  /** Cosine of the mean of all the row's samples to g*. */
  readonly meanCosine: number;
  readonly wallPerSampleS: number;
}

export interface ProbeReference {
  readonly horizon: number;
  /** "exact" (LQ recursion) or "reinforce" (a large score-function average). */
  readonly kind: "exact" | "reinforce";
  readonly norm: number;
  /**
   * Finite-difference check of a sampled g* along random unit directions d (common random
   * numbers): each entry is [g* . d, (J(theta + h d) - J(theta - h d)) / 2h, the standard error of g* . d].
   */
  readonly fdCheck: readonly (readonly [number, number, number])[];
}

export interface ProbeOptions {
  readonly horizons: readonly number[];
  /** Samples per estimator and horizon. */
  readonly samples: number;
  readonly gamma?: number;
  readonly seed?: number;
  /** REINFORCE samples averaged for g* where no exact gradient exists (default 20 x samples). */
  readonly referenceSamples?: number;
  /** Random directions of the finite-difference check (default 3). */
  readonly fdDirections?: number;
}

export interface ProbeResult {
  readonly rows: ProbeRow[];
  readonly references: ProbeReference[];
}

type Flat = Float64Array;

function flatten(grads: Record<string, Float64Array>, names: readonly string[]): Flat {
  let n = 0;
  for (const k of names) n += grads[k].length;
  const out = new Float64Array(n);
  let o = 0;
  for (const k of names) {
    out.set(grads[k], o);
    o += grads[k].length;
  }
  return out;
}

/**
 * One APG sample: the gradient of J_H (ascent direction) of one trajectory at fixed start and noise.
 */
export function apgSample(
  env: DifferentiableEnv,
  spec: PolicySpec,
  params: Params,
  start: readonly Tensor[],
  noise: Float64Array,
  horizon: number,
  gamma: number,
): { ret: number; grads: Record<string, Float64Array> } {
  const { value, grads } = valueAndGrad(
    (p) =>
      windowLoss(env, spec, p, start, noise, { horizon, gamma, stateGrad: "full", reward: "env" })
        .loss,
  )(params);
  for (const k in grads) for (let i = 0; i < grads[k].length; i++) grads[k][i] = -grads[k][i];
  return { ret: -value, grads };
}

/**
 * One REINFORCE sample (ascent direction): the trajectory is run off the tape, then
 * sum_t grad log N(u_t; mu(o_t), sigma) G_t with the reward-to-go G_t.
 */
export function reinforceSample(
  env: DifferentiableEnv,
  spec: PolicySpec,
  params: Params,
  start: readonly Tensor[],
  noise: Float64Array,
  horizon: number,
  gamma: number,
): { ret: number; grads: Record<string, Float64Array> } {
  const O = spec.obsDim;
  const D = env.dynamics.actDim;
  const obs = new Float64Array(horizon * O);
  const u = new Float64Array(horizon * D);
  const g = new Float64Array(horizon);
  let states = [...start];
  let discount = 1;
  const std = Array.from(params[LOG_STD_NAME].data, (v) => math.exp(v));
  const mlpSpec = policyMlpSpec(spec);
  for (let t = 0; t < horizon; t++) {
    const o = env.observe(states);
    for (let k = 0; k < O; k++) obs[t * O + k] = o[k].data[0];
    const mu = mlp(params, mlpSpec, stackColumns(o)).data;
    for (let d = 0; d < D; d++) u[t * D + d] = mu[d] + std[d] * noise[t * D + d];
    const eps = new Tensor(noise.slice(t * D, (t + 1) * D), [1, D]);
    const tr = env.step(states, policyActions(params, spec, o, eps));
    g[t] = discount * tr.reward.data[0];
    discount *= gamma;
    states = tr.next;
  }
  let ret = 0;
  for (let t = horizon - 1; t >= 0; t--) {
    ret += g[t];
    g[t] = ret;
  }
  const { grads } = valueAndGrad((p) => {
    const m = mlp(p, mlpSpec, new Tensor(obs, [horizon, O]));
    const lp = diagGaussianLogProb(m, p[LOG_STD_NAME], new Tensor(u, [horizon, D]));
    return sum(mul(lp, new Tensor(g, [horizon])));
  })(params);
  return { ret, grads };
}

/**
 * The exact gradient of J_H on the LQ task for a linear Gaussian policy u = x W + b + sigma eps at
 * b = 0 (ascent direction, names as the policy's). The noise enters linearly: each action's noise
 * is a fresh start at the next step, so J = J_det(Sigma0, H) + sum_t gamma^{t+1}
 * J_det(sigma^2 B B', H - t - 1) - sigma^2 R sum_t gamma^t, all from {@link lqReturn}; dJ/db = 0
 * at b = 0 by symmetry.
 */
export function lqExactGradient(
  env: DifferentiableEnv,
  params: Params,
  horizon: number,
  gamma: number,
): Record<string, Float64Array> {
  const p = env.params as LinearQuadraticParams;
  const W = params["policy.0.weight"].data;
  if (W.length !== 2 || params["policy.0.bias"].data[0] !== 0) {
    throw new Error("lqExactGradient: needs a linear policy (hiddenSizes []) with bias 0");
  }
  const lp = { ...p, gamma };
  const K = [-W[0], -W[1]];
  const s2 = math.exp(2 * params[LOG_STD_NAME].data[0]);
  const b = [(p.dt * p.dt) / 2, p.dt];
  const bb = [b[0] * b[0], b[0] * b[1], b[1] * b[0], b[1] * b[1]];
  const det = lqReturn(K, { params: lp, horizon });
  const gK = [...det.grad];
  let dJds2 = 0;
  let disc = 1;
  for (let t = 0; t < horizon; t++) {
    dJds2 -= p.r * disc;
    if (horizon - t - 1 > 0) {
      const w = lqReturn(K, { params: lp, sigma0: bb, horizon: horizon - t - 1 });
      dJds2 += disc * gamma * w.value;
      for (let j = 0; j < 2; j++) gK[j] += disc * gamma * s2 * w.grad[j];
    }
    disc *= gamma;
  }
  return {
    "policy.0.weight": Float64Array.of(-gK[0], -gK[1]),
    "policy.0.bias": Float64Array.of(0),
    [LOG_STD_NAME]: Float64Array.of(2 * s2 * dJds2),
  };
}

function dot(a: Flat, b: Flat): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Bias, variance and cosines of `samples` (flat gradients) against `ref`. */
export function summarize(
  samples: readonly Flat[],
  ref: Flat,
): Omit<ProbeRow, "estimator" | "horizon" | "wallPerSampleS"> {
  const n = samples.length;
  const P = ref.length;
  const m = new Float64Array(P);
  for (const s of samples) for (let i = 0; i < P; i++) m[i] += s[i] / n;
  const varI = new Float64Array(P);
  for (const s of samples)
    for (let i = 0; i < P; i++) varI[i] += math.pow(s[i] - m[i], 2) / (n - 1);
  const tr = varI.reduce((a, b) => a + b, 0);
  const r2 = dot(ref, ref);
  const rn = Math.sqrt(r2);
  let cos = 0;
  for (const s of samples) cos += dot(s, ref) / (Math.sqrt(dot(s, s)) * rn || 1) / n;
  let b2 = 0;
  let z = 0;
  for (let i = 0; i < P; i++) {
    const d = m[i] - ref[i];
    b2 += d * d;
    const se = Math.sqrt(varI[i] / n);
    if (se > 0) z = Math.max(z, Math.abs(d) / se);
    else if (d !== 0) z = Number.POSITIVE_INFINITY;
  }
  // Samples to cosine 0.9 for the mean of k samples, E[g_k] = g* + b and E|g_k - E g_k|^2 = tr / k:
  // its cosine to g* is about (g* . (g* + b)) / (|g*| sqrt(|g* + b|^2 + tr / k)). Without a
  // significant bias (z <= 4) b is taken as 0 (k = tr / |g*|^2 * 0.81 / 0.19); else the measured
  // mean stands for g* + b, and a bias too large for 0.9 means never.
  let samplesToCos09: number;
  if (z <= 4) samplesToCos09 = Math.max(1, ((tr / r2) * 0.81) / 0.19);
  else {
    const a = dot(ref, m) / rn;
    const need = math.pow(a / 0.9, 2) - dot(m, m);
    samplesToCos09 = a <= 0 || need <= 0 ? Number.POSITIVE_INFINITY : Math.max(1, tr / need);
  }
  return {
    samples: n,
    variance: tr / r2,
    cosine: cos,
    bias: Math.sqrt(b2) / rn,
    biasSe: Math.sqrt(tr / n) / rn,
    biasZ: z,
    samplesToCos09,
    meanCosine: dot(m, ref) / (Math.sqrt(dot(m, m)) * rn || 1),
  };
}

/**
 * Runs the probe for `params` (a policy of `spec`) on `env`. Deterministic for a seed.
 *
 * @example
 * const env = makeDifferentiable("LinearQuadratic-v0");
 * const { rows } = gradProbe(env, spec, params, { horizons: [1, 10, 100], samples: 200 });
 */
export function gradProbe(
  env: DifferentiableEnv,
  spec: PolicySpec,
  params: Params,
  opts: ProbeOptions,
): ProbeResult {
  const gamma = opts.gamma ?? 0.99;
  const N = opts.samples;
  if (!Number.isInteger(N) || N < 2) {
    throw new RangeError(`gradProbe: samples must be an integer >= 2, got ${N}`);
  }
  for (const h of opts.horizons) {
    if (!Number.isInteger(h) || h < 1) {
      throw new RangeError(`gradProbe: horizons must be integers >= 1, got ${h}`);
    }
  }
  if (params[LOG_STD_NAME] === undefined) {
    throw new Error(`gradProbe: the policy needs a state-independent log-std (${LOG_STD_NAME})`);
  }
  const names = Object.keys(params);
  const D = env.dynamics.actDim;
  const exact = env.dynamics === linearQuadraticDynamics;
  const rows: ProbeRow[] = [];
  const references: ProbeReference[] = [];
  const seed = opts.seed ?? 0;
  for (const H of opts.horizons) {
    // The same starts and noise for both estimators (one stream per horizon).
    const draw = (rng: Rng) => {
      const start = env.initialStates(rng, 1);
      const noise = new Float64Array(H * D);
      for (let i = 0; i < noise.length; i++) noise[i] = rng.normal();
      return { start, noise };
    };
    let ref: Flat;
    let fdCheck: [number, number, number][] = [];
    if (exact) {
      ref = flatten(lqExactGradient(env, params, H, gamma), names);
    } else {
      const M = opts.referenceSamples ?? 20 * N;
      const rng = new Rng(seed * 7919 + H * 104729 + 1);
      const all: Flat[] = [];
      for (let i = 0; i < M; i++) {
        const { start, noise } = draw(rng);
        all.push(flatten(reinforceSample(env, spec, params, start, noise, H, gamma).grads, names));
      }
      ref = new Float64Array(all[0].length);
      for (const s of all) for (let i = 0; i < ref.length; i++) ref[i] += s[i] / M;
      fdCheck = finiteDifferenceCheck(env, spec, params, names, all, ref, H, gamma, {
        directions: opts.fdDirections ?? 3,
        seed: seed + H,
        draw,
      });
    }
    references.push({
      horizon: H,
      kind: exact ? "exact" : "reinforce",
      norm: Math.sqrt(dot(ref, ref)),
      fdCheck,
    });
    for (const estimator of ["reinforce", "apg"] as const) {
      const rng = new Rng(seed * 31 + H);
      const samples: Flat[] = [];
      const t0 = performance.now();
      for (let i = 0; i < N; i++) {
        const { start, noise } = draw(rng);
        const f = estimator === "apg" ? apgSample : reinforceSample;
        samples.push(flatten(f(env, spec, params, start, noise, H, gamma).grads, names));
      }
      const wallPerSampleS = (performance.now() - t0) / 1000 / N;
      rows.push({ estimator, horizon: H, ...summarize(samples, ref), wallPerSampleS });
    }
  }
  return { rows, references };
}

/**
 * Central differences of J_H along random unit directions, with common random numbers (the same
 * starts and noise on both sides), against the sampled reference's projection and its SE.
 */
function finiteDifferenceCheck(
  env: DifferentiableEnv,
  spec: PolicySpec,
  params: Params,
  names: readonly string[],
  samples: readonly Flat[],
  ref: Flat,
  H: number,
  gamma: number,
  o: {
    directions: number;
    seed: number;
    draw: (rng: Rng) => { start: Tensor[]; noise: Float64Array };
  },
): [number, number, number][] {
  const rng = new Rng(o.seed);
  const P = ref.length;
  const out: [number, number, number][] = [];
  const M = samples.length;
  const draws = Array.from({ length: M }, () => o.draw(rng));
  for (let k = 0; k < o.directions; k++) {
    const d = new Float64Array(P);
    for (let i = 0; i < P; i++) d[i] = rng.normal();
    const dn = Math.sqrt(dot(d, d));
    for (let i = 0; i < P; i++) d[i] /= dn;
    const proj = samples.map((s) => dot(s, d));
    const pm = proj.reduce((a, b) => a + b, 0) / M;
    const pv = proj.reduce((a, b) => a + math.pow(b - pm, 2), 0) / (M - 1);
    const h = 1e-3;
    const J = (sign: number) => {
      const shifted: Params = {};
      let off = 0;
      for (const name of names) {
        const src = params[name];
        const v = new Float64Array(src.size);
        for (let i = 0; i < v.length; i++) v[i] = src.data[i] + sign * h * d[off + i];
        shifted[name] = new Tensor(v, src.shape);
        off += src.size;
      }
      let total = 0;
      for (const { start, noise } of draws) {
        total += returnOf(env, spec, shifted, start, noise, H, gamma);
      }
      return total / M;
    };
    out.push([dot(ref, d), (J(1) - J(-1)) / (2 * h), Math.sqrt(pv / M)]);
  }
  return out;
}

/** sum_t gamma^t r_t of one trajectory, off the tape. */
function returnOf(
  env: DifferentiableEnv,
  spec: PolicySpec,
  params: Params,
  start: readonly Tensor[],
  noise: Float64Array,
  H: number,
  gamma: number,
): number {
  const loss = windowLoss(env, spec, params, start, noise, {
    horizon: H,
    gamma,
    stateGrad: "full",
    reward: "env",
  }).loss;
  return -tmean(loss).data[0];
}

function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? "never" : String(v);
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(2) : v.toPrecision(3);
}

/** The probe's rows as a fixed-width table, one line per estimator and horizon. */
export function formatProbeTable(r: ProbeResult): string {
  const head = [
    "H",
    "estimator",
    "variance",
    "E[cos]",
    "bias",
    "+-SE",
    "z",
    "n(cos 0.9)",
    "s/sample",
    "|g*|",
    "g*",
  ];
  const lines = [head];
  for (const row of r.rows) {
    const ref = r.references.find((x) => x.horizon === row.horizon);
    lines.push([
      String(row.horizon),
      row.estimator,
      fmtNum(row.variance),
      row.cosine.toFixed(3),
      fmtNum(row.bias),
      fmtNum(row.biasSe),
      row.biasZ.toFixed(1),
      row.samplesToCos09 === Number.POSITIVE_INFINITY
        ? "never"
        : Math.ceil(row.samplesToCos09).toString(),
      fmtNum(row.wallPerSampleS),
      ref ? fmtNum(ref.norm) : "",
      ref ? ref.kind : "",
    ]);
  }
  const widths = head.map((_, j) => Math.max(...lines.map((l) => l[j].length)));
  return lines.map((l) => l.map((c, j) => c.padStart(widths[j])).join("  ")).join("\n");
}
