import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluate, evaluateAsync } from "../../src/algos/evaluate.ts";
import { createPolicy } from "../../src/algos/policy.ts";
import { reinforce, reinforceAlgorithm, reinforceAsync } from "../../src/algos/reinforce.ts";
import { createRollout } from "../../src/algos/rollout.ts";
import { createTrainer } from "../../src/algos/trainer.ts";
import { Rng } from "../../src/core/rng.ts";
import { make } from "../../src/envs/registry.ts";
import { discrete } from "../../src/envs/spaces.ts";
import type { Action, AsyncEnv, Env, ResetOptions } from "../../src/envs/types.ts";
import { makeVec, makeVecOf } from "../../src/envs/vector.ts";

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

const strip = <T extends { wallTimeS: number }>(m: T) => ({
  ...m,
  wallTimeS: 0,
  ...("stepsPerSecond" in m ? { stepsPerSecond: 0 } : {}),
});

test("CartPole-v1 wrapped as an async env trains to bit-identical metrics and evaluations (same seed, both batch modes)", async () => {
  for (const extra of [{}, { batchMode: "steps", rolloutSteps: 32, baseline: "value" }] as const) {
    const config = { seed: 4, totalSteps: 6000, evalEvery: 2000, evalEpisodes: 3, ...extra };
    const hooks = (rows: unknown[]) => ({
      onMetrics: (m: { wallTimeS: number }) => rows.push(strip(m)),
      onEval: (e: { wallTimeS: number }) => rows.push(strip(e)),
    });
    const sync: unknown[] = [];
    const fromId: unknown[] = [];
    const fromAsync: unknown[] = [];
    reinforce(() => make("CartPole-v1"), config, hooks(sync));
    reinforce("CartPole-v1", config, hooks(fromId));
    const jitter = new Rng(99);
    const r = await reinforceAsync(
      () => asAsync(make("CartPole-v1"), jitter),
      config,
      hooks(fromAsync),
    );
    assert.ok(sync.length >= 6, `only ${sync.length} rows`);
    assert.ok(
      sync.some((row) => "evalReturnMean" in (row as object)),
      "no evaluation ran",
    );
    assert.deepEqual(fromAsync, sync);
    // The built-in physics path agrees too, so the async path is the fast path's equal.
    assert.deepEqual(fromAsync, fromId);
    assert.equal(r.stopReason, "budget");
  }
});

test("an async run refuses the sync step; a sync run's stepAsync is its step", async () => {
  const run = createTrainer(reinforceAlgorithm, () => asAsync(make("CartPole-v1"), new Rng(0)), {
    totalSteps: 500,
  });
  assert.throws(
    () => run.step(),
    /reinforce \(update 1, env step 0\): this env answers asynchronously \(async: true\); train it with reinforceAsync\(\) or await trainer\.stepAsync\(\)/,
  );
  const a = createTrainer(reinforceAlgorithm, "CartPole-v1", { seed: 1, totalSteps: 500 });
  const b = createTrainer(reinforceAlgorithm, "CartPole-v1", { seed: 1, totalSteps: 500 });
  assert.deepEqual(strip((await a.stepAsync()).metrics), strip(b.step().metrics));
  while (a.finished === null) await a.stepAsync();
  await assert.rejects(
    a.stepAsync(),
    /the run is finished \(budget\); stepAsync\(\) has nothing to do/,
  );
});

test("evaluateAsync of an async env gives evaluate's returns on the env it wraps", async () => {
  const t = createTrainer(reinforceAlgorithm, "CartPole-v1", { seed: 2, totalSteps: 3000 });
  while (t.finished === null) t.step();
  for (const deterministic of [true, false]) {
    const opts = { episodes: 4, seed: 11, deterministic };
    const jitter = new Rng(5);
    assert.deepEqual(
      await evaluateAsync(t.policy, () => asAsync(make("CartPole-v1"), jitter), opts),
      evaluate(t.policy, "CartPole-v1", opts),
    );
    // One env object: the episodes one after another on it.
    assert.deepEqual(
      (await evaluateAsync(t.policy, asAsync(make("CartPole-v1"), jitter), opts)).returns,
      evaluate(t.policy, make("CartPole-v1"), opts).returns,
    );
  }
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
    /reinforce \(update 1, env step 0\): env "CartPole-v1-async": step\(\) returned observation\[1\] = NaN; expected a finite number/,
  );
});

test("makeVec refuses a factory of async envs, naming makeVecOf and the async path", () => {
  assert.throws(
    () => makeVec(() => asAsync(make("CartPole-v1"), new Rng(0)), 2),
    /makeVec: the factory returned an async env \("CartPole-v1-async".*use makeVecOf/,
  );
});
