import assert from "node:assert/strict";
import { test } from "node:test";
import { checkpointPolicy, reinforceAlgorithm } from "../../src/algos/index.ts";
import { normalizeObservations, observationStats } from "../../src/algos/obs-norm.ts";
import { policyFromParams } from "../../src/algos/policy.ts";
import {
  policySpecFor,
  type ReinforceCheckpoint,
  reinforce,
  reinforcePolicy,
  type UpdateMetrics,
} from "../../src/algos/reinforce.ts";
import { Rng } from "../../src/core/rng.ts";
import { make } from "../../src/envs/registry.ts";
import { paramsFromJson, paramsToJson } from "../../src/nn/params.ts";

test("normalizeObservations: (x - mean) / sqrt(var + 1e-8), clipped to +-10", () => {
  const s = observationStats(2, { count: 5, mean: [1, -2], var: [4, 0.01] });
  const out = normalizeObservations(s, [3, -2, 1, 100], 2, new Float64Array(4));
  assert.ok(Math.abs(out[0] - 2 / Math.sqrt(4 + 1e-8)) < 1e-15);
  assert.equal(out[1], 0);
  assert.equal(out[2], 0);
  assert.equal(out[3], 10);
});

const CFG = {
  seed: 2,
  totalSteps: 4000,
  normalizeObservations: true,
  batchMode: "steps",
  numEnvs: 4,
  rolloutSteps: 100,
  baseline: "value",
  evalEvery: 1000,
  stop: false,
} as const;

test("the statistics go into the checkpoint and every rebuilt policy applies them", () => {
  const r = reinforce("Pendulum-v1", CFG);
  const stats = r.checkpoint.state.algorithm.obsNorm;
  assert.ok(stats !== null && stats.count >= 4000, `count ${stats?.count}`);
  // Through JSON, as saved on disk.
  const json = JSON.parse(
    JSON.stringify({ ...r.checkpoint, params: paramsToJson(r.checkpoint.params) }),
  );
  const env = make("Pendulum-v1");
  const restored = reinforcePolicy({ params: paramsFromJson(json.params), state: json.state }, env);
  const best = checkpointPolicy(reinforceAlgorithm, r.best!.checkpoint!, env);
  const plain = policyFromParams(
    policySpecFor(r.checkpoint.state.config, 3, env.actionSpace),
    r.checkpoint.params,
  );
  const obs = Float64Array.of(0.6, -0.8, 5, -0.2, 0.9, -6);
  const act = (p: typeof plain) => {
    const out = new Float64Array(2);
    p.act(obs, 2, new Rng(0), out, true);
    return Array.from(out);
  };
  assert.deepEqual(act(restored), act(r.policy));
  assert.notDeepEqual(
    act(plain),
    act(r.policy),
    "without the statistics the policy acts differently",
  );
  assert.ok(r.best!.checkpoint!.state.algorithm.obsNorm !== null, "best carries its statistics");
  assert.deepEqual(act(best), act(reinforcePolicy(r.best!.checkpoint!, env)));
});

test("interrupt + resume with observation statistics equals an uninterrupted run", () => {
  const rows = (resume?: ReinforceCheckpoint, stopAt?: number) => {
    const out: object[] = [];
    const ac = new AbortController();
    const r = reinforce("Pendulum-v1", resume ? {} : CFG, {
      onMetrics: (m: UpdateMetrics) => {
        out.push({ ...m, wallTimeS: 0, stepsPerSecond: 0 });
        if (m.update === stopAt) ac.abort();
      },
      onEval: (e) => out.push({ ...e, wallTimeS: 0 }),
      signal: ac.signal,
      ...(resume ? { resume } : {}),
    });
    return { out, r };
  };
  const straight = rows();
  const part = rows(undefined, 4);
  const json = JSON.parse(
    JSON.stringify({
      ...part.r.checkpoint,
      params: paramsToJson(part.r.checkpoint.params),
      valueParams: paramsToJson(part.r.checkpoint.valueParams!),
    }),
  );
  const rest = rows({
    params: paramsFromJson(json.params),
    valueParams: paramsFromJson(json.valueParams),
    state: json.state,
  });
  assert.deepEqual([...part.out, ...rest.out], straight.out);
});
