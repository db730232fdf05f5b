/**
 * Elementary functions that give the same bits in every JavaScript engine.
 *
 * Why: the engines' `Math.exp/log/sin/cos/pow/...` are free to differ in the last bit, and they
 * do (issue #17: `1.3 ** 1.7` differs between Node 22 and Node 24; `Math.cos(0.1)` and
 * `Math.log(3)` between Node 20 and Chromium), so a seeded run diverged from one runtime to the
 * next. These are built only from IEEE-754 basic operations (+ - * / and sqrt, which every engine
 * rounds the same way), integer operations, and exact reads and writes of a double's 32-bit
 * halves. They follow fdlibm 5.3 (Sun, 1993) operation for operation, as V8 did up to Node 22, so
 * on Node 20 each equals its `Math` counterpart bit for bit (test/core/math.test.ts checks that on
 * millions of arguments and measures every function against correctly rounded values: all are
 * within 1 ulp except atan2 and tanh, held to 2 and 2.5 ulp). fdlibm's method and error analysis is in its comments; each function here says
 * the one line of method a reader needs.
 *
 * Call these, never `Math.exp` and friends, on any path whose numbers reach a result
 * (test/determinism-lint.test.ts fails when a source file does). `Math.sqrt`, `Math.abs`,
 * `Math.floor`, `Math.min/max`, `Math.round` and `Math.fround` are exact and stay.
 */

// --- the two 32-bit halves of a double --------------------------------------------------------

const F64 = new Float64Array(1);
const I32 = new Int32Array(F64.buffer);
const U32 = new Uint32Array(F64.buffer);
F64[0] = 1; // 0x3ff00000_00000000: the high half is the non-zero word
const HI = I32[1] === 0x3ff00000 ? 1 : 0;
const LO = 1 - HI;

/** The sign, exponent and top 20 bits of the significand, as a signed 32-bit integer. */
function highWord(x: number): number {
  F64[0] = x;
  return I32[HI];
}

/** The low 32 bits of the significand, unsigned. */
function lowWord(x: number): number {
  F64[0] = x;
  return U32[LO];
}

function fromWords(hi: number, lo: number): number {
  I32[HI] = hi;
  U32[LO] = lo;
  return F64[0];
}

/** x with its low 32 bits cleared (fdlibm's SET_LOW_WORD(x, 0)): a head whose products are exact. */
function clearLow(x: number): number {
  F64[0] = x;
  U32[LO] = 0;
  return F64[0];
}

// Composing a double from written halves costs ~40 ns in V8 (the 64-bit load waits for the
// 32-bit stores), so the hot paths scale by exact powers of two from this table instead.
const POW2 = new Float64Array(2098);
POW2[1074] = 1;
for (let k = 1; k <= 1023; k++) POW2[1074 + k] = POW2[1073 + k] * 2;
for (let k = 1; k <= 1074; k++) POW2[1074 - k] = POW2[1075 - k] / 2;

// Indexed directly, never through a helper: a helper V8 leaves out of line returns a boxed double
// (and a high word of 2^30 or more is a boxed number too, so the hot bodies read it inline).

// V8 boxes a double passed to or returned from a function it does not inline (an allocation per
// call), and it inlines only within a bytecode budget that these bodies can exhaust in a hot caller
// (test/algos/policy.test.ts "allocates nothing" caught it: exp, pow2 and even rng.uniform were
// left out of line). So the bodies of the functions hot loops need (exp, expm1, log, tanh) take
// their argument from IO[0] and leave their result there (sin and cos: SIN_COS), and call
// nothing that returns a double. The exported functions are a store, a call and a load; hot loops use the
// in-place forms (expInPlace, logInPlace, tanhInPlace, sinCos), through which no double crosses
// a call whatever V8 inlines. IO is a var: V8 checks a const for its temporal dead zone at every
// read from a function, 2 bytes each, which put the wrappers past the 27 bytes it inlines always.
var IO = new Float64Array(1);

// --- exp, expm1 ---------------------------------------------------------------------------------

const LN2_HI = 0.6931471803691238; // ln 2 with 32 trailing zero bits, so k * LN2_HI is exact
const LN2_LO = 1.9082149292705877e-10; // ln 2 - LN2_HI
const INV_LN2 = Math.LOG2E;
const EXP_OVERFLOW = 709.782712893384;
const EXP_UNDERFLOW = -745.1332191019411;
const TWO_1023 = 8.98846567431158e307;
const EXP_BIG = fromWords(0x40862e42, 0); // |x| >= this: maybe over- or underflow
const TWO_M28 = 2 ** -28;
const TWO_M1000 = 9.332636185032189e-302;
// exp's Remez coefficients of r (e^r + 1) / (e^r - 1) on [0, 0.347], error < 2^-59.
const P1 = 0.16666666666666602;
const P2 = -0.0027777777777015593;
const P3 = 0.00006613756321437934;
const P4 = -0.0000016533902205465252;
const P5 = 4.1381367970572385e-8;

/**
 * e^x within 1 ulp (fdlibm's e_exp.c). x = k ln2 + r with |r| <= ln2/2, then
 * e^r = 1 + r + r c / (2 - c) with c a degree-10 polynomial, scaled by 2^k.
 */
export function exp(x: number): number {
  IO[0] = x;
  expIO();
  return IO[0];
}

/** exp of IO[0], into IO[0]. */
function expIO(): void {
  const x = IO[0];
  // fdlibm tests the high word of |x|; comparing |x| with the doubles those words begin is the
  // same test.
  const ax = Math.abs(x);
  if (!(ax < EXP_BIG) && !(x <= EXP_OVERFLOW && x >= EXP_UNDERFLOW)) {
    // NaN, +-Infinity, overflow, underflow
    IO[0] = Number.isNaN(x) ? x : x > 0 ? Number.POSITIVE_INFINITY : 0;
    return;
  }
  if (ax < TWO_M28) {
    IO[0] = 1 + x;
    return;
  }
  if (x === 1) {
    // V8 returns e itself, where the formula is 1 ulp off
    IO[0] = Math.E;
    return;
  }
  // fdlibm writes out k = 0 (|x| <= ln2/2) and k = +-1 (|x| < 1.5 ln2); this k is the same there,
  // and with hi = x, lo = 0 the general formula rounds to the same doubles.
  const k = (INV_LN2 * x + (x < 0 ? -0.5 : 0.5)) | 0;
  const hi = x - k * LN2_HI;
  const lo = k * LN2_LO;
  const r = hi - lo;
  const t = r * r;
  const c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  const y = 1 - (lo - (r * c) / (2 - c) - hi);
  // 2^k itself is out of range at k = 1024 and subnormal below -1021: scale in two steps there.
  if (k >= -1021 && k <= 1023) {
    IO[0] = y * POW2[k + 1074];
    return;
  }
  IO[0] = k === 1024 ? y * 2 * TWO_1023 : y * POW2[k + 1000 + 1074] * TWO_M1000;
}

