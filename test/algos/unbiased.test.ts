/**
 * The REINFORCE estimator is unbiased: on small finite MDPs, the mean of many independent
 * batch estimates matches the exact gradient dJ/dtheta (a linear solve, contract C) within 4
 * standard errors in every coordinate, for the full return, reward-to-go and the leave-one-out
 * batch-mean baseline. A linear policy on one-hot observations has logits[s] = W[s, :] + b, so
 * with b = 0 the estimate's W part is an estimate of dJ/dtheta at theta = W.
 *
 * gamma = 1 and every step may end the episode (terminal probability >= 0.2 per step), so episodes
 * are finite and the full return, reward-to-go and baseline variants are all unbiased for J.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createPolicy, type Policy } from "../../src/algos/policy.ts";
import {
  createPolicyGradient,
  type ReinforceConfig,
  resolveReinforceConfig,
  sampleGradient,
  VANILLA,
} from "../../src/algos/reinforce.ts";
import { createRollout } from "../../src/algos/rollout.ts";
import { Rng } from "../../src/core/rng.ts";
import { type FiniteMdp, finiteMdp } from "../../src/envs/toy/finite-mdp.ts";
import { makeVec } from "../../src/envs/vector.ts";

/** MDP A: a 3-state chain, 2 actions, terminal state 3; rewards of both signs. */
function chainMdp(): FiniteMdp {
  // Action 0: advance w.p. .7 (else stay), action 1: stay w.p. .5, end w.p. .3, back .2.
  // Every transition reaches the terminal state w.p. >= .2.
  const P = [
    [
      [0.1, 0.5, 0.0, 0.4],
      [0.5, 0.0, 0.0, 0.5],
    ],
    [
      [0.0, 0.1, 0.6, 0.3],
      [0.2, 0.5, 0.0, 0.3],
    ],
    [
      [0.0, 0.0, 0.2, 0.8],
      [0.0, 0.2, 0.5, 0.3],
    ],
    [
      [0, 0, 0, 1],
      [0, 0, 0, 1],
    ],
  ];
  const R = [
    [0, 1],
    [-1, 0.5],
    [3, -0.5],
    [0, 0],
  ];
  return finiteMdp({
    transitions: P,
    rewards: R,
    initial: [0.7, 0.3, 0, 0],
    terminal: [false, false, false, true],
    gamma: 1,
  });
}

/** MDP B: 2 states, 3 actions, every action ends the episode w.p. .25 to .6. */
function gridMdp(): FiniteMdp {
  const P = [
    [
      [0.5, 0.25, 0.25],
      [0.1, 0.5, 0.4],
      [0.2, 0.2, 0.6],
    ],
    [
      [0.4, 0.3, 0.3],
      [0.3, 0.3, 0.4],
      [0.5, 0.25, 0.25],
    ],
    [
      [0, 0, 1],
      [0, 0, 1],
      [0, 0, 1],
    ],
  ];
  const R = [
    [1, 2, 0],
    [2, -1, 4],
    [0, 0, 0],
  ];
  return finiteMdp({
    transitions: P,
    rewards: R,
    initial: [0.5, 0.5, 0],
    terminal: [false, false, true],
    gamma: 1,
  });
}

/** A linear policy on the one-hot observations with W = theta, b = 0. */
function linearPolicy(mdp: FiniteMdp, theta: Float64Array): Policy {
  const policy = createPolicy(
    {
      obsDim: mdp.numStates,
      actionSpace: mdp.env.actionSpace,
      hiddenSizes: [],
      activation: "tanh",
      logStd: "state-independent",
      squash: "clip",
      initLogStd: 0,
    },
    new Rng(0),
  );
  policy.params["policy.0.weight"].data.set(theta);
  policy.params["policy.0.bias"].data.fill(0);
  return policy;
}

interface Moments {
  mean: Float64Array;
  /** Per-coordinate sample variance of one batch estimate. */
  variance: Float64Array;
  batches: number;
}

/** Mean and variance over `batches` independent estimates of the ascent direction dJ/dW. */
function estimate(
  mdp: FiniteMdp,
  makeMdp: () => FiniteMdp,
  theta: Float64Array,
  overrides: Partial<ReinforceConfig>,
  batches: number,
  seed: number,
): Moments {
  const cfg = resolveReinforceConfig({
    ...VANILLA,
    gamma: 1,
    batchEpisodes: 4,
    numEnvs: 1,
    seed,
    ...overrides,
  });
  const policy = linearPolicy(mdp, theta);
  // One fresh env per sub-env (each FiniteMdp owns one env object).
  const vec = makeVec(() => makeMdp().env, cfg.numEnvs);
  const rollout = createRollout(vec, policy, { kind: "episodes", episodes: cfg.batchEpisodes });
  const gradient = createPolicyGradient(policy);
  const rng = new Rng(seed);
  const n = theta.length;
  const sum = new Float64Array(n);
  const sumSq = new Float64Array(n);
  for (let b = 0; b < batches; b++) {
    const g = sampleGradient(policy, rollout, rng, cfg, gradient).grads["policy.0.weight"];
    for (let i = 0; i < n; i++) {
      const x = -g[i]; // the loss gradient is minus the ascent direction
      sum[i] += x;
      sumSq[i] += x * x;
    }
  }
  const mean = sum.map((s) => s / batches);
  const variance = sumSq.map((s, i) => (s - batches * mean[i] * mean[i]) / (batches - 1));
  return { mean, variance, batches };
}

