/**
 * Diagonal Gaussian N(mean, diag(exp(logStd)^2)) over D dimensions, for Box actions, and its two
 * ways of meeting the bounds of a Box:
 *
 * - **clip**: sample u ~ N(mean, std), send clip(u, low, high) to the environment, and score the
 *   *unclipped* u with the Gaussian density (the standard practice of PPO/REINFORCE baselines: the
 *   clip is treated as part of the environment, so the estimator stays the plain Gaussian one).
 * - **tanh**: sample u ~ N(mean, std), send a = low + (tanh(u) + 1) (high - low) / 2. The density of
 *   a follows by change of variables (Haarnoja et al. 2018, "Soft Actor-Critic", appendix C):
 *   log p(a) = log N(u) - sum_d log(1 - tanh(u_d)^2) - sum_d log((high_d - low_d) / 2).
 *
 * In both cases the value to store for scoring is the pre-clip / pre-squash sample u: clipping loses
 * information and atanh is unstable near the bounds, while u scores exactly.
 *
 * Differentiable functions take Tensors (core ops, gradients flow to mean and logStd, and to u when u
 * itself depends on parameters); `diagGaussianSample`, `clipToBox` and `squashToBox` are the
 * non-taped rollout versions writing into caller buffers.
 */
import { abs, add, exp, log, mul, neg, sub, sum, type Tensor, zeros } from "../core/index.ts";
import * as math from "../core/math.ts";
import type { Rng } from "../core/rng.ts";

const HALF_LOG_2PI = 0.5 * math.log(2 * Math.PI);
const LOG2 = Math.LN2;

/**
 * log N(x; mean, exp(logStd)^2), summed over the last axis.
 * mean [B, D], logStd [B, D] (state-dependent) or [D] (shared), x [B, D] -> [B].
 */
export function diagGaussianLogProb(mean: Tensor, logStd: Tensor, x: Tensor): Tensor {
  // z = (x - mean) / std, written with exp(-logStd) so no division by a tiny std.
  const z = mul(sub(x, mean), exp(neg(logStd)));
  // -z^2/2 - logStd - log(2 pi)/2 per dimension.
  const perDim = sub(sub(mul(-0.5, mul(z, z)), logStd), HALF_LOG_2PI);
  return sum(perDim, -1);
}

/**
 * Differential entropy sum_d (logStd_d + (1 + log 2 pi) / 2) of each row -> [B].
 * mean [B, D] is used only for its batch size (the entropy does not depend on it); logStd [B, D]
 * or [D].
 */
export function diagGaussianEntropy(mean: Tensor, logStd: Tensor): Tensor {
  const batch = mean.shape[0];
  const perDim = add(logStd, 0.5 + HALF_LOG_2PI);
  if (logStd.shape.length === 1) {
    // Shared log-std: one value, broadcast to every row (the gradient sums over the rows).
    return add(sum(perDim), zeros([batch]));
  }
  return sum(perDim, -1);
}

/**
 * log(1 - tanh(u)^2), elementwise, computed stably as 2 (log 2 - |u| - log(1 + exp(-2|u|))).
 * This equals the usual 2 (log 2 - u - softplus(-2u)) for every u (log cosh is even), never forms
 * 1 - tanh^2 (which rounds to 0 for |u| > 19), and its gradient is exact at u = 0 too (abs'(0) = 0
 * and both terms are flat there), unlike a max(x, 0) softplus whose kink sits at u = 0.
 */
export function logTanhJacobian(u: Tensor): Tensor {
  const a = abs(u);
  const softplusTerm = log(add(exp(mul(-2, a)), 1));
  return mul(2, sub(sub(LOG2, a), softplusTerm));
}

/** sum_d log((high_d - low_d) / 2): the log-Jacobian of mapping [-1, 1]^D onto the box. */
export function logHalfRange(low: ArrayLike<number>, high: ArrayLike<number>): number {
  let s = 0;
  for (let d = 0; d < low.length; d++) s += math.log((high[d] - low[d]) / 2);
  return s;
}

/**
 * log-density of the squashed action a = low + (tanh(u) + 1) (high - low) / 2 at the pre-squash
 * sample u: log N(u; mean, std) - sum_d log(1 - tanh(u_d)^2) - sum_d log((high_d - low_d) / 2).
 * mean [B, D], logStd [B, D] or [D], u [B, D] -> [B]. Without bounds the action is tanh(u) itself
 * (bounds [-1, 1], no rescaling term).
 */
export function squashedGaussianLogProb(
  mean: Tensor,
  logStd: Tensor,
  u: Tensor,
  low?: ArrayLike<number>,
  high?: ArrayLike<number>,
): Tensor {
  const base = sub(diagGaussianLogProb(mean, logStd, u), sum(logTanhJacobian(u), -1));
  if (low === undefined || high === undefined) return base;
  return sub(base, logHalfRange(low, high));
}

/**
 * What the policy reports as the entropy of a tanh-squashed Gaussian: the entropy of the
 * pre-squash Gaussian, H[u] -> [B]. The squashed entropy H[a] = H[u] + E[sum_d log(1 - tanh(u_d)^2)]
 * + sum_d log((high_d - low_d)/2) has no closed form; H[u] is exact, cheap, differentiable, and an
 * upper bound on H[a] minus the constant rescaling term, so an entropy bonus on it still keeps the
 * std from collapsing. (A one-sample estimate of H[a] is -logProb of the sampled actions, which a
 * trainer can average itself; its gradient is not the gradient of H[a], so it is not returned here.)
 */
