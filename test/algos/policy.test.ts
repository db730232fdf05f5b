import assert from "node:assert/strict";
import { PerformanceObserver, performance } from "node:perf_hooks";
import { test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
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
import { gradcheck } from "../distributions/gradcheck.ts";

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

// ---------------------------------------------------------------------------------------------
// Every head

const BOX = box([-2, -1, 0], [2, 0.5, 10]);
const HEADS: [string, Space, Partial<PolicySpec>][] = [
  ["Discrete", discrete(4), {}],
  ["MultiDiscrete", multiDiscrete([2, 3, 4]), {}],
  ["MultiBinary", multiBinary(3), {}],
  ["Box clip, state-independent", BOX, { squash: "clip", logStd: "state-independent" }],
  ["Box clip, state-dependent", BOX, { squash: "clip", logStd: "state-dependent" }],
  ["Box tanh, state-independent", BOX, { squash: "tanh", logStd: "state-independent" }],
  [
    "Box tanh, state-dependent",
    BOX,
    { squash: "tanh", logStd: "state-dependent", initLogStd: -0.5 },
  ],
];

/**
 * Scales the output layer's logit / mean columns by `factor`, so the head's outputs are large
 * (actions hit the bounds). The log-std columns of a state-dependent head are left alone.
 */
function sharpen(p: Policy, factor: number): void {
  const last = p.spec.hiddenSizes.length;
  const w = p.params[`policy.${last}.weight`];
  const b = p.params[`policy.${last}.bias`].data;
  const cols = w.shape[1];
  const scaled = p.head.kind === "gaussian" ? p.head.dim : cols;
  for (let j = 0; j < scaled; j++) {
    b[j] *= factor;
    for (let i = 0; i < w.shape[0]; i++) w.data[i * cols + j] *= factor;
  }
}

function rowsOf(x: Float64Array, batch: number, width: number): number[][] {
  return Array.from({ length: batch }, (_, i) =>
    Array.from(x.subarray(i * width, (i + 1) * width)),
  );
}

for (const [name, space, over] of HEADS) {
  test(`${name}: act output is always inside the action space, and the same seed gives the same actions`, () => {
    const p = createPolicy(spec(space, over), new Rng(40));
    sharpen(p, 400); // extreme logits / means far outside the box
    const batch = 200;
    const obs = randomObs(new Rng(41), batch, 3, 3);
    for (const deterministic of [false, true]) {
      const a = new Float64Array(batch * p.actDim);
      const raw = new Float64Array(batch * p.actDim);
      p.act(obs, batch, new Rng(42), a, deterministic, raw);
      for (const row of rowsOf(a, batch, p.actDim)) {
        const value = space.kind === "discrete" ? row[0] : row;
        assert.ok(contains(space, value), `${JSON.stringify(row)} outside the space`);
      }
      const b = new Float64Array(batch * p.actDim);
      const rawB = new Float64Array(batch * p.actDim);
      p.act(obs, batch, new Rng(42), b, deterministic, rawB);
      assert.deepEqual(b, a);
      assert.deepEqual(rawB, raw);
      // The raw actions score to a finite log-prob (they are what the update needs).
      const { logProb } = p.logProbAndEntropy(p.params, tensor(obs, [batch, 3]), raw);
      assert.ok(logProb.data.every(Number.isFinite));
    }
    const c = new Float64Array(batch * p.actDim);
    const d = new Float64Array(batch * p.actDim);
    p.act(obs, batch, new Rng(42), c);
    p.act(obs, batch, new Rng(43), d);
    assert.notDeepEqual(c, d);
  });

  test(`${name}: logProbAndEntropy gradients match central finite differences (rel err <= 1e-6)`, () => {
    const p = createPolicy(spec(space, over), new Rng(44));
    sharpen(p, 50); // away from the near-uniform start, so the gradients are not all tiny
    const batch = 4;
    const obs = randomObs(new Rng(45), batch, 3);
    const raw = new Float64Array(batch * p.actDim);
    p.act(obs, batch, new Rng(46), new Float64Array(batch * p.actDim), false, raw);
    const obsT = tensor(obs, [batch, 3]);
    const adv = tensor([1.2, -0.7, 0.4, 2]);
    const f = (q: Params) => {
      const { logProb, entropy } = p.logProbAndEntropy(q, obsT, raw);
      return add(mean(mul(logProb, adv)), mul(0.3, mean(entropy)));
    };
    const err = gradcheck(f, p.params);
    assert.ok(err <= 1e-6, `relative error ${err}`);
  });

  test(`${name}: policyFromParams rebuilds a policy that acts identically`, () => {
    const p = createPolicy(spec(space, over), new Rng(47));
    const copy: Params = {};
    for (const [k, v] of Object.entries(p.params)) copy[k] = tensor(v.data, v.shape);
    const q = policyFromParams(spec(space, over), copy);
    assert.deepEqual(Object.keys(q.params), Object.keys(policyParamShapes(p.spec)));
    const obs = randomObs(new Rng(48), 10, 3);
    const a = new Float64Array(10 * p.actDim);
    const b = new Float64Array(10 * p.actDim);
    p.act(obs, 10, new Rng(49), a);
    q.act(obs, 10, new Rng(49), b);
    assert.deepEqual(b, a);
  });
}

test("Discrete policy: act's sampling frequencies match exp(logProbAndEntropy) for one observation", () => {
  const p = createPolicy(spec(discrete(3), { hiddenSizes: [] }), new Rng(50));
  sharpen(p, 40);
  const n = 30000;
  const one = randomObs(new Rng(51), 1, 3);
  const obs = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) obs.set(one, i * 3);
  const a = new Float64Array(n);
  p.act(obs, n, new Rng(52), a);
  for (let k = 0; k < 3; k++) {
    const prob = Math.exp(
      p.logProbAndEntropy(p.params, tensor(one, [1, 3]), Float64Array.of(k)).logProb.data[0],
    );
    const freq = a.filter((v) => v === k).length / n;
    const se = Math.sqrt((prob * (1 - prob)) / n);
    assert.ok(Math.abs(freq - prob) <= 4 * se, `class ${k}: frequency ${freq} vs p ${prob}`);
  }
});

