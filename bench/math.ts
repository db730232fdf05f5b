/**
 * bench:math: the accuracy of src/core/math.ts on many arguments: for each function, the largest
 * error in ulps against the ~105-bit reference of test/core/math-reference.ts over every argument
 * regime of test/core/math-cases.ts (the unit test runs 8,000 per regime; this runs
 * `--per-regime N`, default 400,000, so 0.8-1.2 million per function), and the nanoseconds per
 * call of our function and of the engine's Math counterpart (peer: Math, same process, same args).
 *
 * Prints a table, then as the last line one JSON object:
 * {"bench":"math","node":"..","per_regime":N,"max_ulp":{"exp":..,...},"ns_per_call":{...}}
 */

import { Rng } from "../src/core/rng.ts";
import { CASES, measure } from "../test/core/math-cases.ts";

const flag = process.argv.indexOf("--per-regime");
const perRegime = flag >= 0 ? Number(process.argv[flag + 1]) : 400_000;
if (!(Number.isInteger(perRegime) && perRegime > 0)) {
  throw new Error(
    `bench:math: --per-regime must be a positive integer, got ${process.argv[flag + 1]}`,
  );
}

const PEERS: Record<string, (a: number, b: number) => number> = {
  exp: Math.exp,
  expm1: Math.expm1,
  log: Math.log,
  log1p: Math.log1p,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  atan: Math.atan,
  atan2: Math.atan2,
  tanh: Math.tanh,
  pow: Math.pow,
};

/** ns per call over the same 4096 arguments, best of 5 windows. */
function timePerCall(f: (a: number, b: number) => number, args: Float64Array): number {
  let best = Number.POSITIVE_INFINITY;
  let sink = 0;
  for (let w = 0; w < 5; w++) {
    const t0 = performance.now();
    for (let rep = 0; rep < 100; rep++) {
      for (let i = 0; i < args.length; i += 2) sink += f(args[i], args[i + 1]);
    }
    best = Math.min(best, ((performance.now() - t0) * 1e6) / (100 * (args.length / 2)));
  }
  if (sink === 0.5) console.log(""); // keeps the loop alive
  return best;
}

const maxUlp: Record<string, number> = {};
const ns: Record<string, { ours: number; math: number }> = {};
console.log(`bench:math, Node ${process.versions.node}, ${perRegime} arguments per regime`);
console.log(
  "function  regimes  max ulp   at                                   ns ours  ns Math  ratio",
);
for (const c of CASES) {
  const { max, at } = measure(c, new Rng(2026), perRegime);
  const rng = new Rng(7);
  const args = new Float64Array(8192);
  for (let i = 0; i < args.length; i += 2) {
    const [a, b] = c.regimes[(i / 2) % c.regimes.length](rng);
    args[i] = a;
    args[i + 1] = b;
  }
  const ours = timePerCall(c.f, args);
  const math = timePerCall(PEERS[c.name], args);
  maxUlp[c.name] = Number(max.toFixed(4));
  ns[c.name] = { ours: Number(ours.toFixed(1)), math: Number(math.toFixed(1)) };
  console.log(
    `${c.name.padEnd(9)} ${String(c.regimes.length).padStart(7)}  ${max.toFixed(4).padStart(7)}   ${at
      .map((v) => v.toPrecision(8))
      .join(", ")
      .padEnd(
        36,
      )} ${ours.toFixed(1).padStart(7)}  ${math.toFixed(1).padStart(7)}  ${(ours / math).toFixed(2).padStart(5)}`,
  );
  if (!(max < c.bound)) console.log(`  ${c.name}: ${max} ulp exceeds its bound ${c.bound}`);
}

console.log(
  JSON.stringify({
    bench: "math",
    node: process.versions.node,
    per_regime: perRegime,
    max_ulp: maxUlp,
    ns_per_call: ns,
  }),
);
