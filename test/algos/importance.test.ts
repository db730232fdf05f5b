/**
 * Why both importance-sampled estimators exist, proved on a finite MDP (issue 14): episodes come
 * from pi_old, the gradient is wanted at theta != theta_old (after a few updates on that old batch).
 *
 * - the per-decision estimator (Precup 2000) averages to the exact grad J(theta);
 * - the per-step ratio estimator averages to the exact grad L_old(theta), the surrogate's, and
 *   misses grad J(theta) by many standard errors (its states still come from pi_old);
 * - at theta = theta_old both average to grad J.
 *
 * The MDP has 3 states whose distribution depends on the policy (actions move between them), a
 * horizon of 4 steps (time limit, no terminal state) and gamma = 1; a bandit could not tell the
 * estimators apart. The policy is linear on one-hot observations with bias 0, so its weight
 * gradient is the gradient in the tabular theta of finite-mdp.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createPolicy, type Policy } from "../../src/algos/policy.ts";
import { rewardToGo } from "../../src/algos/returns.ts";
import { createRollout } from "../../src/algos/rollout.ts";
import {
  perDecisionCoefficients,
  perDecisionReturn,
  ratioSurrogate,
} from "../../src/algos/surrogates.ts";
import { valueAndGrad } from "../../src/core/grad.ts";
import { mul, sum, Tensor } from "../../src/core/index.ts";
import { Rng } from "../../src/core/rng.ts";
import { type FiniteMdp, finiteMdp } from "../../src/envs/toy/finite-mdp.ts";
import { makeVec } from "../../src/envs/vector.ts";

const H = 4;
const WEIGHT = "policy.0.weight";

/**
 * 3 states, 2 actions: action 0 tends to move right, action 1 to stay or go back. Undiscounted with
 * a 4-step time limit, or (for the infinite-horizon formulas) discounted without one.
 */
function ringMdp(discounted = false): FiniteMdp {
  return finiteMdp({
    transitions: [
      [
        [0.1, 0.8, 0.1],
        [0.8, 0.1, 0.1],
      ],
      [
        [0.1, 0.1, 0.8],
        [0.7, 0.2, 0.1],
      ],
      [
        [0.2, 0.1, 0.7],
        [0.1, 0.8, 0.1],
      ],
    ],
    rewards: [
      [0, 0.5],
      [1, -0.5],
      [2, 0],
    ],
    initial: [0.8, 0.2, 0],
    ...(discounted ? { gamma: 0.8 } : { gamma: 1, maxEpisodeSteps: H }),
  });
}

function linearPolicy(mdp: FiniteMdp, theta: ArrayLike<number>): Policy {
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
  policy.params[WEIGHT].data.set(theta);
  policy.params["policy.0.bias"].data.fill(0);
  return policy;
}

interface Moments {
  mean: Float64Array;
  se: Float64Array;
}

function moments(samples: Float64Array[]): Moments {
  const n = samples.length;
  const d = samples[0].length;
  const mean = new Float64Array(d);
  const se = new Float64Array(d);
  for (const x of samples) for (let i = 0; i < d; i++) mean[i] += x[i] / n;
  for (const x of samples) for (let i = 0; i < d; i++) se[i] += (x[i] - mean[i]) ** 2;
  for (let i = 0; i < d; i++) se[i] = Math.sqrt(se[i] / (n - 1) / n);
  return { mean, se };
}

/** The largest |mean - exact| / SE over the coordinates. */
function worstZ(m: Moments, exact: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < exact.length; i++)
    worst = Math.max(worst, Math.abs(m.mean[i] - exact[i]) / m.se[i]);
  return worst;
}

/**
 * `episodes` episodes of pi_old = softmax(thetaOld), and one per-step and one per-decision
 * estimate of the ascent direction per episode, at `theta` (null: after 5 ascent steps of the
 * per-step surrogate on the first 40 of these episodes, the "old batch").
 */
