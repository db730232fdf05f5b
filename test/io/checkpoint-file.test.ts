import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { evaluate } from "../../src/algos/evaluate.ts";
import { reinforce } from "../../src/algos/reinforce.ts";
import { Rng } from "../../src/core/rng.ts";
import { make } from "../../src/envs/registry.ts";
import { box } from "../../src/envs/spaces.ts";
import { readCheckpointFile, writeCheckpointFile } from "../../src/io/checkpoint.ts";
import {
  CheckpointError,
  type CheckpointFile,
  decodeCheckpointFile,
  encodeCheckpointFile,
  loadAgent,
  normalizedPolicy,
} from "../../src/io/checkpoint-file.ts";
import { decodeSafetensors, encodeSafetensors } from "../../src/io/safetensors.ts";

/** A short Pendulum run (Box actions, value baseline: both parameter sets and typed state). */
function trained(): CheckpointFile {
  const { checkpoint, policy } = reinforce("Pendulum-v1", {
    seed: 3,
    totalSteps: 2000,
    baseline: "value",
    hiddenSizes: [8],
    valueHiddenSizes: [8],
  });
  return {
    info: { algo: "reinforce", envId: "Pendulum-v1", update: 1, envSteps: 2000 },
    policySpec: policy.spec,
    params: checkpoint.params,
    ...(checkpoint.valueParams ? { valueParams: checkpoint.valueParams } : {}),
    normalizer: null,
    state: checkpoint.state,
  };
}

test("a checkpoint file round-trips params, value params, spec, state and info exactly", () => {
  const f = trained();
  const back = decodeCheckpointFile(encodeCheckpointFile(f));
  assert.deepEqual(back.info, f.info);
  assert.deepEqual(back.state, f.state);
  assert.deepEqual(Object.keys(back.params), Object.keys(f.params));
  assert.deepEqual(Object.keys(back.valueParams ?? {}), Object.keys(f.valueParams ?? {}));
  for (const [k, t] of Object.entries({ ...f.params, ...f.valueParams })) {
    const u = back.params[k] ?? back.valueParams?.[k];
    assert.deepEqual(Array.from(u!.data), Array.from(t.data), k);
  }
  // Box bounds (Infinity included elsewhere) survive the JSON.
  assert.deepEqual(back.policySpec, f.policySpec);
  // And the resumed trainer accepts the state: a resume from the file equals one from memory.
  const a = reinforce("Pendulum-v1", { totalSteps: 4000 }, { resume: f as never });
  const b = reinforce("Pendulum-v1", { totalSteps: 4000 }, { resume: back as never });
  assert.deepEqual(
    { ...a.metrics, wallTimeS: 0, stepsPerSecond: 0 },
    { ...b.metrics, wallTimeS: 0, stepsPerSecond: 0 },
  );
});

test("the file is plain safetensors: the tensors and metadata read back with the generic reader", () => {
  const f = trained();
  const { tensors, metadata } = decodeSafetensors(encodeCheckpointFile(f));
  assert.equal(metadata.format, "policygrad-checkpoint-file");
  assert.deepEqual(tensors["policy.0.weight"].shape, f.params["policy.0.weight"].shape);
  assert.ok("value.0.weight" in tensors);
});

test("loadAgent acts like the trained policy, deterministic by default", () => {
  const { policy } = reinforce("CartPole-v1", { seed: 1, totalSteps: 3000 });
  const f: CheckpointFile = {
    info: { algo: "reinforce", envId: "CartPole-v1", update: 1, envSteps: 3000 },
    policySpec: policy.spec,
    params: policy.params,
    normalizer: null,
    state: null,
  };
  const agent = loadAgent(encodeCheckpointFile(f));
  const env = make("CartPole-v1");
  let obs = env.reset({ seed: 5 }).observation;
  const out = new Float64Array(1);
  for (let t = 0; t < 200; t++) {
    policy.act(obs, 1, new Rng(0), out, true);
    const a = agent.act(obs);
    assert.equal(a, out[0]);
    const r = env.step(a);
    if (r.terminated || r.truncated) break;
    obs = r.observation;
  }
  const opts = { episodes: 3, seed: 9, deterministic: true } as const;
  assert.deepEqual(
    evaluate(agent.policy, "CartPole-v1", opts),
    evaluate(policy, "CartPole-v1", opts),
  );
  assert.throws(() => agent.act([1, 2, 3]), /observation must hold 4 numbers, got 3/);
  assert.throws(() => agent.act([0, Number.NaN, 0, 0]), /observation\[1\] is NaN/);
});

