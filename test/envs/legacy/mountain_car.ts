// The hand-written stepRows loops as they were before the envs were written in the array
// algebra (num.ts), kept as the oracle of test/envs/columns.test.ts: the compiled definitions must
// give the same bits. Only change: Math.sin/Math.cos are taken from src/envs/trig.ts (identical
// today), so the oracle follows when trig.ts changes.
/**
 * MountainCar-v0 and MountainCarContinuous-v0 (Moore 1990), with Gymnasium 1.x's constants and
 * semantics: an underpowered car in a valley `y = sin(3x)` must rock back and forth to reach the
 * flag. Velocity is clipped to [-0.07, 0.07], position to [-1.2, 0.6], and the velocity is zeroed
 * when the car hits the left wall moving left. The episode terminates when
 * `position >= goal_position && velocity >= goal_velocity`.
 *
 * State `[position, velocity]`; the observation is the state itself.
 */

import type { Physics, PhysicsSpec } from "../../../src/envs/physics.ts";
import { readOptions } from "../../../src/envs/physics.ts";
import { box, discrete } from "../../../src/envs/spaces.ts";
import * as trig from "../../../src/envs/trig.ts";

export interface MountainCarParams {
  readonly minPosition: number;
  readonly maxPosition: number;
  readonly maxSpeed: number;
  readonly goalPosition: number;
  /** Option `goalVelocity` (Gymnasium's `goal_velocity`), default 0. */
  readonly goalVelocity: number;
  /** Discrete: force per unit of (action - 1); continuous: power multiplying the clipped action. */
  readonly force: number;
  readonly gravity: number;
}

const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
const GRAVITY = 0.0025;

function observationSpace() {
  return box([MIN_POSITION, -MAX_SPEED], [MAX_POSITION, MAX_SPEED]);
}

/** Initial state: position ~ U(-0.6, -0.4), velocity 0. */
function initial(
  _p: MountainCarParams,
  rng: { uniformRange(a: number, b: number): number },
  s: Float64Array,
  i: number,
) {
  s[i * 2] = rng.uniformRange(-0.6, -0.4);
  s[i * 2 + 1] = 0;
}

/** The observation is the state. */
function observe(
  _p: MountainCarParams,
  s: Float64Array,
  obs: Float64Array,
  start: number,
  end: number,
) {
  for (let i = start; i < end; i++) {
    obs[i * 2] = s[i * 2];
    obs[i * 2 + 1] = s[i * 2 + 1];
  }
}

/** Whether the car at position `x` with velocity `v` has reached the goal (terminal). */
function atGoal(p: MountainCarParams, x: number, v: number): 1 | 0 {
  return x >= p.goalPosition && v >= p.goalVelocity ? 1 : 0;
}

/**
 * MountainCar-v0: Discrete(3) actions (0 push left, 1 no push, 2 push right), force 0.001,
 * reward -1 per step (the terminating one too), time limit 200, threshold -110.
 */
export const mountainCarPhysics: Physics<MountainCarParams> = {
  name: "MountainCar",
  stateDim: 2,
  obsDim: 2,
  actDim: 1,
  params(options) {
    const get = readOptions("MountainCar", options, ["goalVelocity"]);
    return {
      minPosition: MIN_POSITION,
      maxPosition: MAX_POSITION,
      maxSpeed: MAX_SPEED,
      goalPosition: 0.5,
      goalVelocity: get("goalVelocity", 0),
      force: 0.001,
      gravity: GRAVITY,
    };
  },
  observationSpace,
  actionSpace: () => discrete(3),
  initial,
  stepRows(p, s, a, ns, obs, rewards, terminated, start, end) {
    for (let i = start; i < end; i++) {
      const position = s[i * 2];
      let velocity = s[i * 2 + 1] + (a[i] - 1) * p.force + trig.cos(3 * position) * -p.gravity;
      velocity = Math.min(Math.max(velocity, -p.maxSpeed), p.maxSpeed);
      let x = position + velocity;
      x = Math.min(Math.max(x, p.minPosition), p.maxPosition);
      // Inelastic left wall: the car stops when it hits it moving left.
      if (x === p.minPosition && velocity < 0) velocity = 0;
      ns[i * 2] = x;
      ns[i * 2 + 1] = velocity;
      terminated[i] = atGoal(p, x, velocity);
      rewards[i] = -1.0;
    }
    observe(p, ns, obs, start, end);
  },
  observe,
};

