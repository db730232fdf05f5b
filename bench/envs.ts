/**
 * bench:envs — environment steps per second, single (the stateful Env API) and vectorized
 * (makeVec, N = 64), for every built-in, each driven by a fixed cheap policy of the observation
 * (so episodes have realistic lengths and autoresets are included).
 *
 * What is timed: for the vector env, only the `venv.step(actions)` calls (performance.now() around
 * each); the policy choosing the actions is this benchmark's, not the env's, and is reported
 * separately in the "with policy" column (wall clock of the whole loop). For the single env a
 * timer around each ~100 ns step would cost as much as the step, so its figure is the whole loop,
 * its one-comparison policy included.
 *
 * Peer: Gymnasium's CartPole-v1 with NumPy observations, ~0.44M steps/s on this machine (measured
 * by the issue's author; this machine's Python has no gymnasium, so the figure is cited, not
 * re-measured). The table prints our ratio against it for CartPole.
 *
 * Runs the compiled JavaScript (npm run bench:envs compiles first): tsx's on-the-fly transform
 * wraps every function expression in a naming helper, which is not what users run.
 *
 * Prints a table, then as the last line one JSON object:
 * {"bench":"envs","steps_per_s":{"CartPole-v1":{"single":..,"vector64":..,"vector64_with_policy":..},...},
 *  "paired_ratio_vs_main":{"CartPole-v1":{"single":..,"vector64":..},...},
 *  "tensor_steps_per_s":{"Pendulum-v1":{"forward":..,"forward_backward":..},...}}
 *
 * Also (issue #12): a paired comparison of the compiled env definitions against main's
 * hand-written loops, and the tensor interpreter's speed per differentiable env.
 */
import os from "node:os";
import { add, mean, mul, Rng, type Tensor, tensor, valueAndGrad } from "../src/core/index.ts";
import { type DifferentiableEnv, makeDifferentiable } from "../src/envs/diff.ts";
import { type Physics, PhysicsEnv } from "../src/envs/physics.ts";
import { make, physicsOf } from "../src/envs/registry.ts";
import type { Env } from "../src/envs/types.ts";
import { makeVec, PhysicsVectorEnv, type VectorEnv } from "../src/envs/vector.ts";
import { acrobotPhysics as legacyAcrobot } from "../test/envs/legacy/acrobot.ts";
import { cartPolePhysics as legacyCartPole } from "../test/envs/legacy/cartpole.ts";
import {
  mountainCarPhysics as legacyMountainCar,
  mountainCarContinuousPhysics as legacyMountainCarContinuous,
} from "../test/envs/legacy/mountain_car.ts";
import { pendulumPhysics as legacyPendulum } from "../test/envs/legacy/pendulum.ts";
import { point1dPhysics as legacyPoint1D } from "../test/envs/legacy/point.ts";
import { POLICIES } from "./env-policies.ts";

const GYMNASIUM_CARTPOLE_STEPS_PER_S = 0.44e6;
const N = 64;
const SECONDS = 2; // per measurement; 5 envs x 2 modes x (warm-up + measure) is about half a minute
const WINDOWS = 9;

/**
 * The hand-written loops the compiled definitions replaced (main before issue #12; kept in
 * test/envs/legacy as the bit-identity oracle), for the paired comparison below.
 */
const LEGACY: Record<string, Physics> = {
  "CartPole-v1": legacyCartPole as Physics,
  "Pendulum-v1": legacyPendulum as Physics,
  "MountainCar-v0": legacyMountainCar as Physics,
  "MountainCarContinuous-v0": legacyMountainCarContinuous as Physics,
  "Acrobot-v1": legacyAcrobot as Physics,
  "Point1D-v0": legacyPoint1D as Physics,
};

/** A batch of steps: how many, and the milliseconds they count for. */
type Batch = () => { steps: number; ms: number };

