import { tanh } from "../math.ts";

/**
 * tanh within a few ulps of the exact tanh (core/math.ts) at a quarter of its cost. Shared by the JS kernels and the
 * WebAssembly SIMD version in simd.ts, which computes the same operations in the same order (and
 * reads the same table), so both give the same bits.
 */

// tanh from a table and the addition formula tanh(a + d) = (tanh a + tanh d) / (1 + tanh a tanh d).
// Math.tanh costs ~19 ns here (a C call into fdlibm, which goes through expm1); this inlines into
// the caller's loop and costs ~5 ns. a is x rounded to a multiple of 1/64, so |d| <= 1/128 and
// the series d - d^3/3 + 2d^5/15 - 17d^7/315 is exact to ~1e-19 relative (the next term, 62d^9/2835,
// is below 3e-19 of d). The table holds tanh(a) from core/math.ts (so it is the same in every
// engine); the result is within a few ulps of
// tanh (test/core/ops.test.ts bounds it at 1e-15 relative). Beyond |x| = 20, tanh rounds to
// +-1 in float64.
export const TANH_STEP = 64;
export const TANH_MAX = 20;
export const TANH_MID = TANH_MAX * TANH_STEP;
export const TANH_TABLE = new Float64Array(2 * TANH_MID + 1);
for (let i = 0; i < TANH_TABLE.length; i++) TANH_TABLE[i] = tanh((i - TANH_MID) / TANH_STEP);
export const T3 = -1 / 3;
export const T5 = 2 / 15;
export const T7 = -17 / 315;

/** tanh(x) to within a few ulps (NaN stays NaN, -0 stays -0), faster than core/math.ts's tanh. */
export function tanhFast(x: number): number {
  if (x > TANH_MAX) return 1;
  if (x < -TANH_MAX) return -1;
  if (x === 0) return x;
  // Index of the nearest grid point (the +0.5 rounds; the offset keeps the argument positive so
  // `| 0` truncation is a floor). NaN gives index 0 and then d = NaN.
  const i = (x * TANH_STEP + (TANH_MID + 0.5)) | 0;
  const d = x - (i - TANH_MID) * (1 / TANH_STEP); // exact (Sterbenz)
  const d2 = d * d;
  const td = d + d * d2 * (T3 + d2 * (T5 + d2 * T7));
  const t = TANH_TABLE[i];
  return (t + td) / (1 + t * td);
}
