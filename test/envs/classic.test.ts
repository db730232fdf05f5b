import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { make } from "../../src/envs/registry.ts";
import * as trig from "../../src/envs/trig.ts";

interface Case {
  state: number[];
  initial_observation: number[];
  actions: (number | number[])[];
  observations: number[][];
  rewards: number[];
  terminated: boolean[];
  truncated: boolean[];
}

const ref = JSON.parse(
  readFileSync(new URL("../../../shared/reference/classic_control.json", import.meta.url), "utf8"),
) as { envs: Record<string, Case[]> };

// Gymnasium's observations are float32: allow 1e-5 relative, with an absolute floor of 1e-7
// for entries near 0 (float32 spacing at 1 is 1.2e-7).
const REL = 1e-5;
const ABS = 1e-7;

function close(got: number, want: number): boolean {
  return Math.abs(got - want) <= REL * Math.abs(want) + ABS;
}

for (const [id, cases] of Object.entries(ref.envs)) {
  test(`${id} replays all ${cases.length} Gymnasium 1.4 reference cases`, () => {
    // Rewards exactly, except Pendulum to 1e-6 (its cost mixes float32 torque terms).
    const rewardTol = id === "Pendulum-v1" ? 1e-6 : 0;
    cases.forEach((c, ci) => {
      const env = make(id);
      const r0 = env.reset({ options: { state: c.state } });
      c.initial_observation.forEach((v, j) => {
        assert.ok(close(r0.observation[j], v), `${id} case ${ci} initial obs[${j}]`);
      });
      for (let t = 0; t < c.actions.length; t++) {
        const r = env.step(c.actions[t]);
        const want = c.observations[t];
        for (let j = 0; j < want.length; j++) {
          assert.ok(
            close(r.observation[j], want[j]),
            `${id} case ${ci} step ${t} obs[${j}]: got ${r.observation[j]}, want ${want[j]}`,
          );
        }
        assert.ok(
          Math.abs(r.reward - c.rewards[t]) <= rewardTol,
          `${id} case ${ci} step ${t} reward: got ${r.reward}, want ${c.rewards[t]}`,
        );
        assert.equal(r.terminated, c.terminated[t], `${id} case ${ci} step ${t} terminated`);
        assert.equal(r.truncated, c.truncated[t], `${id} case ${ci} step ${t} truncated`);
      }
    });
  });
}

test("limits and thresholds are Gymnasium's", () => {
  const want: Record<string, [number, number | undefined]> = {
    "CartPole-v1": [500, 475],
    "Pendulum-v1": [200, undefined],
    "MountainCar-v0": [200, -110],
    "MountainCarContinuous-v0": [999, 90],
    "Acrobot-v1": [500, -100],
  };
  for (const [id, [steps, threshold]] of Object.entries(want)) {
    const env = make(id);
    assert.equal(env.maxEpisodeSteps, steps, id);
    assert.equal(env.rewardThreshold, threshold, id);
  }
});

test("initial states lie in Gymnasium's uniform ranges", () => {
  const ranges: Record<string, [number, number][]> = {
    "CartPole-v1": [
      [-0.05, 0.05],
      [-0.05, 0.05],
      [-0.05, 0.05],
      [-0.05, 0.05],
    ],
    "MountainCar-v0": [
      [-0.6, -0.4],
      [0, 0],
    ],
    "Acrobot-v1": [
      [-1, 1],
      [-1, 1],
      [-1, 1],
      [-1, 1],
    ], // cos/sin of angles in [-0.1, 0.1]
  };
  for (const [id, rs] of Object.entries(ranges)) {
    const env = make(id);
    for (let seed = 0; seed < 50; seed++) {
      const o = env.reset({ seed }).observation;
      rs.forEach(([lo, hi], j) => {
        assert.ok(o[j] >= lo && o[j] <= hi, `${id} seed ${seed} obs[${j}] = ${o[j]}`);
      });
    }
  }
  const pend = make("Pendulum-v1");
  for (let seed = 0; seed < 50; seed++) {
    const o = pend.reset({ seed }).observation;
    assert.ok(Math.abs(o[2]) <= 1, `Pendulum thdot ${o[2]}`);
  }
  const acro = make("Acrobot-v1");
  for (let seed = 0; seed < 50; seed++) {
    const o = acro.reset({ seed }).observation;
    assert.ok(o[0] >= Math.cos(0.1) && Math.abs(o[1]) <= Math.sin(0.1) && Math.abs(o[4]) <= 0.1);
  }
});

