import assert from "node:assert/strict";
import { test } from "node:test";
import {
  createPolicy,
  LOG_STD_NAME,
  type Policy,
  type PolicySpec,
  policyFromParams,
  policyParamShapes,
} from "../../src/algos/policy.ts";
import { add, mean, mul, type Params, tensor } from "../../src/core/index.ts";
import { Rng } from "../../src/core/rng.ts";
import {
  box,
  contains,
  discrete,
  multiBinary,
  multiDiscrete,
  type Space,
} from "../../src/envs/spaces.ts";
import { gradcheck } from "../dist/gradcheck.ts";

function spec(actionSpace: Space, over: Partial<PolicySpec> = {}): PolicySpec {
  return {
    obsDim: 3,
    actionSpace,
    hiddenSizes: [8, 8],
    activation: "tanh",
    logStd: "state-independent",
    squash: "clip",
    initLogStd: 0,
    ...over,
  };
}

function randomObs(rng: Rng, batch: number, obsDim: number, scale = 1): Float64Array {
  const x = new Float64Array(batch * obsDim);
  for (let i = 0; i < x.length; i++) x[i] = scale * rng.normal();
  return x;
}

test("Discrete policy: parameter names and shapes are the stable checkpoint names", () => {
  const p = createPolicy(spec(discrete(2)), new Rng(0));
  assert.deepEqual(Object.fromEntries(Object.entries(p.params).map(([k, v]) => [k, v.shape])), {
    "policy.0.weight": [3, 8],
    "policy.0.bias": [8],
    "policy.1.weight": [8, 8],
    "policy.1.bias": [8],
    "policy.2.weight": [8, 2],
    "policy.2.bias": [2],
  });
  assert.equal(p.actDim, 1);
  assert.equal(p.rawDiffers, false);
});

test("Discrete policy: initial policy is near uniform (output gain 0.01)", () => {
  const p = createPolicy(spec(discrete(4)), new Rng(1));
  const obs = tensor(randomObs(new Rng(2), 16, 3), [16, 3]);
  const actions = new Float64Array(16);
  const { logProb, entropy } = p.logProbAndEntropy(p.params, obs, actions);
  // With |logits| of order 0.01, log p is within 0.05 of log(1/4) and H within 1e-3 of log 4.
  for (const lp of logProb.data) assert.ok(Math.abs(lp - Math.log(0.25)) < 0.05, `log p ${lp}`);
  for (const h of entropy.data) assert.ok(Math.abs(h - Math.log(4)) < 1e-3, `H ${h}`);
});

test("Discrete policy: act samples in the space, deterministic act gives the argmax, seeds repeat", () => {
  const space = discrete(3, -1);
  const p = createPolicy(spec(space), new Rng(3));
  // Make the logits far from uniform so the argmax is meaningful.
  const w = p.params["policy.2.weight"].data;
  for (let i = 0; i < w.length; i++) w[i] *= 300;
  const batch = 64;
  const obs = randomObs(new Rng(4), batch, 3);
  const a = new Float64Array(batch);
  const raw = new Float64Array(batch);
  p.act(obs, batch, new Rng(5), a, false, raw);
  for (let i = 0; i < batch; i++) {
    assert.ok(contains(space, a[i]), `action ${a[i]} not in Discrete(3, start=-1)`);
    assert.equal(raw[i], a[i] - space.start);
  }
  const again = new Float64Array(batch);
  p.act(obs, batch, new Rng(5), again);
  assert.deepEqual(again, a);
  // Deterministic: argmax of the logits computed differentiably.
  const { logProb } = p.logProbAndEntropy(
    p.params,
    tensor(obs, [batch, 3]),
    new Float64Array(batch),
  );
  const det = new Float64Array(batch);
  const detRaw = new Float64Array(batch);
  p.act(obs, batch, new Rng(99), det, true, detRaw);
  assert.ok(p.rawDiffers);
  for (let i = 0; i < batch; i++) {
    let best = 0;
    let bestLp = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < 3; k++) {
      const acts = new Float64Array(batch).fill(k);
      const lp = p.logProbAndEntropy(p.params, tensor(obs, [batch, 3]), acts).logProb.data[i];
      if (lp > bestLp) {
        bestLp = lp;
        best = k;
      }
    }
    assert.equal(detRaw[i], best);
    assert.equal(det[i], best + space.start);
  }
  assert.equal(logProb.shape[0], batch);
});

test("Discrete policy: logProbAndEntropy gradients match central finite differences", () => {
  const p = createPolicy(spec(discrete(3)), new Rng(6));
  const batch = 5;
  const obs = tensor(randomObs(new Rng(7), batch, 3), [batch, 3]);
  const actions = Float64Array.from([0, 2, 1, 1, 0]);
  const adv = tensor([1.5, -0.5, 2, 0.3, -1]);
  // A REINFORCE-style loss with an entropy bonus: both outputs must carry gradient.
  const f = (q: Params) => {
    const { logProb, entropy } = p.logProbAndEntropy(q, obs, actions);
    return add(mean(mul(logProb, adv)), mul(0.1, mean(entropy)));
  };
  const err = gradcheck(f, p.params);
  assert.ok(err <= 1e-6, `norm-wise relative error ${err} (tolerance 1e-6)`);
});
