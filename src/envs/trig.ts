/**
 * `Math.sin` and `Math.cos` with the same results, inlinable for small arguments.
 *
 * Why: in optimized code V8 calls its C implementation for every `Math.sin`/`Math.cos` (fdlibm,
 * V8's base/ieee754.cc), and each call spills the live float registers. CartPole evaluates both
 * on the pole angle every step; the calls made its batched transition latency-bound (its four
 * dependent divisions could not overlap across rows): ~1.2x on a CartPole vector64 loop.
 *
 * For |x| < 0.3 fdlibm's `sin` and `cos` are just its kernel polynomials (no argument
 * reduction); evaluating the same polynomials with the same operations in JavaScript gives
 * bit-identical doubles, which test/envs/trig.test.ts checks against `Math` on millions of
 * arguments. Elsewhere (and for NaN) these defer to `Math`. Bit-identity matters: CartPole is
 * chaotic, and one ulp grows to 1e-5 within a few hundred steps of the reference trajectories.
 */

// fdlibm's minimax coefficients of __kernel_sin (S1..S6) and __kernel_cos (C1..C6) on
// [-pi/4, pi/4], written as the shortest decimals of the same doubles.
const S1 = -0.16666666666666632;
const S2 = 0.00833333333332249;
const S3 = -0.0001984126982985795;
const S4 = 2.7557313707070068e-6;
const S5 = -2.5050760253406863e-8;
const S6 = 1.58969099521155e-10;
const C1 = 0.0416666666666666;
const C2 = -0.001388888888887411;
const C3 = 2.480158728947673e-5;
const C4 = -2.7557314351390663e-7;
const C5 = 2.087572321298175e-9;
const C6 = -1.1359647557788195e-11;

/** Below 2^-27 fdlibm's sin returns x itself (which keeps -0). */
const TINY = 2 ** -27;

/** `Math.sin(x)`, bit for bit. */
export function sin(x: number): number {
  if (!(x > -0.3 && x < 0.3)) return Math.sin(x);
  if (x > -TINY && x < TINY) return x;
  const z = x * x;
  const v = z * x;
  const r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  return x + v * (S1 + z * r);
}

/** `Math.cos(x)`, bit for bit. */
export function cos(x: number): number {
  // fdlibm's kernel has a second formula for 0.3 <= |x| <= pi/4; this one is enough here.
  if (!(x > -0.3 && x < 0.3)) return Math.cos(x);
  const z = x * x;
  const r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  return 1 - (0.5 * z - z * r);
}
