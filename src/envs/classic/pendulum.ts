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
import { columnPhysics } from "../columns.ts";
import { angleNormalize, type Dynamics, type Num } from "../num.ts";
import type { Physics, PhysicsSpec } from "../physics.ts";
import { readOptions } from "../physics.ts";
import { box } from "../spaces.ts";

export interface PendulumParams {
  readonly g: number;
  readonly m: number;
  readonly l: number;
  readonly dt: number;
  readonly maxSpeed: number;
  readonly maxTorque: number;
}

/**
 * The torque: the action as float32 (the action space's dtype in Gymnasium), clipped to
 * [-maxTorque, maxTorque]. Gymnasium then computes the torque terms in float32 (NumPy 2 keeps
 * float32 when a Python float meets a float32 scalar, NEP 50); we round the same way with
 * `fround`, otherwise replayed trajectories drift apart by more than float32 rounding.
 */
function torque<T>(num: Num<T>, p: PendulumParams, a: T): T {
  return num.fround(num.clip(num.fround(a), -p.maxTorque, p.maxTorque));
}

const F32_0_001 = Math.fround(0.001);

export const pendulumDynamics: Dynamics<PendulumParams> = {
  name: "Pendulum",
  stateDim: 2,
  obsDim: 3,
  actDim: 1,
  differentiable: true,
  rewardOf: "state",
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
  step(num, p, s, a) {
    const [th, thDot] = s;
    const u = torque(num, p, a[0]);
    // The reward is the cost of the state before the step (and the clipped torque); the torque
    // term is float32 in Gymnasium.
    const thN = angleNormalize(num, th);
    const uCost = num.fround(num.mul(F32_0_001, num.fround(num.square(u))));
    const reward = num.neg(
      num.add(num.add(num.square(thN), num.mul(0.1, num.square(thDot))), uCost),
    );
    // Same grouping as Gymnasium, so rounding matches too.
    const accel = num.add(
      num.mul((3 * p.g) / (2 * p.l), num.sin(th)),
      num.fround(num.mul(3.0 / (p.m * p.l * p.l), u)),
    );
    const newThDot = num.clip(num.add(thDot, num.mul(accel, p.dt)), -p.maxSpeed, p.maxSpeed);
    const next = [num.add(th, num.mul(newThDot, p.dt)), newThDot];
    return { next, reward, terminated: 0 };
  },
  /** `[cos theta, sin theta, theta_dot]`. */
  observe: (num, _p, s) => [num.cos(s[0]), num.sin(s[0]), s[1]],
};

export const pendulumPhysics: Physics<PendulumParams> = columnPhysics(pendulumDynamics);

export const pendulumSpec: PhysicsSpec<PendulumParams> = {
  id: "Pendulum-v1",
  physics: pendulumPhysics,
  maxEpisodeSteps: 200,
};
