import assert from "node:assert/strict";
import { test } from "node:test";
import { obsScaleFor, scaleObsRows } from "../../src/algos/obs-scale.ts";
import { createPolicy, type PolicySpec, policyFromParams } from "../../src/algos/policy.ts";
import { reinforce, reinforcePolicy } from "../../src/algos/reinforce.ts";
import { Tensor } from "../../src/core/index.ts";
import { Rng } from "../../src/core/rng.ts";
import { make } from "../../src/envs/registry.ts";
import { discrete } from "../../src/envs/spaces.ts";

test("obsScaleFor: finite bounds map to [-1, 1], infinite ones pass unchanged", () => {
  const mc = obsScaleFor(make("MountainCar-v0").observationSpace)!;
  const x = new Float64Array([-1.2, -0.07, 0.6, 0.07, -0.3, 0]);
  scaleObsRows(mc, x, 3, x);
  const want = [-1, -1, 1, 1, 0, 0];
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(x[i] - want[i]) < 1e-12, `${i}: ${x[i]}`);
  // CartPole: position +-4.8 and angle +-0.418 are bounded, the velocities are not.
  const cp = obsScaleFor(make("CartPole-v1").observationSpace)!;
  const y = new Float64Array([2.4, 3, 0.2095, -5]);
  scaleObsRows(cp, y, 1, y);
  assert.ok(Math.abs(y[0] - 0.5) < 1e-12 && Math.abs(y[2] - 0.5) < 1e-3);
  assert.equal(y[1], 3);
  assert.equal(y[3], -5);
  assert.equal(obsScaleFor(discrete(3)), null);
});

test("a policy with obsScale acts and scores as the same MLP on scaled observations", () => {
  const space = make("MountainCar-v0").observationSpace;
  const base: PolicySpec = {
    obsDim: 2,
    actionSpace: discrete(3),
    hiddenSizes: [8],
    activation: "tanh",
    logStd: "state-independent",
    squash: "clip",
    initLogStd: 0,
  };
  const scaled = createPolicy({ ...base, obsScale: obsScaleFor(space) }, new Rng(4));
  const plain = policyFromParams(base, scaled.params);
  const obs = new Float64Array([-0.5, 0.01, 0.3, -0.05, -1.1, 0.06]);
  const pre = new Float64Array(6);
  scaleObsRows(obsScaleFor(space)!, obs, 3, pre);
  const actions = new Float64Array([0, 1, 2]);
  const a = scaled.logProbAndEntropy(scaled.params, new Tensor(obs, [3, 2]), actions);
  const b = plain.logProbAndEntropy(plain.params, new Tensor(pre, [3, 2]), actions);
  const c = plain.logProbAndEntropy(plain.params, new Tensor(obs, [3, 2]), actions);
  assert.deepEqual(Array.from(a.logProb.data), Array.from(b.logProb.data));
  assert.notDeepEqual(Array.from(a.logProb.data), Array.from(c.logProb.data));
  const outA = new Float64Array(3);
  const outB = new Float64Array(3);
  scaled.act(obs, 3, new Rng(0), outA, false);
  plain.act(pre, 3, new Rng(0), outB, false);
  assert.deepEqual(Array.from(outA), Array.from(outB));
});

test("scaleObs travels with the checkpoint: the rebuilt policy acts as the trained one", () => {
  const run = reinforce("MountainCar-v0", { totalSteps: 3200, scaleObs: true, shaping: 100 });
  const env = make("MountainCar-v0");
  const again = reinforcePolicy(run.checkpoint, env);
  assert.ok(again.spec.obsScale);
  const obs = new Float64Array([-0.5, 0.01, 0.3, -0.05]);
  const x = new Float64Array(2);
  const y = new Float64Array(2);
  run.policy.act(obs, 2, new Rng(0), x, false);
  again.act(obs, 2, new Rng(0), y, false);
  assert.deepEqual(Array.from(x), Array.from(y));
});