test("Gaussian policies: raw samples have the mean and std the log-prob uses; deterministic act is the mode", () => {
  for (const over of [
    { squash: "clip", logStd: "state-independent", initLogStd: -0.3 },
    { squash: "tanh", logStd: "state-dependent", initLogStd: 0.4 },
  ] as const) {
    const p = createPolicy(spec(BOX, over), new Rng(53));
    sharpen(p, 30);
    const one = randomObs(new Rng(54), 1, 3);
    // The mode (deterministic raw action) is the Gaussian mean.
    const meanRaw = new Float64Array(3);
    const modeAct = new Float64Array(3);
    p.act(one, 1, new Rng(0), modeAct, true, meanRaw);
    // Its env action is the mean clipped, or tanh(mean) rescaled, to the bounds.
    for (let d = 0; d < 3; d++) {
      const lo = BOX.low[d];
      const hi = BOX.high[d];
      const expected =
        over.squash === "clip"
          ? Math.min(Math.max(meanRaw[d], lo), hi)
          : lo + ((Math.tanh(meanRaw[d]) + 1) * (hi - lo)) / 2;
      assert.ok(Math.abs(modeAct[d] - expected) < 1e-12, `dim ${d}: ${modeAct[d]} vs ${expected}`);
    }
    const n = 40000;
    const obs = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) obs.set(one, i * 3);
    const raw = new Float64Array(n * 3);
    p.act(obs, n, new Rng(55), new Float64Array(n * 3), false, raw);
    // The std the log-prob uses, read back from logProbAndEntropy itself: for a Gaussian,
    // log N(mean + delta e_d) - log N(mean) = -delta^2 / (2 sigma_d^2) exactly. For tanh the
    // log-prob also subtracts log(1 - tanh^2 u), which is added back here.
    const sigma = new Float64Array(3);
    const obsT = tensor(one, [1, 3]);
    const jac = (u: number) => (over.squash === "tanh" ? Math.log(1 - Math.tanh(u) ** 2) : 0);
    const delta = 0.1;
    for (let d = 0; d < 3; d++) {
      const u0 = Float64Array.from(meanRaw);
      const u1 = Float64Array.from(meanRaw);
      u1[d] += delta;
      const l0 = p.logProbAndEntropy(p.params, obsT, u0).logProb.data[0] + jac(u0[d]);
      const l1 = p.logProbAndEntropy(p.params, obsT, u1).logProb.data[0] + jac(u1[d]);
      sigma[d] = Math.sqrt((delta * delta) / (2 * (l0 - l1)));
    }
    if (over.logStd === "state-independent") {
      for (let d = 0; d < 3; d++) {
        assert.ok(Math.abs(sigma[d] - Math.exp(p.params[LOG_STD_NAME].data[d])) < 1e-6);
      }
    }
    for (let d = 0; d < 3; d++) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        s += raw[i * 3 + d];
        s2 += raw[i * 3 + d] ** 2;
      }
      const m = s / n;
      const v = (s2 - n * m * m) / (n - 1);
      const se = Math.sqrt(v / n);
      assert.ok(
        Math.abs(m - meanRaw[d]) <= 4 * se,
        `${over.squash} dim ${d}: mean ${m} vs ${meanRaw[d]}`,
      );
      const seVar = sigma[d] ** 2 * Math.sqrt(2 / (n - 1));
      assert.ok(
        Math.abs(v - sigma[d] ** 2) <= 4 * seVar,
        `${over.squash} dim ${d}: var ${v} vs ${sigma[d] ** 2}`,
      );
    }
  }
});

