/**
 * CartPole-v1 (Barto, Sutton & Anderson 1983), with Gymnasium 1.x's constants and semantics:
 * explicit Euler integration at tau = 0.02 s, termination when |x| > 2.4 or |theta| > 12 degrees,
 * reward 1 for every step including the terminating one, time limit 500, threshold 475.
 *
 * State `[x, x_dot, theta, theta_dot]`; the observation is the state itself.
 * Action: Discrete(2), 0 pushes left, 1 pushes right with force 10 N.
 */
import type { Rng } from "../../core/rng.ts";
import { columnPhysics } from "../columns.ts";
import type { Dynamics, Num, Val } from "../num.ts";
import type { Physics, PhysicsSpec } from "../physics.ts";
import { readOptions } from "../physics.ts";
import { box, discrete } from "../spaces.ts";

/** CartPole has no options; the constants are Gymnasium's. */
export interface CartPoleParams {
  readonly gravity: number;
  readonly massCart: number;
  readonly massPole: number;
  /** Half the pole's length (Gymnasium's `length`). */
  readonly length: number;
  readonly forceMag: number;
  readonly tau: number;
  readonly thetaThreshold: number;
  readonly xThreshold: number;
}

const PARAMS: CartPoleParams = {
  gravity: 9.8,
  massCart: 1.0,
  massPole: 0.1,
  length: 0.5,
  forceMag: 10.0,
  tau: 0.02,
  thetaThreshold: (12 * 2 * Math.PI) / 360,
  xThreshold: 2.4,
};

export const cartPoleDynamics: Dynamics<CartPoleParams> = {
  name: "CartPole",
  stateDim: 4,
  obsDim: 4,
  actDim: 1,
  differentiable: {
    reason:
      "its action is Discrete(2) (push left or right): the force is a function of an integer choice, so no gradient reaches the policy through it; CartPoleSwingUp-v0 has the same equations with a continuous force",
  },
  params(options) {
    readOptions("CartPole", options, []);
    return PARAMS;
  },
  observationSpace(p) {
    // Twice the termination bounds, as Gymnasium, so a terminal observation is still inside.
    const hi = [p.xThreshold * 2, Infinity, p.thetaThreshold * 2, Infinity];
    return box(
      hi.map((v) => -v),
      hi,
    );
  },
  actionSpace: () => discrete(2),
  initial(_p, rng: Rng, s, i) {
    for (let k = 0; k < 4; k++) s[i * 4 + k] = rng.uniformRange(-0.05, 0.05);
  },
  step(num, p, s, a) {
    // 10 N to the right for action 1, to the left for 0.
    const force = num.mul(num.sub(num.mul(a[0], 2), 1), p.forceMag);
    const next = cartPoleEuler(num, p, s, force);
    const x = next[0];
    const theta = next[2];
    const outside = num.or(num.lt(x, -p.xThreshold), num.gt(x, p.xThreshold));
    const tilted = num.or(num.lt(theta, -p.thetaThreshold), num.gt(theta, p.thetaThreshold));
    // Gymnasium 1.x (sutton_barto_reward=False): 1 per step, the terminating step included.
    return { next, reward: 1.0, terminated: num.or(outside, tilted) };
  },
  /** The observation is the state. */
  observe: (_num, _p, s) => s,
};

/**
 * One explicit Euler step of the cart-pole under `force` (newtons): the next
 * `[x, x_dot, theta, theta_dot]`. Shared by CartPole-v1 and CartPoleSwingUp-v0.
 *
 * Equations of Florian (2007), "Correct equations for the dynamics of the cart-pole system", as
 * used by Gymnasium (frictionless cart and pole). Operation order follows Gymnasium's so float64
 * rounding matches bit for bit: the pole is unstable, and one ulp of difference grows to 1e-5
 * within a few hundred steps.
 */
export function cartPoleEuler<T>(
  num: Num<T>,
  p: CartPoleParams,
  s: readonly T[],
  force: Val<T>,
): T[] {
  const [x, xDot, theta, thetaDot] = s;
  const totalMass = p.massPole + p.massCart;
  const poleMassLength = p.massPole * p.length;
  const cos = num.cos(theta);
  const sin = num.sin(theta);
  const temp = num.div(
    num.add(force, num.mul(num.mul(poleMassLength, num.square(thetaDot)), sin)),
    totalMass,
  );
  const denom = num.mul(
    p.length,
    num.sub(4.0 / 3.0, num.div(num.mul(p.massPole, num.square(cos)), totalMass)),
  );
  const thetaAcc = num.div(num.sub(num.mul(p.gravity, sin), num.mul(cos, temp)), denom);
  const xAcc = num.sub(temp, num.div(num.mul(num.mul(poleMassLength, thetaAcc), cos), totalMass));
  // Explicit Euler: positions move with the old velocities.
  return [
    num.add(x, num.mul(p.tau, xDot)),
    num.add(xDot, num.mul(p.tau, xAcc)),
    num.add(theta, num.mul(p.tau, thetaDot)),
    num.add(thetaDot, num.mul(p.tau, thetaAcc)),
  ];
}

export const cartPolePhysics: Physics<CartPoleParams> = columnPhysics(cartPoleDynamics);

export const cartPoleSpec: PhysicsSpec<CartPoleParams> = {
  id: "CartPole-v1",
  physics: cartPolePhysics,
  maxEpisodeSteps: 500,
  rewardThreshold: 475,
};