test("the normalizer travels with the policy and is applied before it acts", () => {
  const { policy } = reinforce("CartPole-v1", { seed: 2, totalSteps: 1000 });
  const normalizer = { mean: [0.1, -0.2, 0.3, 0.5], var: [4, 0.25, 1, 9], epsilon: 0, clip: 2 };
  const agent = loadAgent({
    info: { algo: "reinforce", envId: "CartPole-v1", update: 1, envSteps: 1000 },
    policySpec: policy.spec,
    params: policy.params,
    normalizer,
    state: null,
  });
  const obs = [2.1, -0.1, 0.2, 100];
  const seen = Float64Array.of(1, 0.2, -0.1, 2); // (obs - mean) / std, the last clipped to 2
  const direct = new Float64Array(1);
  policy.act(seen, 1, new Rng(0), direct, true);
  assert.equal(agent.act(obs), direct[0]);
  assert.throws(
    () => normalizedPolicy(policy, { ...normalizer, var: [1, 1, 1] }),
    /normalizedPolicy: an observation normalizer must be/,
  );
});

test("bad files give a CheckpointError naming the source and the problem", () => {
  const f = trained();
  const junk = encodeSafetensors({ x: { shape: [1], data: [1] } }, { format: "pt" });
  assert.throws(
    () => decodeCheckpointFile(junk, "model.safetensors"),
    (e: unknown) =>
      e instanceof CheckpointError &&
      /model\.safetensors: not a policygrad checkpoint file \(metadata format is "pt"/.test(
        e.message,
      ),
  );
  const bytes = encodeCheckpointFile(f);
  assert.throws(
    () => decodeCheckpointFile(bytes.subarray(0, bytes.length - 9), "cut.safetensors"),
    /checkpoint cut\.safetensors: .*/,
  );
  const wrong = { ...f, policySpec: { ...f.policySpec, hiddenSizes: [9] } };
  assert.throws(
    () => decodeCheckpointFile(encodeCheckpointFile(wrong), "w"),
    /checkpoint w: the parameters do not fit the policy spec/,
  );
  assert.throws(
    () =>
      encodeCheckpointFile({ ...f, normalizer: { mean: [0], var: [1], epsilon: 0, clip: null } }),
    /an observation normalizer must be \{ mean: number\[3\]/,
  );
});

test("writeCheckpointFile and readCheckpointFile (policygrad/node) round-trip a file", () => {
  const f = trained();
  const path = join(mkdtempSync(join(tmpdir(), "pg-ckfile-")), "policy.safetensors");
  writeCheckpointFile(path, f);
  assert.deepEqual(readCheckpointFile(path).state, f.state);
  assert.throws(() => readCheckpointFile(`${path}.nope`), /file is missing/);
  // Observation spaces are not part of the file: a Box action space is (it fixes the head).
  assert.equal(readCheckpointFile(path).policySpec.actionSpace.kind, box(-2, 2, [1]).kind);
});

test("a policy trained behind observation statistics acts the same, bit for bit, after a trip through the file", () => {
  const { policy, checkpoint } = reinforce("CartPole-v1", {
    seed: 3,
    totalSteps: 4000,
    normalizeObservations: true,
  });
  const normalizer = policy.observationNormalizer?.() ?? null;
  assert.ok(normalizer !== null, "the trained policy does not report its statistics");
  assert.notDeepEqual(normalizer.mean, [0, 0, 0, 0]);
  const agent = loadAgent(
    encodeCheckpointFile({
      info: { algo: "reinforce", envId: "CartPole-v1", update: 1, envSteps: 4000 },
      policySpec: policy.spec,
      params: checkpoint.params,
      normalizer,
      state: checkpoint.state,
    }),
  );
  for (const deterministic of [true, false]) {
    const opts = { episodes: 4, seed: 21, deterministic };
    assert.deepEqual(
      evaluate(agent.policy, "CartPole-v1", opts),
      evaluate(policy, "CartPole-v1", opts),
    );
  }
  // Without the statistics the same parameters act differently: the test can fail.
  const bare = loadAgent({
    info: { algo: "reinforce", envId: "CartPole-v1", update: 1, envSteps: 4000 },
    policySpec: policy.spec,
    params: checkpoint.params,
    normalizer: null,
    state: null,
  });
  const opts = { episodes: 4, seed: 21, deterministic: false };
  assert.notDeepEqual(
    evaluate(bare.policy, "CartPole-v1", opts),
    evaluate(policy, "CartPole-v1", opts),
  );
});
