// The hand-written stepRows loops as they were before the envs were written in the array
// algebra (num.ts), kept as the oracle of test/envs/columns.test.ts: the compiled definitions must
// give the same bits. Only change: Math.sin/Math.cos are taken from src/envs/trig.ts (identical
// today), so the oracle follows when trig.ts changes.
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

import type { Physics, PhysicsSpec } from "../../../src/envs/physics.ts";
import { readOptions } from "../../../src/envs/physics.ts";
import { box, discrete } from "../../../src/envs/spaces.ts";
import * as trig from "../../../src/envs/trig.ts";

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

/** Torque of each discrete action. */
const AVAIL_TORQUE = [-1.0, 0.0, 1.0] as const;

// RK4 scratch, module-level so stepping never allocates: the stage input `y`, Gymnasium's augmented
// state `[theta1, theta2, dtheta1, dtheta2, torque]` (the torque's derivative is 0, so it stays
// constant through the stages), and the four stage derivatives `k` `[4, 4]`. Passing the stage
// through an array rather than as five number arguments matters when V8 does not inline `dsdt`:
// number arguments of a call are boxed, which allocated 20 heap numbers per step.
const y = new Float64Array(5);
const k = new Float64Array(16);

/**
 * Time derivative of the first four components of the augmented state `y` (book dynamics),
 * written to `out[oo .. oo + 4)`.
 */
function dsdt(p: AcrobotParams, y: Float64Array, out: Float64Array, oo: number): void {
  const theta1 = y[0];
  const theta2 = y[1];
  const dtheta1 = y[2];
  const dtheta2 = y[3];
  const a = y[4];
  const { m1, m2, l1, lc1, lc2, g } = p;
  const i1 = p.moi;
  const i2 = p.moi;
  const cos2 = trig.cos(theta2);
  const sin2 = trig.sin(theta2);
  const d1 = m1 * lc1 ** 2 + m2 * (l1 ** 2 + lc2 ** 2 + 2 * l1 * lc2 * cos2) + i1 + i2;
  const d2 = m2 * (lc2 ** 2 + l1 * lc2 * cos2) + i2;
  const phi2 = m2 * lc2 * g * trig.cos(theta1 + theta2 - Math.PI / 2.0);
  const phi1 =
    -m2 * l1 * lc2 * dtheta2 ** 2 * sin2 -
    2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin2 +
    (m1 * lc1 + m2 * l1) * g * trig.cos(theta1 - Math.PI / 2) +
    phi2;
  const ddtheta2 =
    (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * dtheta1 ** 2 * sin2 - phi2) /
    (m2 * lc2 ** 2 + i2 - d2 ** 2 / d1);
  const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  out[oo] = dtheta1;
  out[oo + 1] = dtheta2;
  out[oo + 2] = ddtheta1;
  out[oo + 3] = ddtheta2;
}

/** Gymnasium's `wrap`: shift by whole periods into [m, M]. */
function wrap(x: number, m: number, M: number): number {
  const diff = M - m;
  while (x > M) x -= diff;
  while (x < m) x += diff;
  return x;
}

export const acrobotPhysics: Physics<AcrobotParams> = {
  name: "Acrobot",
  stateDim: 4,
  obsDim: 6,
  actDim: 1,
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
  stepRows(p, s, a, ns, obs, rewards, terminated, start, end) {
    const dt = p.dt;
    const dt2 = dt / 2;
    const c = dt / 6.0;
    for (let i = start; i < end; i++) {
      const o = i * 4;
      const y0 = s[o];
      const y1 = s[o + 1];
      const y2 = s[o + 2];
      const y3 = s[o + 3];
      y[4] = AVAIL_TORQUE[a[i]];
      // k1 = f(y), k2 = f(y + dt/2 k1), k3 = f(y + dt/2 k2), k4 = f(y + dt k3).
      for (let stage = 0; stage < 4; stage++) {
        const h = stage === 0 ? 0 : stage === 3 ? dt : dt2;
        const prev = 4 * (stage - 1);
        y[0] = stage === 0 ? y0 : y0 + h * k[prev];
        y[1] = stage === 0 ? y1 : y1 + h * k[prev + 1];
        y[2] = stage === 0 ? y2 : y2 + h * k[prev + 2];
        y[3] = stage === 0 ? y3 : y3 + h * k[prev + 3];
        dsdt(p, y, k, 4 * stage);
      }
      const n0 = y0 + c * (k[0] + 2 * k[4] + 2 * k[8] + k[12]);
      const n1 = y1 + c * (k[1] + 2 * k[5] + 2 * k[9] + k[13]);
      const n2 = y2 + c * (k[2] + 2 * k[6] + 2 * k[10] + k[14]);
      const n3 = y3 + c * (k[3] + 2 * k[7] + 2 * k[11] + k[15]);
      const theta1 = wrap(n0, -Math.PI, Math.PI);
      const theta2 = wrap(n1, -Math.PI, Math.PI);
      ns[o] = theta1;
      ns[o + 1] = theta2;
      ns[o + 2] = Math.min(Math.max(n2, -p.maxVel1), p.maxVel1);
      ns[o + 3] = Math.min(Math.max(n3, -p.maxVel2), p.maxVel2);
      // Terminal when the tip is above the bar; reward -1 per step, 0 on the terminating one.
      const done = -trig.cos(theta1) - trig.cos(theta2 + theta1) > 1.0;
      terminated[i] = done ? 1 : 0;
      rewards[i] = done ? 0.0 : -1.0;
    }
    observe(ns, obs, start, end);
  },
  observe: (_p, s, obs, start, end) => observe(s, obs, start, end),
};

/** Observation `[cos theta1, sin theta1, cos theta2, sin theta2, dtheta1, dtheta2]`. */
function observe(s: Float64Array, obs: Float64Array, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const o = i * 6;
    obs[o] = trig.cos(s[i * 4]);
    obs[o + 1] = trig.sin(s[i * 4]);
    obs[o + 2] = trig.cos(s[i * 4 + 1]);
    obs[o + 3] = trig.sin(s[i * 4 + 1]);
    obs[o + 4] = s[i * 4 + 2];
    obs[o + 5] = s[i * 4 + 3];
  }
}

export const acrobotSpec: PhysicsSpec<AcrobotParams> = {
  id: "Acrobot-v1",
  physics: acrobotPhysics,
  maxEpisodeSteps: 500,
  rewardThreshold: -100,
};