export function squashedGaussianEntropy(mean: Tensor, logStd: Tensor): Tensor {
  return diagGaussianEntropy(mean, logStd);
}

/**
 * Reparameterized sample u = mean + exp(logStd) * eps (differentiable in mean and logStd), for
 * pathwise / analytic policy gradients. mean [B, D], logStd [B, D] or [D], eps [B, D] -> [B, D].
 */
export function diagGaussianRsample(mean: Tensor, logStd: Tensor, eps: Tensor): Tensor {
  return add(mean, mul(exp(logStd), eps));
}

/**
 * Writes `n` standard normal deviates into out[offset .. offset + n), by Box-Muller on pairs of
 * `rng.uniform()` draws (both values of a pair are used; for odd n the last sine value is dropped,
 * so each call consumes exactly 2 ceil(n / 2) uniforms).
 *
 * Why not `rng.normal()`: a double returned from a method V8 does not inline is boxed, and
 * `normal` (too big to inline) produced 16 bytes of garbage per draw in Node 20. Here the uniforms
 * come from `rng.fillUniform` and sin and cos through `math.sinCos`, so no double crosses a call,
 * whatever V8 inlines; the rollout hot path then allocates nothing.
 */
export function fillStandardNormal(rng: Rng, out: Float64Array, offset: number, n: number): void {
  const draws = n + (n & 1);
  if (UNIFORMS.length < draws) UNIFORMS = new Float64Array(Math.max(draws, 2 * UNIFORMS.length));
  rng.fillUniform(UNIFORMS, 0, draws);
  // 1 - u1 lies in (0, 1], so the log is finite without redrawing zeros.
  for (let j = 0; j < draws; j += 2) UNIFORMS[j] = 1 - UNIFORMS[j];
  math.logInPlace(UNIFORMS, 0, draws, 2);
  for (let j = 0; j < draws; j += 2) {
    const r = Math.sqrt(-2 * UNIFORMS[j]);
    math.SIN_COS[0] = 2 * Math.PI * UNIFORMS[j + 1]; // sin and cos through memory: no boxed doubles
    math.sinCos();
    out[offset + j] = r * math.SIN_COS[2];
    if (j + 1 < n) out[offset + j + 1] = r * math.SIN_COS[1];
  }
}

let UNIFORMS = new Float64Array(64);

/**
 * Non-taped draws u = mean + exp(logStd) * eps, eps from {@link fillStandardNormal}: mean
 * [batch, dim], logStd [batch, dim] or [dim] (shared, recognized by its length) -> out
 * [batch, dim]. No allocation (the noise is written into `out` first).
 */
export function diagGaussianSample(
  mean: ArrayLike<number>,
  logStd: ArrayLike<number>,
  batch: number,
  dim: number,
  rng: Rng,
  out: Float64Array,
): void {
  const shared = logStd.length === dim;
  if (!shared && logStd.length < batch * dim) {
    throw new RangeError(
      `diagGaussianSample: logStd has ${logStd.length} values, expected ${dim} (shared) or ${batch * dim} ([batch, dim])`,
    );
  }
  fillStandardNormal(rng, out, 0, batch * dim);
  for (let i = 0; i < batch; i++) {
    const o = i * dim;
    for (let d = 0; d < dim; d++) {
      const ls = shared ? logStd[d] : logStd[o + d];
      out[o + d] = mean[o + d] + math.exp(ls) * out[o + d];
    }
  }
}

/** The mode of the Gaussian is its mean: copies mean [batch, dim] into out. */
export function diagGaussianMode(
  mean: ArrayLike<number>,
  batch: number,
  dim: number,
  out: Float64Array,
): void {
  for (let i = 0; i < batch * dim; i++) out[i] = mean[i];
}

/** Env action of the clip variant: out = clip(u, low, high), u and out [batch, dim]. No allocation. */
export function clipToBox(
  u: ArrayLike<number>,
  low: ArrayLike<number>,
  high: ArrayLike<number>,
  batch: number,
  out: Float64Array,
): void {
  const dim = low.length;
  for (let i = 0; i < batch; i++) {
    const o = i * dim;
    for (let d = 0; d < dim; d++) {
      const v = u[o + d];
      out[o + d] = v < low[d] ? low[d] : Math.min(v, high[d]);
    }
  }
}

/**
 * Env action of the tanh variant: out = low + (tanh(u) + 1) (high - low) / 2, u and out
 * [batch, dim], bounds finite. The result is clamped into [low, high] so rounding can never step
 * outside the box. No allocation.
 */
export function squashToBox(
  u: ArrayLike<number>,
  low: ArrayLike<number>,
  high: ArrayLike<number>,
  batch: number,
  out: Float64Array,
): void {
  const dim = low.length;
  for (let k = 0; k < batch * dim; k++) out[k] = u[k];
  math.tanhInPlace(out, 0, batch * dim); // no double crosses a call (see core/math.ts's IO)
  for (let i = 0; i < batch; i++) {
    const o = i * dim;
    for (let d = 0; d < dim; d++) {
      const lo = low[d];
      const hi = high[d];
      const a = lo + (out[o + d] + 1) * 0.5 * (hi - lo);
      out[o + d] = a < lo ? lo : Math.min(a, hi);
    }
  }
}
