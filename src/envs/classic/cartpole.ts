/**
 * CartPole-v1 (Barto, Sutton & Anderson 1983), with Gymnasium 1.x's constants and semantics:
 * explicit Euler integration at tau = 0.02 s, termination when |x| > 2.4 or |theta| > 12 degrees,
 * reward 1 for every step including the terminating one, time limit 500, threshold 475.
 *
 * State `[x, x_dot, theta, theta_dot]`; the observation is the state itself.
 * Action: Discrete(2), 0 pushes left, 1 pushes right with force 10 N.
 */
import type { Rng } from "../../core/rng.ts";
import type { Physics, PhysicsSpec } from "../physics.ts";
import { readOptions } from "../physics.ts";
import { box, discrete } from "../spaces.ts";
import * as trig from "../trig.ts";

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

export const cartPolePhysics: Physics<CartPoleParams> = {
  name: "CartPole",
  stateDim: 4,
  obsDim: 4,
  actDim: 1,
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
  transition(p, s, a, ns, start, end) {
    const totalMass = p.massPole + p.massCart;
    const poleMassLength = p.massPole * p.length;
    for (let i = start; i < end; i++) {
      const o = i * 4;
      const x = s[o];
      const xDot = s[o + 1];
      const theta = s[o + 2];
      const thetaDot = s[o + 3];
      const force = a[i] === 1 ? p.forceMag : -p.forceMag;
      // Same values as Math.cos/Math.sin, without a C call for small angles (see trig.ts).
      const cos = trig.cos(theta);
      const sin = trig.sin(theta);
      // Equations of Florian (2007), "Correct equations for the dynamics of the cart-pole
      // system", as used by Gymnasium (frictionless cart and pole).
      // Operation order follows Gymnasium's so float64 rounding matches bit for bit: the pole is
      // unstable, and one ulp of difference grows to 1e-5 within a few hundred steps.
      const thetaDotSq = thetaDot * thetaDot;
      const cosSq = cos * cos;
      const temp = (force + poleMassLength * thetaDotSq * sin) / totalMass;
      const thetaAcc =
        (p.gravity * sin - cos * temp) /
        (p.length * (4.0 / 3.0 - (p.massPole * cosSq) / totalMass));
      const xAcc = temp - (poleMassLength * thetaAcc * cos) / totalMass;
      // Explicit Euler: positions move with the old velocities.
      ns[o] = x + p.tau * xDot;
      ns[o + 1] = xDot + p.tau * xAcc;
      ns[o + 2] = theta + p.tau * thetaDot;
      ns[o + 3] = thetaDot + p.tau * thetaAcc;
    }
  },
  // The observation is the state (copied a row at a time: fewer loop checks than per element).
  observe(_p, s, obs, start, end) {
    for (let i = start; i < end; i++) {
      const o = i * 4;
      obs[o] = s[o];
      obs[o + 1] = s[o + 1];
      obs[o + 2] = s[o + 2];
      obs[o + 3] = s[o + 3];
    }
  },
  terminal(p, s, terminated, start, end) {
    const xMax = p.xThreshold;
    const thetaMax = p.thetaThreshold;
    for (let i = start; i < end; i++) {
      const x = s[i * 4];
      const theta = s[i * 4 + 2];
      terminated[i] = x < -xMax || x > xMax || theta < -thetaMax || theta > thetaMax ? 1 : 0;
    }
  },
  // Gymnasium 1.x (sutton_barto_reward=False): 1 per step, the terminating step included.
  reward(_p, _s, _a, _ns, _terminated, rewards, start, end) {
    for (let i = start; i < end; i++) rewards[i] = 1.0;
  },
};

export const cartPoleSpec: PhysicsSpec<CartPoleParams> = {
  id: "CartPole-v1",
  physics: cartPolePhysics,
  maxEpisodeSteps: 500,
  rewardThreshold: 475,
};