/** Asserts |mean - exact| <= 4 standard errors in every coordinate; returns the worst z. */
function assertUnbiased(label: string, m: Moments, exact: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < exact.length; i++) {
    const se = Math.sqrt(m.variance[i] / m.batches);
    const z = se === 0 ? (m.mean[i] === exact[i] ? 0 : Infinity) : (m.mean[i] - exact[i]) / se;
    worst = Math.max(worst, Math.abs(z));
    assert.ok(
      Math.abs(z) <= 4,
      `${label}: coordinate ${i}: mean ${m.mean[i]} vs exact ${exact[i]} is ${z.toFixed(2)} standard errors off (tolerance 4)`,
    );
  }
  return worst;
}

const totalVariance = (m: Moments) => m.variance.reduce((a, b) => a + b, 0);

const VARIANTS: Record<string, Partial<ReinforceConfig>> = {
  "full return": { returnMode: "full", baseline: "none" },
  "reward-to-go": { returnMode: "reward-to-go", baseline: "none" },
  "full return + batch-mean baseline": { returnMode: "full", baseline: "batch-mean" },
  "reward-to-go + batch-mean baseline": { returnMode: "reward-to-go", baseline: "batch-mean" },
};

for (const [name, make, theta] of [
  ["chain MDP (3 states, 2 actions)", chainMdp, [0.3, -0.2, -0.5, 0.4, 0.8, 0.1, 0, 0]],
  ["two-state MDP (3 actions)", gridMdp, [0.2, -0.4, 0.1, -0.3, 0.5, 0.0, 0, 0, 0]],
] as const) {
  test(`unbiased on the ${name}: mean of 4000 batches within 4 SE of the exact gradient`, () => {
    const mdp = make();
    const th = Float64Array.from(theta);
    const exact = mdp.exactGradient(th);
    // The test can fail: the exact gradient is far from 0 in some coordinate (a zero estimator
    // would be rejected).
    assert.ok(
      exact.some((g) => Math.abs(g) > 0.05),
      `exact gradient too small: ${exact}`,
    );
    const variances: Record<string, number> = {};
    let seed = 100;
    for (const [variant, overrides] of Object.entries(VARIANTS)) {
      const m = estimate(mdp, make, th, overrides, 4000, seed++);
      const z = assertUnbiased(`${name}, ${variant}`, m, exact);
      variances[variant] = totalVariance(m);
      console.log(
        `${name} | ${variant}: worst |z| ${z.toFixed(2)}, total variance per batch ${variances[variant].toFixed(4)}`,
      );
    }
    const full = variances["full return"];
    const rtg = variances["reward-to-go"];
    const fullB = variances["full return + batch-mean baseline"];
    const rtgB = variances["reward-to-go + batch-mean baseline"];
    console.log(
      `${name} | variance ratios vs full return: reward-to-go ${(rtg / full).toFixed(3)}, ` +
        `full + baseline ${(fullB / full).toFixed(3)}, reward-to-go + baseline ${(rtgB / full).toFixed(3)}`,
    );
    // The variance ordering: reward-to-go and the baseline each lower it (fixed seeds; the
    // measured ratios are printed above and are far from 1, see the issue note).
    assert.ok(rtg < full, `reward-to-go variance ${rtg} should be below full-return ${full}`);
    assert.ok(fullB < full, `baseline variance ${fullB} should be below no-baseline ${full}`);
    assert.ok(rtgB < rtg, `reward-to-go + baseline ${rtgB} should be below reward-to-go ${rtg}`);
  });
}

test("episodes spread over 3 sub-envs (shares 2, 1, 1) stay unbiased", () => {
  // Fixed per-sub-env shares, not "the first N episodes to finish" (which favours short ones).
  const mdp = chainMdp();
  const th = Float64Array.from([0.3, -0.2, -0.5, 0.4, 0.8, 0.1, 0, 0]);
  const m = estimate(mdp, chainMdp, th, { ...VARIANTS["reward-to-go"], numEnvs: 3 }, 4000, 11);
  assertUnbiased("3 sub-envs", m, mdp.exactGradient(th));
});

test("a zero or wrong-sign estimator is rejected by the same 4-SE check (the test can fail)", () => {
  const mdp = chainMdp();
  const th = Float64Array.from([0.3, -0.2, -0.5, 0.4, 0.8, 0.1, 0, 0]);
  const exact = mdp.exactGradient(th);
  const m = estimate(mdp, chainMdp, th, VARIANTS["reward-to-go"], 2000, 7);
  const flipped: Moments = { ...m, mean: m.mean.map((x) => -x) };
  assert.throws(() => assertUnbiased("flipped", flipped, exact), /standard errors off/);
  const halved: Moments = { ...m, mean: m.mean.map((x) => x / 2) };
  assert.throws(() => assertUnbiased("halved", halved, exact), /standard errors off/);
});