test("make applies the time limit: MountainCar with no push is truncated at step 200", () => {
  const env = make("MountainCar-v0");
  env.reset({ options: { state: [-0.5, 0] } });
  let last = env.step(1);
  let steps = 1;
  while (!last.terminated && !last.truncated) {
    last = env.step(1);
    steps++;
  }
  assert.equal(steps, 200);
  assert.equal(last.truncated, true);
  assert.equal(last.terminated, false);
  assert.throws(() => env.step(1), /MountainCar-v0: step\(\) called after the episode ended/);
});

test("out-of-range continuous actions are clipped like Gymnasium", () => {
  const a = make("Pendulum-v1");
  const b = make("Pendulum-v1");
  a.reset({ options: { state: [0.3, -0.2] } });
  b.reset({ options: { state: [0.3, -0.2] } });
  const ra = a.step([50]);
  const rb = b.step([2]);
  assert.deepEqual(Array.from(ra.observation), Array.from(rb.observation));
  assert.equal(ra.reward, rb.reward);
  // MountainCarContinuous: the force is clipped but the penalty uses the raw action (Gymnasium).
  const m = make("MountainCarContinuous-v0");
  m.reset({ options: { state: [-0.5, 0] } });
  assert.equal(m.step([3]).reward, -0.1 * 9);
});

test("env options reach the physics and unknown options are rejected", () => {
  const g0 = make("Pendulum-v1", { g: 0 });
  g0.reset({ options: { state: [1, 0] } });
  // No gravity, no torque: the pendulum does not move.
  assert.equal(g0.step([0]).observation[2], 0);
  assert.throws(
    () => make("Pendulum-v1", { gravity: 3 }),
    /Pendulum: unknown option "gravity"; known options: g/,
  );
  const mc = make("MountainCar-v0", { goalVelocity: 0.5 });
  mc.reset({ options: { state: [0.55, 0.01] } });
  assert.equal(mc.step(2).terminated, false);
});

test("CartPoleSwingUp-v0: an energy-pumping swing-up with a linear balance clears the threshold; hanging does not", () => {
  const wrapAngle = (t: number) => t - 2 * Math.PI * Math.floor((t + Math.PI) / (2 * Math.PI));
  const episode = (seed: number, control: boolean) => {
    const env = make("CartPoleSwingUp-v0");
    let o = env.reset({ seed }).observation;
    let ret = 0;
    for (let t = 0; t < 500; t++) {
      const [x, xDot, theta, thetaDot] = o;
      const w = wrapAngle(theta);
      // Pole energy relative to upright (rod about its pivot: I = 4/3 m l^2, l half the length).
      const energy =
        0.5 * (4 / 3) * 0.1 * 0.25 * thetaDot ** 2 + 0.1 * 9.8 * 0.5 * (trig.cos(w) - 1);
      const a =
        Math.abs(w) < 0.5
          ? 5 * w + 2 * thetaDot + 0.3 * x + 0.6 * xDot
          : 3 * energy * Math.sign(thetaDot * trig.cos(w) + 1e-9) - 0.1 * x - 0.1 * xDot;
      const r = env.step([control ? Math.max(-1, Math.min(1, a)) : 0]);
      ret += r.reward;
      o = r.observation;
    }
    return ret;
  };
  const threshold = make("CartPoleSwingUp-v0").rewardThreshold!;
  for (const seed of [100, 101]) {
    assert.ok(episode(seed, true) > threshold, `seed ${seed}: ${episode(seed, true)}`);
    assert.ok(episode(seed, false) < -4000);
  }
});
