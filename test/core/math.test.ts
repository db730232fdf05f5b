// src/core/math.ts against a ~105-bit reference (test/core/math-reference.ts): every function is
// within its bound of the true value on random arguments over its whole domain (subnormals and
// huge trigonometric arguments included; test/core/math-cases.ts: 1 ulp, 2 for atan2 and 2.5 for
// tanh, whose fdlibm algorithms round twice), and its special values are exact. On Node <= 22, whose V8
// still used fdlibm, each also equals its Math counterpart bit for bit on a million arguments.
// `npm run bench:math` runs the same measurement on millions of arguments per function.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as m from "../../src/core/math.ts";
import { Rng } from "../../src/core/rng.ts";
import * as cases from "./math-cases.ts";
import * as R from "./math-reference.ts";

const rng = new Rng(17);
const uniform = (lo: number, hi: number) => lo + (hi - lo) * rng.uniform();
const logUniform = (lo: number, hi: number) => cases.logUniform(rng, lo, hi);
const BOUND = 1;
const PER_REGIME = 8_000; // 2-3 regimes per function; bench:math runs a million per function

for (const c of cases.CASES) {
  test(`${c.name} is within ${c.bound} ulp of the true value (random arguments over its domain)`, () => {
    const { max, at } = cases.measure(c, rng, PER_REGIME);
    assert.ok(max < c.bound, `${c.name}: ${max.toFixed(3)} ulp at ${at.join(", ")}`);
  });
}

test("pow(beta, t) for Adam's bias corrections is within 1 ulp (beta = 0.9, 0.99, 0.999; t to 10^5)", () => {
  for (const b of [0.9, 0.999, 0.99]) {
    for (let t = 1; t <= 100_000; t += 97) {
      const { v, s } = R.powAbsScaled(b, t);
      assert.ok(R.ulpError(m.pow(b, t), v, s) < BOUND, `pow(${b}, ${t})`);
    }
  }
});

test("huge arguments of sin, cos and tan are reduced exactly (Payne-Hanek)", () => {
  const xs = [1e22, 1e300, Number.MAX_VALUE, 2 ** 1023, 2 ** 20 * Math.PI, 1e6, 123456789.123];
  // The double nearest a multiple of pi/2 (Kahan and McDonald: 6381956970095103 * 2^797), where
  // the reduced argument is about 2^-61 and a reduction with too few bits of pi goes wrong.
  xs.push(6381956970095103 * 2 ** 797, 5.319372648326541e255);
  for (const x of [...xs, ...xs.map((v) => -v)]) {
    for (const [name, f, ref] of [
      ["sin", m.sin, R.sin],
      ["cos", m.cos, R.cos],
      ["tan", m.tan, R.tan],
    ] as const) {
      const err = R.ulpError(f(x), ref(x));
      assert.ok(err < BOUND, `${name}(${x}): ${err.toFixed(3)} ulp`);
    }
  }
});

