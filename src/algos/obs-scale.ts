/**
 * A fixed rescaling of observations by the bounds of their Box space: element i becomes
 * (x_i - c_i) / h_i with c the bounds' midpoint and h their half-width, so each element with finite
 * bounds lies in [-1, 1]; an element with an infinite bound passes unchanged. MountainCar's velocity
 * lives in [-0.07, 0.07]: unscaled, a network starts out nearly blind to it, and Adam's steps, about
 * lr per weight whatever the input's size, grow the weight that reads it far too slowly.
 *
 * Unlike running normalization it is a function of the env's space alone, so it needs no
 * statistics: the policy applies it wherever it acts (rollouts, evaluation, a loaded checkpoint).
 */
import type { Space } from "../envs/spaces.ts";

/** x' = (x - center) * inv, per element of a flat observation. */
export interface ObsScale {
  readonly center: Float64Array;
  readonly inv: Float64Array;
}

/** The scaling of a Box space (identity for elements with an infinite bound); null for others. */
export function obsScaleFor(space: Space): ObsScale | null {
  if (space.kind !== "box") return null;
  const n = space.size;
  const center = new Float64Array(n);
  const inv = new Float64Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    const lo = space.low[i];
    const hi = space.high[i];
    if (Number.isFinite(lo) && Number.isFinite(hi) && hi > lo) {
      center[i] = (lo + hi) / 2;
      inv[i] = 2 / (hi - lo);
    }
  }
  return { center, inv };
}

/** Writes the scaled `rows` x dim observations of `src` into `dst` (may alias `src`). */
export function scaleObsRows(
  s: ObsScale,
  src: Float64Array,
  rows: number,
  dst: Float64Array,
): void {
  const dim = s.center.length;
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    for (let i = 0; i < dim; i++) dst[o + i] = (src[o + i] - s.center[i]) * s.inv[i];
  }
}
