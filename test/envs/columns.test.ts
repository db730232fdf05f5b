import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Rng } from "../../src/core/rng.ts";
import { acrobotDynamics, acrobotPhysics } from "../../src/envs/classic/acrobot.ts";
import { cartPoleDynamics, cartPolePhysics } from "../../src/envs/classic/cartpole.ts";
import {
  mountainCarContinuousPhysics,
  mountainCarPhysics,
} from "../../src/envs/classic/mountain_car.ts";
import { pendulumDynamics, pendulumPhysics } from "../../src/envs/classic/pendulum.ts";
import { compileRows, interpretRows } from "../../src/envs/columns.ts";
import type { Physics } from "../../src/envs/physics.ts";
import { point1dPhysics } from "../../src/envs/toy/point.ts";
import { sin as pendulumSin } from "../../src/envs/trig.ts";
import * as legacyAcrobot from "./legacy/acrobot.ts";
import * as legacyCartPole from "./legacy/cartpole.ts";
import * as legacyMountainCar from "./legacy/mountain_car.ts";
import * as legacyPendulum from "./legacy/pendulum.ts";
import * as legacyPoint from "./legacy/point.ts";

/** Each env's compiled definition and the hand-written loop it replaced, with the reference id. */
const PAIRS: [string, Physics, Physics][] = [
  ["CartPole-v1", cartPolePhysics, legacyCartPole.cartPolePhysics],
  ["Pendulum-v1", pendulumPhysics, legacyPendulum.pendulumPhysics],
  ["MountainCar-v0", mountainCarPhysics, legacyMountainCar.mountainCarPhysics],
  [
    "MountainCarContinuous-v0",
    mountainCarContinuousPhysics,
    legacyMountainCar.mountainCarContinuousPhysics,
  ],
  ["Acrobot-v1", acrobotPhysics, legacyAcrobot.acrobotPhysics],
  ["Point1D-v0", point1dPhysics, legacyPoint.point1dPhysics],
] as [string, Physics, Physics][];

const ref = JSON.parse(
  readFileSync(new URL("../../../shared/reference/classic_control.json", import.meta.url), "utf8"),
) as { envs: Record<string, { state: number[] }[]> };

/**
 * Rows of states: every reference case's start state, initial states, and wide random states
 * (each component uniform in [-scale, scale], scale 0.01 to 30, so clips, the walls, the angle
 * wraps and float32-exact values are all reached), with random actions (out of bounds too).
 */
function batch(id: string, ph: Physics, p: unknown, rng: Rng) {
  const starts = (ref.envs[id] ?? []).map((c) => c.state);
  const n = starts.length + 400;
  const s = new Float64Array(n * ph.stateDim);
  for (let i = 0; i < starts.length; i++) s.set(starts[i], i * ph.stateDim);
  for (let i = starts.length; i < n; i++) {
    if (i % 4 === 0) {
      ph.initial(p, rng, s, i);
      continue;
    }
    const scale = [0.01, 1, 4, 30][i % 4];
    for (let k = 0; k < ph.stateDim; k++) {
      let v = rng.uniformRange(-scale, scale);
      if (i % 8 === 1) v = Math.fround(v); // float32 states take MountainCarContinuous's f32 path
      s[i * ph.stateDim + k] = v;
    }
  }
  // MountainCar: put some rows exactly on the left wall moving left, and at the goal.
  if (ph.name.startsWith("MountainCar")) {
    s[(n - 1) * 2] = -1.2;
    s[(n - 1) * 2 + 1] = -0.05;
    s[(n - 2) * 2] = 0.6;
    s[(n - 2) * 2 + 1] = 0.07;
  }
  const space = ph.actionSpace(p);
  const a = new Float64Array(n * ph.actDim);
  for (let j = 0; j < a.length; j++) {
    a[j] = space.kind === "discrete" ? rng.int(space.n) : 4 * rng.uniform() - 2;
  }
  return { s, a, n };
}

function run(ph: Physics, p: unknown, s: Float64Array, a: Float64Array, n: number) {
  const out = {
    ns: s.slice(),
    obs: new Float64Array(n * ph.obsDim),
    rewards: new Float64Array(n),
    terminated: new Uint8Array(n),
    obs0: new Float64Array(n * ph.obsDim),
  };
  // 30 steps in place, so the states also come from the dynamics themselves.
  const steps: Float64Array[] = [];
  for (let t = 0; t < 30; t++) {
    ph.stepRows(p, out.ns, a, out.ns, out.obs, out.rewards, out.terminated, 0, n);
    steps.push(
      out.ns.slice(),
      out.obs.slice(),
      out.rewards.slice(),
      Float64Array.from(out.terminated),
    );
  }
  ph.observe(p, s, out.obs0, 0, n);
  steps.push(out.obs0);
  return steps;
}