// expm1's coefficients, scaled: Qn here is 2^n times the Remez coefficient of
// 6/r ((e^r + 1)/(e^r - 1) - 2/r) in r^2 on [0, 0.347], error < 2^-61.
const Q1 = -0.03333333333333313;
const Q2 = 0.0015873015872548146;
const Q3 = -0.0000793650757867488;
const Q4 = 0.000004008217827329362;
const Q5 = -2.0109921818362437e-7;

/**
 * e^x - 1 within 1 ulp, accurate near 0 where `exp(x) - 1` cancels (fdlibm's s_expm1.c).
 * The same reduction as exp, carrying the rounding error c of r = hi - lo into the result.
 */
export function expm1(x: number): number {
  IO[0] = x;
  expm1IO();
  return IO[0];
}

/** expm1 of IO[0], into IO[0]. */
function expm1IO(): void {
  let x = IO[0];
  F64[0] = x; // highWord(x), inline: see IO
  const hx = I32[HI];
  const ax = hx & 0x7fffffff;
  const negative = hx < 0;
  if (ax >= 0x4043687a) {
    // |x| >= 56 ln2
    if (ax >= 0x40862e42) {
      if (ax >= 0x7ff00000) {
        if (Number.isNaN(x)) {
          IO[0] = x;
          return;
        }
        IO[0] = negative ? -1 : x;
        return;
      }
      if (x > EXP_OVERFLOW) {
        IO[0] = Number.POSITIVE_INFINITY;
        return;
      }
    }
    if (negative) {
      // e^x < 2^-56 of 1
      IO[0] = -1;
      return;
    }
  }
  let k = 0;
  let c = 0;
  if (ax > 0x3fd62e42) {
    let hi: number;
    let lo: number;
    if (ax < 0x3ff0a2b2) {
      hi = negative ? x + LN2_HI : x - LN2_HI;
      lo = negative ? -LN2_LO : LN2_LO;
      k = negative ? -1 : 1;
    } else {
      k = (INV_LN2 * x + (negative ? -0.5 : 0.5)) | 0;
      hi = x - k * LN2_HI;
      lo = k * LN2_LO;
    }
    x = hi - lo;
    c = hi - x - lo;
  } else if (ax < 0x3c900000) {
    IO[0] = x; // |x| < 2^-54
    return;
  }
  const hfx = 0.5 * x;
  const hxs = x * hfx;
  const r1 = 1 + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))));
  const t = 3 - r1 * hfx;
  let e = hxs * ((r1 - t) / (6 - x * t));
  if (k === 0) {
    IO[0] = x - (x * e - hxs);
    return;
  }
  e = x * (e - c) - c;
  e -= hxs;
  if (k === -1) {
    IO[0] = 0.5 * (x - e) - 0.5;
    return;
  }
  if (k === 1) {
    IO[0] = x < -0.25 ? -2 * (e - (x + 0.5)) : 1 + 2 * (x - e);
    return;
  }
  if (k <= -2 || k > 56) {
    const y = 1 - (e - x);
    IO[0] = (k === 1024 ? y * 2 * TWO_1023 : y * POW2[k + 1074]) - 1;
    return;
  }
  if (k < 20) {
    IO[0] = (1 - POW2[1074 - k] - (e - x)) * POW2[k + 1074];
    return;
  }
  IO[0] = (x - (e + POW2[1074 - k]) + 1) * POW2[k + 1074];
}

/**
 * a[i] = exp(a[i]) for i = from, from + step, ... below `to`: for hot loops, where no double may
 * cross a call V8 does not inline (see IO); the same bits as {@link exp}.
 */
export function expInPlace(a: Float64Array, from: number, to: number, step = 1): void {
  for (let i = from; i < to; i += step) {
    IO[0] = a[i];
    expIO();
    a[i] = IO[0];
  }
}

// --- log, log1p ---------------------------------------------------------------------------------

const TWO_54 = 18014398509481984;
// Remez coefficients of (log(1+f) - 2s) / s in s^2, s = f / (2 + f), on [0, 0.1716], error < 2^-58.45.
const LG1 = 0.6666666666666735;
const LG2 = 0.3999999999940942;
const LG3 = 0.2857142874366239;
const LG4 = 0.22222198432149784;
const LG5 = 0.1818357216161805;
const LG6 = 0.15313837699209373;
const LG7 = 0.14798198605116586;

/**
 * The natural logarithm within 1 ulp (fdlibm's e_log.c): x = 2^k (1 + f) with
 * sqrt(2)/2 < 1 + f < sqrt(2), and log(1 + f) = 2s + s R(s^2), s = f / (2 + f).
 */
export function log(x: number): number {
  IO[0] = x;
  logIO();
  return IO[0];
}

/** log of IO[0], into IO[0]. */
function logIO(): void {
  let x = IO[0];
  F64[0] = x; // highWord(x), inline: see IO
  let hx = I32[HI];
  let k = 0;
  if (hx < 0x00100000 || hx >= 0x7ff00000) {
    // zero, negative, subnormal, Infinity, NaN
    if (x === 0 || !(x > 0) || x === Number.POSITIVE_INFINITY) {
      IO[0] = x === 0 ? Number.NEGATIVE_INFINITY : x > 0 ? x : Number.NaN;
      return;
    }
    x *= TWO_54; // subnormal: into the normal range, the 54 taken back through k
    F64[0] = x;
    hx = I32[HI];
    k = -54;
  }
  const m = hx & 0x000fffff;
  const i = (m + 0x95f64) & 0x100000;
  // x or x/2 scaled into [sqrt(2)/2, sqrt(2)): fdlibm sets the exponent bits, the same exact value
  const shift = (hx >> 20) - 1023 + (i >> 20);
  const f = x * POW2[1074 - shift] - 1;
  k += shift;
  if ((0x000fffff & (2 + m)) < 3) {
    // |f| < 2^-20
    if (f === 0) IO[0] = k === 0 ? 0 : k * LN2_HI + k * LN2_LO;
    else {
      const R = f * f * (0.5 - 0.3333333333333333 * f);
      IO[0] = k === 0 ? f - R : k * LN2_HI - (R - k * LN2_LO - f);
    }
    return;
  }
  const s = f / (2 + f);
  const z = s * s;
  const w = z * z;
  const R = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7))) + w * (LG2 + w * (LG4 + w * LG6));
  // fdlibm writes k = 0 out as f - (...); 0 - ((...) - f) rounds to the same double.
  if (((m - 0x6147a) | (0x6b851 - m)) > 0) {
    const hfsq = 0.5 * f * f;
    IO[0] = k * LN2_HI - (hfsq - (s * (hfsq + R) + k * LN2_LO) - f);
  } else {
    IO[0] = k * LN2_HI - (s * (f - R) - k * LN2_LO - f);
  }
}