/**
 * MountainCarContinuous-v0: Box(-1, 1, [1]) action; the engine force is the action clipped to
 * [-1, 1] times power 0.0015. Reward `100 * [goal reached] - 0.1 * action^2`, where, as in
 * Gymnasium, the penalty uses the action as given (unclipped). Goal position 0.45, time limit
 * 999, threshold 90.
 * Like Gymnasium, this env computes in float32 (see `stepRows`).
 */
export const mountainCarContinuousPhysics: Physics<MountainCarParams> = {
  name: "MountainCarContinuous",
  stateDim: 2,
  obsDim: 2,
  actDim: 1,
  params(options) {
    const get = readOptions("MountainCarContinuous", options, ["goalVelocity"]);
    return {
      minPosition: MIN_POSITION,
      maxPosition: MAX_POSITION,
      maxSpeed: MAX_SPEED,
      goalPosition: 0.45,
      goalVelocity: get("goalVelocity", 0),
      force: 0.0015,
      gravity: GRAVITY,
    };
  },
  observationSpace,
  actionSpace: () => box(-1, 1, [1]),
  initial,
  stepRows(p, s, a, ns, obs, rewards, terminated, start, end) {
    // Gymnasium runs this env in float32: its state array is float32 after every step, actions
    // are float32, and NumPy 2 keeps float32 when a Python float meets a float32 scalar (NEP 50),
    // while clipped values are Python floats (float64). We round at the same places with
    // `Math.fround`; otherwise replayed trajectories drift by more than float32 rounding.
    // A state set by reset (float64 in Gymnasium too) is used unrounded on its first step.
    const f = Math.fround;
    for (let i = start; i < end; i++) {
      const position = s[i * 2];
      const velocity = s[i * 2 + 1];
      const u = f(a[i]);
      const cos3 = trig.cos(position === f(position) ? f(3 * position) : 3 * position);
      let dv: number;
      if (u < -1 || u > 1) {
        dv = (u < -1 ? -1 : 1) * p.force - p.gravity * cos3; // Python floats: float64
      } else {
        dv = f(f(u * f(p.force)) - f(p.gravity * cos3));
      }
      let v = velocity === f(velocity) ? f(velocity + f(dv)) : velocity + dv;
      v = Math.min(Math.max(v, -p.maxSpeed), p.maxSpeed);
      let x = position === f(position) ? f(position + f(v)) : position + v;
      x = Math.min(Math.max(x, p.minPosition), p.maxPosition);
      if (x === p.minPosition && v < 0) v = 0;
      const nx = f(x);
      const nv = f(v);
      ns[i * 2] = nx;
      ns[i * 2 + 1] = nv;
      const done = atGoal(p, nx, nv);
      terminated[i] = done;
      // The penalty uses the action as given (unclipped, float64), as Gymnasium.
      const a0 = a[i];
      rewards[i] = (done === 1 ? 100.0 : 0) - a0 * a0 * 0.1;
    }
    observe(p, ns, obs, start, end);
  },
  observe,
};

export const mountainCarSpec: PhysicsSpec<MountainCarParams> = {
  id: "MountainCar-v0",
  physics: mountainCarPhysics,
  maxEpisodeSteps: 200,
  rewardThreshold: -110,
};

export const mountainCarContinuousSpec: PhysicsSpec<MountainCarParams> = {
  id: "MountainCarContinuous-v0",
  physics: mountainCarContinuousPhysics,
  maxEpisodeSteps: 999,
  rewardThreshold: 90,
};
