import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/core/rng.ts";
import { acrobotPhysics } from "../../src/envs/classic/acrobot.ts";
import { cartPolePhysics } from "../../src/envs/classic/cartpole.ts";
import { cartPoleSwingUpPhysics } from "../../src/envs/classic/cartpole_swingup.ts";
import {
  mountainCarContinuousPhysics,
  mountainCarPhysics,
} from "../../src/envs/classic/mountain_car.ts";
import { pendulumPhysics } from "../../src/envs/classic/pendulum.ts";
import type { Physics } from "../../src/envs/physics.ts";
import { linearQuadraticPhysics } from "../../src/envs/toy/linear_quadratic.ts";
import { point1dPhysics } from "../../src/envs/toy/point.ts";

const ALL: Physics[] = [
  cartPolePhysics,
  pendulumPhysics,
  mountainCarPhysics,
  mountainCarContinuousPhysics,
  acrobotPhysics,
  point1dPhysics,
  cartPoleSwingUpPhysics,
  linearQuadraticPhysics,
] as Physics[];

/** n rows of varied states (initial states moved by a few random steps) and random actions. */
function rows(ph: Physics, p: unknown, n: number, rng: Rng) {
  const s = new Float64Array(n * ph.stateDim);
  const a = new Float64Array(n * ph.actDim);
  const space = ph.actionSpace(p);
  const act = () => {
    for (let j = 0; j < a.length; j++)
      a[j] = space.kind === "discrete" ? rng.int(space.n) : 3 * rng.uniform() - 1.5;
  };
  for (let i = 0; i < n; i++) ph.initial(p, rng, s, i);
  const out = outputs(ph, n);
  for (let t = 0; t < 5; t++) {
    act();
    ph.stepRows(p, s, a, s, out.obs, out.rewards, out.terminated, 0, n);
  }
  act();
  return { s, a };
}

function outputs(ph: Physics, n: number) {
  return {
    ns: new Float64Array(n * ph.stateDim),
    obs: new Float64Array(n * ph.obsDim),
    rewards: new Float64Array(n),
    terminated: new Uint8Array(n),
  };
}

for (const ph of ALL) {
  test(`${ph.name}: a batch of rows steps exactly as each row alone, in place or not`, () => {
    const p = ph.params();
    const n = 9;
    const { s, a } = rows(ph, p, n, new Rng(5));
    const all = outputs(ph, n);
    ph.stepRows(p, s, a, all.ns, all.obs, all.rewards, all.terminated, 0, n);
    const one = outputs(ph, n);
    // Row by row, last row first, so a row that read or wrote outside [start, end) shows up.
    for (let i = n - 1; i >= 0; i--) {
      ph.stepRows(p, s, a, one.ns, one.obs, one.rewards, one.terminated, i, i + 1);
    }
    assert.deepEqual(one, all);
    // Rows outside [start, end) are left alone (sentinels survive), rows inside match.
    const part = outputs(ph, n);
    for (const out of Object.values(part)) out.fill(7);
    ph.stepRows(p, s, a, part.ns, part.obs, part.rewards, part.terminated, 2, 5);
    for (const [key, out] of Object.entries(part)) {
      const width = out.length / n;
      const whole = all[key as keyof typeof all];
      for (let j = 0; j < out.length; j++) {
        const inside = j >= 2 * width && j < 5 * width;
        assert.equal(out[j], inside ? whole[j] : 7, `${key}[${j}]`);
      }
    }
    // In place (ns = s), as the contract allows and both adapters do: the same outputs.
    const inPlace = outputs(ph, n);
    inPlace.ns.set(s);
    ph.stepRows(
      p,
      inPlace.ns,
      a,
      inPlace.ns,
      inPlace.obs,
      inPlace.rewards,
      inPlace.terminated,
      0,
      n,
    );
    assert.deepEqual(inPlace, all);
    // And the observation of the next state is what observe() gives for it.
    const obs = new Float64Array(n * ph.obsDim);
    ph.observe(p, all.ns, obs, 0, n);
    assert.deepEqual(obs, all.obs);
  });
}
