/**
 * CartPoleSwingUp-v0: CartPole's cart and pole (the same equations, {@link cartPoleEuler}) with a
 * continuous force and the pole starting down; swing it up and keep it there. The differentiable
 * cart-pole of SHAC (Xu et al. 2022, "Accelerated Policy Learning with Parallel Differentiable
 * Simulation", its CartPoleSwingUp task), at CartPole-v1's constants and tau = 0.02 s.
 *
 * State `[x, x_dot, theta, theta_dot]` (theta = 0 upright); the observation is the state. Start:
 * theta ~ pi + U(-0.05, 0.05), the rest U(-0.05, 0.05). Action: Box(-1, 1, [1]), clipped, times
 * force_mag = 10 N. Reward of the next state, smooth:
 * `-(wrap(theta)^2 + 0.1 theta_dot^2 + 0.05 x^2 + 0.1 x_dot^2)` with theta wrapped to [-pi, pi).
 * No early termination and no track limits (the x^2 cost keeps the cart near 0).
 *
 * Time limit 500 steps (10 s, as CartPole-v1). Reward threshold -1000: hanging still scores about
 * -4900; a hand-written controller that pumps the pole's energy up and then balances it with a
 * linear law scores -800 to -864 (10 seeds; test/envs/classic.test.ts runs it on two).
 */
import { columnPhysics } from "../columns.ts";
import { angleNormalize, type Dynamics } from "../num.ts";
import type { Physics, PhysicsSpec } from "../physics.ts";
import { readOptions } from "../physics.ts";
import { box } from "../spaces.ts";
import { type CartPoleParams, cartPoleDynamics, cartPoleEuler } from "./cartpole.ts";

export const cartPoleSwingUpDynamics: Dynamics<CartPoleParams> = {
  name: "CartPoleSwingUp",
  stateDim: 4,
  obsDim: 4,
  actDim: 1,
  differentiable: true,
  params(options) {
    readOptions("CartPoleSwingUp", options, []);
    return cartPoleDynamics.params();
  },
  observationSpace: () => box(-Infinity, Infinity, [4]),
  actionSpace: () => box(-1, 1, [1]),
  initial(_p, rng, s, i) {
    for (let k = 0; k < 4; k++) s[i * 4 + k] = rng.uniformRange(-0.05, 0.05);
    s[i * 4 + 2] += Math.PI;
  },
  step(num, p, s, a) {
    const force = num.mul(num.clip(a[0], -1, 1), p.forceMag);
    const next = cartPoleEuler(num, p, s, force);
    const [x, xDot, theta, thetaDot] = next;
    const cost = num.add(
      num.add(
        num.add(num.square(angleNormalize(num, theta)), num.mul(0.1, num.square(thetaDot))),
        num.mul(0.05, num.square(x)),
      ),
      num.mul(0.1, num.square(xDot)),
    );
    return { next, reward: num.neg(cost), terminated: 0 };
  },
  /** The observation is the state. */
  observe: (_num, _p, s) => s,
};

export const cartPoleSwingUpPhysics: Physics<CartPoleParams> =
  columnPhysics(cartPoleSwingUpDynamics);

export const cartPoleSwingUpSpec: PhysicsSpec<CartPoleParams> = {
  id: "CartPoleSwingUp-v0",
  physics: cartPoleSwingUpPhysics,
  maxEpisodeSteps: 500,
  rewardThreshold: -1000,
};