/** a[i] = log(a[i]) for i = from, from + step, ... below `to`; see {@link expInPlace}. */
export function logInPlace(a: Float64Array, from: number, to: number, step = 1): void {
  for (let i = from; i < to; i += step) {
    IO[0] = a[i];
    logIO();
    a[i] = IO[0];
  }
}

/**
 * log(1 + x) within 1 ulp, accurate near 0 (fdlibm's s_log1p.c): log's method on u = 1 + x, plus
 * the correction c / u for the rounding error c of that sum.
 */
export function log1p(x: number): number {
  const hx = highWord(x);
  const ax = hx & 0x7fffffff;
  let k = 1;
  let f = 0;
  let hu = 0;
  let c = 0;
  if (hx < 0x3fda827a) {
    // 1 + x < sqrt(2)
    if (ax >= 0x3ff00000) return x === -1 ? Number.NEGATIVE_INFINITY : Number.NaN; // x <= -1
    if (ax < 0x3e200000) return ax < 0x3c900000 ? x : x - x * x * 0.5; // |x| < 2^-29
    if (hx > 0 || hx <= (0xbfd2bec4 | 0)) {
      // sqrt(2)/2 <= 1 + x < sqrt(2): no reduction
      k = 0;
      f = x;
      hu = 1;
    }
  }
  if (hx >= 0x7ff00000) return x + x;
  if (k !== 0) {
    let u: number;
    if (hx < 0x43400000) {
      u = 1 + x;
      hu = highWord(u);
      k = (hu >> 20) - 1023;
      c = k > 0 ? 1 - (u - x) : x - (u - 1);
      c /= u;
    } else {
      u = x;
      hu = highWord(u);
      k = (hu >> 20) - 1023;
      c = 0;
    }
    hu &= 0x000fffff;
    // u into [sqrt(2)/2, sqrt(2)) by an exact power of two (fdlibm sets the exponent bits)
    if (hu >= 0x6a09e) {
      k += 1;
      hu = (0x00100000 - hu) >> 2;
    }
    u *= POW2[1074 - k];
    f = u - 1;
  }
  const hfsq = 0.5 * f * f;
  if (hu === 0) {
    // |f| < 2^-20
    if (f === 0) {
      if (k === 0) return 0;
      c += k * LN2_LO;
      return k * LN2_HI + c;
    }
    const R = hfsq * (1 - 0.6666666666666666 * f);
    return k === 0 ? f - R : k * LN2_HI - (R - (k * LN2_LO + c) - f);
  }
  const s = f / (2 + f);
  const z = s * s;
  const R = z * (LG1 + z * (LG2 + z * (LG3 + z * (LG4 + z * (LG5 + z * (LG6 + z * LG7))))));
  if (k === 0) return f - (hfsq - s * (hfsq + R));
  return k * LN2_HI - (hfsq - (s * (hfsq + R) + (k * LN2_LO + c)) - f);
}

// --- sin, cos, tan ------------------------------------------------------------------------------

// Remez coefficients on [-pi/4, pi/4]: sin(x)/x - 1 in x^2 (error < 2^-58) and
// cos(x) - 1 + x^2/2 in x^2 (error < 2^-58).
const S1 = -0.16666666666666632;
const S2 = 0.00833333333332249;
const S3 = -0.0001984126982985795;
const S4 = 0.0000027557313707070068;
const S5 = -2.5050760253406863e-8;
const S6 = 1.58969099521155e-10;
const C1 = 0.0416666666666666;
const C2 = -0.001388888888887411;
const C3 = 0.00002480158728947673;
const C4 = -2.7557314351390663e-7;
const C5 = 2.087572321298175e-9;
const C6 = -1.1359647557788195e-11;

/** Below this |x| sin(x) rounds to x and cos(x) to 1. */
const TWO_M27 = 2 ** -27;
/** fdlibm reduces when the high word of |x| exceeds pi/4's: |x| >= this. */
const PIO4_CUT = fromWords(0x3fe921fc, 0);
/** fdlibm's cos kernel switches formulas at the high word 0x3fd33333 (~0.3). */
const COS_SPLIT = fromWords(0x3fd33333, 0);
/** The first |x| whose high word exceeds 0x3fe90000 (0.78125). */
const QX_CUT = fromWords(0x3fe90001, 0);
const TWO_21 = 2 ** 21;
const TWO_22 = 2 ** 22;
const TWO_M23 = 2 ** -23;
const TWO_M24 = 2 ** -24;
const TWO_M16 = 2 ** -16;
/** remPio2 takes its medium-size path up to the high word 0x413921fb (~2^19 pi/2). */
const MEDIUM = fromWords(0x413921fc, 0);

// remPio2 reads x from REM[0] and writes y0 + y1 = x - n pi/2 into REM[0], REM[1] (see IO).
const REM = new Float64Array(2);

/**
 * The argument and results of {@link sinCos}: write the angle to `SIN_COS[0]`, call `sinCos()`,
 * read sin(angle) from `SIN_COS[1]` and cos(angle) from `SIN_COS[2]`.
 */
export const SIN_COS = new Float64Array(3);
// The same array, read inside this module through a var (no TDZ check, see IO): sin and cos stay
// under the size V8 inlines always.
var TRIG = SIN_COS;

/**
 * sin(x) within 1 ulp (fdlibm's s_sin.c), for every double: the kernel polynomial on
 * [-pi/4, pi/4], and elsewhere after subtracting the nearest multiple of pi/2 (exactly, through
 * Payne-Hanek for huge x).
 */
export function sin(x: number): number {
  TRIG[0] = x;
  sinCos();
  return TRIG[1];
}

/** cos(x) within 1 ulp (fdlibm's s_cos.c); see {@link sin}. */
export function cos(x: number): number {
  TRIG[0] = x;
  sinCos();
  return TRIG[2];
}

