// The hand-written stepRows loops as they were before the envs were written in the array
// algebra (num.ts), kept as the oracle of test/envs/columns.test.ts: the compiled definitions must
// give the same bits. Only change: Math.sin/Math.cos are taken from src/envs/trig.ts (identical
// today), so the oracle follows when trig.ts changes.
/**
 * Pendulum-v1, with Gymnasium 1.x's constants and semantics: swing a frictionless pendulum up and
 * keep it upright. The torque is clipped to [-2, 2]; the angular velocity to [-8, 8] after the
 * semi-implicit Euler update (velocity first, then angle with the new velocity), dt = 0.05.
 * Reward -(angle_normalize(th)^2 + 0.1 thdot^2 + 0.001 u^2) of the state before the step.
 * Never terminates; time limit 200; no reward threshold.
 *
 * State `[theta, theta_dot]` (theta = 0 is upright); observation `[cos theta, sin theta, theta_dot]`.
 * Action: Box(-2, 2, [1]) torque. Option `g` (gravity, default 10.0) as Gymnasium's `g`.
 */

import type { Physics, PhysicsSpec } from "../../../src/envs/physics.ts";
import { readOptions } from "../../../src/envs/physics.ts";
import { box } from "../../../src/envs/spaces.ts";
import * as trig from "../../../src/envs/trig.ts";

export interface PendulumParams {
  readonly g: number;
  readonly m: number;
  readonly l: number;
  readonly dt: number;
  readonly maxSpeed: number;
  readonly maxTorque: number;
}

/** Angle wrapped to [-pi, pi) with a floored modulo (Python's `%`, unlike JavaScript's). */
export function angleNormalize(x: number): number {
  const twoPi = 2 * Math.PI;
  const y = x + Math.PI;
  return y - twoPi * Math.floor(y / twoPi) - Math.PI;
}

/**
 * The torque: the action as float32 (the action space's dtype in Gymnasium), clipped to
 * [-maxTorque, maxTorque]. Gymnasium then computes the torque terms in float32 (NumPy 2 keeps
 * float32 when a Python float meets a float32 scalar, NEP 50); we round the same way with
 * `Math.fround`, otherwise replayed trajectories drift apart by more than float32 rounding.
 */
function torque(p: PendulumParams, a: number): number {
  return Math.fround(Math.min(Math.max(Math.fround(a), -p.maxTorque), p.maxTorque));
}

const F32_0_001 = Math.fround(0.001);

export const pendulumPhysics: Physics<PendulumParams> = {
  name: "Pendulum",
  stateDim: 2,
  obsDim: 3,
  actDim: 1,
  params(options) {
    const get = readOptions("Pendulum", options, ["g"]);
    return { g: get("g", 10.0), m: 1.0, l: 1.0, dt: 0.05, maxSpeed: 8, maxTorque: 2.0 };
  },
  observationSpace: (p) => box([-1, -1, -p.maxSpeed], [1, 1, p.maxSpeed]),
  actionSpace: (p) => box(-p.maxTorque, p.maxTorque, [1]),
  initial(_p, rng, s, i) {
    // Gymnasium's defaults: theta ~ U(-pi, pi), theta_dot ~ U(-1, 1).
    s[i * 2] = rng.uniformRange(-Math.PI, Math.PI);
    s[i * 2 + 1] = rng.uniformRange(-1, 1);
  },
  stepRows(p, s, a, ns, obs, rewards, terminated, start, end) {
    for (let i = start; i < end; i++) {
      const th = s[i * 2];
      const thDot = s[i * 2 + 1];
      const u = torque(p, a[i]);
      // The reward is the cost of the state before the step (and the clipped torque).
      const thN = angleNormalize(th);
      rewards[i] = -(
        thN * thN +
        0.1 * (thDot * thDot) +
        Math.fround(F32_0_001 * Math.fround(u * u))
      );
      // Same grouping as Gymnasium, so rounding matches too; the torque term is float32 there.
      let newThDot =
        thDot +
        (((3 * p.g) / (2 * p.l)) * trig.sin(th) + Math.fround((3.0 / (p.m * p.l * p.l)) * u)) *
          p.dt;
      newThDot = Math.min(Math.max(newThDot, -p.maxSpeed), p.maxSpeed);
      ns[i * 2] = th + newThDot * p.dt;
      ns[i * 2 + 1] = newThDot;
      terminated[i] = 0;
    }
    observe(ns, obs, start, end);
  },
  observe: (_p, s, obs, start, end) => observe(s, obs, start, end),
};

/** Observation `[cos theta, sin theta, theta_dot]` of each row's state. */
function observe(s: Float64Array, obs: Float64Array, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const th = s[i * 2];
    obs[i * 3] = trig.cos(th);
    obs[i * 3 + 1] = trig.sin(th);
    obs[i * 3 + 2] = s[i * 2 + 1];
  }
}

export const pendulumSpec: PhysicsSpec<PendulumParams> = {
  id: "Pendulum-v1",
  physics: pendulumPhysics,
  maxEpisodeSteps: 200,
};
