/**
 * Categorical distribution over `K` classes, parameterized by unnormalized logits, with optional
 * **action masks** (games have invalid moves): a mask [B, K] of 0/1 per class, 0 meaning the class
 * is invalid in that row. A masked class gets probability exactly 0 in sampling, the mode, the
 * log-probs and the entropy: its logit is replaced by {@link MASKED_LOGIT} (Huang & Ontanon 2020,
 * "A closer look at invalid action masking in policy gradient algorithms"), whose exp underflows
 * to 0, and it gets no gradient.
 *
 * Stateless functions of the parameters: the differentiable `categoricalLogProb` and
 * `categoricalEntropy` take a logits Tensor and use core ops (gradients flow to the logits), while the
 * non-taped `categoricalSample` and `categoricalMode` read raw logits and write into caller buffers
 * (the rollout hot path: no tape, no allocation).
 */
import { exp, logSoftmax, logSoftmaxGather, mul, neg, sum, Tensor, where } from "../core/index.ts";
import * as math from "../core/math.ts";
import type { Rng } from "../core/rng.ts";

/**
 * The logit a masked class gets. Finite, so p log p = 0 * MASKED_LOGIT = 0 in the entropy (with
 * -Infinity it would be NaN), and far enough below any real logit that exp(MASKED_LOGIT - max)
 * is exactly 0 in float64.
 */
export const MASKED_LOGIT = -1e30;

/**
 * logits with every masked class (mask 0) replaced by {@link MASKED_LOGIT}: logits [B, K], mask
 * [B * K] -> [B, K]. The gradient reaches the valid logits only. Throws if the mask's length does
 * not match, naming both.
 */
export function maskLogits(logits: Tensor, mask: ArrayLike<number>): Tensor {
  if (mask.length !== logits.size) {
    throw new RangeError(
      `maskLogits: the mask has ${mask.length} entries, logits [${logits.shape.join(", ")}] need ${logits.size}`,
    );
  }
  const m = new Float64Array(logits.size);
  for (let i = 0; i < m.length; i++) m[i] = mask[i] !== 0 ? 1 : 0;
  return where(new Tensor(m, logits.shape), logits, MASKED_LOGIT);
}

/**
 * log p(a) for each row: logits [B, K], actions [B] (integers in [0, K)), optional mask [B * K]
 * -> [B]. Fused (`logSoftmaxGather`): no [B, K] log-softmax is built. A masked action's log-prob
 * is about MASKED_LOGIT (it is never sampled).
 */
export function categoricalLogProb(
  logits: Tensor,
  actions: ArrayLike<number>,
  mask?: ArrayLike<number> | null,
): Tensor {
  return logSoftmaxGather(mask ? maskLogits(logits, mask) : logits, actions);
}

/**
 * Entropy H = -sum_k p_k log p_k of each row: logits [B, K], optional mask [B * K] -> [B]. Masked
 * classes add nothing (p = 0).
 */
export function categoricalEntropy(logits: Tensor, mask?: ArrayLike<number> | null): Tensor {
  const logp = logSoftmax(mask ? maskLogits(logits, mask) : logits);
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

/**
 * {@link categoricalSampleRow} over the valid classes only: class j of the row is valid when
 * `mask[maskOffset + j]` is nonzero. One uniform draw, as unmasked. Throws when no class is
 * valid. (A separate function so the unmasked hot path stays as it is.)
 */
export function categoricalSampleRowMasked(
  logits: ArrayLike<number>,
  offset: number,
  k: number,
  mask: ArrayLike<number>,
  maskOffset: number,
  rng: Rng,
): number {
  let m = -Infinity;
  let last = -1;
  for (let j = 0; j < k; j++) {
    if (mask[maskOffset + j] === 0) continue;
    last = j;
    if (logits[offset + j] > m) m = logits[offset + j];
  }
  if (last < 0)
    throw new RangeError(
      `categoricalSample: every class of the row at ${offset} is masked; at least one action must be valid`,
    );
  // As categoricalSampleRow: exps in place in the scratch row, masked classes 0.
  if (EXPS.length < k) EXPS = new Float64Array(Math.max(k, 2 * EXPS.length));
  for (let j = 0; j < k; j++) EXPS[j] = logits[offset + j] - m;
  math.expInPlace(EXPS, 0, k);
  let total = 0;
  for (let j = 0; j < k; j++) {
    if (mask[maskOffset + j] === 0) EXPS[j] = 0;
    total += EXPS[j];
  }
  if (!(total >= 1 && total <= k)) {
    throw new RangeError(
      `categoricalSample: logits[${offset}..${offset + k}) must be finite, got max ${m}, sum of exps ${total}`,
    );
  }
  rng.fillUniform(UNIFORM, 0, 1);
  let u = UNIFORM[0] * total;
  for (let j = 0; j < last; j++) {
    if (mask[maskOffset + j] === 0) continue;
    u -= EXPS[j];
    if (u < 0) return j;
  }
  return last;
}

/** The most likely valid class of the row (the first on ties); throws when none is valid. */
export function categoricalModeRowMasked(
  logits: ArrayLike<number>,
  offset: number,
  k: number,
  mask: ArrayLike<number>,
  maskOffset: number,
): number {
  let best = -1;
  let m = -Infinity;
  for (let j = 0; j < k; j++) {
    if (mask[maskOffset + j] === 0) continue;
    if (best < 0 || logits[offset + j] > m) {
      m = logits[offset + j];
      best = j;
    }
  }
  if (best < 0)
    throw new RangeError(
      `categoricalMode: every class of the row at ${offset} is masked; at least one action must be valid`,
    );
  return best;
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