/**
 * sin and cos of `SIN_COS[0]` into `SIN_COS[1]` and `SIN_COS[2]`, with the bits of fdlibm's sin
 * and cos. One argument reduction serves both (Box-Muller and the environments need both), and
 * no double crosses a call (see IO). The common reduction and both kernels are written out here,
 * in locals, and computed whatever the caller needs: this is the body every sine and cosine runs,
 * and passing its parts through memory, more calls or a mispredicted branch on the quadrant each
 * cost more than a polynomial (docs/performance.md).
 */
export function sinCos(): void {
  const io = TRIG;
  const x = io[0];
  const t = Math.abs(x);
  let y0 = x; // x - n pi/2 = y0 + y1, |y0 + y1| <= ~pi/4
  let y1 = 0;
  let n = 0;
  const reduced = t >= PIO4_CUT;
  if (reduced) {
    // remPio2's common case, inline: one step of pi/2 in two pieces (33 + 53 bits). When y0 is
    // below 2^-16 |x| (fdlibm's test for a second piece can only pass then), or x is large or not
    // finite, the whole of remPio2 instead.
    n = (t * INV_PIO2 + 0.5) | 0;
    const r = t - n * PIO2_1;
    const w = n * PIO2_1T;
    y0 = r - w;
    if (t < MEDIUM && Math.abs(y0) >= t * TWO_M16) {
      // the reduction of |x|, negated for x < 0 (by a factor, exact: fewer branches to mispredict)
      const sign = x < 0 ? -1 : 1;
      y1 = sign * (r - y0 - w);
      y0 *= sign;
      n *= sign;
    } else {
      REM[0] = x;
      n = remPio2();
      y0 = REM[0];
      y1 = REM[1];
    }
  }
  // fdlibm's __kernel_sin and __kernel_cos of y0 + y1.
  const odd = n & 1;
  const z = y0 * y0;
  const v = z * y0;
  const rs = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  // Unreduced, y1 is 0 and fdlibm drops its terms: x + x^3 (S1 + x^2 r).
  let ks = reduced ? y0 - (z * (0.5 * y1 - v * rs) - y1 - v * S1) : y0 + v * (S1 + z * rs);
  const rc = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  // Beyond 0.3, 1 - qx and 0.5 z - qx are exact, so the subtraction loses less: qx is |y0|/4
  // with its low word cleared (its top 21 bits: |y0|/4 lies in [2^-4, 2^-3) or [2^-3, 2^-2)),
  // or 0.28125 beyond the high word 0x3fe90000.
  const ay = Math.abs(y0);
  const qx =
    ay < COS_SPLIT
      ? 0
      : ay >= QX_CUT
        ? 0.28125
        : ay < 0.5
          ? Math.floor(ay * TWO_22) * TWO_M24
          : Math.floor(ay * TWO_21) * TWO_M23;
  let kc = 1 - qx - (0.5 * z - qx - (z * rc - y0 * y1));
  if (ay < TWO_M27) {
    // sin rounds to y0, cos to 1
    ks = y0;
    kc = 1;
  }
  // sin(n pi/2 + y) and cos(n pi/2 + y) are +-sin y or +-cos y.
  io[1] = n & 2 ? -(odd ? kc : ks) : odd ? kc : ks;
  io[2] = (n + 1) & 2 ? -(odd ? ks : kc) : odd ? ks : kc;
}

// tan's Remez coefficients of (tan(x)/x - 1) in x^2 on [0, 0.67434], error < 2^-59.2.
const T = [
  0.3333333333333341, 0.13333333333320124, 0.05396825397622605, 0.021869488294859542,
  0.0088632398235993, 0.0035920791075913124, 0.0014562094543252903, 0.0005880412408202641,
  0.0002464631348184699, 0.00007817944429395571, 0.00007140724913826082, -0.000018558637485527546,
  0.00002590730518636337,
];
const PIO4 = 0.7853981633974483;
const PIO4_LO = 3.061616997868383e-17;

/**
 * tan(x + y) when odd is false, -1/tan(x + y) when odd is true, for |x + y| <= ~pi/4
 * (fdlibm's __kernel_tan). Above 0.6744, tan(pi/4 - d) = (1 - tan d) / (1 + tan d).
 */
function tanKernel(x: number, y: number, odd: boolean): number {
  const hx = highWord(x);
  const ix = hx & 0x7fffffff;
  if (ix < 0x3e300000) {
    // |x| < 2^-28
    if (x === 0 && odd) return 1 / Math.abs(x);
    if (!odd) return x;
    return minusInverse(x + y, y - (clearLow(x + y) - x));
  }
  const big = ix >= 0x3fe59428;
  if (big) {
    if (hx < 0) {
      x = -x;
      y = -y;
    }
    x = PIO4 - x + (PIO4_LO - y);
    y = 0;
  }
  const z = x * x;
  const w = z * z;
  let r = T[1] + w * (T[3] + w * (T[5] + w * (T[7] + w * (T[9] + w * T[11]))));
  const v = z * (T[2] + w * (T[4] + w * (T[6] + w * (T[8] + w * (T[10] + w * T[12])))));
  const s = z * x;
  r = y + z * (s * (r + v) + y);
  r += T[0] * s;
  const sum = x + r;
  if (big) {
    const iv = odd ? -1 : 1;
    return (1 - ((hx >> 30) & 2)) * (iv - 2 * (x - ((sum * sum) / (sum + iv) - r)));
  }
  if (!odd) return sum;
  return minusInverse(sum, r - (clearLow(sum) - x));
}

/** -1 / w accurately, where w's head clearLow(w) plus v is the value (z + v = r + x in fdlibm). */
function minusInverse(w: number, v: number): number {
  const z = clearLow(w);
  const a = -1 / w;
  const t = clearLow(a);
  const s = 1 + t * z;
  return t + a * (s + t * v);
}

/** tan(x) within 1 ulp (fdlibm's s_tan.c); see {@link sin}. */
export function tan(x: number): number {
  if (x > -PIO4_CUT && x < PIO4_CUT) return tanKernel(x, 0, false);
  if (!(x - x === 0)) return Number.NaN;
  REM[0] = x;
  const n = remPio2();
  return tanKernel(REM[0], REM[1], (n & 1) === 1);
}

// --- argument reduction: x - n pi/2 ---------------------------------------------------------------

const INV_PIO2 = 0.6366197723675814; // 53 bits of 2/pi
const PIO2_1 = 1.5707963267341256; // the first 33 bits of pi/2
const PIO2_1T = 6.077100506506192e-11; // pi/2 - PIO2_1
const PIO2_2 = 6.077100506303966e-11; // the next 33 bits
const PIO2_2T = 2.0222662487959506e-21; // pi/2 - (PIO2_1 + PIO2_2)
const PIO2_3 = 2.0222662487111665e-21; // the next 33 bits
const PIO2_3T = 8.4784276603689e-32; // pi/2 - (PIO2_1 + PIO2_2 + PIO2_3)
/** The high words of n pi/2 for n = 1..32: x's high word equal to one of them warns of cancellation. */
const NPIO2_HIGH = new Int32Array(32);
for (let n = 1; n <= 32; n++) NPIO2_HIGH[n - 1] = highWord(n * (PIO2_1 + PIO2_1T));

