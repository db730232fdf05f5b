// The hand-written stepRows loops as they were before the envs were written in the array
// algebra (num.ts), kept as the oracle of test/envs/columns.test.ts: the compiled definitions must
// give the same bits. Only change: Math.sin/Math.cos are taken from src/envs/trig.ts (identical
// today), so the oracle follows when trig.ts changes.
/**
 * Point1D-v0: a point on a line must move to a target. The smallest continuous-control task:
 * learnable in seconds by a Gaussian policy (the optimal policy is linear in the observation,
 * a = clip(k (target - x)), so even `hiddenSizes: []` solves it), smooth in the state and action
 * (for analytic policy gradients later), and with a dense reward so REINFORCE sees signal at once.
 *
 * State `[x, target]`, both drawn from U(-1, 1) at reset; the observation is the state.
 * Action: Box(-1, 1, [1]), a velocity command, clipped to the bounds as Gymnasium's continuous
 * envs do. Dynamics: `x' = clip(x + speed * a, -2, 2)`; reward `-(x' - target)^2`; never
 * terminates; time limit 30 steps.
 *
 * Written as a {@link Physics} (pure functions over a flat state), so the stateful env, the vector
 * env and a differentiable version share one definition.
 */

import type { EnvOptions, Physics, PhysicsSpec } from "../../../src/envs/physics.ts";
import { PhysicsEnv, readOptions } from "../../../src/envs/physics.ts";
import { box } from "../../../src/envs/spaces.ts";

export interface Point1DParams {
  /** Distance moved per step at full action (option `speed`, default 0.2). */
  readonly speed: number;
  /** Walls: x stays in [-bound, bound]. */
  readonly bound: number;
}

export const point1dPhysics: Physics<Point1DParams> = {
  name: "Point1D",
  stateDim: 2,
  obsDim: 2,
  actDim: 1,
  params(options) {
    const get = readOptions("Point1D", options, ["speed"]);
    const speed = get("speed", 0.2);
    if (!(speed > 0)) throw new RangeError(`Point1D: option speed must be > 0, got ${speed}`);
    return { speed, bound: 2 };
  },
  observationSpace: (p) => box([-p.bound, -1], [p.bound, 1]),
  actionSpace: () => box(-1, 1, [1]),
  initial(_p, rng, s, i) {
    s[i * 2] = rng.uniformRange(-1, 1);
    s[i * 2 + 1] = rng.uniformRange(-1, 1);
  },
  stepRows(p, s, a, ns, obs, rewards, terminated, start, end) {
    for (let i = start; i < end; i++) {
      const u = Math.min(Math.max(a[i], -1), 1);
      const target = s[i * 2 + 1];
      const x = Math.min(Math.max(s[i * 2] + p.speed * u, -p.bound), p.bound);
      ns[i * 2] = x;
      ns[i * 2 + 1] = target;
      terminated[i] = 0;
      const d = x - target;
      rewards[i] = -d * d;
    }
    observe(ns, obs, start, end);
  },
  observe: (_p, s, obs, start, end) => observe(s, obs, start, end),
};

/** The observation is the state. */
function observe(s: Float64Array, obs: Float64Array, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    obs[i * 2] = s[i * 2];
    obs[i * 2 + 1] = s[i * 2 + 1];
  }
}

/**
 * Registration data: 30 steps; threshold -2. Mean returns (see test/envs/toy.test.ts): uniform
 * random actions about -27, doing nothing about -21, `a = 0.5 (target - x)` about -3.0,
 * `a = 5 (target - x)` about -1.1 (about -1.7 with N(0, 1) exploration noise added).
 */
export const point1dSpec: PhysicsSpec<Point1DParams> = {
  id: "Point1D-v0",
  physics: point1dPhysics,
  maxEpisodeSteps: 30,
  rewardThreshold: -2,
};

/** A Point1D-v0 env (options: `{ speed }`), with its time limit and reward threshold. */
export function point1d(options?: EnvOptions): PhysicsEnv<Point1DParams> {
  return new PhysicsEnv(point1dSpec.id, point1dPhysics, point1dPhysics.params(options), {
    maxEpisodeSteps: point1dSpec.maxEpisodeSteps,
    rewardThreshold: point1dSpec.rewardThreshold,
  });
}
