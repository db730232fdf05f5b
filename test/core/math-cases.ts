// The accuracy cases of src/core/math.ts: for each function, its argument regimes (random
// generators over the whole domain, subnormals and huge arguments included), the reference from
// math-reference.ts, and the error bound it is held to. Shared by test/core/math.test.ts (a few
// thousand arguments per regime) and bench/math.ts (millions).
import * as m from "../../src/core/math.ts";
import type { Rng } from "../../src/core/rng.ts";
import * as R from "./math-reference.ts";

export interface AccuracyCase {
  name: string;
  /** The largest error allowed, in ulps; fdlibm's analysis and bench:math's measurements. */
  bound: number;
  f: (a: number, b: number) => number;
  ref: (a: number, b: number) => { v: R.DD; s: number };
  /** Argument generators, one per regime. */
  regimes: ((rng: Rng) => [number, number])[];
}

const uniform = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng.uniform();
/** |x| log-uniform in [2^lo, 2^(hi+1)), either sign unless `positive`. */
export const logUniform = (rng: Rng, lo: number, hi: number, positive = false) =>
  (positive || rng.uniform() < 0.5 ? 1 : -1) * 2 ** uniform(rng, lo, hi) * (1 + rng.uniform());
const plain = (g: (x: number) => R.DD) => (x: number) => ({ v: g(x), s: 0 });
const one = (gen: (rng: Rng) => number) => (rng: Rng) => [gen(rng), 0] as [number, number];

function tanhRef(x: number): R.DD {
  const e = R.expm1([2 * x, 0]);
  return R.div(e, R.add(e, [2, 0]));
}

/** x^y with the sign of a negative x to an odd power. */
function powRef(x: number, y: number): { v: R.DD; s: number } {
  const { v, s } = R.powAbsScaled(x, y);
  return x < 0 && Math.abs(y % 2) === 1 ? { v: R.neg(v), s } : { v, s };
}

/** (x, y) with -744 < y ln x < 709, so x^y is finite and above 2^-1074; or y an integer. */
function powArgs(rng: Rng, x: number, integer: boolean, negative: boolean): [number, number] {
  const lnx = m.log(x);
  let y = lnx === 0 ? uniform(rng, -100, 100) : uniform(rng, -744, 709) / lnx;
  if (integer) y = Math.trunc(Math.max(-1e6, Math.min(1e6, y)));
  return [negative && Number.isInteger(y) ? -x : x, y];
}

export const CASES: AccuracyCase[] = [
  {
    name: "exp",
    bound: 1,
    f: m.exp,
    ref: (x) => R.expScaled([x, 0]),
    regimes: [
      one((r) => uniform(r, -745, 709.7)),
      one((r) => uniform(r, -1, 1)),
      one((r) => logUniform(r, -60, -1)),
    ],
  },
  {
    name: "expm1",
    bound: 1,
    f: m.expm1,
    ref: plain((x) => R.expm1([x, 0])),
    regimes: [
      one((r) => uniform(r, -40, 709)),
      one((r) => uniform(r, -1.1, 1.1)),
      one((r) => logUniform(r, -60, -1)),
    ],
  },
  {
    name: "log",
    bound: 1,
    f: m.log,
    ref: plain((x) => R.log([x, 0])),
    regimes: [
      one((r) => logUniform(r, -1074, 1022, true)),
      one((r) => uniform(r, 0.5, 2)),
      one((r) => 1 + logUniform(r, -52, -4)),
    ],
  },
  {
    name: "log1p",
    bound: 1,
    f: m.log1p,
    ref: plain((x) => R.log([1 + x, x - (1 + x - 1)])),
    regimes: [
      one((r) => uniform(r, -1, 4)),
      one((r) => logUniform(r, -70, -1)),
      one((r) => logUniform(r, 0, 1000, true)),
    ],
  },
  {
    name: "sin",
    bound: 1,
    f: m.sin,
    ref: plain(R.sin),
    regimes: [
      one((r) => uniform(r, -10, 10)),
      one((r) => logUniform(r, -30, 1022)),
      one((r) => logUniform(r, -1074, -30)),
    ],
  },
  {
    name: "cos",
    bound: 1,
    f: m.cos,
    ref: plain(R.cos),
    regimes: [one((r) => uniform(r, -10, 10)), one((r) => logUniform(r, -30, 1022))],
  },
  {
    name: "tan",
    bound: 1,
    f: m.tan,
    ref: plain(R.tan),
    regimes: [one((r) => uniform(r, -10, 10)), one((r) => logUniform(r, -30, 1022))],
  },
  {
    name: "atan",
    bound: 1,
    f: m.atan,
    ref: plain(R.atan),
    regimes: [one((r) => uniform(r, -3, 3)), one((r) => logUniform(r, -300, 300))],
  },
  {
    name: "atan2",
    bound: 2,
    f: m.atan2,
    ref: (y, x) => ({ v: R.atan2(y, x), s: 0 }),
    regimes: [
      (r) => [uniform(r, -3, 3), uniform(r, -3, 3)],
      (r) => {
        const y = logUniform(r, -400, 400);
        return [y, y * logUniform(r, -60, 60)];
      },
    ],
  },
  {
    name: "tanh",
    bound: 2.5,
    f: m.tanh,
    ref: plain(tanhRef),
    regimes: [
      one((r) => uniform(r, -25, 25)),
      one((r) => uniform(r, -1.2, 1.2)),
      one((r) => logUniform(r, -60, -1)),
    ],
  },
  {
    name: "pow",
    bound: 1,
    f: m.pow,
    ref: powRef,
    regimes: [
      (r) => powArgs(r, logUniform(r, -1074, 1022, true), false, false),
      (r) => powArgs(r, uniform(r, 0.8, 1.25), false, false),
      (r) => powArgs(r, logUniform(r, -1074, 1022, true), true, r.uniform() < 0.5),
    ],
  },
];

/** The largest error over n arguments of each regime, and the arguments where it occurred. */
export function measure(
  c: AccuracyCase,
  rng: Rng,
  n: number,
): { max: number; at: [number, number] } {
  let max = 0;
  let at: [number, number] = [Number.NaN, Number.NaN];
  for (const regime of c.regimes) {
    for (let i = 0; i < n; i++) {
      const [a, b] = regime(rng);
      const { v, s } = c.ref(a, b);
      const err = R.ulpError(c.f(a, b), v, s);
      if (!(err <= max)) {
        max = err;
        at = [a, b];
      }
    }
  }
  return { max, at };
}