/**
 * Reads x from REM[0], writes y0 + y1 = x - n pi/2 with |y0 + y1| <= ~pi/4 into REM and returns n (fdlibm's
 * __ieee754_rem_pio2): pi/2 split into 33-bit pieces for |x| <= 2^19 pi/2 (a second and third
 * piece only when the first cancels), Payne-Hanek beyond; NaN for +-Infinity and NaN.
 */
function remPio2(): number {
  const x = REM[0];
  if (!(x - x === 0)) {
    // +-Infinity, NaN: NaN through the kernels
    REM[0] = Number.NaN;
    REM[1] = Number.NaN;
    return 0;
  }
  F64[0] = x; // highWord(x), inline: see IO
  const hx = I32[HI];
  const ix = hx & 0x7fffffff;
  if (ix < 0x4002d97c) {
    // |x| < 3pi/4: n = +-1
    const sign = hx > 0 ? 1 : -1;
    let z = x - sign * PIO2_1;
    if (ix !== 0x3ff921fb) {
      REM[0] = z - sign * PIO2_1T;
      REM[1] = z - REM[0] - sign * PIO2_1T;
    } else {
      // near pi/2: 33 + 33 + 53 bits of pi/2
      z -= sign * PIO2_2;
      REM[0] = z - sign * PIO2_2T;
      REM[1] = z - REM[0] - sign * PIO2_2T;
    }
    return sign;
  }
  if (ix <= 0x413921fb) {
    // |x| <= 2^19 pi/2
    const t = Math.abs(x);
    const n = (t * INV_PIO2 + 0.5) | 0;
    let r = t - n * PIO2_1;
    let w = n * PIO2_1T; // good to 85 bits
    let y0 = r - w;
    if (!(n < 32 && ix !== NPIO2_HIGH[n - 1])) {
      const j = ix >> 20;
      F64[0] = y0;
      if (j - ((I32[HI] >> 20) & 0x7ff) > 16) {
        // a second piece, good to 118 bits
        let u = r;
        w = n * PIO2_2;
        r = u - w;
        w = n * PIO2_2T - (u - r - w);
        y0 = r - w;
        F64[0] = y0;
        if (j - ((I32[HI] >> 20) & 0x7ff) > 49) {
          // a third, good to 151 bits: enough for every double
          u = r;
          w = n * PIO2_3;
          r = u - w;
          w = n * PIO2_3T - (u - r - w);
          y0 = r - w;
        }
      }
    }
    const y1 = r - y0 - w;
    if (hx < 0) {
      REM[0] = -y0;
      REM[1] = -y1;
      return -n;
    }
    REM[0] = y0;
    REM[1] = y1;
    return n;
  }
  // Huge: split |x| into three 24-bit pieces tx[i] with x = sum tx[i] 2^(e0 - 24 i).
  const e0 = (ix >> 20) - 1046;
  let z = Math.abs(x) * POW2[1074 - e0];
  for (let i = 0; i < 2; i++) {
    TX[i] = z | 0;
    z = (z - TX[i]) * TWO_24;
  }
  TX[2] = z;
  let nx = 3;
  while (TX[nx - 1] === 0) nx--;
  const n = remPio2Large(e0, nx);
  if (hx < 0) {
    REM[0] = -REM[0];
    REM[1] = -REM[1];
    return -n;
  }
  return n;
}

const TWO_24 = 16777216;
const TX = new Float64Array(3);

/**
 * 2/pi after the binary point, 24 bits per entry: 1584 bits, enough for the largest double
 * (test/core/math.test.ts recomputes them from pi with BigInt).
 */
const TWO_OVER_PI = Int32Array.from(
  (
    "A2F9836E4E441529FC2757D1F534DDC0DB6295993C439041FE5163ABDEBBC561B7246E3A424DD2E006492EEA09D1921C" +
    "FE1DEB1CB129A73EE88235F52EBB4484E99C7026B45F7E413991D639835339F49C845F8BBDF9283B1FF897FFDE05980F" +
    "EF2F118B5A0A6D1F6D367ECF27CB09B74F463F669E5FEA2D7527BAC7EBE5F17B3D0739F78A5292EA6BFB5FB11F8D5D08" +
    "56033046FC7B6BABF0CFBC209AF4361DA9E391615EE61B086599855F14A068408DFFD8804D73273106061556CA73A8C9" +
    "60E27BC08C6B"
  ).match(/.{6}/g)!,
  (h) => Number.parseInt(h, 16),
);

/** pi/2 in 24-bit pieces: PIO2_24[k] holds bits 24k+1 to 24k+24 (test/core/math.test.ts checks them). */
const PIO2_24 = [
  1.570796251296997, 7.549789415861596e-8, 5.390302529957765e-15, 3.282003415807913e-22,
  1.270655753080676e-29,
];

// Scratch for remPio2Large; 20 entries as in fdlibm (at most jk + k + 1 are used).
const PH_F = new Float64Array(20);
const PH_Q = new Float64Array(20);
const PH_FQ = new Float64Array(20);
const PH_IQ = new Int32Array(20);

/**
 * Payne-Hanek (fdlibm's __kernel_rem_pio2 at its 64-bit setting, jk = 4): multiplies TX by only
 * the window of 2/pi's bits that matters (the product's higher bits are a multiple of 8, its
 * lower ones below the precision needed), adding terms while the fraction cancels. Writes the
 * reduced argument into REM and returns n mod 8.
 */