test("Box policies: log-std starts at initLogStd (a parameter, or the bias of extra outputs)", () => {
  const si = createPolicy(
    spec(BOX, { logStd: "state-independent", initLogStd: -0.7 }),
    new Rng(56),
  );
  assert.deepEqual(si.params[LOG_STD_NAME].shape, [3]);
  assert.deepEqual(Array.from(si.params[LOG_STD_NAME].data), [-0.7, -0.7, -0.7]);
  assert.equal(si.rawDiffers, true);
  const sd = createPolicy(spec(BOX, { logStd: "state-dependent", initLogStd: -0.7 }), new Rng(57));
  assert.equal(sd.params[LOG_STD_NAME], undefined);
  assert.deepEqual(sd.params["policy.2.weight"].shape, [8, 6]);
  // Entropy of N(., exp(-0.7)) in 3-D is 3 (-0.7 + (1 + log 2 pi) / 2); the outputs are
  // initLogStd plus O(0.01) terms from the small output weights, so allow 0.1.
  const { entropy } = sd.logProbAndEntropy(
    sd.params,
    tensor(randomObs(new Rng(58), 5, 3), [5, 3]),
    new Float64Array(15),
  );
  const expected = 3 * (-0.7 + 0.5 * (1 + Math.log(2 * Math.PI)));
  for (const h of entropy.data)
    assert.ok(Math.abs(h - expected) < 0.1, `entropy ${h} vs ${expected}`);
});

test("createPolicy and policyFromParams reject bad specs and parameters with clear errors", () => {
  assert.throws(
    () => createPolicy(spec(box(-Infinity, Infinity, [2]), { squash: "tanh" }), new Rng(0)),
    /squash "tanh" needs finite bounds/,
  );
  assert.throws(
    () => createPolicy(spec(BOX, { logStd: "learned" as never }), new Rng(0)),
    /spec.logStd must be "state-independent" \| "state-dependent", got learned/,
  );
  assert.throws(
    () => createPolicy(spec(BOX, { initLogStd: Number.NaN }), new Rng(0)),
    /initLogStd/,
  );
  assert.throws(() => createPolicy(spec(discrete(2), { obsDim: 0 }), new Rng(0)), /obsDim/);
  assert.throws(() => createPolicy(spec({ kind: "graph" } as never), new Rng(0)), /actionSpace/);
  // Box with clip and infinite bounds is fine: the clip is a no-op there.
  createPolicy(spec(box(-Infinity, Infinity, [2])), new Rng(0));

  const p = createPolicy(spec(BOX), new Rng(1));
  const missing = { ...p.params };
  delete missing[LOG_STD_NAME];
  assert.throws(() => policyFromParams(spec(BOX), missing), /missing parameter "policy.logStd"/);
  assert.throws(
    () => policyFromParams(spec(BOX, { hiddenSizes: [8, 4] }), p.params),
    /"policy.1.weight" has shape \[8, 8\], the spec needs \[8, 4\]/,
  );
  assert.throws(
    () => policyFromParams(spec(BOX, { hiddenSizes: [8] }), p.params),
    /has shape|unexpected parameter/,
  );
  // Names outside policy.* (a value function's) are ignored.
  const withValue = { ...p.params, "value.0.weight": tensor([1], [1, 1]) };
  assert.equal(policyFromParams(spec(BOX), withValue).params["value.0.weight"], undefined);

  const obs = new Float64Array(6);
  assert.throws(
    () => p.act(obs, 3, new Rng(0), new Float64Array(9)),
    /obs has 6 values, batch 3 x obsDim 3 needs 9/,
  );
  assert.throws(
    () => p.act(new Float64Array(9), 3, new Rng(0), new Float64Array(8)),
    /need 9 values/,
  );
  assert.throws(
    () => p.logProbAndEntropy(p.params, tensor(new Float64Array(6), [2, 3]), new Float64Array(3)),
    /actions has 3 values, expected 6/,
  );
  const d = createPolicy(spec(discrete(2)), new Rng(2));
  assert.throws(
    () => d.logProbAndEntropy(d.params, tensor(new Float64Array(3), [1, 3]), Float64Array.of(2)),
    /actions\[0\] = 2, expected an integer in \[0, 2\)/,
  );
  // NaN observations are caught where they turn into actions.
  assert.throws(
    () => p.act(Float64Array.of(Number.NaN, 0, 0), 1, new Rng(0), new Float64Array(3)),
    /non-finite/,
  );
});