function estimates(
  mdp: FiniteMdp,
  thetaOld: ArrayLike<number>,
  theta: ArrayLike<number> | null,
  episodes: number,
  seed: number,
) {
  const policy = linearPolicy(mdp, thetaOld);
  const vec = makeVec(() => mdp.makeEnv(), 4);
  const rollout = createRollout(vec, policy, { kind: "episodes", episodes });
  const batch = rollout.collect(new Rng(seed), seed);
  const T = batch.size;
  const S = mdp.numStates;
  const obs = new Tensor(batch.obs, [T, S]);
  // The behaviour log-probs, as a trainer keeps them.
  const oldLogProb = policy
    .logProbAndEntropy(policy.params, obs, batch.actions)
    .logProb.data.slice();
  const returns = rewardToGo(batch.rewards, batch.ends, 1);
  // Episode boundaries: [starts[i], starts[i + 1]).
  const starts = [0];
  for (let t = 0; t < T; t++) if (batch.ends[t] !== 0) starts.push(t + 1);

  const slice = (a: number, b: number) => ({
    obs: new Tensor(batch.obs.subarray(a * S, b * S), [b - a, S]),
    actions: batch.actions.subarray(a, b),
    old: new Tensor(oldLogProb.subarray(a, b), [b - a]),
    returns: new Tensor(returns.subarray(a, b), [b - a]),
  });
  let part = slice(0, 0);
  const perStep = valueAndGrad((p) => {
    const { logProb } = policy.logProbAndEntropy(p, part.obs, part.actions);
    return sum(ratioSurrogate(logProb, part.old, part.returns));
  });
  let range = [0, 0];
  const coef = new Float64Array(T);
  const weights = new Float64Array(T);
  const perDecision = valueAndGrad((p) => {
    const { logProb } = policy.logProbAndEntropy(p, part.obs, part.actions);
    const [a, b] = range;
    const logRatio = new Float64Array(b - a);
    for (let t = 0; t < b - a; t++) logRatio[t] = logProb.data[t] - oldLogProb[a + t];
    const c = perDecisionCoefficients(
      logRatio,
      batch.rewards.subarray(a, b),
      batch.ends.subarray(a, b),
      1,
      weights.subarray(a, b),
      coef.subarray(a, b),
    );
    return sum(mul(logProb, new Tensor(c, [b - a])));
  });

  const w = policy.params[WEIGHT].data;
  if (theta === null) {
    // A few plain ascent steps on the old batch: where an IS trainer's second epoch starts.
    const oldBatchEnd = starts[40];
    part = slice(0, oldBatchEnd);
    for (let k = 0; k < 5; k++) {
      const g = perStep(policy.params).grads[WEIGHT];
      for (let i = 0; i < w.length; i++) w[i] += (2 / 40) * g[i];
    }
  } else w.set(theta);

  const step: Float64Array[] = [];
  const decision: Float64Array[] = [];
  for (let e = 0; e + 1 < starts.length; e++) {
    range = [starts[e], starts[e + 1]];
    part = slice(starts[e], starts[e + 1]);
    step.push(perStep(policy.params).grads[WEIGHT].slice());
    decision.push(perDecision(policy.params).grads[WEIGHT].slice());
  }
  return { theta: Float64Array.from(w), perStep: moments(step), perDecision: moments(decision) };
}

const THETA_OLD = [0.4, -0.2, -0.3, 0.5, 0.2, -0.6];

test("at theta != theta_old: per-decision = grad J, per-step = grad L_old != grad J (4 SE)", () => {
  const mdp = ringMdp();
  const { theta, perStep, perDecision } = estimates(mdp, THETA_OLD, null, 20_000, 1);
  const gradJ = mdp.exactGradient(theta, H);
  const gradL = mdp.exactSurrogateGradient(THETA_OLD, theta, H);
  const zStepL = worstZ(perStep, gradL);
  const zStepJ = worstZ(perStep, gradJ);
  const zDecisionJ = worstZ(perDecision, gradJ);
  console.log(
    `theta - theta_old = ${Array.from(theta, (x, i) => (x - THETA_OLD[i]).toFixed(3)).join(", ")}\n` +
      `per-step vs grad L_old: worst |z| ${zStepL.toFixed(2)}; per-step vs grad J: worst |z| ${zStepJ.toFixed(2)}; per-decision vs grad J: worst |z| ${zDecisionJ.toFixed(2)}`,
  );
  assert.ok(zDecisionJ <= 4, `per-decision mean is ${zDecisionJ.toFixed(2)} SE from grad J`);
  assert.ok(zStepL <= 4, `per-step mean is ${zStepL.toFixed(2)} SE from grad L_old`);
  assert.ok(zStepJ > 4, `per-step mean is only ${zStepJ.toFixed(2)} SE from grad J (expected > 4)`);
});

