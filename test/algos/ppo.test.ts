/**
 * PPO's pieces and its learner: at ratio 1 its policy gradient is REINFORCE's with the same
 * normalized advantages, averaging and entropy term; the same seed gives bit-identical metrics,
 * also across a save and a restore; minibatch order is a permutation.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createPolicy } from "../../src/algos/policy.ts";
import {
  createPpoGradient,
  initPpo,
  isAlgorithm,
  isPdAlgorithm,
  type Minibatch,
  ppoAlgorithm,
  ppoPolicyFromCheckpoint,
  resolvePpoConfig,
  shuffledIndices,
} from "../../src/algos/ppo.ts";
import { createPolicyGradient } from "../../src/algos/reinforce.ts";
import { normalize, rewardToGo, segmentCount } from "../../src/algos/returns.ts";
import { normalizeRewards } from "../../src/algos/reward-norm.ts";
import { createRollout } from "../../src/algos/rollout.ts";
import { createTrainer } from "../../src/algos/trainer.ts";
import { initValueParams, valueMlpSpec } from "../../src/algos/value.ts";
import { deriveSeed, Rng } from "../../src/core/rng.ts";
import { Tensor } from "../../src/core/tensor.ts";
import { make } from "../../src/envs/registry.ts";
import { makeVec } from "../../src/envs/vector.ts";
import { NormalizeReward, RunningMeanStd } from "../../src/envs/wrappers.ts";

test("at ratio 1 (first minibatch of the first epoch) the PPO policy gradient equals REINFORCE-with-advantages on the same minibatch (and is-pd's equals REINFORCE with reward-to-go)", () => {
  for (const env of ["CartPole-v1", "Pendulum-v1"]) {
    const vec = makeVec(env, 2);
    const cfg = resolvePpoConfig({ entropyCoef: 0.01 });
    const policy = createPolicy(
      {
        obsDim: vec.obsDim,
        actionSpace: vec.singleActionSpace,
        hiddenSizes: [16, 16],
        activation: "tanh",
        logStd: "state-independent",
        squash: "clip",
        initLogStd: -0.5,
      },
      new Rng(1),
    );
    const batch = createRollout(vec, policy, { kind: "steps", steps: 32 }).collect(new Rng(2), 0);
    const M = batch.size;
    const old = policy
      .logProbAndEntropy(policy.params, new Tensor(batch.obs, [M, vec.obsDim]), batch.actions)
      .logProb.data.slice();
    // Any advantages will do (GAE's are tested with returns.ts): normalized, as PPO does per minibatch.
    const adv = normalize(
      rewardToGo(batch.rewards, batch.ends, 0.9).map((x, i) => x * Math.cos(i)),
    );
    const vSpec = valueMlpSpec(vec.obsDim, [8], "tanh");
    const vParams = initValueParams(vSpec, new Rng(3));
    const mb: Minibatch = {
      size: M,
      obs: batch.obs,
      actions: batch.actions,
      masks: null,
      oldLogProb: old,
      advantages: adv,
      returns: new Float64Array(M).fill(1),
      oldValues: new Float64Array(M),
      segments: null,
    };
    const ref = createPolicyGradient(policy)(batch, adv, 1 / M, cfg.entropyCoef).grads;
    for (const objective of ["clipped", "ratio"] as const) {
      const g = createPpoGradient(policy, vSpec)({ ...policy.params, ...vParams }, mb, {
        ...cfg,
        objective,
      }).grads;
      for (const name of Object.keys(policy.params)) {
        for (let i = 0; i < ref[name].length; i++) {
          const a = g[name][i];
          const b = ref[name][i];
          assert.ok(
            Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)),
            `${env}, ${objective}: ${name}[${i}] PPO ${a} vs REINFORCE ${b}`,
          );
        }
      }
      // V's gradient is there too, and separate.
      assert.ok(g["value.0.weight"].some((x) => x !== 0));
    }
    // Per-decision at ratio 1 and gamma 1: C_t is the reward-to-go, averaged per segment.
    const segments = segmentCount(batch.ends);
    const rtg = rewardToGo(batch.rewards, batch.ends, 1);
    const refPd = createPolicyGradient(policy)(batch, rtg, 1 / segments, cfg.entropyCoef).grads;
    const pd = createPpoGradient(policy, vSpec)(
      { ...policy.params, ...vParams },
      { ...mb, segments: { rewards: batch.rewards, ends: batch.ends } },
      { ...cfg, objective: "per-decision", gamma: 1 },
    ).grads;
    for (const name of Object.keys(policy.params)) {
      for (let i = 0; i < refPd[name].length; i++) {
        const b = refPd[name][i];
        assert.ok(
          Math.abs(pd[name][i] - b) <= 1e-12 * Math.max(1, Math.abs(b)),
          `${env}, per-decision: ${name}[${i}] ${pd[name][i]} vs REINFORCE ${b}`,
        );
      }
    }
    vec.close();
  }
});

test("shuffledIndices is a permutation, different per draw, reproducible per seed", () => {
  const a = shuffledIndices(new Rng(5), new Int32Array(50));
  assert.deepEqual(
    Array.from(a).sort((x, y) => x - y),
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.deepEqual(a, shuffledIndices(new Rng(5), new Int32Array(50)));
  assert.notDeepEqual(a, shuffledIndices(new Rng(6), new Int32Array(50)));
});

const SMALL = {
  numEnvs: 2,
  rolloutSteps: 64,
  hiddenSizes: [16],
  valueHiddenSizes: [16],
  targetKl: 0.02,
  evalEvery: 0,
  totalSteps: 1000,
};

/** A trainer step's metrics without the wall-clock fields. */
function stable(m: object): object {
  const { wallTimeS: _w, stepsPerSecond: _s, ...rest } = m as Record<string, unknown>;
  return rest;
}

