/**
 * Categorical distribution over `K` classes, parameterized by unnormalized logits.
 *
 * Stateless functions of the parameters: the differentiable `categoricalLogProb` and
 * `categoricalEntropy` take a logits Tensor and use core ops (gradients flow to the logits), while the
 * non-taped `categoricalSample` and `categoricalMode` read raw logits and write into caller buffers
 * (the rollout hot path: no tape, no allocation).
 */
import { exp, logSoftmax, logSoftmaxGather, mul, neg, sum, type Tensor } from "../core/index.ts";
import * as math from "../core/math.ts";
import type { Rng } from "../core/rng.ts";

/**
 * log p(a) for each row: logits [B, K], actions [B] (integers in [0, K)) -> [B].
 * Fused (`logSoftmaxGather`): no [B, K] log-softmax is built.
 */
export function categoricalLogProb(logits: Tensor, actions: ArrayLike<number>): Tensor {
  return logSoftmaxGather(logits, actions);
}

/** Entropy H = -sum_k p_k log p_k of each row: logits [B, K] -> [B]. */
export function categoricalEntropy(logits: Tensor): Tensor {
  const logp = logSoftmax(logits);
  return neg(sum(mul(exp(logp), logp), -1));
}

let EXPS = new Float64Array(64);
const UNIFORM = new Float64Array(1);

/**
 * One draw from the row `logits[offset .. offset + k)`, by inverting the CDF of the softmax.
 * Shifting by the row max keeps every exp in (0, 1]. The exps are computed in place in a scratch
 * row (math.expInPlace: no double crosses a call, so nothing is allocated whatever V8 inlines) and
 * kept for the second pass.
 */
export function categoricalSampleRow(
  logits: ArrayLike<number>,
  offset: number,
  k: number,
  rng: Rng,
): number {
  let m = logits[offset];
  for (let j = 1; j < k; j++) if (logits[offset + j] > m) m = logits[offset + j];
  if (EXPS.length < k) EXPS = new Float64Array(Math.max(k, 2 * EXPS.length));
  for (let j = 0; j < k; j++) EXPS[j] = logits[offset + j] - m;
  math.expInPlace(EXPS, 0, k);
  let total = 0;
  for (let j = 0; j < k; j++) total += EXPS[j];
  if (!(total >= 1 && total <= k)) {
    // total >= 1 (the max contributes exp(0)); anything else means a NaN or infinite logit.
    throw new RangeError(
      `categoricalSample: logits[${offset}..${offset + k}) must be finite, got max ${m}, sum of exps ${total}`,
    );
  }
  rng.fillUniform(UNIFORM, 0, 1); // rng.uniform(), without a double crossing a call
  let u = UNIFORM[0] * total;
  for (let j = 0; j < k - 1; j++) {
    u -= EXPS[j];
    if (u < 0) return j;
  }
  return k - 1;
}

/** The most likely class of the row `logits[offset .. offset + k)` (the first one on ties). */
export function categoricalModeRow(logits: ArrayLike<number>, offset: number, k: number): number {
  let best = 0;
  let m = logits[offset];
  for (let j = 1; j < k; j++) {
    if (logits[offset + j] > m) {
      m = logits[offset + j];
      best = j;
    }
  }
  return best;
}

/**
 * Samples one class per row: logits [batch, k] (row-major) -> out [batch], class indices stored as
 * float64. No allocation.
 */
export function categoricalSample(
  logits: ArrayLike<number>,
  batch: number,
  k: number,
  rng: Rng,
  out: Float64Array,
): void {
  for (let i = 0; i < batch; i++) out[i] = categoricalSampleRow(logits, i * k, k, rng);
}

/** The argmax class of each row: logits [batch, k] -> out [batch]. No allocation. */
export function categoricalMode(
  logits: ArrayLike<number>,
  batch: number,
  k: number,
  out: Float64Array,
): void {
  for (let i = 0; i < batch; i++) out[i] = categoricalModeRow(logits, i * k, k);
}
