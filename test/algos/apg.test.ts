import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  type ApgCheckpoint,
  type ApgMetrics,
  apg,
  apgPolicySpecFor,
  policyActions,
  type WindowOptions,
  windowLoss,
} from "../../src/algos/apg.ts";
import { evaluate } from "../../src/algos/evaluate.ts";
import { createPolicy, type PolicySpec } from "../../src/algos/policy.ts";
import { APG_ENV_PRESETS } from "../../src/algos/presets.ts";
import type { TrainMetrics } from "../../src/algos/trainer.ts";
import { valueAndGrad } from "../../src/core/grad.ts";
import { add, mean, mul } from "../../src/core/ops.ts";
import { Rng } from "../../src/core/rng.ts";
import { type Params, Tensor } from "../../src/core/tensor.ts";
import { pendulumDynamics } from "../../src/envs/classic/pendulum.ts";
import { columnPhysics } from "../../src/envs/columns.ts";
import { type DifferentiableEnv, detach, makeDifferentiable } from "../../src/envs/diff.ts";
import type { Dynamics } from "../../src/envs/num.ts";
import { PhysicsEnv } from "../../src/envs/physics.ts";
import { listEnvs } from "../../src/envs/registry.ts";
import { lqOptimalGain, lqReturn } from "../../src/envs/toy/linear_quadratic.ts";
import { loadCheckpoint, saveCheckpoint } from "../../src/io/checkpoint.ts";

/** Every registered env whose float64 variant APG can train on (differentiable, Box actions). */
function apgEnvIds(): string[] {
  return listEnvs().filter((id) => {
    try {
      const env = makeDifferentiable(id, { float32: false });
      return env.dynamics.actionSpace(env.params).kind === "box";
    } catch {
      return false;
    }
  });
}

/** A policy with its parameters moved off the init, so tanh and the dynamics are not near 0. */
function testPolicy(env: DifferentiableEnv, hiddenSizes: number[], seed = 1) {
  const spec = apgPolicySpecFor({ hiddenSizes, activation: "tanh", initLogStd: -1 }, env);
  const { params } = createPolicy(spec, new Rng(seed));
  for (const k in params) {
    const d = params[k].data;
    for (let i = 0; i < d.length; i++) d[i] += 0.3 * Math.sin(3 * i + k.length);
  }
  return { spec, params };
}

function normals(n: number, seed: number): Float64Array {
  const r = new Rng(seed);
  return Float64Array.from({ length: n }, () => r.normal());
}

/** Central differences of f at p along every parameter entry. */
function centralDiff(f: (p: Params) => number, p: Params, h: number): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const k in p) {
    const d = p[k].data;
    out[k] = [];
    for (let i = 0; i < d.length; i++) {
      const o = d[i];
      d[i] = o + h;
      const fp = f(p);
      d[i] = o - h;
      const fm = f(p);
      d[i] = o;
      out[k].push((fp - fm) / (2 * h));
    }
  }
  return out;
}

/** max |a - b| / max |b| over every entry. */
function relErr(a: Record<string, Float64Array>, b: Record<string, number[]>): number {
  let diff = 0;
  let scale = 0;
  for (const k in b) {
    for (let i = 0; i < b[k].length; i++) {
      diff = Math.max(diff, Math.abs(a[k][i] - b[k][i]));
      scale = Math.max(scale, Math.abs(b[k][i]));
    }
  }
  return diff / scale;
}

const H = 12;
const B = 3;

test("apg: the full-window gradient equals central differences on the float64 variant of every differentiable env (rel <= 1e-5)", () => {
  const ids = apgEnvIds();
  for (const id of [
    "Pendulum-v1",
    "LinearQuadratic-v0",
    "CartPoleSwingUp-v0",
    "MountainCarContinuous-v0",
  ]) {
    assert.ok(ids.includes(id), `${id} should be an APG env; got ${ids.join(", ")}`);
  }
  for (const id of ids) {
    const env = makeDifferentiable(id, { float32: false });
    const { spec, params } = testPolicy(env, [6]);
    const start = env.initialStates(new Rng(2), B);
    const noise = normals(H * B * env.dynamics.actDim, 3);
    const opts: WindowOptions = { horizon: H, gamma: 0.97, stateGrad: "full", reward: "outcome" };
    const vg = valueAndGrad((p) => windowLoss(env, spec, p, start, noise, opts).loss);
    const { grads } = vg(params);
    const fd = centralDiff((p) => vg(p).value, params, 1e-6);
    const err = relErr(grads, fd);
    assert.ok(err <= 1e-5, `${id}: relative error ${err}`);
  }
});

