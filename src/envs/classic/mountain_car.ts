/**
 * MountainCar-v0 and MountainCarContinuous-v0 (Moore 1990), with Gymnasium 1.x's constants and
 * semantics: an underpowered car in a valley `y = sin(3x)` must rock back and forth to reach the
 * flag. Velocity is clipped to [-0.07, 0.07], position to [-1.2, 0.6], and the velocity is zeroed
 * when the car hits the left wall moving left. The episode terminates when
 * `position >= goal_position && velocity >= goal_velocity`.
 *
 * State `[position, velocity]`; the observation is the state itself.
 */
import { columnPhysics } from "../columns.ts";
import type { Dynamics, Num, Val } from "../num.ts";
import type { Physics, PhysicsSpec } from "../physics.ts";
import { readOptions } from "../physics.ts";
import type { Potential } from "../shaping.ts";
import { box, discrete } from "../spaces.ts";
import * as trig from "../trig.ts";

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
function observe<T>(_num: Num<T>, _p: MountainCarParams, s: readonly T[]): readonly T[] {
  return s;
}

/**
 * The end of a step shared by both variants: the position moved by `velocity` (already clipped)
 * through `move`, clipped to the track, the inelastic left wall (the car stops when it hits it
 * moving left). Returns the next `[position, velocity]`.
 */
function moveAndStop<T>(
  num: Num<T>,
  p: MountainCarParams,
  position: T,
  velocity: T,
  move: (x: T, v: T) => T,
): [T, T] {
  const x = num.clip(move(position, velocity), p.minPosition, p.maxPosition);
  const hitWall = num.and(num.eq(x, p.minPosition), num.lt(velocity, 0));
  return [x, num.where(hitWall, 0, velocity)];
}

/** Mask: the car at position `x` with velocity `v` has reached the goal (terminal). */
function atGoal<T>(num: Num<T>, p: MountainCarParams, x: T, v: T): T {
  return num.and(num.ge(x, p.goalPosition), num.ge(v, p.goalVelocity));
}

/**
 * MountainCar-v0: Discrete(3) actions (0 push left, 1 no push, 2 push right), force 0.001,
 * reward -1 per step (the terminating one too), time limit 200, threshold -110.
 */
export const mountainCarDynamics: Dynamics<MountainCarParams> = {
  name: "MountainCar",
  stateDim: 2,
  obsDim: 2,
  actDim: 1,
  differentiable: {
    reason:
      "its action is Discrete(3) (push left, none, right): no gradient reaches the policy through an integer choice; MountainCarContinuous-v0 is the continuous version",
  },
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
  step(num, p, s, a) {
    const [position, velocity0] = s;
    const push = num.mul(num.sub(a[0], 1), p.force);
    const slope = num.mul(num.cos(num.mul(3, position)), -p.gravity);
    const velocity = num.clip(num.add(num.add(velocity0, push), slope), -p.maxSpeed, p.maxSpeed);
    const [x, v] = moveAndStop(num, p, position, velocity, (x, v) => num.add(x, v));
    return { next: [x, v], reward: -1.0, terminated: atGoal(num, p, x, v) };
  },
  observe,
};

/**
 * MountainCarContinuous-v0: Box(-1, 1, [1]) action; the engine force is the action clipped to
 * [-1, 1] times power 0.0015. Reward `100 * [goal reached] - 0.1 * action^2`, where, as in
 * Gymnasium, the penalty uses the action as given (unclipped). Goal position 0.45, time limit
 * 999, threshold 90.
 *
 * Like Gymnasium, this env computes in float32: its state array is float32 after every step,
 * actions are float32, and NumPy 2 keeps float32 when a Python float meets a float32 scalar
 * (NEP 50), while clipped values are Python floats (float64). We round at the same places with
 * `fround`; otherwise replayed trajectories drift by more than float32 rounding. A state set by
 * reset (float64 in Gymnasium too) is used unrounded on its first step, hence the tests
 * `x === fround(x)` ("is this state float32 already?").
 *
 * Differentiable, with kinks: the velocity and position clips pass no gradient while saturated,
 * the inelastic wall zeroes the velocity (and its gradient) on impact, and the goal bonus is a
 * step (gradient 0).
 */