test("special values: NaN, +-Infinity, +-0, subnormals, over- and underflow", () => {
  const same = (got: number, want: number, what: string) =>
    assert.ok(Object.is(got, want), `${what}: got ${got}, expected ${want}`);
  const tiny = 5e-324;
  for (const [name, f, cases] of [
    [
      "exp",
      m.exp,
      [
        [0, 1],
        [-0, 1],
        [Infinity, Infinity],
        [-Infinity, 0],
        [NaN, NaN],
        [709.8, Infinity],
        [-746, 0],
        [1, Math.E],
        [tiny, 1],
      ],
    ],
    [
      "expm1",
      m.expm1,
      [
        [0, 0],
        [-0, -0],
        [Infinity, Infinity],
        [-Infinity, -1],
        [NaN, NaN],
        [-50, -1],
        [tiny, tiny],
        [710, Infinity],
      ],
    ],
    [
      "log",
      m.log,
      [
        [0, -Infinity],
        [-0, -Infinity],
        [-1, NaN],
        [-Infinity, NaN],
        [Infinity, Infinity],
        [1, 0],
        [NaN, NaN],
        [2 ** -1074, -1074 * Math.LN2],
      ],
    ],
    [
      "log1p",
      m.log1p,
      [
        [-1, -Infinity],
        [-2, NaN],
        [0, 0],
        [-0, -0],
        [Infinity, Infinity],
        [NaN, NaN],
        [tiny, tiny],
        [-tiny, -tiny],
      ],
    ],
    [
      "sin",
      m.sin,
      [
        [0, 0],
        [-0, -0],
        [Infinity, NaN],
        [-Infinity, NaN],
        [NaN, NaN],
        [tiny, tiny],
        [-tiny, -tiny],
      ],
    ],
    [
      "cos",
      m.cos,
      [
        [0, 1],
        [-0, 1],
        [Infinity, NaN],
        [NaN, NaN],
        [tiny, 1],
      ],
    ],
    [
      "tan",
      m.tan,
      [
        [0, 0],
        [-0, -0],
        [Infinity, NaN],
        [NaN, NaN],
        [tiny, tiny],
      ],
    ],
    [
      "atan",
      m.atan,
      [
        [0, 0],
        [-0, -0],
        [Infinity, Math.PI / 2],
        [-Infinity, -Math.PI / 2],
        [NaN, NaN],
        [1, Math.PI / 4],
        [tiny, tiny],
        [2 ** 70, Math.PI / 2],
      ],
    ],
    [
      "tanh",
      m.tanh,
      [
        [0, 0],
        [-0, -0],
        [Infinity, 1],
        [-Infinity, -1],
        [NaN, NaN],
        [30, 1],
        [-30, -1],
        [tiny, tiny],
      ],
    ],
  ] as const) {
    for (const [x, want] of cases) same(f(x), want, `${name}(${x})`);
  }
  const ERR = R.ulpError(m.log(tiny), R.log([tiny, 0]));
  assert.ok(ERR < BOUND, `log(5e-324): ${ERR} ulp`);
  const pi = Math.PI;
  for (const [y, x, want] of [
    [0, 0, 0],
    [-0, 0, -0],
    [0, -0, pi],
    [-0, -0, -pi],
    [0, -1, pi],
    [-0, -1, -pi],
    [0, 1, 0],
    [-0, 1, -0],
    [1, 0, pi / 2],
    [-1, -0, -pi / 2],
    [Infinity, Infinity, pi / 4],
    [-Infinity, Infinity, -pi / 4],
    [Infinity, -Infinity, (3 * pi) / 4],
    [-Infinity, -Infinity, (-3 * pi) / 4],
    [1, Infinity, 0],
    [-1, Infinity, -0],
    [1, -Infinity, pi],
    [-1, -Infinity, -pi],
    [Infinity, 1, pi / 2],
    [NaN, 1, NaN],
    [1, NaN, NaN],
    [1e300, 1e-300, pi / 2],
    [-1e-300, -1e300, -pi],
    [1, 1, pi / 4],
  ] as const) {
    same(m.atan2(y, x), want, `atan2(${y}, ${x})`);
  }
});

test("pow: ECMAScript's special cases, exact integer powers, x ** 2 and x ** 0.5", () => {
  // Number::exponentiate (ECMA-262 6.1.6.1.3) fixes every case with NaN, +-0, +-Infinity or +-1
  // exactly, so any engine's Math.pow is the oracle for them.
  const specials = [
    NaN,
    0,
    -0,
    Infinity,
    -Infinity,
    1,
    -1,
    0.5,
    -0.5,
    2,
    -2,
    3,
    -3,
    1.5,
    -1.5,
    5e-324,
  ];
  for (const x of specials) {
    for (const y of specials) {
      if ([x, y].some((v) => v === 0 || !Number.isFinite(v) || Math.abs(v) === 1)) {
        assert.ok(Object.is(m.pow(x, y), x ** y), `pow(${x}, ${y}): ${m.pow(x, y)}`);
      }
    }
  }
  const cases: [number, number, number][] = [
    [-8, 1 / 3, NaN],
    [-2, 3, -8],
    [-2, 4, 16],
    [2, 1024, Infinity],
    [2, -1074, 5e-324],
    [2, -1075.5, 0],
    [-2, 1025, -Infinity],
    [3, 20, 3486784401],
    [10, 22, 1e22],
    [0.5, -1074, Infinity],
    [1 + 2 ** -52, 2 ** 70, Infinity],

    [1 - 2 ** -53, 2 ** 64, 0],
    [-1, 2 ** 53, 1],
  ];
  for (const [x, y, want] of cases)
    assert.ok(Object.is(m.pow(x, y), want), `pow(${x}, ${y}): ${m.pow(x, y)}`);
  for (let i = 0; i < 10_000; i++) {
    const x = logUniform(-500, 500);
    assert.ok(Object.is(m.pow(x, 2), x * x), `pow(${x}, 2)`);
    if (x > 0) assert.ok(Object.is(m.pow(x, 0.5), Math.sqrt(x)), `pow(${x}, 0.5)`);
  }
});