/**
 * Warm up (JIT), then steps/s over SECONDS of wall clock split into WINDOWS windows: per window,
 * steps over the batches' counted milliseconds, and steps over the window's wall clock. The
 * figures are the median windows, so a burst of load from another process on this 2-core machine
 * moves one window rather than the figure (same method as bench:core).
 */
function timeLoop(body: Batch, seconds = SECONDS): { counted: number; wall: number } {
  const warm = performance.now();
  while (performance.now() - warm < 300) body();
  const counted: number[] = [];
  const wall: number[] = [];
  for (let w = 0; w < WINDOWS; w++) {
    let steps = 0;
    let ms = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < (seconds * 1000) / WINDOWS) {
      const b = body();
      steps += b.steps;
      ms += b.ms;
      t = performance.now();
    }
    counted.push(steps / (ms / 1000));
    wall.push(steps / ((t - t0) / 1000));
  }
  const median = (r: number[]) => r.sort((a, b) => a - b)[WINDOWS >> 1];
  return { counted: median(counted), wall: median(wall) };
}

function benchSingle(id: string, env: Env = make(id), seconds = SECONDS): number {
  const policy = POLICIES[id];
  const discrete = env.actionSpace.kind === "discrete";
  const od = env.observationSpace.kind === "box" ? env.observationSpace.size : 1;
  const act = new Float64Array(1);
  let obs = env.reset({ seed: 0 }).observation;
  return timeLoop(() => {
    const t0 = performance.now();
    for (let k = 0; k < 1000; k++) {
      policy(obs, od, act, 1);
      const r = env.step(discrete ? act[0] : act);
      obs = r.terminated || r.truncated ? env.reset().observation : r.observation;
    }
    return { steps: 1000, ms: performance.now() - t0 };
  }, seconds).counted;
}

/** Steps/s of the vector env's step calls alone, and of the loop with the policy. */
function benchVector(
  id: string,
  venv: VectorEnv = makeVec(id, N),
  seconds = SECONDS,
): { step: number; withPolicy: number } {
  const policy = POLICIES[id];
  const actions = new Float64Array(N * venv.actDim);
  const obs = venv.observations;
  const od = venv.obsDim;
  venv.reset(0);
  const r = timeLoop(() => {
    let ms = 0;
    for (let k = 0; k < 100; k++) {
      policy(obs, od, actions, N);
      const t0 = performance.now();
      venv.step(actions);
      ms += performance.now() - t0;
    }
    return { steps: 100 * N, ms };
  }, seconds);
  return { step: r.counted, withPolicy: r.wall };
}

const results: Record<string, { single: number; vector64: number; vector64_with_policy: number }> =
  {};
const ids = Object.keys(POLICIES);
const fmt = (x: number, w: number) => `${(x / 1e6).toFixed(2)}M`.padStart(w);
const load0 = os.loadavg()[0];
console.log(
  `bench:envs  steps/s (single: Env.reset/step; vector64: makeVec N=${N}, its step() calls timed alone); cheap fixed policies; median of ${WINDOWS} windows`,
);
console.log(
  `peer: Gymnasium CartPole-v1 (numpy obs) ~${GYMNASIUM_CARTPOLE_STEPS_PER_S / 1e6}M steps/s (cited)`,
);
console.log(
  `${"env".padEnd(26)}${"single".padStart(9)}${"vector64".padStart(10)}${"with policy".padStart(13)}  ratio vs Gymnasium CartPole (single / vector64)`,
);
for (const id of ids) {
  const single = benchSingle(id);
  const vector = benchVector(id);
  results[id] = {
    single: Math.round(single),
    vector64: Math.round(vector.step),
    vector64_with_policy: Math.round(vector.withPolicy),
  };
  const ratio =
    id === "CartPole-v1"
      ? `  ${(single / GYMNASIUM_CARTPOLE_STEPS_PER_S).toFixed(1)}x / ${(vector.step / GYMNASIUM_CARTPOLE_STEPS_PER_S).toFixed(1)}x`
      : "";
  console.log(
    `${id.padEnd(26)}${fmt(single, 9)} ${fmt(vector.step, 9)} ${fmt(vector.withPolicy, 12)}${ratio}`,
  );
}