test("same seed, bit-identical metrics; a resumed run continues exactly, normalizers included (ppo, is, is-pd)", () => {
  for (const algo of [ppoAlgorithm, isAlgorithm, isPdAlgorithm]) {
    for (const env of ["Acrobot-v1", "Pendulum-v1"]) {
      // Pendulum with both normalizers: their statistics must travel through the checkpoint.
      const norm =
        env === "Pendulum-v1" ? { normalizeObservations: true, normalizeRewards: true } : {};
      const cfg = { ...SMALL, ...norm, seed: 3 };
      const run = (updates: number) => {
        const t = createTrainer(algo, env, cfg);
        const out = Array.from({ length: updates }, () => stable(t.step().metrics));
        const c = t.checkpoint();
        t.close();
        // Through JSON, as a checkpoint file holds the state.
        return { out, checkpoint: { ...c, state: JSON.parse(JSON.stringify(c.state)) } };
      };
      const a = run(4);
      assert.deepEqual(a.out, run(4).out, `${algo.name} ${env}: same seed, different metrics`);
      const first = run(2);
      const resumed = createTrainer(algo, env, {}, { resume: first.checkpoint });
      const rest = [0, 1].map(() => stable(resumed.step().metrics));
      resumed.close();
      assert.deepEqual([...first.out, ...rest], a.out, `${algo.name} ${env}: resume diverged`);
    }
  }
});

test("--algo is and is-pd fix their objective", () => {
  assert.equal(isAlgorithm.resolveConfig({}).objective, "ratio");
  assert.equal(isPdAlgorithm.resolveConfig({}).objective, "per-decision");
  assert.equal(ppoAlgorithm.resolveConfig({}).objective, "clipped");
  assert.throws(
    () => isAlgorithm.resolveConfig({ objective: "clipped" }),
    /--algo is is objective "ratio"/,
  );
});

test("the normalizers: one rollout's reward statistics equal the NormalizeReward wrapper's; a checkpoint's policy acts as the learner's", () => {
  // Reward side: a single sub-env, lane = the env's own step order, so the running discounted
  // return and its statistics are exactly the wrapper's.
  const env = new NormalizeReward(make("Pendulum-v1"), { gamma: 0.9 });
  const vec = makeVec(() => make("Pendulum-v1"), 1);
  const policy = createPolicy(
    {
      obsDim: 3,
      actionSpace: vec.singleActionSpace,
      hiddenSizes: [],
      activation: "tanh",
      logStd: "state-independent",
      squash: "clip",
      initLogStd: 0,
    },
    new Rng(0),
  );
  const batch = createRollout(vec, policy, { kind: "steps", steps: 450 }).collect(new Rng(1), 7);
  env.reset({ seed: deriveSeed(7, 0) }); // what the vector env's reset(7) gives sub-env 0
  for (let t = 0; t < batch.size; t++) {
    env.step(Array.from(batch.actions.subarray(t, t + 1), (u) => Math.min(Math.max(u, -2), 2)));
    if (batch.ends[t] !== 0 && t + 1 < batch.size) env.reset();
  }
  const stats = new RunningMeanStd(1);
  const discounted = new Float64Array(1);
  const raw = batch.rewards.slice();
  normalizeRewards(batch.rewards, batch.ends, batch.laneOffsets, discounted, 0.9, stats, null);
  assert.deepEqual(stats.getState(), env.stats.getState());
  assert.equal(discounted[0], env.getState().discountedReturn);
  const scale = 1 / Math.sqrt(stats.var[0] + 1e-8);
  for (let t = 0; t < raw.length; t++) assert.equal(batch.rewards[t], raw[t] * scale);

  // Observation side: the policy rebuilt from a checkpoint normalizes with the saved statistics.
  const cfg = resolvePpoConfig({ ...SMALL, normalizeObservations: true, seed: 1 });
  const l = initPpo("Pendulum-v1", cfg, null);
  for (let u = 0; u < 3; u++) {
    l.update({ update: u + 1, envSteps: 0, lrScale: 1, where: "test", warn: () => {} });
  }
  const saved = l.save();
  assert.ok(saved.state.obsNorm !== null && saved.state.obsNorm.count > 100);
  const rebuilt = ppoPolicyFromCheckpoint(saved, cfg, make("Pendulum-v1"));
  const obs = Float64Array.of(0.3, -0.9, 4);
  const a = new Float64Array(1);
  const b = new Float64Array(1);
  l.policy.act(obs, 1, new Rng(9), a, true);
  rebuilt.act(obs, 1, new Rng(9), b, true);
  assert.deepEqual(a, b);
  // ...and differently from the bare network on raw observations.
  const bare = ppoPolicyFromCheckpoint(
    { ...saved, state: { ...saved.state, obsNorm: null } },
    { ...cfg, normalizeObservations: false },
    make("Pendulum-v1"),
  );
  bare.act(obs, 1, new Rng(9), b, true);
  assert.notDeepEqual(a, b);
  l.close();
});