const nodeMajor = Number(process.versions.node.split(".")[0]);
test("equal to V8's fdlibm (Math on Node <= 22) bit for bit on a million arguments", {
  skip: nodeMajor > 22 ? `Node ${nodeMajor}'s V8 no longer uses fdlibm for Math` : false,
}, () => {
  const unary: [string, (x: number) => number, (x: number) => number][] = [
    ["exp", m.exp, Math.exp],
    ["expm1", m.expm1, Math.expm1],
    ["log", m.log, Math.log],
    ["log1p", m.log1p, Math.log1p],
    ["sin", m.sin, Math.sin],
    ["cos", m.cos, Math.cos],
    ["tan", m.tan, Math.tan],
    ["atan", m.atan, Math.atan],
    ["tanh", m.tanh, Math.tanh],
  ];
  const gens = [
    () => logUniform(-1074, 1023),
    () => uniform(-30, 30),
    () => uniform(-0.3, 0.3), // CartPole's angles, the inlined paths of sin and cos
    () => logUniform(-60, 1),
  ];
  for (const [name, f, g] of unary) {
    for (const gen of gens) {
      for (let i = 0; i < 20_000; i++) {
        const x = gen();
        assert.ok(Object.is(f(x), g(x)), `${name}(${x}): ${f(x)} vs Math ${g(x)}`);
      }
    }
  }
  for (let i = 0; i < 100_000; i++) {
    const a = i % 2 ? logUniform(-1074, 1023) : uniform(-5, 5);
    const b = i % 3 ? logUniform(-20, 12) : Math.round(uniform(-300, 300));
    assert.ok(Object.is(m.pow(a, b), a ** b), `pow(${a}, ${b})`);
    assert.ok(Object.is(m.atan2(a, b), Math.atan2(a, b)), `atan2(${a}, ${b})`);
  }
});

test("sin and cos near multiples of pi/2 (where the reduction needs a second or third piece) equal V8's fdlibm", {
  skip: nodeMajor > 22 ? `Node ${nodeMajor}'s V8 no longer uses fdlibm for Math` : false,
}, () => {
  // sinCos reduces |y0| >= 2^-16 |x| inline and sends the rest to remPio2; these straddle the cut.
  for (let n = 1; n <= 4000; n += n < 64 ? 1 : 37) {
    const center = n * (Math.PI / 2);
    for (let j = 0; j < 60; j++) {
      const x = (j % 2 ? -1 : 1) * center * (1 + (j < 30 ? 2 ** -(8 + j) : (j - 30) * 2 ** -52));
      assert.ok(Object.is(m.sin(x), Math.sin(x)), `sin(${x})`);
      assert.ok(Object.is(m.cos(x), Math.cos(x)), `cos(${x})`);
    }
  }
});

test("the through-memory forms (sinCos, expInPlace, logInPlace, tanhInPlace) give the scalar functions' bits", () => {
  const xs = new Float64Array(20_000);
  for (let i = 0; i < xs.length; i++) xs[i] = i % 4 === 0 ? logUniform(-40, 40) : uniform(-40, 40);
  xs.set([
    0,
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    5e-324,
    800,
    -800,
  ]);
  for (const x of xs) {
    m.SIN_COS[0] = x;
    m.sinCos();
    const [s, c] = [m.SIN_COS[1], m.SIN_COS[2]];
    assert.ok(Object.is(s, m.sin(x)) && Object.is(c, m.cos(x)), `sinCos(${x})`);
  }
  for (const [name, inPlace, f] of [
    ["exp", m.expInPlace, m.exp],
    ["log", m.logInPlace, m.log],
    ["tanh", m.tanhInPlace, m.tanh],
  ] as const) {
    const a = xs.slice();
    inPlace(a, 1, a.length, 3); // every third from index 1; the rest untouched
    for (let i = 0; i < a.length; i++) {
      const want = i % 3 === 1 ? f(xs[i]) : xs[i];
      assert.ok(Object.is(a[i], want), `${name}InPlace at ${i} (x = ${xs[i]}): ${a[i]} vs ${want}`);
    }
  }
});