// Paired: main's hand-written loops and the compiled definitions, through the same adapters, in
// this process, rounds of (old, new, new, old) so drifts in machine load hit both alike; each
// figure is steps per second of this process's CPU time, the ratio the median over rounds.
const ROUNDS = 5;
/** Steps per CPU second of `steps` calls of `body` (after as many unmeasured ones). */
function cpuRate(body: () => void, calls: number, stepsPerCall: number): number {
  for (let k = 0; k < calls; k++) body();
  const c0 = process.cpuUsage();
  for (let k = 0; k < calls; k++) body();
  const c = process.cpuUsage(c0);
  return (calls * stepsPerCall) / ((c.user + c.system) / 1e6);
}
function singleLoop(id: string, env: Env): () => void {
  const policy = POLICIES[id];
  const discrete = env.actionSpace.kind === "discrete";
  const od = env.observationSpace.kind === "box" ? env.observationSpace.size : 1;
  const act = new Float64Array(1);
  let obs = env.reset({ seed: 0 }).observation;
  return () => {
    for (let k = 0; k < 1000; k++) {
      policy(obs, od, act, 1);
      const r = env.step(discrete ? act[0] : act);
      obs = r.terminated || r.truncated ? env.reset().observation : r.observation;
    }
  };
}
function vectorLoop(id: string, venv: VectorEnv): () => void {
  const policy = POLICIES[id];
  const actions = new Float64Array(N * venv.actDim);
  venv.reset(0);
  return () => {
    for (let k = 0; k < 100; k++) {
      policy(venv.observations, venv.obsDim, actions, N);
      venv.step(actions);
    }
  };
}
function pairedRatio(oldBody: () => void, newBody: () => void, calls: number, per: number): number {
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const o1 = cpuRate(oldBody, calls, per);
    const n1 = cpuRate(newBody, calls, per);
    const n2 = cpuRate(newBody, calls, per);
    const o2 = cpuRate(oldBody, calls, per);
    ratios.push((n1 + n2) / (o1 + o2));
  }
  return ratios.sort((a, b) => a - b)[ROUNDS >> 1];
}
const paired: Record<string, { single: number; vector64: number }> = {};
console.log(
  `\npaired: compiled definition / main's hand-written loop (test/envs/legacy), same adapters and policies, steps per CPU second, median of ${ROUNDS} rounds of (old, new, new, old); target >= 0.9`,
);
console.log(`${"env".padEnd(26)}${"single".padStart(9)}${"vector64".padStart(10)}`);
for (const [id, legacy] of Object.entries(LEGACY)) {
  const ph = physicsOf(id)!;
  const limits = { maxEpisodeSteps: ph.maxEpisodeSteps };
  const single = pairedRatio(
    singleLoop(id, new PhysicsEnv(id, legacy, ph.params, limits)),
    singleLoop(id, make(id)),
    200,
    1000,
  );
  const vector = pairedRatio(
    vectorLoop(id, new PhysicsVectorEnv(id, legacy, ph.params, N, ph.maxEpisodeSteps)),
    vectorLoop(id, makeVec(id, N)),
    30,
    100 * N,
  );
  paired[id] = { single: +single.toFixed(3), vector64: +vector.toFixed(3) };
  console.log(
    `${id.padEnd(26)}${`${single.toFixed(2)}x`.padStart(9)}${`${vector.toFixed(2)}x`.padStart(10)}`,
  );
}

// The tensor interpreter: B = 64 envs unrolled H = 32 steps under a linear policy of the
// observation (u = w . obs), forward alone (no tape) and forward + backward (valueAndGrad of the
// mean return in w).
const H = 32;
const tensorRates: Record<
  string,
  { forward: number; forward_backward: number; forward_backward_cpu: number }
