// The hand-written stepRows loops as they were before the envs were written in the array
// algebra (num.ts), kept as the oracle of test/envs/columns.test.ts: the compiled definitions must
// give the same bits. Only change: Math.sin/Math.cos are taken from src/envs/trig.ts (identical
// today), so the oracle follows when trig.ts changes.
/**
 * CartPole-v1 (Barto, Sutton & Anderson 1983), with Gymnasium 1.x's constants and semantics:
 * explicit Euler integration at tau = 0.02 s, termination when |x| > 2.4 or |theta| > 12 degrees,
 * reward 1 for every step including the terminating one, time limit 500, threshold 475.
 *
 * State `[x, x_dot, theta, theta_dot]`; the observation is the state itself.
 * Action: Discrete(2), 0 pushes left, 1 pushes right with force 10 N.
 */
import type { Rng } from "../../../src/core/rng.ts";
import type { Physics, PhysicsSpec } from "../../../src/envs/physics.ts";
import { readOptions } from "../../../src/envs/physics.ts";
import { box, discrete } from "../../../src/envs/spaces.ts";
import * as trig from "../../../src/envs/trig.ts";

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
  stepRows(p, s, a, ns, obs, rewards, terminated, start, end) {
    for (let c = start; c < end; c += CHUNK) {
      stepChunk(p, s, a, ns, obs, rewards, terminated, c, Math.min(c + CHUNK, end));
    }
  },
  observe: (_p, s, obs, start, end) => observe(s, obs, start, end),
};

/** The observation is the state (copied a row at a time: fewer loop checks than per element). */
function observe(s: Float64Array, obs: Float64Array, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const o = i * 4;
    obs[o] = s[o];
    obs[o + 1] = s[o + 1];
    obs[o + 2] = s[o + 2];
    obs[o + 3] = s[o + 3];
  }
}

// Per-row intermediates of one chunk of rows (module-level so stepping never allocates; fixed
// length, so V8 knows their bounds).
const CHUNK = 64;
const COS = new Float64Array(CHUNK);
const SIN = new Float64Array(CHUNK);
const TEMP = new Float64Array(CHUNK);
const DENOM = new Float64Array(CHUNK);

/**
 * `stepRows` for rows `start <= i < end`, at most {@link CHUNK} of them.
 *
 * Equations of Florian (2007), "Correct equations for the dynamics of the cart-pole system", as
 * used by Gymnasium (frictionless cart and pole). Operation order follows Gymnasium's so float64
 * rounding matches bit for bit: the pole is unstable, and one ulp of difference grows to 1e-5
 * within a few hundred steps.
 *
 * Why three passes over the rows rather than one: a row is a long chain of dependent operations
 * (the sin/cos polynomials, then three divisions of ~13 cycles each, one after the other). In
 * one loop the CPU's floating-point scheduler fills with one row's waiting operations before it
 * reaches the next row, so rows barely overlap; in short passes over independent rows the
 * divider stays busy.
 */
function stepChunk(
  p: CartPoleParams,
  s: Float64Array,
  a: Float64Array,
  ns: Float64Array,
  obs: Float64Array,
  rewards: Float64Array,
  terminated: Uint8Array,
  start: number,
  end: number,
): void {
  // Parameters in locals: loads from `p` inside the loops would be repeated every row (V8 does
  // not keep object fields across the typed-array stores below).
  const { gravity, massPole, length, forceMag, tau, xThreshold, thetaThreshold } = p;
  const totalMass = massPole + p.massCart;
  const poleMassLength = massPole * length;
  const n = end - start;
  for (let j = 0; j < n; j++) {
    const theta = s[(start + j) * 4 + 2];
    // Same values as Math.cos/Math.sin, without a C call for small angles (see trig.ts).
    COS[j] = trig.cos(theta);
    SIN[j] = trig.sin(theta);
  }
  for (let j = 0; j < n; j++) {
    const i = start + j;
    const thetaDot = s[i * 4 + 3];
    const cos = COS[j];
    // 10 N to the right for action 1, to the left for 0 (arithmetic rather than a branch: the
    // actions of a batch are unpredictable, and a mispredicted branch stalls every row).
    const force = (a[i] * 2 - 1) * forceMag;
    const thetaDotSq = thetaDot * thetaDot;
    const cosSq = cos * cos;
    TEMP[j] = (force + poleMassLength * thetaDotSq * SIN[j]) / totalMass;
    // The denominator of thetaAcc.
    DENOM[j] = length * (4.0 / 3.0 - (massPole * cosSq) / totalMass);
  }
  for (let j = 0; j < n; j++) {
    const i = start + j;
    const o = i * 4;
    const x = s[o];
    const xDot = s[o + 1];
    const theta = s[o + 2];
    const thetaDot = s[o + 3];
    const cos = COS[j];
    const temp = TEMP[j];
    const thetaAcc = (gravity * SIN[j] - cos * temp) / DENOM[j];
    const xAcc = temp - (poleMassLength * thetaAcc * cos) / totalMass;
    // Explicit Euler: positions move with the old velocities.
    const nx = x + tau * xDot;
    const nxDot = xDot + tau * xAcc;
    const nTheta = theta + tau * thetaDot;
    const nThetaDot = thetaDot + tau * thetaAcc;
    ns[o] = nx;
    ns[o + 1] = nxDot;
    ns[o + 2] = nTheta;
    ns[o + 3] = nThetaDot;
    // The observation is the state.
    obs[o] = nx;
    obs[o + 1] = nxDot;
    obs[o + 2] = nTheta;
    obs[o + 3] = nThetaDot;
    terminated[i] =
      nx < -xThreshold || nx > xThreshold || nTheta < -thetaThreshold || nTheta > thetaThreshold
        ? 1
        : 0;
    // Gymnasium 1.x (sutton_barto_reward=False): 1 per step, the terminating step included.
    rewards[i] = 1.0;
  }
}

export const cartPoleSpec: PhysicsSpec<CartPoleParams> = {
  id: "CartPole-v1",
  physics: cartPolePhysics,
  maxEpisodeSteps: 500,
  rewardThreshold: 475,
};