function remPio2Large(e0: number, nx: number): number {
  const jk = 4;
  const jp = jk;
  const jx = nx - 1;
  const jv = Math.max(0, ((e0 - 3) / 24) | 0);
  let q0 = e0 - 24 * (jv + 1);
  // f[0..jx+jk] = TWO_OVER_PI[jv-jx .. jv+jk], zero before the start
  for (let i = 0, j = jv - jx; i <= jx + jk; i++, j++) PH_F[i] = j < 0 ? 0 : TWO_OVER_PI[j];
  for (let i = 0; i <= jk; i++) {
    let fw = 0;
    for (let j = 0; j <= jx; j++) fw += TX[j] * PH_F[jx + i - j];
    PH_Q[i] = fw;
  }
  let jz = jk;
  let n = 0;
  let ih = 0;
  let z = 0;
  for (;;) {
    // Distill q into 24-bit integers iq, lowest chunk last.
    let i = 0;
    z = PH_Q[jz];
    for (let j = jz; j > 0; i++, j--) {
      const fw = (TWO_M24 * z) | 0;
      PH_IQ[i] = (z - TWO_24 * fw) | 0;
      z = PH_Q[j - 1] + fw;
    }
    // The integer part mod 8, and the fraction.
    z *= POW2[q0 + 1074];
    z -= 8 * Math.floor(z * 0.125);
    n = z | 0;
    z -= n;
    ih = 0;
    if (q0 > 0) {
      const top = PH_IQ[jz - 1] >> (24 - q0);
      n += top;
      PH_IQ[jz - 1] -= top << (24 - q0);
      ih = PH_IQ[jz - 1] >> (23 - q0);
    } else if (q0 === 0) {
      ih = PH_IQ[jz - 1] >> 23;
    } else if (z >= 0.5) {
      ih = 2;
    }
    if (ih > 0) {
      // fraction >= 0.5: take 1 - fraction, and n + 1
      n += 1;
      let carry = 0;
      for (let k = 0; k < jz; k++) {
        const j = PH_IQ[k];
        if (carry === 0) {
          if (j !== 0) {
            carry = 1;
            PH_IQ[k] = 0x1000000 - j;
          }
        } else {
          PH_IQ[k] = 0xffffff - j;
        }
      }
      if (q0 === 1) PH_IQ[jz - 1] &= 0x7fffff;
      else if (q0 === 2) PH_IQ[jz - 1] &= 0x3fffff;
      if (ih === 2) {
        z = 1 - z;
        if (carry !== 0) z -= POW2[q0 + 1074];
      }
    }
    // If the fraction so far is all zero, more bits of 2/pi are needed.
    if (z !== 0) break;
    let j = 0;
    for (let k = jz - 1; k >= jk; k--) j |= PH_IQ[k];
    if (j !== 0) break;
    let more = 1;
    while (more <= jk && PH_IQ[jk - more] === 0) more++;
    for (let k = jz + 1; k <= jz + more; k++) {
      PH_F[jx + k] = TWO_OVER_PI[jv + k];
      let fw = 0;
      for (let m = 0; m <= jx; m++) fw += TX[m] * PH_F[jx + k - m];
      PH_Q[k] = fw;
    }
    jz += more;
  }
  // Drop zero chunks, or split the last fraction into 24-bit chunks.
  if (z === 0) {
    jz -= 1;
    q0 -= 24;
    while (PH_IQ[jz] === 0) {
      jz--;
      q0 -= 24;
    }
  } else {
    z *= POW2[1074 - q0];
    if (z >= TWO_24) {
      const fw = (TWO_M24 * z) | 0;
      PH_IQ[jz] = z - TWO_24 * fw;
      jz += 1;
      q0 += 24;
      PH_IQ[jz] = fw;
    } else {
      PH_IQ[jz] = z;
    }
  }
  // Chunks back to doubles, times pi/2, summed from the smallest.
  let fw = POW2[q0 + 1074];
  for (let i = jz; i >= 0; i--) {
    PH_Q[i] = fw * PH_IQ[i];
    fw *= TWO_M24;
  }
  for (let i = jz; i >= 0; i--) {
    let s = 0;
    for (let k = 0; k <= jp && k <= jz - i; k++) s += PIO2_24[k] * PH_Q[i + k];
    PH_FQ[jz - i] = s;
  }
  let s = 0;
  for (let i = jz; i >= 0; i--) s += PH_FQ[i];
  REM[0] = ih === 0 ? s : -s;
  let tail = PH_FQ[0] - s;
  for (let i = 1; i <= jz; i++) tail += PH_FQ[i];
  REM[1] = ih === 0 ? tail : -tail;
  return n & 7;
}

// --- atan, atan2 --------------------------------------------------------------------------------

// atan(0.5), atan(1), atan(1.5), atan(inf) as head + tail
const ATAN_HI = [0.4636476090008061, 0.7853981633974483, 0.982793723247329, 1.5707963267948966];
const ATAN_LO = [
  2.2698777452961687e-17, 3.061616997868383e-17, 1.3903311031230998e-17, 6.123233995736766e-17,
];
// Remez coefficients of (atan(x) - x) / x^3 on [0, 7/16]
const AT = [
  0.3333333333333293, -0.19999999999876483, 0.14285714272503466, -0.11111110405462356,
  0.09090887133436507, -0.0769187620504483, 0.06661073137387531, -0.058335701337905735,
  0.049768779946159324, -0.036531572744216916, 0.016285820115365782,
];

/**
 * The arctangent within 1 ulp (fdlibm's s_atan.c): |x| is reduced to [0, 7/16] by
 * atan(x) = atan(c) + atan((x - c) / (1 + x c)) for c = 1/2, 1, 3/2 or infinity.
 */
export function atan(x: number): number {
  const hx = highWord(x);
  const ix = hx & 0x7fffffff;
  if (ix >= 0x44100000) {
    // |x| >= 2^66
    if (Number.isNaN(x)) return x;
    return hx > 0 ? ATAN_HI[3] + ATAN_LO[3] : -ATAN_HI[3] - ATAN_LO[3];
  }
  let id = -1;
  if (ix < 0x3fdc0000) {
    // |x| < 0.4375
    if (ix < 0x3e400000) return x; // |x| < 2^-27
  } else {
    x = Math.abs(x);
    if (ix < 0x3ff30000) {
      if (ix < 0x3fe60000) {
        id = 0;
        x = (2 * x - 1) / (2 + x);
      } else {
        id = 1;
        x = (x - 1) / (x + 1);
      }
    } else if (ix < 0x40038000) {
      id = 2;
      x = (x - 1.5) / (1 + 1.5 * x);
    } else {
      id = 3;
      x = -1 / x;
    }
  }
  const z = x * x;
  const w = z * z;
  const s1 = z * (AT[0] + w * (AT[2] + w * (AT[4] + w * (AT[6] + w * (AT[8] + w * AT[10])))));
  const s2 = w * (AT[1] + w * (AT[3] + w * (AT[5] + w * (AT[7] + w * AT[9]))));
  if (id < 0) return x - x * (s1 + s2);
  const r = ATAN_HI[id] - (x * (s1 + s2) - ATAN_LO[id] - x);
  return hx < 0 ? -r : r;
}

const PI = Math.PI;
const PI_LO = 1.2246467991473532e-16; // pi - PI
const PIO2 = 1.5707963267948966;