test("apg: the detach gradient equals central differences of its surrogate, the rollout's states held fixed", () => {
  for (const id of ["Pendulum-v1", "LinearQuadratic-v0", "CartPoleSwingUp-v0"]) {
    const env = makeDifferentiable(id, { float32: false });
    const { spec, params } = testPolicy(env, [6]);
    const start = env.initialStates(new Rng(4), B);
    const noise = normals(H * B, 5);
    // The states the detach rollout visits, as constants.
    const visited: Tensor[][] = [];
    const record: WindowOptions = {
      horizon: H,
      gamma: 0.97,
      stateGrad: "detach",
      reward: "outcome",
      afterStep: (s) => {
        visited.push(detach(s.transition.next));
        return undefined;
      },
    };
    const { grads } = valueAndGrad((p) => windowLoss(env, spec, p, start, noise, record).loss)(
      params,
    );
    // The surrogate: every step starts from the visited state whatever theta is.
    const surrogate: WindowOptions = {
      horizon: H,
      gamma: 0.97,
      stateGrad: "full",
      reward: "outcome",
      afterStep: (s) => {
        const states = visited[s.t];
        return { states, obs: env.observe(states) };
      },
    };
    const f = valueAndGrad((p) => windowLoss(env, spec, p, start, noise, surrogate).loss);
    const fd = centralDiff((p) => f(p).value, params, 1e-6);
    const err = relErr(grads, fd);
    assert.ok(err <= 1e-5, `${id}: relative error ${err}`);
  }
});

test("apg: detach and full give the same gradient on a one-step window and different ones on longer windows", () => {
  for (const id of ["Pendulum-v1", "LinearQuadratic-v0"]) {
    const env = makeDifferentiable(id);
    const { spec, params } = testPolicy(env, [6]);
    const start = env.initialStates(new Rng(6), 8);
    const noise = normals(H * 8, 7);
    const gradOf = (stateGrad: "full" | "detach", horizon: number) =>
      valueAndGrad(
        (p) =>
          windowLoss(env, spec, p, start, noise, {
            horizon,
            gamma: 0.99,
            stateGrad,
            reward: "outcome",
          }).loss,
      )(params).grads;
    assert.deepEqual(gradOf("full", 1), gradOf("detach", 1), `${id}: one-step window`);
    const full = gradOf("full", H);
    const det = gradOf("detach", H);
    const fd: Record<string, number[]> = {};
    for (const k in det) fd[k] = Array.from(det[k]);
    const gap = relErr(full, fd);
    assert.ok(gap > 0.05, `${id}: detach and full should differ over ${H} steps, rel gap ${gap}`);
  }
});

test("apg: the literal r(sg[s_t], a_t) on Pendulum's pre-step reward leaves only the action cost's gradient", () => {
  const env = makeDifferentiable("Pendulum-v1", { float32: false });
  const { spec, params } = testPolicy(env, [6]);
  const start = env.initialStates(new Rng(8), B);
  const noise = normals(H * B, 9);
  const visited: Tensor[][] = [detach(start)];
  const literal = valueAndGrad(
    (p) =>
      windowLoss(env, spec, p, start, noise, {
        horizon: H,
        gamma: 0.9,
        stateGrad: "detach",
        reward: "env",
        afterStep: (s) => {
          if (visited.length <= s.t + 1) visited.push(detach(s.transition.next));
          return undefined;
        },
      }).loss,
  )(params).grads;
  // -sum_t 0.9^t mean(-0.001 a_t^2) at the same states and noise (the torque is inside +-2).
  const actionCost = valueAndGrad((p) => {
    let total: Tensor | null = null;
    for (let t = 0; t < H; t++) {
      const eps = new Tensor(noise.subarray(t * B, (t + 1) * B), [B, 1]);
      const [a] = policyActions(p, spec, env.observe(visited[t]), eps);
      const c = mul(mean(mul(a, a)), Math.fround(0.001) * 0.9 ** t);
      total = total === null ? c : add(total, c);
    }
    return total as Tensor;
  })(params).grads;
  const ref: Record<string, number[]> = {};
  for (const k in actionCost) ref[k] = Array.from(actionCost[k]);
  assert.ok(relErr(literal, ref) <= 1e-12, `relative error ${relErr(literal, ref)}`);
  // The outcome-scored detach gradient is not that: it sees where the torque sends the pendulum.
  const outcome = valueAndGrad(
    (p) =>
      windowLoss(env, spec, p, start, noise, {
        horizon: H,
        gamma: 0.9,
        stateGrad: "detach",
        reward: "outcome",
      }).loss,
  )(params).grads;
  assert.ok(relErr(outcome, ref) > 1, `outcome vs action cost: ${relErr(outcome, ref)}`);
});

