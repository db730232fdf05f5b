import assert from "node:assert/strict";
import { test } from "node:test";
import { apgPolicySpecFor } from "../../src/algos/apg.ts";
import { gradProbe, lqExactGradient, summarize } from "../../src/algos/gradprobe.ts";
import { createPolicy } from "../../src/algos/policy.ts";
import { Rng } from "../../src/core/rng.ts";
import { makeDifferentiable } from "../../src/envs/diff.ts";
import { lqReturn } from "../../src/envs/toy/linear_quadratic.ts";

/** The LQ task's linear Gaussian policy u = -[3, 2.5] x + exp(0.5) eps. */
function lqPolicy() {
  const env = makeDifferentiable("LinearQuadratic-v0");
  const spec = apgPolicySpecFor({ hiddenSizes: [], activation: "tanh", initLogStd: 0.5 }, env);
  const { params } = createPolicy(spec, new Rng(0));
  params["policy.0.weight"].data.set([-3, -2.5]);
  return { env, spec, params };
}

test("gradprobe: the LQ task's exact g* reduces to the deterministic recursion without noise, and noise costs", () => {
  const { env, params } = lqPolicy();
  const H = 15;
  params["policy.logStd"].data[0] = -30;
  const quiet = lqExactGradient(env, params, H, 0.99);
  const det = lqReturn([3, 2.5], { horizon: H });
  for (let j = 0; j < 2; j++) {
    assert.ok(Math.abs(-quiet["policy.0.weight"][j] - det.grad[j]) < 1e-12 * Math.abs(det.grad[j]));
  }
  params["policy.logStd"].data[0] = 0.5;
  const noisy = lqExactGradient(env, params, H, 0.99);
  assert.equal(noisy["policy.0.bias"][0], 0);
  assert.ok(noisy["policy.logStd"][0] < 0, "more noise, lower return");
  assert.notDeepEqual(noisy["policy.0.weight"], quiet["policy.0.weight"]);
});

// A wrong g* would show here too: APG's standard error is small, so its z would be large.
test("gradprobe: on the LQ task (exact g*) both estimators are unbiased within 4 SE and their cosine to g* grows to 1 with the samples, APG's faster", () => {
  const { env, spec, params } = lqPolicy();
  const probe = (samples: number) =>
    gradProbe(env, spec, params, { horizons: [20], samples, seed: 1 }).rows;
  const few = probe(50);
  const many = probe(1500);
  for (const est of ["reinforce", "apg"] as const) {
    const a = few.find((r) => r.estimator === est)!;
    const b = many.find((r) => r.estimator === est)!;
    assert.ok(b.biasZ <= 4, `${est}: bias ${b.bias} is ${b.biasZ} standard errors`);
    assert.ok(b.meanCosine > a.meanCosine, `${est}: cosine ${a.meanCosine} -> ${b.meanCosine}`);
  }
  const apg = many.find((r) => r.estimator === "apg")!;
  const rf = many.find((r) => r.estimator === "reinforce")!;
  assert.ok(apg.meanCosine > 0.995, `apg cosine of 1500 samples ${apg.meanCosine}`);
  assert.ok(rf.meanCosine > 0.7, `reinforce cosine of 1500 samples ${rf.meanCosine}`);
  assert.ok(
    apg.variance * 50 < rf.variance,
    `variance apg ${apg.variance}, reinforce ${rf.variance}`,
  );
  assert.ok(apg.samplesToCos09 < rf.samplesToCos09);
});

test("gradprobe: summarize measures bias, variance and cosine of known samples", () => {
  const ref = Float64Array.of(1, 0);
  // Samples (1 +- 1, +-1): mean (1, 0), per-coordinate variance 4/3 each with n = 4.
  const s = [
    Float64Array.of(2, 1),
    Float64Array.of(0, -1),
    Float64Array.of(2, -1),
    Float64Array.of(0, 1),
  ];
  const r = summarize(s, ref);
  assert.equal(r.bias, 0);
  assert.ok(Math.abs(r.variance - 8 / 3) < 1e-12);
  assert.ok(Math.abs(r.meanCosine - 1) < 1e-12);
  assert.ok(Math.abs(r.samplesToCos09 - ((8 / 3) * 0.81) / 0.19) < 1e-9);
});
