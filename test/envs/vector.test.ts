import assert from "node:assert/strict";
import { test } from "node:test";
import { deriveSeed, Rng } from "../../src/core/rng.ts";
import { make } from "../../src/envs/registry.ts";
import type { Env } from "../../src/envs/types.ts";
import { makeVec, type VectorEnv } from "../../src/envs/vector.ts";

const BUILTINS = [
  "CartPole-v1",
  "Pendulum-v1",
  "MountainCar-v0",
  "MountainCarContinuous-v0",
  "Acrobot-v1",
];

/** Random actions for all sub-envs from one rng, as Float64Array [N * actDim]. */
function randomActions(v: VectorEnv, rng: Rng, out: Float64Array): Float64Array {
  const sp = v.singleActionSpace;
  for (let j = 0; j < out.length; j++)
    out[j] = sp.kind === "discrete" ? rng.int(sp.n) : 3 * rng.uniform() - 1.5;
  return out;
}

/**
 * Steps a vector env and N single envs (seeds deriveSeed(seed, i), reset() on episode end, Gymnasium's
 * next-step autoreset) with the same actions and checks every buffer is bit-identical.
 */
function checkAgainstSingles(v: VectorEnv, singles: Env[], steps: number, seed: number): number {
  const n = v.numEnvs;
  const rng = new Rng(99);
  const actions = new Float64Array(n * v.actDim);
  v.reset(seed);
  const done = singles.map(() => false);
  singles.forEach((e, i) => {
    assert.deepEqual(
      Array.from(v.observations.subarray(i * v.obsDim, (i + 1) * v.obsDim)),
      Array.from(e.reset({ seed: deriveSeed(seed, i) }).observation),
    );
  });
  let resets = 0;
  for (let t = 0; t < steps; t++) {
    randomActions(v, rng, actions);
    v.step(actions);
    for (let i = 0; i < n; i++) {
      const obs = Array.from(v.observations.subarray(i * v.obsDim, (i + 1) * v.obsDim));
      if (done[i]) {
        assert.equal(v.autoreset[i], 1, `step ${t} env ${i} autoreset`);
        assert.deepEqual([v.rewards[i], v.terminated[i], v.truncated[i]], [0, 0, 0]);
        assert.deepEqual(
          obs,
          Array.from(singles[i].reset().observation),
          `step ${t} env ${i} reset obs`,
        );
        done[i] = false;
        resets++;
        continue;
      }
      const a =
        v.singleActionSpace.kind === "discrete"
          ? actions[i]
          : Array.from(actions.subarray(i * v.actDim, (i + 1) * v.actDim));
      const r = singles[i].step(a);
      assert.equal(v.autoreset[i], 0);
      assert.deepEqual(obs, Array.from(r.observation), `step ${t} env ${i} obs`);
      assert.equal(v.rewards[i], r.reward, `step ${t} env ${i} reward`);
      assert.equal(v.terminated[i], r.terminated ? 1 : 0);
      assert.equal(v.truncated[i], r.truncated ? 1 : 0);
      done[i] = r.terminated || r.truncated;
    }
  }
  return resets;
}

for (const id of BUILTINS) {
  test(`${id}: vector env equals N single envs with seeds deriveSeed(seed, i), across autoresets`, () => {
    const n = 4;
    // Short time limit so every env autoresets several times within the test.
    const v = makeVec(id, n, { maxEpisodeSteps: 25 });
    const singles = Array.from({ length: n }, () => make(id, { maxEpisodeSteps: 25 }));
    const resets = checkAgainstSingles(v, singles, 120, 10);
    assert.ok(resets >= n * 4, `expected >= ${n * 4} autoresets, got ${resets}`);
  });
}

test("generic adapter (factory of Env objects) follows the same autoreset semantics", () => {
  const n = 3;
  const v = makeVec(() => make("CartPole-v1"), n);
  const singles = Array.from({ length: n }, () => make("CartPole-v1"));
  const resets = checkAgainstSingles(v, singles, 150, 3);
  assert.ok(resets >= n, `expected autoresets, got ${resets}`);
  assert.throws(() => v.getState(), /getState\(\) is only available for built-in envs/);
});

test("getState/setState through JSON resumes exactly, including pending autoresets", () => {
  for (const id of BUILTINS) {
    const a = makeVec(id, 5, { maxEpisodeSteps: 7 });
    a.reset(1);
    const rng = new Rng(5);
    const act = new Float64Array(5 * a.actDim);
    // 15 steps with a limit of 7: truncated at step 7, reset at 8, truncated again at 15.
    for (let t = 0; t < 15; t++) a.step(randomActions(a, rng, act));
    const saved = JSON.parse(JSON.stringify(a.getState()));
    assert.ok(saved.pending.includes(1), `${id}: some sub-env must have a pending autoreset`);
    const b = makeVec(id, 5, { maxEpisodeSteps: 7 });
    b.setState(saved);
    assert.deepEqual(Array.from(b.observations), Array.from(a.observations));
    const rngB = rng.clone();
    const actB = new Float64Array(act.length);
    for (let t = 0; t < 30; t++) {
      a.step(randomActions(a, rng, act));
      b.step(randomActions(b, rngB, actB));
      assert.deepEqual(Array.from(b.observations), Array.from(a.observations), `${id} step ${t}`);
      assert.deepEqual(Array.from(b.rewards), Array.from(a.rewards));
      assert.deepEqual(Array.from(b.autoreset), Array.from(a.autoreset));
      assert.deepEqual(Array.from(b.truncated), Array.from(a.truncated));
    }
    assert.throws(
      () => makeVec(id, 4).setState(saved),
      /setState got a state of env .* x 5, expected .* x 4/,
    );
  }
});

test("vector env rejects bad actions, wrong lengths and stepping before reset", () => {
  const v = makeVec("CartPole-v1", 2);
  assert.throws(
    () => v.step(new Float64Array(2)),
    /CartPole-v1 vector env: step\(\) called before reset\(\)/,
  );
  v.reset(0);
  assert.throws(
    () => v.step(new Float64Array(3)),
    /needs a Float64Array of 2 envs x 1 = 2 numbers \(action space Discrete\(2\)\)/,
  );
  assert.throws(
    () => v.step(Float64Array.of(0, 2)),
    /invalid action \[2\] \(length 1\) for sub-env 1, action space Discrete\(2\)/,
  );
  const p = makeVec("Pendulum-v1", 2);
  p.reset(0);
  assert.throws(
    () => p.step(Float64Array.of(0, Number.NaN)),
    /Pendulum-v1 vector env: invalid action \[NaN\].*sub-env 1, action space Box\(-2, 2, \[1\]\)/,
  );
  assert.throws(() => makeVec("CartPole-v1", 0), /numEnvs must be a positive integer, got 0/);
});

test("vector reset without a seed continues each sub-env's stream", () => {
  const v = makeVec("CartPole-v1", 2);
  v.reset(4);
  const first = Array.from(v.observations);
  v.reset();
  const second = Array.from(v.observations);
  assert.notDeepEqual(second, first);
  const single = make("CartPole-v1");
  single.reset({ seed: deriveSeed(4, 1) });
  assert.deepEqual(second.slice(4), Array.from(single.reset().observation));
});
