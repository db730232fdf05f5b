/**
 * Acrobot-v1 (Sutton 1996; dynamics from Sutton & Barto's book), with Gymnasium 1.x's constants
 * and semantics: a two-link chain hanging down, torque on the middle joint only. The equations are
 * the "book" variant (it includes the `-m2 l1 lc2 dtheta1^2 sin(theta2)` term that the NIPS paper
 * omitted), integrated with one classical RK4 step over dt = 0.2 on the state with the torque
 * appended as a fifth component whose derivative is 0 (Gymnasium's `rk4(_dsdt, s_augmented,
 * [0, dt])`). Afterwards both angles are wrapped to [-pi, pi] and the velocities bounded to
 * [-4 pi, 4 pi] and [-9 pi, 9 pi].
 * Terminates when the tip is above the bar: `-cos(theta1) - cos(theta1 + theta2) > 1`.
 * Reward -1 per non-terminal step and 0 on the terminating one; time limit 500; threshold -100.
 *
 * State `[theta1, theta2, dtheta1, dtheta2]`; observation
 * `[cos theta1, sin theta1, cos theta2, sin theta2, dtheta1, dtheta2]`.
 * Action: Discrete(3) selecting torque -1, 0 or +1.
 */
import { columnPhysics } from "../columns.ts";
import { type Dynamics, type Num, type Val, wrap } from "../num.ts";
import type { Physics, PhysicsSpec } from "../physics.ts";
import { readOptions } from "../physics.ts";
import { box, discrete } from "../spaces.ts";

export interface AcrobotParams {
  readonly dt: number;
  readonly l1: number;
  readonly m1: number;
  readonly m2: number;
  /** Positions of the links' centres of mass. */
  readonly lc1: number;
  readonly lc2: number;
  /** Moments of inertia of both links. */
  readonly moi: number;
  readonly g: number;
  readonly maxVel1: number;
  readonly maxVel2: number;
}

const PARAMS: AcrobotParams = {
  dt: 0.2,
  l1: 1.0,
  m1: 1.0,
  m2: 1.0,
  lc1: 0.5,
  lc2: 0.5,
  moi: 1.0,
  g: 9.8,
  maxVel1: 4 * Math.PI,
  maxVel2: 9 * Math.PI,
};

/**
 * Time derivative of the state `[theta1, theta2, dtheta1, dtheta2]` under torque `a` (book
 * dynamics), in Gymnasium's operation order.
 */
function dsdt<T>(num: Num<T>, p: AcrobotParams, y: readonly T[], a: Val<T>): T[] {
  const [theta1, theta2, dtheta1, dtheta2] = y;
  const { m1, m2, l1, lc1, lc2, g } = p;
  const i1 = p.moi;
  const i2 = p.moi;
  const cos2 = num.cos(theta2);
  const sin2 = num.sin(theta2);
  const d1 = num.add(
    num.add(
      num.add(
        m1 * (lc1 * lc1),
        num.mul(m2, num.add(l1 * l1 + lc2 * lc2, num.mul(2 * l1 * lc2, cos2))),
      ),
      i1,
    ),
    i2,
  );
  const d2 = num.add(num.mul(m2, num.add(lc2 * lc2, num.mul(l1 * lc2, cos2))), i2);
  const phi2 = num.mul(m2 * lc2 * g, num.cos(num.sub(num.add(theta1, theta2), Math.PI / 2.0)));
  const phi1 = num.add(
    num.add(
      num.sub(
        num.mul(num.mul(-m2 * l1 * lc2, num.square(dtheta2)), sin2),
        num.mul(num.mul(num.mul(2 * m2 * l1 * lc2, dtheta2), dtheta1), sin2),
      ),
      num.mul((m1 * lc1 + m2 * l1) * g, num.cos(num.sub(theta1, Math.PI / 2))),
    ),
    phi2,
  );
  const ddtheta2 = num.div(
    num.sub(
      num.sub(
        num.add(a, num.mul(num.div(d2, d1), phi1)),
        num.mul(num.mul(m2 * l1 * lc2, num.square(dtheta1)), sin2),
      ),
      phi2,
    ),
    num.sub(m2 * (lc2 * lc2) + i2, num.div(num.square(d2), d1)),
  );
  const ddtheta1 = num.div(num.neg(num.add(num.mul(d2, ddtheta2), phi1)), d1);
  return [dtheta1, dtheta2, ddtheta1, ddtheta2];
}

export const acrobotDynamics: Dynamics<AcrobotParams> = {
  name: "Acrobot",
  stateDim: 4,
  obsDim: 6,
  actDim: 1,
  differentiable: {
    reason:
      "its action is Discrete(3) (torque -1, 0 or +1): no gradient reaches the policy through an integer choice",
  },
  params(options) {
    readOptions("Acrobot", options, []);
    return PARAMS;
  },
  observationSpace: (p) =>
    box([-1, -1, -1, -1, -p.maxVel1, -p.maxVel2], [1, 1, 1, 1, p.maxVel1, p.maxVel2]),
  actionSpace: () => discrete(3),
  initial(_p, rng, s, i) {
    for (let k = 0; k < 4; k++) s[i * 4 + k] = rng.uniformRange(-0.1, 0.1);
  },
  step(num, p, s, a) {
    // Action 0, 1, 2 is torque -1, 0, +1.
    const torque = num.sub(a[0], 1);
    // One classical RK4 step: k1 = f(y), k2 = f(y + dt/2 k1), k3 = f(y + dt/2 k2),
    // k4 = f(y + dt k3).
    const dt = p.dt;
    const k1 = dsdt(num, p, s, torque);
    const k2 = dsdt(
      num,
      p,
      s.map((y, j) => num.add(y, num.mul(dt / 2, k1[j]))),
      torque,
    );
    const k3 = dsdt(
      num,
      p,
      s.map((y, j) => num.add(y, num.mul(dt / 2, k2[j]))),
      torque,
    );
    const k4 = dsdt(
      num,
      p,
      s.map((y, j) => num.add(y, num.mul(dt, k3[j]))),
      torque,
    );
    const n = s.map((y, j) =>
      num.add(
        y,
        num.mul(
          dt / 6.0,
          num.add(num.add(num.add(k1[j], num.mul(2, k2[j])), num.mul(2, k3[j])), k4[j]),
        ),
      ),
    );
    const theta1 = wrap(num, n[0], -Math.PI, Math.PI);
    const theta2 = wrap(num, n[1], -Math.PI, Math.PI);
    const next = [
      theta1,
      theta2,
      num.clip(n[2], -p.maxVel1, p.maxVel1),
      num.clip(n[3], -p.maxVel2, p.maxVel2),
    ];
    // Terminal when the tip is above the bar; reward -1 per step, 0 on the terminating one.
    const height = num.sub(num.neg(num.cos(theta1)), num.cos(num.add(theta2, theta1)));
    const done = num.gt(height, 1.0);
    return { next, reward: num.where(done, 0.0, -1.0), terminated: done };
  },
  /** `[cos theta1, sin theta1, cos theta2, sin theta2, dtheta1, dtheta2]`. */
  observe: (num, _p, s) => [num.cos(s[0]), num.sin(s[0]), num.cos(s[1]), num.sin(s[1]), s[2], s[3]],
};

export const acrobotPhysics: Physics<AcrobotParams> = columnPhysics(acrobotDynamics);

export const acrobotSpec: PhysicsSpec<AcrobotParams> = {
  id: "Acrobot-v1",
  physics: acrobotPhysics,
  maxEpisodeSteps: 500,
  rewardThreshold: -100,
};
