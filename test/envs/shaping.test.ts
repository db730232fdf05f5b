import assert from "node:assert/strict";
import { test } from "node:test";
import { createPolicy } from "../../src/algos/policy.ts";
import { reinforce } from "../../src/algos/reinforce.ts";
import { createRollout } from "../../src/algos/rollout.ts";
import { Rng } from "../../src/core/rng.ts";
import { mountainCarPotential } from "../../src/envs/classic/mountain_car.ts";
import { make, potentialOf } from "../../src/envs/registry.ts";
import { type Potential, shapingTerm } from "../../src/envs/shaping.ts";
import { discrete } from "../../src/envs/spaces.ts";
import { makeVec } from "../../src/envs/vector.ts";
import { CountEnv } from "../algos/helpers.ts";

const countPolicy = () =>
  createPolicy(
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

// Phi(s) = t + 1 on the counter env (observation [t]), so Phi(s_0) = 1 is not 0.
const phi: Potential = (obs, offset) => obs[offset] + 1;

test("shapingTerm: scale * (gamma * Phi(s') - Phi(s)), Phi(s') = 0 when terminated", () => {
  const s = { potential: phi, gamma: 0.5, scale: 2 };
  assert.equal(shapingTerm(s, 3, 4, false), 2 * (0.5 * 4 - 3));
  assert.equal(shapingTerm(s, 3, 4, true), 2 * (0 - 3));
});

test("rollout shaping: learning rewards get F, episode returns stay the env's; the discounted return telescopes", () => {
  for (const terminal of [true, false]) {
    const vec = makeVec(() => new CountEnv(3, terminal), 1);
    const rollout = createRollout(
      vec,
      countPolicy(),
      { kind: "episodes", episodes: 1 },
      { shaping: { potential: phi, gamma: 0.5, scale: 2 } },
    );
    const b = rollout.collect(new Rng(1), 0);
    // Env rewards 1, 2, 3 at t = 0, 1, 2; Phi(s_t) = t + 1.
    const last = terminal ? 3 + 2 * (0 - 3) : 3 + 2 * (0.5 * 4 - 3);
    assert.deepEqual(Array.from(b.rewards), [1 + 2 * (0.5 * 2 - 1), 2 + 2 * (0.5 * 3 - 2), last]);
    assert.deepEqual(Array.from(b.episodeReturns), [6]);
    // Ng et al.: shaped G_0 = G_0 - scale * Phi(s_0) (+ scale * gamma^T Phi(s_T) when cut at T).
    const disc = (r: ArrayLike<number>) => r[0] + 0.5 * r[1] + 0.25 * r[2];
    const cutBonus = terminal ? 0 : 2 * 0.125 * 4;
    assert.equal(disc(b.rewards), disc([1, 2, 3]) - 2 * 1 + cutBonus);
  }
});

test("rollout shaping: a bad shaping option is refused, naming the field", () => {
  const vec = makeVec(() => new CountEnv(3), 1);
  assert.throws(
    () =>
      createRollout(
        vec,
        countPolicy(),
        { kind: "episodes", episodes: 1 },
        { shaping: { potential: phi, gamma: 1.5, scale: 1 } },
      ),
    /shaping\.gamma must be in \[0, 1\], got 1\.5/,
  );
});

test("MountainCar potentials: -1 at rest in the valley, 0 at rest at the goal, nearly constant while coasting", () => {
  for (const [id, goal] of [
    ["MountainCar-v0", 0.5],
    ["MountainCarContinuous-v0", 0.45],
  ] as const) {
    const p = potentialOf(id)!;
    assert.ok(Math.abs(p([-Math.PI / 6, 0], 0) + 1) < 1e-12);
    assert.ok(Math.abs(p([goal, 0], 0)) < 1e-12);
    assert.equal(p([goal, 0.01], 0), mountainCarPotential(goal)([goal, 0.01], 0));
    // Energy is conserved by the dynamics up to the Euler step's error: coast (no push) from rest
    // at x = -0.9 and compare with the swing's amplitude (a push changes Phi by far more).
    const env = make(id);
    let o = env.reset({ options: { state: [-0.9, 0] } }).observation;
    const phi0 = p(o, 0);
    for (let t = 0; t < 100; t++) {
      o = env.step(id === "MountainCar-v0" ? 1 : [0]).observation;
      assert.ok(Math.abs(p(o, 0) - phi0) < 0.1, `${id} step ${t}: Phi ${p(o, 0)} vs ${phi0}`);
    }
  }
  assert.equal(potentialOf("CartPole-v1"), null);
});

test("reinforce: shaping on an env without a potential is an error naming the field", () => {
  assert.throws(
    () => reinforce("CartPole-v1", { shaping: 1, totalSteps: 10 }),
    /ReinforceConfig\.shaping: got 1, but env CartPole-v1 registers no potential/,
  );
});

test("reinforce: a plain MountainCar run warns that there is no signal and names the shaping", () => {
  const warnings: string[] = [];
  reinforce(
    "MountainCar-v0",
    { totalSteps: 3200, seed: 3 },
    { onWarning: (m) => warnings.push(m) },
  );
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /no learning signal.*set shaping > 0 \(flag --shaping\)/s);
  const shaped: string[] = [];
  reinforce(
    "MountainCar-v0",
    { totalSteps: 3200, seed: 3, shaping: 100 },
    { onWarning: (m) => shaped.push(m) },
  );
  assert.deepEqual(shaped, []);
});
