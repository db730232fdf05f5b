import assert from "node:assert/strict";
import { test } from "node:test";
import { createPolicy, type Policy } from "../../src/algos/policy.ts";
import { EpisodeEnd } from "../../src/algos/returns.ts";
import { createRollout } from "../../src/algos/rollout.ts";
import { Rng } from "../../src/core/rng.ts";
import { discrete } from "../../src/envs/spaces.ts";
import { makeVec } from "../../src/envs/vector.ts";
import { CountEnv } from "./helpers.ts";

const { none: N, terminal: T, cut: C } = EpisodeEnd;

function countPolicy(): Policy {
  return createPolicy(
    {
      obsDim: 1,
      actionSpace: discrete(2),
      hiddenSizes: [],
      activation: "tanh",
      logStd: "state-independent",
      squash: "clip",
      initLogStd: 0,
    },
    new Rng(0),
  );
}

test("episode mode: fixed shares per sub-env, lanes packed back to back, overrun dropped", () => {
  // Sub-env 0 runs 2-step episodes, sub-env 1 3-step ones; 3 episodes -> shares 2 and 1.
  const lengths = [2, 3];
  let k = 0;
  const vec = makeVec(() => new CountEnv(lengths[k++]), 2);
  const rollout = createRollout(vec, countPolicy(), { kind: "episodes", episodes: 3 });
  const b = rollout.collect(new Rng(1), 0);
  assert.equal(b.size, 7);
  assert.deepEqual(Array.from(b.obs), [0, 1, 0, 1, 0, 1, 2]);
  assert.deepEqual(Array.from(b.rewards), [1, 2, 1, 2, 1, 2, 3]);
  assert.deepEqual(Array.from(b.ends), [N, T, N, T, N, N, T]);
  assert.equal(b.cutIndex.length, 0);
  // Finishing order: sub-env 0 (vector step 2), sub-env 1 (step 3), sub-env 0 again (step 5).
  assert.deepEqual(Array.from(b.episodeReturns), [3, 6, 3]);
  assert.deepEqual(Array.from(b.episodeLengths), [2, 3, 2]);
  assert.equal(b.numEpisodes, 3);
  // 5 vector steps of 2 sub-envs were simulated; 7 transitions used.
  assert.equal(rollout.simulatedSteps, 10);
  // The next batch starts fresh episodes again (a reset of every sub-env).
  const b2 = rollout.collect(new Rng(2), 0);
  assert.deepEqual(Array.from(b2.obs), [0, 1, 0, 1, 0, 1, 2]);
});

test("episode mode: lanes grow past their initial capacity without losing data", () => {
  const vec = makeVec(() => new CountEnv(150), 2);
  const rollout = createRollout(vec, countPolicy(), { kind: "episodes", episodes: 2 });
  const b = rollout.collect(new Rng(1), 0);
  assert.equal(b.size, 300);
  for (let i = 0; i < 300; i++) assert.equal(b.obs[i], i % 150, `obs[${i}]`);
  assert.equal(b.ends[149], T);
  assert.equal(b.ends[299], T);
  assert.equal(b.ends[150], N);
});

test("steps mode: truncation and batch end are cuts with their next state; autoreset steps dropped; episode stats carry over", () => {
  // Non-terminal 3-step episodes (time limit), 5 vector steps per batch.
  const vec = makeVec(() => new CountEnv(3, false), 1);
  const rollout = createRollout(vec, countPolicy(), { kind: "steps", steps: 5 });
  const rng = new Rng(1);
  // Vector steps: t0, t1, t2 (truncated), autoreset (dropped), t0 -> cut at the batch end.
  const b1 = rollout.collect(rng, 0);
  assert.equal(b1.size, 4);
  assert.deepEqual(Array.from(b1.rewards), [1, 2, 3, 1]);
  assert.deepEqual(Array.from(b1.ends), [N, N, C, C]);
  assert.deepEqual(Array.from(b1.cutIndex), [2, 3]);
  assert.deepEqual(Array.from(b1.cutObs), [3, 1]); // final obs of the truncated episode; current obs
  assert.deepEqual(Array.from(b1.episodeReturns), [6]);
  assert.deepEqual(rollout.getState(), { episodeReturn: [1], episodeLength: [1], started: true });
  // Continues the running episode: t1, t2 (truncated), autoreset, t0, t1 -> cut.
  const b2 = rollout.collect(rng, 0);
  assert.deepEqual(Array.from(b2.obs), [1, 2, 0, 1]);
  assert.deepEqual(Array.from(b2.rewards), [2, 3, 1, 2]);
  assert.deepEqual(Array.from(b2.ends), [N, C, N, C]);
  assert.deepEqual(Array.from(b2.episodeReturns), [6]); // 1 from batch 1 + 2 + 3
  assert.equal(b2.numEpisodes, 1);
});

test("steps mode across sub-envs: each lane is its own run of segments", () => {
  const lengths = [2, 4];
  let k = 0;
  const vec = makeVec(() => new CountEnv(lengths[k++]), 2);
  const rollout = createRollout(vec, countPolicy(), { kind: "steps", steps: 3 });
  const b = rollout.collect(new Rng(3), 0);
  // Lane 0: t0, t1 (terminal), autoreset. Lane 1: t0, t1, t2 -> cut (next obs 3).
  assert.deepEqual(Array.from(b.obs), [0, 1, 0, 1, 2]);
  assert.deepEqual(Array.from(b.ends), [N, T, N, N, C]);
  assert.deepEqual(Array.from(b.cutIndex), [4]);
  assert.deepEqual(Array.from(b.cutObs), [3]);
});

test("setState restores the running episode statistics; bad state is rejected", () => {
  const vec = makeVec(() => new CountEnv(3, false), 1);
  const rollout = createRollout(vec, countPolicy(), { kind: "steps", steps: 2 });
  rollout.setState({ episodeReturn: [100], episodeLength: [7], started: false });
  const b = rollout.collect(new Rng(0), 0); // first collect resets the env: t0, t1
  assert.deepEqual(Array.from(b.rewards), [1, 2]);
  assert.deepEqual(rollout.getState(), { episodeReturn: [103], episodeLength: [9], started: true });
  assert.throws(
    () => rollout.setState({ episodeReturn: [1, 2], episodeLength: [1], started: true }),
    /rollout.setState: expected/,
  );
});

test("NaN from a custom env stops the rollout at the env boundary, naming the env, method and field", () => {
  for (const what of ["obs", "reward"] as const) {
    let k = 0;
    const vec = makeVec(
      () => new CountEnv(10, true, undefined, k++ === 1 ? { what, at: 4 } : undefined),
      2,
    );
    const rollout = createRollout(vec, countPolicy(), { kind: "episodes", episodes: 2 });
    const pattern =
      what === "obs"
        ? /env "Count": step\(\) returned observation\[0\] = NaN; expected a finite number$/
        : /env "Count": step\(\) returned reward NaN; expected a finite number$/;
    assert.throws(() => rollout.collect(new Rng(0), 0), pattern);
  }
});

test("createRollout checks the policy against the env and the mode's count", () => {
  const vec = makeVec(() => new CountEnv(3), 1);
  const p2 = createPolicy({ ...countPolicy().spec, obsDim: 2 }, new Rng(0));
  assert.throws(() => createRollout(vec, p2, { kind: "steps", steps: 2 }), /policy obsDim 2/);
  assert.throws(
    () => createRollout(vec, countPolicy(), { kind: "episodes", episodes: 0 }),
    /mode.episodes must be an integer >= 1, got 0/,
  );
});
