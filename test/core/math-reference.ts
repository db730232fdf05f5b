// A high-precision reference for src/core/math.ts: each function in double-double arithmetic
// (~105 bits) from series and Newton steps, with trigonometric arguments reduced exactly by BigInt
// against 2/pi computed here from Machin's formula. Independent of the code under test and of the
// engine's Math (Math.atan/atan2 only seed a Newton step, which doubles their 53 bits).
// `ulpError` measures a double against it in units in the last place of the true value.

/** A double-double: the unevaluated sum hi + lo with |lo| <= ulp(hi) / 2. */
export type DD = readonly [number, number];

function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

function split(a: number): DD {
  const c = 134217729 * a; // 2^27 + 1 (Veltkamp)
  const hi = c - (c - a);
  return [hi, a - hi];
}

function twoProd(a: number, b: number): DD {
  const p = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

export function add(a: DD, b: DD): DD {
  const [s, e] = twoSum(a[0], b[0]);
  const [t, f] = twoSum(a[1], b[1]);
  const [u, g] = twoSum(s, e + t);
  return twoSum(u, g + f);
}

export const neg = (a: DD): DD => [-a[0], -a[1]];
export const sub = (a: DD, b: DD): DD => add(a, neg(b));

export function mul(a: DD, b: DD): DD {
  const [p, e] = twoProd(a[0], b[0]);
  return twoSum(p, e + (a[0] * b[1] + a[1] * b[0]));
}

export function div(a: DD, b: DD): DD {
  const q1 = a[0] / b[0];
  const r = sub(a, mul(b, [q1, 0]));
  const q2 = r[0] / b[0];
  const r2 = sub(r, mul(b, [q2, 0]));
  const q3 = r2[0] / b[0];
  return add(twoSum(q1, q2), [q3, 0]);
}

const d = (x: number): DD => [x, 0];

/** x 2^k, exact while the result is normal (steps keep each factor a finite power of two). */
function ldexp(x: number, k: number): number {
  for (; k > 1000; k -= 1000) x *= 2 ** 1000;
  for (; k < -1000; k += 1000) x *= 2 ** -1000;
  return x * 2 ** k;
}

const scale = (a: DD, k: number): DD => [ldexp(a[0], k), ldexp(a[1], k)];

// --- constants from BigInt -----------------------------------------------------------------------

const BITS = 1400n; // fixed-point bits: 2/pi must cover 2^1024 x with 2^-200 to spare

function atanInverse(n: bigint, one: bigint): bigint {
  // atan(1/n) = sum (-1)^k / ((2k + 1) n^(2k + 1))
  let power = one / n;
  let sum = 0n;
  const n2 = n * n;
  for (let k = 0n; power !== 0n; k++) {
    sum += (k % 2n === 0n ? 1n : -1n) * (power / (2n * k + 1n));
    power /= n2;
  }
  return sum;
}

const ONE = 1n << (BITS + 32n);
/** pi * 2^(BITS + 32), Machin: pi = 16 atan(1/5) - 4 atan(1/239). */
const PI_BIG = 16n * atanInverse(5n, ONE) - 4n * atanInverse(239n, ONE);
/** floor(2/pi * 2^BITS). */
const TWO_OVER_PI_BIG = (2n * ONE * (1n << BITS)) / PI_BIG;
/** pi/2 * 2^BITS. */
const PIO2_BIG = PI_BIG >> 33n;

/** The value num / 2^den as a DD (num > 0). */
function bigToDD(num: bigint, den: bigint): DD {
  const bits = BigInt(num.toString(2).length);
  const shift = bits > 110n ? bits - 110n : 0n;
  const w = num >> shift;
  const hi = w >> 57n;
  const lo = w & ((1n << 57n) - 1n);
  const e = Number(shift - den);
  return twoSum(Number(hi) * 2 ** (e + 57), Number(lo) * 2 ** e);
}

function ddFromBig(num: bigint, den: bigint): DD {
  if (num === 0n) return [0, 0];
  return num < 0n ? neg(bigToDD(-num, den)) : bigToDD(num, den);
}

export const LN2: DD = (() => {
  // ln 2 = 2 atanh(1/3) = 2 sum 1 / ((2k + 1) 3^(2k + 1))
  let power = ONE / 3n;
  let sum = 0n;
  for (let k = 0n; power !== 0n; k++) {
    sum += power / (2n * k + 1n);
    power /= 9n;
  }
  return ddFromBig(2n * sum, BITS + 32n);
})();

// --- exp, log --------------------------------------------------------------------------------------

/** e^x as V 2^s (so that results below the normal range keep their precision). */
export function expScaled(x: DD): { v: DD; s: number } {
  const k = Math.round(x[0] / LN2[0]);
  let r = sub(x, mul(LN2, d(k)));
  r = scale(r, -10);
  // Taylor to r^9 / 9! for |r| < 2^-11
  let term: DD = d(1);
  let sum: DD = d(1);
  for (let n = 1; n <= 9; n++) {
    term = div(mul(term, r), d(n));
    sum = add(sum, term);
  }
  for (let i = 0; i < 10; i++) sum = mul(sum, sum);
  return { v: sum, s: k };
}

/** e^x - 1 (a series near 0, where e^x - 1 would cancel). */
export function expm1(x: DD): DD {
  if (Math.abs(x[0]) < 0.5) {
    let term = x;
    let sum = x;
    for (let n = 2; n <= 30; n++) {
      term = div(mul(term, x), d(n));
      sum = add(sum, term);
    }
    return sum;
  }
  const { v, s } = expScaled(x);
  return sub(scale(v, s), d(1));
}

/** The natural logarithm of a positive DD: e ln2 + 2 atanh((m - 1) / (m + 1)), m near 1. */
export function log(x: DD): DD {
  let e = Math.floor(Math.log2(x[0]));
  let m = scale(x, -e);
  if (m[0] > Math.SQRT2) {
    m = scale(m, -1);
    e += 1;
  }
  const u = div(sub(m, d(1)), add(m, d(1)));
  const u2 = mul(u, u);
  let power = u;
  let sum = u;
  for (let n = 3; n <= 61; n += 2) {
    power = mul(power, u2);
    sum = add(sum, div(power, d(n)));
  }
  return add(mul(LN2, d(e)), scale(sum, 1));
}

// --- sin, cos, tan, atan, atan2 ------------------------------------------------------------------

function sinSeries(r: DD): DD {
  const r2 = mul(r, r);
  let term = r;
  let sum = r;
  for (let n = 3; n <= 35; n += 2) {
    term = neg(div(mul(term, r2), d((n - 1) * n)));
    sum = add(sum, term);
  }
  return sum;
}

function cosSeries(r: DD): DD {
  const r2 = mul(r, r);
  let term = d(1);
  let sum = d(1);
  for (let n = 2; n <= 36; n += 2) {
    term = neg(div(mul(term, r2), d((n - 1) * n)));
    sum = add(sum, term);
  }
  return sum;
}

/** x = n pi/2 + r exactly (to 2^-200 of x) for any finite double: [n mod 4, r]. */
function reduce(x: number): [number, DD] {
  if (Math.abs(x) <= Math.PI / 4) return [0, d(x)];
  const sign = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  const e = Math.floor(Math.log2(ax));
  let exponent = Math.max(e, -1022) - 52;
  // ax = m 2^exponent with m an integer (Math.log2 may be one off at a power of two: fix up)
  while (!Number.isInteger(ax / 2 ** exponent)) exponent -= 1;
  const m = BigInt(ax / 2 ** exponent);
  const product = m * TWO_OVER_PI_BIG; // x 2/pi = product 2^(exponent - BITS)
  const s = BITS - BigInt(exponent);
  let q = product >> s;
  let f = product - (q << s);
  if (f >= 1n << (s - 1n)) {
    q += 1n;
    f -= 1n << s;
  }
  const r = ddFromBig(f * PIO2_BIG, s + BITS);
  const n = Number(q % 4n);
  return sign > 0 ? [n, r] : [(4 - n) % 4, neg(r)];
}

export function sin(x: number): DD {
  const [n, r] = reduce(x);
  return [sinSeries(r), cosSeries(r), neg(sinSeries(r)), neg(cosSeries(r))][n];
}

export function cos(x: number): DD {
  const [n, r] = reduce(x);
  return [cosSeries(r), neg(sinSeries(r)), neg(cosSeries(r)), sinSeries(r)][n];
}

export function tan(x: number): DD {
  return div(sin(x), cos(x));
}

/** atan2(y, x) for finite non-zero x, y: a Newton step on y cos t - x sin t = 0 from Math.atan2. */
export function atan2(y: number, x: number): DD {
  // One power of two for both keeps the products in range and the ratio exact.
  const k = -Math.max(Math.floor(Math.log2(Math.abs(x))), Math.floor(Math.log2(Math.abs(y))));
  const ys = y * 2 ** k;
  const xs = x * 2 ** k;
  const t0 = Math.atan2(y, x);
  const s = sin(t0);
  const c = cos(t0);
  const f = sub(mul(d(ys), c), mul(d(xs), s));
  const df = neg(add(mul(d(ys), s), mul(d(xs), c)));
  return sub(d(t0), div(f, df));
}

export function atan(x: number): DD {
  return atan2(x, 1);
}

/** |x|^y for x !== 0 as V 2^s. */
export function powAbsScaled(x: number, y: number): { v: DD; s: number } {
  return expScaled(mul(log(d(Math.abs(x))), d(y)));
}

// --- measuring -------------------------------------------------------------------------------------

/**
 * |got - ref| in units of the last place of ref, where ref = v 2^s (ulps of subnormals are 2^-1074).
 * Infinite or NaN `got` gives Infinity.
 */
export function ulpError(got: number, v: DD, s = 0): number {
  if (!Number.isFinite(got)) return Number.POSITIVE_INFINITY;
  const e = Math.floor(Math.log2(Math.abs(v[0]))) + s;
  const q = Math.max(e, -1022) - 52; // ulp = 2^q
  const diff = sub(d(ldexp(got, -q)), scale(v, s - q));
  return Math.abs(diff[0] + diff[1]);
}
