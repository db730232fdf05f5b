import assert from "node:assert/strict";
import { test } from "node:test";
import { createPolicy } from "../../src/algos/policy.ts";
import { reinforce, reinforceAsync, startReinforce } from "../../src/algos/reinforce.ts";
import { createRollout } from "../../src/algos/rollout.ts";
import { Rng } from "../../src/core/rng.ts";
import { make } from "../../src/envs/registry.ts";
import { discrete } from "../../src/envs/spaces.ts";
import type { Action, AsyncEnv, Env, ResetOptions } from "../../src/envs/types.ts";
import { makeVecOf } from "../../src/envs/vector.ts";

/**
 * `env` answering through Promises that settle after a random number of microtask and timer
 * turns, so sub-envs answer out of order; each answer carries a copy of the observation.
 */
function asAsync(env: Env, rng: Rng): AsyncEnv {
  const later = async <T>(f: () => T): Promise<T> => {
    const v = f();
    const o = (v as { observation: Float64Array }).observation;
    const answer = { ...v, observation: o.slice() };
    const k = Math.floor(rng.uniform() * 3);
    if (k === 2) await new Promise((r) => setTimeout(r, 0));
    else for (let i = 0; i < k; i++) await Promise.resolve();
    return answer;
  };
  return {
    async: true,
    id: `${env.id}-async`,
    observationSpace: env.observationSpace,
    actionSpace: env.actionSpace,
    ...(env.maxEpisodeSteps !== undefined ? { maxEpisodeSteps: env.maxEpisodeSteps } : {}),
    reset: (o?: ResetOptions) => later(() => env.reset(o)),
    step: (a: Action) => later(() => env.step(a)),
    close: () => env.close(),
  };
}

const strip = <T extends { wallTimeS: number; stepsPerSecond: number }>(m: T) => ({
  ...m,
  wallTimeS: 0,
  stepsPerSecond: 0,
});

test("CartPole-v1 wrapped as an async env trains to bit-identical metrics (same seed, both batch modes)", async () => {
  for (const extra of [{}, { batchMode: "steps", rolloutSteps: 32, baseline: "value" }] as const) {
    const config = { seed: 4, totalSteps: 6000, ...extra };
    const sync: unknown[] = [];
    const fromId: unknown[] = [];
    const fromAsync: unknown[] = [];
    reinforce(() => make("CartPole-v1"), config, { onMetrics: (m) => sync.push(strip(m)) });
    reinforce("CartPole-v1", config, { onMetrics: (m) => fromId.push(strip(m)) });
    const jitter = new Rng(99);
    const r = await reinforceAsync(() => asAsync(make("CartPole-v1"), jitter), config, {
      onMetrics: (m) => fromAsync.push(strip(m)),
    });
    assert.ok(sync.length >= 3, `only ${sync.length} updates`);
    assert.deepEqual(fromAsync, sync);
    // The built-in physics path agrees too, so the async path is the fast path's equal.
    assert.deepEqual(fromAsync, fromId);
    assert.equal(r.checkpoint.state.envSteps, (sync.at(-1) as { envSteps: number }).envSteps);
  }
});

test("an async run refuses the sync update; a sync run's updateAsync is its update", async () => {
  const run = startReinforce(() => asAsync(make("CartPole-v1"), new Rng(0)), { totalSteps: 500 });
  assert.equal(run.async, true);
  assert.throws(
    () => run.update(),
    /answers asynchronously \(async: true\); use await run\.updateAsync\(\)/,
  );
  const a = startReinforce("CartPole-v1", { seed: 1, totalSteps: 500 });
  const b = startReinforce("CartPole-v1", { seed: 1, totalSteps: 500 });
  assert.equal(a.async, false);
  assert.deepEqual(strip(await a.updateAsync()), strip(b.update()));
  while (!a.done) await a.updateAsync();
  await assert.rejects(a.updateAsync(), /after the budget was spent/);
});

test("rollout.collect refuses an async vector env with a message saying what to call", () => {
  const env = makeVecOf(() => asAsync(make("CartPole-v1"), new Rng(0)), 2);
  const policy = createPolicy(
    {
      obsDim: 4,
      actionSpace: discrete(2),
      hiddenSizes: [4],
      activation: "tanh",
      logStd: "state-independent",
      squash: "clip",
      initLogStd: 0,
    },
    new Rng(0),
  );
  const rollout = createRollout(env, policy, { kind: "episodes", episodes: 2 });
  assert.throws(() => rollout.collect(new Rng(0), 0), /use await collectAsync\(\)/);
});

test("an async env's bad observation is reported by the rollout, with the update it happened in", async () => {
  const env = make("CartPole-v1");
  const broken: AsyncEnv = {
    ...asAsync(env, new Rng(0)),
    step: async () => ({
      observation: Float64Array.of(0, Number.NaN, 0, 0),
      reward: 1,
      terminated: false,
      truncated: false,
      info: {},
    }),
  };
  await assert.rejects(
    reinforceAsync(() => broken, { totalSteps: 100 }),
    /reinforce \(update 1, env step 0\): rollout: non-finite observation NaN from sub-env 0 \(element 1 of 4/,
  );
});
