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
  createPpoLearner,
  type Minibatch,
  type PpoCheckpoint,
  resolvePpoConfig,
  shuffledIndices,
} from "../../src/algos/ppo.ts";
import { createPolicyGradient } from "../../src/algos/reinforce.ts";
import { normalize, rewardToGo } from "../../src/algos/returns.ts";
import { createRollout } from "../../src/algos/rollout.ts";
import { initValueParams, valueMlpSpec } from "../../src/algos/value.ts";
import { Rng } from "../../src/core/rng.ts";
import { Tensor } from "../../src/core/tensor.ts";
import { makeVec } from "../../src/envs/vector.ts";

test("at ratio 1 (first minibatch of the first epoch) the PPO policy gradient equals REINFORCE-with-advantages on the same minibatch", () => {
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
};

test("same seed, bit-identical metrics; a restored learner continues exactly (clipped, ratio, per-decision)", () => {
  for (const objective of ["clipped", "ratio", "per-decision"] as const) {
    for (const env of ["Acrobot-v1", "Pendulum-v1"]) {
      const cfg = { ...SMALL, objective, seed: 3 };
      const run = (restore: PpoCheckpoint | null, updates: number) => {
        const l = createPpoLearner(env, cfg, restore);
        const out: unknown[] = [];
        for (let u = 0; u < updates; u++) {
          const r = l.update({ lrScale: 1 - u / 10, where: "test" });
          out.push({ ...r.metrics, returns: Array.from(r.episodeReturns) });
        }
        // Through JSON, as a checkpoint file holds the state.
        const saved = l.save();
        l.close();
        return { out, saved: { ...saved, state: JSON.parse(JSON.stringify(saved.state)) } };
      };
      const a = run(null, 4);
      const b = run(null, 4);
      assert.deepEqual(a.out, b.out, `${objective} ${env}: same seed, different metrics`);
      const first = run(null, 2);
      const second = createPpoLearner(env, cfg, first.saved);
      const rest = [2, 3].map((u) => {
        const r = second.update({ lrScale: 1 - u / 10, where: "test" });
        return { ...r.metrics, returns: Array.from(r.episodeReturns) };
      });
      assert.deepEqual([...first.out, ...rest], a.out, `${objective} ${env}: resume diverged`);
    }
  }
});
