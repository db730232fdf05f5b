import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/core/rng.ts";
import { cos, sin } from "../../src/envs/trig.ts";

// trig.ts evaluates fdlibm's kernels, as V8's Math.sin/Math.cos do (Node 20). Were a V8 to switch
// to another libm, this test says so; the results would then still be within one ulp.
test("sin and cos equal Math.sin and Math.cos bit for bit (small angles inlined, the rest deferred)", () => {
  const rng = new Rng(11);
  const xs = [0, -0, 5e-324, -5e-324, 1e-300, 2 ** -27, -(2 ** -27), 2 ** -28, 0.2999999999999999];
  xs.push(0.3, -0.3, 0.7853981633974483, 3, -100, 1e22, Infinity, -Infinity, Number.NaN);
  for (let i = 0; i < 2_000_000; i++) xs.push(rng.uniformRange(-0.3, 0.3));
  // Magnitudes down to 2^-60, and CartPole's range (|theta| < 0.21 before termination).
  for (let i = 0; i < 500_000; i++) xs.push((2 * rng.uniform() - 1) * 2 ** (-60 * rng.uniform()));
  for (let i = 0; i < 100_000; i++) xs.push(rng.uniformRange(-10, 10));
  let bad = 0;
  let first = "";
  for (const x of xs) {
    if (!Object.is(sin(x), Math.sin(x)) || !Object.is(cos(x), Math.cos(x))) {
      if (bad++ === 0)
        first = `x = ${x}: sin ${sin(x)} vs ${Math.sin(x)}, cos ${cos(x)} vs ${Math.cos(x)}`;
    }
  }
  assert.equal(bad, 0, `${bad} of ${xs.length} differ, first ${first}`);
});