test("apg: on the LQ task the whole-episode gradient of a linear policy equals the exported recursion", () => {
  const env = makeDifferentiable("LinearQuadratic-v0");
  const spec = apgPolicySpecFor({ hiddenSizes: [], activation: "tanh", initLogStd: 0 }, env);
  const K = [3, 2.5];
  // u = x W + b with W = -K^T, b = 0.
  const params: Params = {
    "policy.0.weight": new Tensor(Float64Array.of(-K[0], -K[1]), [2, 1]),
    "policy.0.bias": new Tensor(Float64Array.of(0), [1]),
    "policy.logStd": new Tensor(Float64Array.of(0), [1]),
  };
  const Bq = 16;
  const start = env.initialStates(new Rng(10), Bq);
  const { value, grads } = valueAndGrad(
    (p) =>
      windowLoss(env, spec, p, start, null, {
        horizon: 200,
        gamma: 0.99,
        stateGrad: "full",
        reward: "env",
      }).loss,
  )(params);
  // The exact value for these starts: Sigma0 = mean of x0 x0^T.
  const s = [0, 0, 0, 0];
  for (let i = 0; i < Bq; i++) {
    const x = start[0].data[i];
    const v = start[1].data[i];
    s[0] += (x * x) / Bq;
    s[1] += (x * v) / Bq;
    s[2] += (x * v) / Bq;
    s[3] += (v * v) / Bq;
  }
  const exact = lqReturn(K, { sigma0: s });
  assert.ok(
    Math.abs(-value - exact.value) <= 1e-10 * Math.abs(exact.value),
    `${-value} vs ${exact.value}`,
  );
  // loss = -J and W = -K^T, so dloss/dW = dJ/dK^T.
  const g = grads["policy.0.weight"];
  for (let j = 0; j < 2; j++) {
    assert.ok(
      Math.abs(g[j] - exact.grad[j]) <= 1e-9 * Math.hypot(...exact.grad),
      `dJ/dK[${j}]: ${g[j]} vs ${exact.grad[j]}`,
    );
  }
});

test("apg: trains the LQ task's linear policy to K* within 1% with whole-episode windows", () => {
  const kStar = lqOptimalGain();
  // The env's preset: a linear deterministic policy, whole-episode windows of the env's reward.
  const preset = APG_ENV_PRESETS["LinearQuadratic-v0"].config;
  assert.equal(preset.window, 200);
  const { policy } = apg("LinearQuadratic-v0", { ...preset, seed: 0, evalEvery: 0 });
  const W = policy.params["policy.0.weight"].data;
  for (let j = 0; j < 2; j++) {
    const k = -W[j];
    assert.ok(
      Math.abs(k - kStar[j]) <= 0.01 * Math.abs(kStar[j]),
      `K[${j}] = ${k}, K* = ${kStar[j]}`,
    );
  }
});

test("apg: refuses discrete-action envs, saying why and what to use", () => {
  for (const id of ["CartPole-v1", "Acrobot-v1", "MountainCar-v0"]) {
    assert.throws(
      () => apg(id, { totalSteps: 1 }),
      /continuous.*--algo reinforce|--algo reinforce/s,
      id,
    );
  }
});

test("apg: with a long window and a large lr, clipping keeps the parameters finite while the pre-clip norm explodes", () => {
  const norms: number[] = [];
  const { policy } = apg(
    "Pendulum-v1",
    {
      seed: 0,
      window: 200,
      numEnvs: 4,
      lr: 1,
      gamma: 1,
      maxGradNorm: 1,
      lrSchedule: "constant",
      totalSteps: 4 * 200 * 6,
      evalEvery: 0,
    },
    { onMetrics: (m) => norms.push(m.gradNorm) },
  );
  assert.ok(Math.max(...norms) > 1e3, `the unrolled gradient should explode, norms ${norms}`);
  for (const k in policy.params) {
    assert.ok(policy.params[k].data.every(Number.isFinite), `${k} stays finite`);
  }
});

/** Pendulum whose reward turns NaN once its step counter (a third state component) reaches 7. */
const nanPendulum: Dynamics<typeof pendulumDynamics extends Dynamics<infer P> ? P : never> = {
  ...pendulumDynamics,
  name: "NanPendulum",
  stateDim: 3,
  initial(p, rng, s, i) {
    const row = new Float64Array(2);
    pendulumDynamics.initial(p, rng, row, 0);
    s[i * 3] = row[0];
    s[i * 3 + 1] = row[1];
    s[i * 3 + 2] = 0;
  },
  step(num, p, s, a) {
    const tr = pendulumDynamics.step(num, p, s.slice(0, 2), a);
    const count = num.add(s[2], 1);
    const reward = num.where(num.ge(count, 7), num.div(0, 0), tr.reward);
    return { next: [...tr.next, count], reward, terminated: 0 };
  },
  observe: (num, p, s) => pendulumDynamics.observe(num, p, s.slice(0, 2)),
};