test("act grows its buffers for a larger batch and gives the same per-row modes at any batch size", () => {
  const p = createPolicy(spec(BOX, { logStd: "state-dependent" }), new Rng(60));
  const obs = randomObs(new Rng(61), 50, 3);
  const small = new Float64Array(3 * 3);
  const large = new Float64Array(50 * 3);
  p.act(obs, 3, new Rng(0), small, true);
  p.act(obs, 50, new Rng(0), large, true);
  assert.deepEqual(Array.from(large.subarray(0, 9)), Array.from(small));
  p.act(obs, 2, new Rng(0), small, true); // shrinking is fine too
  assert.deepEqual(Array.from(small.subarray(0, 6)), Array.from(large.subarray(0, 6)));
});

test("act allocates nothing per call: 100k calls per head after warm-up (heap growth and GC count)", async (t) => {
  // gc() is only used to start each round from a clean young generation.
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const calls = 100_000;
  const batch = 2;
  const report: string[] = [];
  for (const [name, space, over] of HEADS) {
    const p = createPolicy(spec(space, { ...over, hiddenSizes: [8] }), new Rng(70));
    const obs = randomObs(new Rng(71), batch, 3);
    const out = new Float64Array(batch * p.actDim);
    const raw = new Float64Array(batch * p.actDim);
    const rng = new Rng(72);
    for (let i = 0; i < 20_000; i++) p.act(obs, batch, rng, out, i % 7 === 0, raw);
    // A round passes when the heap grew by < 1 MB (10 bytes per call; one boxed number per call
    // would be 1.6 MB) and no GC ran (no allocation, no GC). The JIT may still be re-optimizing in
    // the first round (unoptimized code boxes doubles), so up to 4 rounds are allowed; a real
    // per-call allocation fails every round.
    let best = Number.POSITIVE_INFINITY;
    let rounds = 0;
    const log: string[] = []; // per round: GC count in the loop and heap growth, for the failure message
    while (rounds < 4 && !(best < 1e6)) {
      const gcStarts: number[] = [];
      const observer = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) gcStarts.push(e.startTime);
      });
      observer.observe({ entryTypes: ["gc"] });
      gc();
      const t0 = performance.now();
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < calls; i++) p.act(obs, batch, rng, out, false, raw);
      const growth = process.memoryUsage().heapUsed - before;
      const t1 = performance.now();
      // GC entries arrive asynchronously, later than one macrotask: wait for them, then count only
      // the collections that started during the loop (idle-time GCs while waiting do not count).
      await new Promise((r) => setTimeout(r, 100));
      observer.disconnect();
      const gcsInLoop = gcStarts.filter((s) => s >= t0 && s <= t1).length;
      log.push(`round ${rounds}: ${gcsInLoop} GCs, +${growth} B`);
      if (gcsInLoop === 0) best = Math.min(best, growth);
      rounds++;
    }
    report.push(`${name}: ${(best / calls).toFixed(3)} B/call (${rounds} rounds)`);
    assert.ok(
      best < 1e6,
      `${name}: allocation in every round over ${calls} calls: ${log.join("; ")}`,
    );
  }
  t.diagnostic(report.join("; "));
});