/**
 * The angle of the point (x, y) in (-pi, pi], within 1 ulp (fdlibm's e_atan2.c), with
 * `Math.atan2`'s special cases for zeros and infinities.
 */
export function atan2(y: number, x: number): number {
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.NaN;
  if (x === 1) return atan(y);
  const hx = highWord(x);
  const hy = highWord(y);
  const m = ((hy >>> 31) & 1) | ((hx >>> 30) & 2); // 2 sign(x) + sign(y)
  if (y === 0) {
    if (m <= 1) return y; // atan2(+-0, +anything) = +-0
    return m === 2 ? PI : -PI;
  }
  if (x === 0) return hy < 0 ? -PIO2 : PIO2;
  const ix = hx & 0x7fffffff;
  const iy = hy & 0x7fffffff;
  if (ix === 0x7ff00000) {
    if (iy === 0x7ff00000) {
      const quarter = m >= 2 ? 3 * PIO4 : PIO4;
      return m & 1 ? -quarter : quarter;
    }
    if (m <= 1) return m === 0 ? 0 : -0;
    return m === 2 ? PI : -PI;
  }
  if (iy === 0x7ff00000) return hy < 0 ? -PIO2 : PIO2;
  const k = (iy - ix) >> 20;
  let z: number;
  let quadrant = m;
  if (k > 60) {
    // |y/x| > 2^60
    z = PIO2 + 0.5 * PI_LO;
    quadrant &= 1;
  } else if (hx < 0 && k < -60) {
    z = 0; // |y/x| < 2^-60 with x < 0
  } else {
    z = atan(Math.abs(y / x));
  }
  switch (quadrant) {
    case 0:
      return z;
    case 1:
      return -z;
    case 2:
      return PI - (z - PI_LO);
    default:
      return z - PI_LO - PI;
  }
}

// --- tanh ---------------------------------------------------------------------------------------

/**
 * The hyperbolic tangent within 1 ulp (fdlibm's s_tanh.c): through expm1, -t / (t + 2) with
 * t = expm1(-2|x|) below 1 and 1 - 2 / (t + 2) with t = expm1(2|x|) from 1 to 22; +-1 beyond.
 */
export function tanh(x: number): number {
  IO[0] = x;
  tanhIO();
  return IO[0];
}

/** a[i] = tanh(a[i]) for i = from, from + step, ... below `to`; see {@link expInPlace}. */
export function tanhInPlace(a: Float64Array, from: number, to: number, step = 1): void {
  for (let i = from; i < to; i += step) {
    IO[0] = a[i];
    tanhIO();
    a[i] = IO[0];
  }
}

/** tanh of IO[0], into IO[0]. */
function tanhIO(): void {
  const x = IO[0];
  F64[0] = x; // highWord(x), inline: see IO
  const hx = I32[HI];
  const ix = hx & 0x7fffffff;
  if (ix >= 0x7ff00000) {
    IO[0] = Number.isNaN(x) ? x : hx >= 0 ? 1 : -1;
    return;
  }
  if (ix < 0x3e300000) return; // |x| < 2^-28: tanh x = x, already in IO[0]
  let z = 1; // |x| >= 22
  if (ix < 0x40360000) {
    if (ix >= 0x3ff00000) {
      IO[0] = 2 * Math.abs(x);
      expm1IO();
      z = 1 - 2 / (IO[0] + 2);
    } else {
      IO[0] = -2 * Math.abs(x);
      expm1IO();
      const t = IO[0];
      z = -t / (t + 2);
    }
  }
  IO[0] = hx >= 0 ? z : -z;
}

// --- pow ----------------------------------------------------------------------------------------

const BP = [1, 1.5];
const DP_H = [0, 0.5849624872207642]; // log2(1.5), head
const DP_L = [0, 1.350039202129749e-8]; // log2(1.5), tail
// Remez coefficients of (3/2)(log(x) - 2s - (2/3) s^3) in s^2
const L1 = 0.5999999999999946;
const L2 = 0.4285714285785502;
const L3 = 0.33333332981837743;
const L4 = 0.272728123808534;
const L5 = 0.23066074577556175;
const L6 = 0.20697501780033842;
const LN2 = Math.LN2;
const LN2_H = 0.6931471824645996; // ln 2 to 24 bits
const LN2_L = -1.904654299957768e-9; // ln 2 - LN2_H
const OVT = 8.008566259537294e-17; // -(1024 - log2(overflow + 0.5 ulp))
const CP = 0.9617966939259756; // 2 / (3 ln 2)
const CP_H = 0.9617967009544373;
const CP_L = -7.028461650952758e-9;
const IVLN2 = Math.LOG2E;
const IVLN2_H = 1.4426950216293335; // 1/ln2 to 24 bits
const IVLN2_L = 1.9259629911266175e-8;
const TWO_53 = 9007199254740992;

/**
 * x^y with JavaScript's special cases (`(+-1) ** +-Infinity` and `1 ** NaN` are NaN), within
 * 1 ulp (fdlibm's e_pow.c): log2(x) in extra precision (a head with 29 trailing zero bits plus a
 * tail), times y split the same way, then 2^(integer part) exp(fraction ln2). Exact for integer
 * powers of integers whose result is representable; `x ** 2` is x * x and `x ** 0.5` sqrt(x).
 */
