/**
 * bench:envs — environment steps per second, single (the stateful Env API) and vectorized
 * (makeVec, N = 64), for every built-in, each driven by a fixed cheap policy of the observation
 * (so episodes have realistic lengths and autoresets are included).
 *
 * Peer: Gymnasium's CartPole-v1 with NumPy observations, ~0.44M steps/s on this machine (measured
 * by the author; this machine's Python has no gymnasium, so the figure is cited, not
 * re-measured). The table prints our ratio against it for CartPole.
 *
 * Prints a table, then as the last line one JSON object:
 * {"bench":"envs","steps_per_s":{"CartPole-v1":{"single":..,"vector64":..},...}}
 */
import os from "node:os";
import { make } from "../src/envs/registry.ts";
import { makeVec } from "../src/envs/vector.ts";

const GYMNASIUM_CARTPOLE_STEPS_PER_S = 0.44e6;
const N = 64;
const SECONDS = 0.8; // per measurement; 5 envs x 2 modes x (warm-up + measure) stays well under 1 min
const WINDOWS = 5;

/**
 * A cheap deterministic policy per env, batched like a real policy (`policy.act` fills the
 * actions of all sub-envs in one call): writes `actions[i]` from the observation `obs[i * od ..]`
 * for i < n.
 */
type BatchPolicy = (obs: Float64Array, od: number, actions: Float64Array, n: number) => void;

const POLICIES: Record<string, BatchPolicy> = {
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
};

/**
 * Warm up (JIT), then steps/s over SECONDS split into WINDOWS windows; the figure is the median
 * window, so a burst of load from another process on this 2-core machine moves one window rather
 * than the figure (same method as bench:core).
 */
function timeLoop(body: () => number): number {
  const warm = performance.now();
  while (performance.now() - warm < 200) body();
  const rates: number[] = [];
  for (let w = 0; w < WINDOWS; w++) {
    let steps = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < (SECONDS * 1000) / WINDOWS) {
      steps += body();
      t = performance.now();
    }
    rates.push(steps / ((t - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  return rates[WINDOWS >> 1];
}

function benchSingle(id: string): number {
  const env = make(id);
  const policy = POLICIES[id];
  const discrete = env.actionSpace.kind === "discrete";
  const od = env.observationSpace.kind === "box" ? env.observationSpace.size : 1;
  const act = new Float64Array(1);
  let obs = env.reset({ seed: 0 }).observation;
  return timeLoop(() => {
    for (let k = 0; k < 1000; k++) {
      policy(obs, od, act, 1);
      const r = env.step(discrete ? act[0] : act);
      obs = r.terminated || r.truncated ? env.reset().observation : r.observation;
    }
    return 1000;
  });
}

function benchVector(id: string): number {
  const venv = makeVec(id, N);
  const policy = POLICIES[id];
  const actions = new Float64Array(N * venv.actDim);
  const obs = venv.observations;
  const od = venv.obsDim;
  venv.reset(0);
  return timeLoop(() => {
    for (let k = 0; k < 100; k++) {
      policy(obs, od, actions, N);
      venv.step(actions);
    }
    return 100 * N;
  });
}

const results: Record<string, { single: number; vector64: number }> = {};
const ids = Object.keys(POLICIES);
const fmt = (x: number) => `${(x / 1e6).toFixed(2)}M`.padStart(9);
const load0 = os.loadavg()[0];
console.log(
  `bench:envs  steps/s (single: Env.reset/step; vector64: makeVec N=${N}); cheap fixed policies; median of ${WINDOWS} windows`,
);
console.log(
  `peer: Gymnasium CartPole-v1 (numpy obs) ~${GYMNASIUM_CARTPOLE_STEPS_PER_S / 1e6}M steps/s (cited)`,
);
console.log(
  `${"env".padEnd(26)}${"single".padStart(9)}${"vector64".padStart(10)}  ratio vs Gymnasium CartPole (single / vector64)`,
);
for (const id of ids) {
  const single = benchSingle(id);
  const vector64 = benchVector(id);
  results[id] = { single: Math.round(single), vector64: Math.round(vector64) };
  const ratio =
    id === "CartPole-v1"
      ? `  ${(single / GYMNASIUM_CARTPOLE_STEPS_PER_S).toFixed(1)}x / ${(vector64 / GYMNASIUM_CARTPOLE_STEPS_PER_S).toFixed(1)}x`
      : "";
  console.log(`${id.padEnd(26)}${fmt(single)} ${fmt(vector64)}${ratio}`);
}
console.log(
  `load average (1 min) ${load0.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end: wall-clock figures on shared cores`,
);
const cart = results["CartPole-v1"].vector64;
console.log(
  `CartPole-v1 vector64 target >= 20M steps/s on one core: ${cart >= 20e6 ? "met" : "NOT met"} (${(cart / 1e6).toFixed(1)}M)`,
);
console.log(JSON.stringify({ bench: "envs", steps_per_s: results }));
