/**
 * MultiDiscrete: M independent categoricals, component j over `nvec[j]` classes. The logits of all
 * components sit side by side in one row: logits [B, sum(nvec)], component j in the columns
 * `offset_j .. offset_j + nvec[j])` with offset_j = nvec[0] + ... + nvec[j-1]. Actions are
 * [B, M] (row-major), the class index of each component. Independence makes the log-prob and the
 * entropy sums over components. An optional action mask [B, sum(nvec)] lines up with the logits:
 * mask 0 makes that class of that component invalid (probability 0, see categorical.ts).
 */
import { add, slice, type Tensor } from "../core/index.ts";
import type { Rng } from "../core/rng.ts";
import {
  categoricalEntropy,
  categoricalLogProb,
  categoricalModeRow,
  categoricalModeRowMasked,
  categoricalSampleRow,
  categoricalSampleRowMasked,
  maskLogits,
} from "./categorical.ts";

function totalClasses(nvec: readonly number[]): number {
  let s = 0;
  for (const n of nvec) s += n;
  return s;
}

function checkLogits(op: string, logits: Tensor, nvec: readonly number[]): void {
  const k = totalClasses(nvec);
  if (logits.shape.length !== 2 || logits.shape[1] !== k) {
    throw new Error(
      `${op}: logits must be [B, ${k}] (sum of nvec [${nvec.join(", ")}]), got [${logits.shape.join(", ")}]`,
    );
  }
}

/**
 * sum_j log p_j(a_j) per row: logits [B, sum(nvec)], actions [B, M] row-major (class indices),
 * optional mask [B * sum(nvec)] -> [B].
 */
export function multiDiscreteLogProb(
  logits: Tensor,
  nvec: readonly number[],
  actions: ArrayLike<number>,
  mask?: ArrayLike<number> | null,
): Tensor {
  checkLogits("multiDiscreteLogProb", logits, nvec);
  if (mask) logits = maskLogits(logits, mask);
  const batch = logits.shape[0];
  const m = nvec.length;
  if (actions.length !== batch * m) {
    throw new Error(
      `multiDiscreteLogProb: expected ${batch * m} actions ([${batch}, ${m}]), got ${actions.length}`,
    );
  }
  let total: Tensor | null = null;
  let offset = 0;
  for (let j = 0; j < m; j++) {
    // Component j's actions as their own [B] column (kept alive by the tape until backward).
    const column = new Int32Array(batch);
    for (let i = 0; i < batch; i++) {
      const a = actions[i * m + j];
      if (!(Number.isInteger(a) && a >= 0 && a < nvec[j])) {
        throw new RangeError(
          `multiDiscreteLogProb: actions[${i * m + j}] (row ${i}, component ${j}) = ${a}, expected an integer in [0, ${nvec[j]})`,
        );
      }
      column[i] = a;
    }
    const lp = categoricalLogProb(slice(logits, [0, offset], [batch, nvec[j]]), column);
    total = total === null ? lp : add(total, lp);
    offset += nvec[j];
  }
  return total as Tensor;
}

/** sum_j H_j per row: logits [B, sum(nvec)], optional mask [B * sum(nvec)] -> [B]. */
export function multiDiscreteEntropy(
  logits: Tensor,
  nvec: readonly number[],
  mask?: ArrayLike<number> | null,
): Tensor {
  checkLogits("multiDiscreteEntropy", logits, nvec);
  if (mask) logits = maskLogits(logits, mask);
  const batch = logits.shape[0];
  let total: Tensor | null = null;
  let offset = 0;
  for (const n of nvec) {
    const h = categoricalEntropy(slice(logits, [0, offset], [batch, n]));
    total = total === null ? h : add(total, h);
    offset += n;
  }
  return total as Tensor;
}

/**
 * Samples every component: logits [batch, sum(nvec)], optional mask [batch * sum(nvec)] -> out
 * [batch, M]. No allocation.
 */
export function multiDiscreteSample(
  logits: ArrayLike<number>,
  batch: number,
  nvec: readonly number[],
  rng: Rng,
  out: Float64Array,
  mask?: ArrayLike<number> | null,
): void {
  const k = totalClasses(nvec);
  const m = nvec.length;
  for (let i = 0; i < batch; i++) {
    let offset = i * k;
    for (let j = 0; j < m; j++) {
      out[i * m + j] = mask
        ? categoricalSampleRowMasked(logits, offset, nvec[j], mask, offset, rng)
        : categoricalSampleRow(logits, offset, nvec[j], rng);
      offset += nvec[j];
    }
  }
}

/**
 * The argmax of every component: logits [batch, sum(nvec)], optional mask -> out [batch, M]. No
 * allocation.
 */
export function multiDiscreteMode(
  logits: ArrayLike<number>,
  batch: number,
  nvec: readonly number[],
  out: Float64Array,
  mask?: ArrayLike<number> | null,
): void {
  const k = totalClasses(nvec);
  const m = nvec.length;
  for (let i = 0; i < batch; i++) {
    let offset = i * k;
    for (let j = 0; j < m; j++) {
      out[i * m + j] = mask
        ? categoricalModeRowMasked(logits, offset, nvec[j], mask, offset)
        : categoricalModeRow(logits, offset, nvec[j]);
      offset += nvec[j];
    }
  }
}