test("at theta = theta_old both estimators average to grad J (= grad L_old there)", () => {
  const mdp = ringMdp();
  const { perStep, perDecision } = estimates(mdp, THETA_OLD, THETA_OLD, 10_000, 2);
  const gradJ = mdp.exactGradient(THETA_OLD, H);
  const gradL = mdp.exactSurrogateGradient(THETA_OLD, THETA_OLD, H);
  for (let i = 0; i < gradJ.length; i++) assert.ok(Math.abs(gradJ[i] - gradL[i]) < 1e-12);
  assert.ok(
    gradJ.some((g) => Math.abs(g) > 0.05),
    `grad J too small to test: ${gradJ}`,
  );
  assert.ok(worstZ(perStep, gradJ) <= 4, `per-step: ${worstZ(perStep, gradJ).toFixed(2)} SE`);
  assert.ok(
    worstZ(perDecision, gradJ) <= 4,
    `per-decision: ${worstZ(perDecision, gradJ).toFixed(2)} SE`,
  );
});

test("exact surrogate: L_old(theta_old) = J, its gradient matches central differences, and it differs from J away from theta_old", () => {
  const mdp = ringMdp();
  const theta = THETA_OLD.map((x, i) => x + (i % 2 === 0 ? 0.7 : -0.5));
  assert.ok(
    Math.abs(mdp.exactSurrogate(THETA_OLD, THETA_OLD, H) - mdp.exactObjective(THETA_OLD, H)) <
      1e-12,
  );
  for (const horizon of [H, undefined]) {
    const infinite = horizon === undefined;
    // The infinite-horizon formulas need gamma < 1 here (no terminal state).
    const m = infinite ? ringMdp(true) : mdp;
    const g = m.exactSurrogateGradient(THETA_OLD, theta, horizon);
    const h = 1e-6;
    for (let i = 0; i < theta.length; i++) {
      const up = theta.slice();
      const down = theta.slice();
      up[i] += h;
      down[i] -= h;
      const num =
        (m.exactSurrogate(THETA_OLD, up, horizon) - m.exactSurrogate(THETA_OLD, down, horizon)) /
        (2 * h);
      assert.ok(
        Math.abs(num - g[i]) < 1e-7,
        `horizon ${horizon}: dL/dtheta[${i}] ${g[i]} vs ${num}`,
      );
    }
    const gj = m.exactGradient(theta, horizon);
    assert.ok(
      g.some((x, i) => Math.abs(x - gj[i]) > 0.01),
      "grad L_old should differ from grad J here",
    );
  }
});

test("perDecisionCoefficients: W_t restarts per segment, C_t is the suffix sum of gamma^(t-t0) r_t W_t; perDecisionReturn sums the segments", () => {
  const logRatio = [Math.log(2), Math.log(0.5), Math.log(3), Math.log(4)];
  const rewards = [1, 2, 3, 5];
  const ends = new Uint8Array([0, 0, 1, 2]);
  const w = new Float64Array(4);
  const c = perDecisionCoefficients(logRatio, rewards, ends, 0.5, w, new Float64Array(4));
  const close = (a: ArrayLike<number>, b: number[]) => {
    for (let i = 0; i < b.length; i++)
      assert.ok(Math.abs(a[i] - b[i]) < 1e-12, `${a[i]} vs ${b[i]}`);
  };
  close(w, [2, 1, 3, 4]);
  // Segment 1: terms 1*1*2, 0.5*2*1, 0.25*3*3 = 2, 1, 2.25; segment 2: 5*4 = 20.
  close(c, [5.25, 3.25, 2.25, 20]);
  assert.ok(Math.abs(perDecisionReturn(logRatio, rewards, ends, 0.5) - 25.25) < 1e-12);
  // With every ratio 1 it is the plain discounted return.
  assert.ok(
    Math.abs(perDecisionReturn([0, 0, 0, 0], rewards, ends, 0.5) - (1 + 1 + 0.75 + 5)) < 1e-12,
  );
  assert.throws(
    () => perDecisionCoefficients([0], [1], new Uint8Array([0]), 1, w, c),
    /last step must end a segment/,
  );
});