> = {};
console.log(
  `\ntensor interpreter (differentiable step), batch ${N}, unroll ${H}, linear policy; env steps/s (batch x steps)`,
);
console.log(
  `${"env".padEnd(26)}${"forward".padStart(9)}${"fwd+bwd".padStart(10)}${"fwd+bwd/CPU s".padStart(14)}`,
);
/** Mean return over H steps of u = sum_k w[k] obs[k] (w: one scalar Tensor per obs component). */
const rollout = (env: DifferentiableEnv, s0: Tensor[], w: Tensor[]): Tensor => {
  let s = s0;
  let obs = env.observe(s);
  let ret: Tensor = tensor(0);
  for (let t = 0; t < H; t++) {
    let u = mul(obs[0], w[0]);
    for (let k = 1; k < obs.length; k++) u = add(u, mul(obs[k], w[k]));
    const tr = env.step(s, [u]);
    ret = add(ret, mean(tr.reward));
    s = tr.next;
    obs = tr.obs;
  }
  return ret;
};
const DIFF_IDS = [
  "Pendulum-v1",
  "MountainCarContinuous-v0",
  "Point1D-v0",
  "CartPoleSwingUp-v0",
  "LinearQuadratic-v0",
];
for (const id of DIFF_IDS) {
  const env = makeDifferentiable(id);
  const s0 = env.initialStates(new Rng(0), N);
  const od = env.dynamics.obsDim;
  const params: Record<string, Tensor> = {};
  for (let k = 0; k < od; k++) params[`w${k}`] = tensor(-0.1);
  const ws = (q: Record<string, Tensor>) => Array.from({ length: od }, (_, k) => q[`w${k}`]);
  const vg = valueAndGrad((q) => rollout(env, s0, ws(q)));
  const fwd = timeLoop(() => {
    const t0 = performance.now();
    rollout(env, s0, ws(params));
    return { steps: N * H, ms: performance.now() - t0 };
  }, 1).counted;
  const both = timeLoop(() => {
    const t0 = performance.now();
    vg(params);
    return { steps: N * H, ms: performance.now() - t0 };
  }, 1).counted;
  // The same per second of this process's CPU time (all its threads, the collector's included):
  // less moved by other processes on shared cores than the wall clock.
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  let calls = 0;
  while (performance.now() - w0 < 1000) {
    vg(params);
    calls++;
  }
  const c = process.cpuUsage(c0);
  const bothCpu = (calls * N * H) / ((c.user + c.system) / 1e6);
  tensorRates[id] = {
    forward: Math.round(fwd),
    forward_backward: Math.round(both),
    forward_backward_cpu: Math.round(bothCpu),
  };
  console.log(`${id.padEnd(26)}${fmt(fwd, 9)} ${fmt(both, 9)} ${fmt(bothCpu, 12)}`);
}
const pend = tensorRates["Pendulum-v1"];
console.log(
  `Pendulum-v1 forward+backward target >= 2M env steps/s at batch ${N}: ${pend.forward_backward >= 2e6 ? "met" : "NOT met"} by the wall clock (${(pend.forward_backward / 1e6).toFixed(2)}M), ${pend.forward_backward_cpu >= 2e6 ? "met" : "NOT met"} per CPU second (${(pend.forward_backward_cpu / 1e6).toFixed(2)}M)`,
);
console.log(
  `load average (1 min) ${load0.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end: wall-clock figures on shared cores`,
);
const cart = results["CartPole-v1"].vector64;
console.log(
  `CartPole-v1 vector64 target >= 20M steps/s on one core: ${cart >= 20e6 ? "met" : "NOT met"} (${(cart / 1e6).toFixed(1)}M)`,
);
console.log(
  JSON.stringify({
    bench: "envs",
    steps_per_s: results,
    paired_ratio_vs_main: paired,
    tensor_steps_per_s: tensorRates,
  }),
);