export const mountainCarContinuousDynamics: Dynamics<MountainCarParams> = {
  name: "MountainCarContinuous",
  stateDim: 2,
  obsDim: 2,
  actDim: 1,
  differentiable: true,
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
  step(num, p, s, a) {
    const f = (x: Val<typeof position>) => num.fround(x);
    const [position, velocity0] = s;
    const u = f(a[0]);
    const isF32 = (x: typeof position) => num.eq(x, f(x));
    const x3 = num.mul(3, position);
    const cos3 = num.cos(num.where(isF32(position), f(x3), x3));
    // Outside [-1, 1] Gymnasium's clip returns a Python float, so that branch is float64.
    const outside = num.or(num.lt(u, -1), num.gt(u, 1));
    const gravityTerm = num.mul(p.gravity, cos3);
    const dvClipped = num.sub(num.where(num.lt(u, -1), -p.force, p.force), gravityTerm);
    const dvInside = f(num.sub(f(num.mul(u, f(p.force))), f(gravityTerm)));
    const dv = num.where(outside, dvClipped, dvInside);
    const vSum = num.where(isF32(velocity0), f(num.add(velocity0, f(dv))), num.add(velocity0, dv));
    const velocity = num.clip(vSum, -p.maxSpeed, p.maxSpeed);
    const [x, v] = moveAndStop(num, p, position, velocity, (x, v) =>
      num.where(isF32(x), f(num.add(x, f(v))), num.add(x, v)),
    );
    const nx = f(x);
    const nv = f(v);
    const done = atGoal(num, p, nx, nv);
    // The penalty uses the action as given (unclipped, float64), as Gymnasium.
    const reward = num.sub(num.mul(done, 100.0), num.mul(num.square(a[0]), 0.1));
    return { next: [nx, nv], reward, terminated: done };
  },
  observe,
};

export const mountainCarPhysics: Physics<MountainCarParams> = columnPhysics(mountainCarDynamics);

export const mountainCarContinuousPhysics: Physics<MountainCarParams> = columnPhysics(
  mountainCarContinuousDynamics,
);

/**
 * A potential for reward shaping (src/envs/shaping.ts): the car's mechanical energy
 * E(x, v) = v^2 / 2 + (gravity / 3) sin(3x), which the dynamics conserve when the engine is off
 * (per step, dv = -gravity cos(3x) is minus the slope of (gravity / 3) sin(3x)), so only pushing
 * in the direction of motion raises it. Scaled so that Phi = -1 for the car at rest in the valley
 * and Phi = 0 for the car at rest at the goal: Phi = (E - E_goal) / (E_goal - E_valley). Reaching
 * the goal needs about E_goal, so Phi measures the energy still missing; it is the classic aid on
 * this task, where the env's own reward is the same -1 on every step until the goal is first found.
 */
export function mountainCarPotential(goalPosition: number): Potential {
  const eGoal = (GRAVITY / 3) * trig.sin(3 * goalPosition);
  const eValley = -GRAVITY / 3;
  const scale = 1 / (eGoal - eValley);
  return (obs, offset) => {
    const x = obs[offset];
    const v = obs[offset + 1];
    return (0.5 * v * v + (GRAVITY / 3) * trig.sin(3 * x) - eGoal) * scale;
  };
}

export const mountainCarSpec: PhysicsSpec<MountainCarParams> = {
  id: "MountainCar-v0",
  physics: mountainCarPhysics,
  maxEpisodeSteps: 200,
  rewardThreshold: -110,
  potential: mountainCarPotential(0.5),
};

export const mountainCarContinuousSpec: PhysicsSpec<MountainCarParams> = {
  id: "MountainCarContinuous-v0",
  physics: mountainCarContinuousPhysics,
  maxEpisodeSteps: 999,
  rewardThreshold: 90,
  potential: mountainCarPotential(0.45),
};