export function pow(x: number, y: number): number {
  const hx = highWord(x);
  const lx = lowWord(x);
  const hy = highWord(y);
  const ly = lowWord(y);
  let ix = hx & 0x7fffffff;
  const iy = hy & 0x7fffffff;

  if (y === 0) return 1;
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.NaN;

  // For x < 0: is y an integer, odd (1) or even (2), or not (0)?
  let yIsInt = 0;
  if (hx < 0) {
    if (iy >= 0x43400000) yIsInt = 2;
    else if (iy >= 0x3ff00000) {
      const e = (iy >> 20) - 0x3ff;
      if (e > 20) {
        const j = ly >>> (52 - e);
        if (j << (52 - e) === (ly | 0)) yIsInt = 2 - (j & 1);
      } else if (ly === 0) {
        const j = iy >> (20 - e);
        if (j << (20 - e) === iy) yIsInt = 2 - (j & 1);
      }
    }
  }

  if (ly === 0) {
    if (iy === 0x7ff00000) {
      // y = +-Infinity
      if (((ix - 0x3ff00000) | lx) === 0) return Number.NaN; // (+-1) ** +-Infinity
      if (ix >= 0x3ff00000) return hy >= 0 ? y : 0;
      return hy < 0 ? -y : 0;
    }
    if (iy === 0x3ff00000) return hy < 0 ? 1 / x : x; // y = +-1
    if (hy === 0x40000000) return x * x;
    if (hy === 0x3fe00000 && hx >= 0) return Math.sqrt(x);
  }

  let ax = Math.abs(x);
  if (lx === 0 && (ix === 0x7ff00000 || ix === 0 || ix === 0x3ff00000)) {
    // x = +-0, +-Infinity, +-1
    let z = hy < 0 ? 1 / ax : ax;
    if (hx < 0) {
      if (((ix - 0x3ff00000) | yIsInt) === 0)
        z = Number.NaN; // (-1) ** non-integer
      else if (yIsInt === 1) z = -z;
    }
    return z;
  }

  if (hx < 0 && yIsInt === 0) return Number.NaN; // negative ** non-integer
  const sign = hx < 0 && yIsInt === 1 ? -1 : 1;

  // t1 + t2 = log2(|x|), t1 with its low word clear
  let t1: number;
  let t2: number;
  if (iy > 0x41e00000) {
    // |y| > 2^31: over- or underflows unless x is within 2^-20 of 1
    if (iy > 0x43f00000) {
      if (ix <= 0x3fefffff) return hy < 0 ? Number.POSITIVE_INFINITY : 0;
      if (ix >= 0x3ff00000) return hy > 0 ? Number.POSITIVE_INFINITY : 0;
    }
    if (ix < 0x3fefffff) return hy < 0 ? sign * Number.POSITIVE_INFINITY : sign * 0;
    if (ix > 0x3ff00000) return hy > 0 ? sign * Number.POSITIVE_INFINITY : sign * 0;
    // log(x) = t - t^2/2 + t^3/3 - t^4/4 for t = x - 1, |t| <= 2^-20
    const t = ax - 1;
    const w = t * t * (0.5 - t * (0.3333333333333333 - t * 0.25));
    const u = IVLN2_H * t;
    const v = t * IVLN2_L - w * IVLN2;
    t1 = clearLow(u + v);
    t2 = v - (t1 - u);
  } else {
    let n = 0;
    if (ix < 0x00100000) {
      // subnormal x
      ax *= TWO_53;
      n -= 53;
      ix = highWord(ax);
    }
    let shift = (ix >> 20) - 0x3ff;
    const j = ix & 0x000fffff;
    // |x| into [1, sqrt(3/2)), [sqrt(3/2), sqrt(3)) (k = 1: around 1.5) or, halved, below sqrt(2)
    let k = 0;
    ix = j | 0x3ff00000;
    if (j <= 0x3988e) k = 0;
    else if (j < 0xbb67a) k = 1;
    else {
      shift += 1;
      ix -= 0x00100000;
    }
    ax *= POW2[1074 - shift]; // fdlibm sets the exponent bits: the same exact value
    n += shift;
    // ss = s_h + s_l = (x - bp) / (x + bp)
    const u = ax - BP[k];
    const v = 1 / (ax + BP[k]);
    const ss = u * v;
    const sH = clearLow(ss);
    let tH = fromWords(((ix >> 1) | 0x20000000) + 0x00080000 + (k << 18), 0); // x + bp, head
    let tL = ax - (tH - BP[k]);
    const sL = v * (u - sH * tH - sH * tL);
    // log(ax)
    let s2 = ss * ss;
    let r = s2 * s2 * (L1 + s2 * (L2 + s2 * (L3 + s2 * (L4 + s2 * (L5 + s2 * L6)))));
    r += sL * (sH + ss);
    s2 = sH * sH;
    tH = clearLow(3 + s2 + r);
    tL = r - (tH - 3 - s2);
    // u2 + v2 = ss (1 + ...)
    const u2 = sH * tH;
    const v2 = sL * tH + tL * ss;
    // 2 / (3 log 2) (ss + ...)
    const pH = clearLow(u2 + v2);
    const pL = v2 - (pH - u2);
    const zH = CP_H * pH;
    const zL = CP_L * pH + pL * CP + DP_L[k];
    // log2(ax) = n + dp_h + z_h + z_l
    const t = n;
    t1 = clearLow(zH + zL + DP_H[k] + t);
    t2 = zL - (t1 - t - DP_H[k] - zH);
  }

  // (y1 + y2)(t1 + t2) with y1 = y's head
  const y1 = clearLow(y);
  const pL = (y - y1) * t1 + y * t2;
  let pH = y1 * t1;
  let z = pL + pH;
  const j = highWord(z);
  const i = lowWord(z);
  if (j >= 0x40900000) {
    // z >= 1024
    if (((j - 0x40900000) | i) !== 0) return sign * Number.POSITIVE_INFINITY;
    if (pL + OVT > z - pH) return sign * Number.POSITIVE_INFINITY;
  } else if ((j & 0x7fffffff) >= 0x4090cc00) {
    // z <= -1075
    if (((j - (0xc090cc00 | 0)) | i) !== 0) return sign * 0;
    if (pL <= z - pH) return sign * 0;
  }
  // 2^(pH + pL) = 2^n 2^(fraction)
  const az = j & 0x7fffffff;
  let k = (az >> 20) - 0x3ff;
  let n = 0;
  if (az > 0x3fe00000) {
    // |z| > 0.5: n = [z + 0.5]
    n = j + (0x00100000 >> (k + 1));
    k = ((n & 0x7fffffff) >> 20) - 0x3ff;
    const t = fromWords(n & ~(0x000fffff >> k), 0);
    n = ((n & 0x000fffff) | 0x00100000) >> (20 - k);
    if (j < 0) n = -n;
    pH -= t;
  }
  const t = clearLow(pL + pH);
  const u = t * LN2_H;
  const v = (pL - (t - pH)) * LN2 + t * LN2_L;
  z = u + v;
  const w = v - (z - u);
  const tt = z * z;
  const c = z - tt * (P1 + tt * (P2 + tt * (P3 + tt * (P4 + tt * P5))));
  const r = (z * c) / (c - 2 - (w + z * w));
  z = 1 - (r - z);
  // 2^n z: fdlibm adds n to the exponent bits, the same exact value unless the result is subnormal
  return sign * scalbn(z, n);
}

/** x 2^n exactly (up to the final rounding of a subnormal result), for |n| <= 2100. */
function scalbn(x: number, n: number): number {
  // Steps of at most 2^1000 keep every factor a normal power of two.
  while (n > 1000) {
    x *= POW2[1000 + 1074];
    n -= 1000;
  }
  while (n < -1000) {
    x *= POW2[1074 - 1000];
    n += 1000;
  }
  return x * POW2[n + 1074];
}
