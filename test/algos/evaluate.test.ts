import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluate } from "../../src/algos/evaluate.ts";
import { createPolicy } from "../../src/algos/policy.ts";
import { Rng } from "../../src/core/rng.ts";
import { discrete } from "../../src/envs/spaces.ts";
import { CountEnv } from "./helpers.ts";

const spec = (obsDim: number) => ({
  obsDim,
  actionSpace: discrete(2),
  hiddenSizes: [8],
  activation: "tanh" as const,
  logStd: "state-independent" as const,
  squash: "clip" as const,
  initLogStd: 0,
});

test("evaluate reports each episode's undiscounted return and length", () => {
  const policy = createPolicy(spec(1), new Rng(0));
  // 4-step episodes with rewards 1, 2, 3, 4 whatever the actions.
  const r = evaluate(policy, new CountEnv(4), { episodes: 3, seed: 0, deterministic: false });
  assert.deepEqual(r.returns, [10, 10, 10]);
  assert.deepEqual(r.lengths, [4, 4, 4]);
  assert.equal(r.returnMean, 10);
  assert.equal(r.returnStd, 0);
  assert.equal(r.lengthMean, 4);
  assert.equal(r.episodes, 3);
});

test("evaluate is reproducible by seed; deterministic mode is the same for every seed", () => {
  const policy = createPolicy(spec(4), new Rng(1));
  // Make the policy stochastic enough that sampling matters.
  policy.params["policy.1.weight"].data.forEach((_, i, a) => {
    a[i] = i % 2 ? 1 : -1;
  });
  const opts = { episodes: 5, deterministic: false };
  const a = evaluate(policy, "CartPole-v1", { ...opts, seed: 3 });
  const b = evaluate(policy, "CartPole-v1", { ...opts, seed: 3 });
  const c = evaluate(policy, "CartPole-v1", { ...opts, seed: 4 });
  assert.deepEqual(a.returns, b.returns);
  assert.notDeepEqual(a.returns, c.returns);
  const d1 = evaluate(policy, "CartPole-v1", { episodes: 3, seed: 3, deterministic: true });
  const d2 = evaluate(policy, "CartPole-v1", { episodes: 3, seed: 3, deterministic: true });
  assert.deepEqual(d1, d2);
});

test("evaluate rejects bad options and non-finite observations with clear errors", () => {
  const policy = createPolicy(spec(1), new Rng(0));
  assert.throws(
    () => evaluate(policy, new CountEnv(3), { episodes: 0, seed: 0, deterministic: true }),
    /opts.episodes must be an integer >= 1, got 0/,
  );
  assert.throws(
    () =>
      evaluate(policy, new CountEnv(5, true, undefined, { what: "obs", at: 2 }), {
        episodes: 1,
        seed: 0,
        deterministic: true,
      }),
    /non-finite observation NaN from Count \(element 0, episode 0, step 2\)/,
  );
  assert.throws(
    () => evaluate(policy, "CartPole-v1", { episodes: 1, seed: 0, deterministic: true }),
    /gives observations of 4 values, the policy takes 1/,
  );
});