test("apg: a NaN stops the run naming the step of the window; the last checkpoint stays finite and loadable", () => {
  const params = pendulumDynamics.params();
  const env = () => new PhysicsEnv("NanPendulum", columnPhysics(nanPendulum), params);
  const saved: ApgCheckpoint[] = [];
  assert.throws(
    () =>
      apg(
        env,
        { seed: 0, window: 3, numEnvs: 2, totalSteps: 1000, reward: "env", evalEvery: 0 },
        { onCheckpoint: (c) => saved.push(c), checkpointEvery: 1 },
      ),
    /update 3\b.*the reward at step 1 of the window is NaN/,
  );
  assert.equal(saved.length, 2);
  const dir = mkdtempSync(join(tmpdir(), "apg-nan-"));
  try {
    const last = saved[1];
    saveCheckpoint(join(dir, "checkpoints"), last, {
      algo: "apg",
      envId: "NanPendulum",
      update: 2,
      envSteps: 12,
    });
    const loaded = loadCheckpoint(join(dir, "checkpoints"));
    for (const k in last.params) assert.deepEqual(loaded.params[k].data, last.params[k].data);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("apg: the same seed gives bit-identical metrics, and resume continues exactly", () => {
  const cfg = { seed: 3, window: 8, numEnvs: 4, totalSteps: 4 * 8 * 6, evalEvery: 64 };
  const strip = (m: TrainMetrics<ApgMetrics>) => ({ ...m, wallTimeS: 0, stepsPerSecond: 0 });
  const a: TrainMetrics<ApgMetrics>[] = [];
  const saved: ApgCheckpoint[] = [];
  apg("Pendulum-v1", cfg, {
    onMetrics: (m) => a.push(strip(m)),
    onCheckpoint: (c) => saved.push(c),
    checkpointEvery: 3,
  });
  const b: TrainMetrics<ApgMetrics>[] = [];
  apg("Pendulum-v1", cfg, { onMetrics: (m) => b.push(strip(m)) });
  assert.deepEqual(a, b);
  const c: TrainMetrics<ApgMetrics>[] = [];
  apg("Pendulum-v1", {}, { resume: saved[0], onMetrics: (m) => c.push(strip(m)) });
  assert.deepEqual(c, a.slice(3));
});

test("apg: the policy's deterministic action is the one APG trains (squashed mean)", () => {
  const env = makeDifferentiable("Pendulum-v1");
  const { spec, params } = testPolicy(env, [4]);
  const states = env.initialStates(new Rng(11), 5);
  const [a] = policyActions(params, spec, env.observe(states), null);
  const policy = createPolicy(spec as PolicySpec, new Rng(1));
  for (const k in params) policy.params[k].data.set(params[k].data);
  const obs = new Float64Array(15);
  const o = env.observe(states);
  for (let i = 0; i < 5; i++) for (let k = 0; k < 3; k++) obs[i * 3 + k] = o[k].data[i];
  const out = new Float64Array(5);
  policy.act(obs, 5, new Rng(0), out, true);
  for (let i = 0; i < 5; i++) assert.ok(Math.abs(out[i] - a.data[i]) < 1e-12);
});

test("apg: learns Pendulum-v1 with the defaults: deterministic evaluation >= -200 over 100 episodes of the exact env", () => {
  const { policy } = apg("Pendulum-v1", { seed: 0, totalSteps: 100_000, evalEvery: 0 });
  const e = evaluate(policy, "Pendulum-v1", { episodes: 100, seed: 777, deterministic: true });
  assert.ok(e.returnMean >= -200, `mean return ${e.returnMean}`);
});

test("apg: swings the cart-pole up with its preset: deterministic evaluation above the -1000 threshold", () => {
  const preset = APG_ENV_PRESETS["CartPoleSwingUp-v0"].config;
  const { policy } = apg("CartPoleSwingUp-v0", { ...preset, seed: 0, evalEvery: 0 });
  const e = evaluate(policy, "CartPoleSwingUp-v0", {
    episodes: 20,
    seed: 777,
    deterministic: true,
  });
  assert.ok(e.returnMean >= -1000, `mean return ${e.returnMean}`);
});
