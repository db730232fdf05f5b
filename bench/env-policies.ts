/**
 * The fixed cheap policies bench:envs drives each environment with (shared with
 * scripts/envs-paired.mjs, which runs the same loops on two builds).
 */

/**
 * A cheap deterministic policy per env, batched like a real policy (`policy.act` fills the
 * actions of all sub-envs in one call): writes `actions[i]` from the observation `obs[i * od ..]`
 * for i < n.
 */
export type BatchPolicy = (obs: Float64Array, od: number, actions: Float64Array, n: number) => void;

export const POLICIES: Record<string, BatchPolicy> = {
  // Push toward the side the pole falls to: keeps episodes long (often the full 500 steps).
  "CartPole-v1": (o, od, act, n) => {
    for (let i = 0; i < n; i++) act[i] = o[i * od + 2] + 0.5 * o[i * od + 3] > 0 ? 1 : 0;
  },
  // Damp the angular velocity.
  "Pendulum-v1": (o, od, act, n) => {
    for (let i = 0; i < n; i++) act[i] = -o[i * od + 2];
  },
  // Push along the velocity (pumps energy; reaches the flag in ~100 steps).
  "MountainCar-v0": (o, od, act, n) => {
    for (let i = 0; i < n; i++) act[i] = o[i * od + 1] >= 0 ? 2 : 0;
  },
  "MountainCarContinuous-v0": (o, od, act, n) => {
    for (let i = 0; i < n; i++) act[i] = o[i * od + 1] >= 0 ? 1 : -1;
  },
  "Acrobot-v1": (o, od, act, n) => {
    for (let i = 0; i < n; i++) act[i] = o[i * od + 4] >= 0 ? 2 : 0;
  },
  // Toward the target.
  "Point1D-v0": (o, od, act, n) => {
    for (let i = 0; i < n; i++) act[i] = 2 * (o[i * od + 1] - o[i * od]);
  },
  // Pump energy: push along the pole's angular velocity times cos(theta)'s sign.
  "CartPoleSwingUp-v0": (o, od, act, n) => {
    for (let i = 0; i < n; i++) act[i] = o[i * od + 3] * (o[i * od + 2] > 0 ? 1 : -1) >= 0 ? 1 : -1;
  },
  // A stabilizing linear gain.
  "LinearQuadratic-v0": (o, od, act, n) => {
    for (let i = 0; i < n; i++) act[i] = -(o[i * od] + 1.5 * o[i * od + 1]);
  },
};