for (const [id, ph, legacy] of PAIRS) {
  test(`${id}: the compiled definition gives the same bits as the hand-written loop it replaced`, () => {
    const p = ph.params();
    const { s, a, n } = batch(id, ph, p, new Rng(11));
    const got = run(ph, p, s, a, n);
    const want = run(legacy, legacy.params(), s, a, n);
    for (let k = 0; k < want.length; k++) {
      for (let j = 0; j < want[k].length; j++) {
        if (!Object.is(got[k][j], want[k][j])) {
          assert.fail(`${id}: output ${k} element ${j}: got ${got[k][j]}, want ${want[k][j]}`);
        }
      }
    }
  });
}

for (const [id, ph] of PAIRS) {
  test(`${id}: the interpreted rows (the fallback where eval is forbidden) give the compiled loops' bits`, () => {
    const p = ph.params();
    const { s, a, n } = batch(id, ph, p, new Rng(12));
    const rows = interpretRows(ph.dynamics!);
    const interpreted = { ...ph, stepRows: rows.stepRows, observe: rows.observe } as Physics;
    const got = run(interpreted, p, s, a, n);
    const want = run(ph, p, s, a, n);
    for (let k = 0; k < want.length; k++) {
      for (let j = 0; j < want[k].length; j++) {
        if (!Object.is(got[k][j], want[k][j])) {
          assert.fail(`${id}: output ${k} element ${j}: got ${got[k][j]}, want ${want[k][j]}`);
        }
      }
    }
  });
}

test("compiled loops refuse a parameter record they were not compiled for; columnPhysics takes any", () => {
  const dyn = pendulumPhysics.dynamics!;
  const p = dyn.params();
  const rows = compileRows(dyn, p);
  const s = new Float64Array([0.5, 0]);
  const out = () =>
    [new Float64Array(2), new Float64Array(3), new Float64Array(1), new Uint8Array(1)] as const;
  const [ns, obs, r, term] = out();
  assert.throws(
    () => rows.stepRows(dyn.params({ g: 9.81 }), s, new Float64Array(1), ns, obs, r, term, 0, 1),
    /compiled for another parameter record/,
  );
  // Through the physics, another gravity gets its own loops: g = 0 leaves theta_dot at 0.
  const [ns2, obs2, r2, term2] = out();
  pendulumPhysics.stepRows(
    pendulumPhysics.params({ g: 0 }),
    s,
    new Float64Array(1),
    ns2,
    obs2,
    r2,
    term2,
    0,
    1,
  );
  assert.equal(ns2[1], 0);
  pendulumPhysics.stepRows(
    pendulumPhysics.params(),
    s,
    new Float64Array(1),
    ns2,
    obs2,
    r2,
    term2,
    0,
    1,
  );
  assert.ok(ns2[1] > 0); // gravity pulls the pendulum away from upright
  // Equal options give the very same record (so the same compiled loops, no lookup).
  assert.equal(pendulumPhysics.params({ g: 10 }), pendulumPhysics.params());
});

test("an angle's sine and cosine come from one sinCos call in the compiled loops", () => {
  const calls = (f: unknown) => String(f).split("sinCos()").length - 1;
  // CartPole's step takes sin and cos of theta; Pendulum's observation cos and sin of theta, its
  // step sin of theta; Acrobot's step cosines of three angles in each of four RK4 stages plus two
  // for the height, its observation both of two angles. stepRows holds the observation pass too.
  const cartPole = compileRows(cartPoleDynamics, cartPoleDynamics.params());
  const pendulum = compileRows(pendulumDynamics, pendulumDynamics.params());
  const acrobot = compileRows(acrobotDynamics, acrobotDynamics.params());
  assert.equal(calls(cartPole.observe), 0);
  assert.equal(calls(cartPole.stepRows), 1);
  assert.equal(calls(pendulum.observe), 1);
  assert.equal(calls(pendulum.stepRows), 2);
  assert.equal(calls(acrobot.observe), 2);
  assert.equal(calls(acrobot.stepRows), 4 * 3 + 2 + 2);
});

test("a sine kept from the last call is used only for the same angle: -0 after +0 gives -0", () => {
  // Pendulum keeps the sine and cosine of its angle per row (its step and observation both take
  // them); === does not tell -0 from +0, whose sines differ.
  const p = pendulumDynamics.params();
  const rows = compileRows(pendulumDynamics, p);
  const obs = new Float64Array(3);
  rows.observe(p, Float64Array.of(0, 0), obs, 0, 1);
  assert.ok(Object.is(obs[1], 0));
  rows.observe(p, Float64Array.of(-0, 0), obs, 0, 1);
  assert.ok(Object.is(obs[1], -0), `sin(-0) observed as ${Object.is(obs[1], 0) ? "+0" : obs[1]}`);
  rows.observe(p, Float64Array.of(1, 0), obs, 0, 1);
  rows.observe(p, Float64Array.of(2, 0), obs, 0, 1);
  assert.ok(Object.is(obs[1], pendulumSin(2)));
});
