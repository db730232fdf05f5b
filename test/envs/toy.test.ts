import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/core/rng.ts";
import { listEnvs, make } from "../../src/envs/registry.ts";
import { bandit } from "../../src/envs/toy/bandit.ts";
import { type FiniteMdpSpec, finiteMdp, solveLinear } from "../../src/envs/toy/finite-mdp.ts";
import { point1d } from "../../src/envs/toy/point.ts";
import { registerToyEnvs } from "../../src/envs/toy/register.ts";

/** A random MDP with S states (the last `numTerminal` terminal), A actions, dense transitions. */
function randomSpec(S: number, A: number, numTerminal: number, seed: number): FiniteMdpSpec {
  const rng = new Rng(seed);
  const transitions = Array.from({ length: S }, () =>
    Array.from({ length: A }, () => {
      const w = Array.from({ length: S }, () => rng.uniform() ** 2);
      const total = w.reduce((x, y) => x + y, 0);
      return w.map((x) => x / total);
    }),
  );
  const rewards = Array.from({ length: S }, () => Array.from({ length: A }, () => rng.normal()));
  const terminal = Array.from({ length: S }, (_, s) => s >= S - numTerminal);
  const w = Array.from({ length: S }, (_, s) => (terminal[s] ? 0 : 0.2 + rng.uniform()));
  const total = w.reduce((x, y) => x + y, 0);
  return { transitions, rewards, initial: w.map((x) => x / total), terminal };
}

function randomTheta(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => rng.normal());
}

/** max |a - b| / max(|b|, floor): relative error with a floor for entries near zero. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor: number): number {
  let worst = 0;
  let scale = floor;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / scale);
  return worst;
}

function finiteDifference(f: (x: Float64Array) => number, x: Float64Array, h: number) {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const p = x.slice();
    const m = x.slice();
    p[i] += h;
    m[i] -= h;
    g[i] = (f(p) - f(m)) / (2 * h);
  }
  return g;
}

test("solveLinear solves a system that needs pivoting (zero leading entry)", () => {
  // a x = b with x = [1, -2, 3]; a[0][0] = 0 forces a row swap.
  const a = [0, 2, 1, 1, 1, 1, 2, -1, 4];
  const x = [1, -2, 3];
  const b = [0 * 1 + 2 * -2 + 1 * 3, 1 - 2 + 3, 2 + 2 + 12];
  const got = solveLinear(a, b, 3);
  assert.ok(relErr(got, x, 1) < 1e-14, `got ${Array.from(got)}`);
  assert.deepEqual(a, [0, 2, 1, 1, 1, 1, 2, -1, 4], "inputs are not modified");
  assert.throws(() => solveLinear([1, 2, 2, 4], [1, 1], 2), /singular/);
});

test("solveLinear matches a random 12x12 system to 1e-12 (residual)", () => {
  const rng = new Rng(5);
  const n = 12;
  const a = Float64Array.from({ length: n * n }, () => rng.normal());
  const x = Float64Array.from({ length: n }, () => rng.normal());
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i] += a[i * n + j] * x[j];
  assert.ok(relErr(solveLinear(a, b, n), x, 1) < 1e-12);
});

test("finiteMdp rejects bad tables, naming the table, the index and the problem", () => {
  const ok = randomSpec(3, 2, 1, 1);
  const bad = (patch: Partial<FiniteMdpSpec>, pattern: RegExp) =>
    assert.throws(() => finiteMdp({ ...ok, ...patch }), pattern);
  const rows = ok.transitions.map((r) => r.map((p) => [...p]));
  rows[1][0][2] += 0.01;
  bad({ transitions: rows }, /transitions\[1\]\[0\] sums to 1\.01.*expected 1 \(within 1e-9\)/);
  const neg = ok.transitions.map((r) => r.map((p) => [...p]));
  neg[0][1] = [1.5, -0.5, 0];
  bad(
    { transitions: neg },
    /transitions\[0\]\[1\]\[1\] is -0\.5, expected a finite probability >= 0/,
  );
  const short = ok.transitions.map((r) => r.map((p) => [...p]));
  short[2][1] = [0.5, 0.5];
  bad({ transitions: short }, /transitions\[2\]\[1\] .*expected 3 probabilities/);
  const oneAction = [ok.transitions[0], ok.transitions[1], [ok.transitions[2][0]]];
  bad({ transitions: oneAction }, /transitions\[2\] .*expected 2 rows/);
  bad(
    {
      rewards: [
        [0, 0],
        [0, Number.NaN],
        [0, 0],
      ],
    },
    /rewards\[1\]\[1\] is NaN, expected a finite number/,
  );
  bad(
    {
      rewards: [
        [0, 0],
        [0, 0],
      ],
    },
    /rewards must have 3 rows/,
  );
  bad({ initial: [0.5, 0.6, 0] }, /initial sums to 1\.1, expected 1/);
  bad({ initial: [0.5, 0, 0.5] }, /initial\[2\] is 0\.5 but state 2 is terminal/);
  bad({ terminal: [false, true] }, /terminal must have 3 entries/);
  bad({ gamma: 1.5 }, /gamma must be a number in \[0, 1\], got 1\.5/);
  bad({ maxEpisodeSteps: 0 }, /maxEpisodeSteps must be a positive integer, got 0/);
  // Terminal rows may be all zero: they are never used.
  const zeroTerminal = ok.transitions.map((r) => r.map((p) => [...p]));
  zeroTerminal[2] = [
    [0, 0, 0],
    [0, 0, 0],
  ];
  assert.doesNotThrow(() => finiteMdp({ ...ok, transitions: zeroTerminal }));
});

test("finiteMdp with gamma = 1 requires every state to reach a terminal state", () => {
  // State 1 loops on itself under every action and never terminates.
  const spec: FiniteMdpSpec = {
    transitions: [
      [
        [0, 1, 0],
        [0, 0, 1],
      ],
      [
        [0, 1, 0],
        [0, 1, 0],
      ],
      [
        [0, 0, 1],
        [0, 0, 1],
      ],
    ],
    rewards: [
      [0, 0],
      [1, 1],
      [0, 0],
    ],
    initial: [1, 0, 0],
    terminal: [false, false, true],
  };
  assert.throws(() => finiteMdp(spec), /state\(s\) 1 cannot.*gamma < 1/);
  assert.doesNotThrow(() => finiteMdp({ ...spec, gamma: 0.9 }));
});

test("exactObjective of a two-state chain matches the closed form", () => {
  // s0: action 0 pays 1 and stays (prob 1), action 1 pays 0 and ends. With gamma and the uniform
  // policy: V0 = 0.5 (1 + gamma V0) => V0 = 0.5 / (1 - 0.5 gamma).
  const gamma = 0.9;
  const mdp = finiteMdp({
    transitions: [
      [
        [1, 0],
        [0, 1],
      ],
      [
        [0, 1],
        [0, 1],
      ],
    ],
    rewards: [
      [1, 0],
      [0, 0],
    ],
    initial: [1, 0],
    terminal: [false, true],
    gamma,
  });
  const theta = new Float64Array(4);
  const v0 = 0.5 / (1 - 0.5 * gamma);
  assert.ok(Math.abs(mdp.exactObjective(theta) - v0) < 1e-14);
  // dJ/dtheta[0,0] = d(0) pi (Q - V) with d(0) = 1 / (1 - 0.5 gamma), Q(0,0) = 1 + gamma V0.
  const d = 1 / (1 - 0.5 * gamma);
  const g = mdp.exactGradient(theta);
  assert.ok(Math.abs(g[0] - d * 0.5 * (1 + gamma * v0 - v0)) < 1e-14);
  assert.ok(Math.abs(g[0] + g[1]) < 1e-14, "softmax gradients sum to zero per state");
  assert.deepEqual(Array.from(g.subarray(2)), [0, 0], "terminal state has no gradient");
});

for (const [label, gamma, terminals] of [
  ["gamma 0.9, no terminal states", 0.9, 0],
  ["gamma 1, two terminal states", 1, 2],
  ["gamma 0.95, one terminal state", 0.95, 1],
] as const) {
  test(`exactGradient equals central finite differences of exactObjective (${label}; rel err <= 1e-6)`, () => {
    const S = 6;
    const A = 3;
    const mdp = finiteMdp({ ...randomSpec(S, A, terminals, 10 + terminals), gamma });
    const theta = randomTheta(S * A, 3);
    const exact = mdp.exactGradient(theta);
    const fd = finiteDifference((x) => mdp.exactObjective(x), theta, 1e-5);
    const err = relErr(exact, fd, 1e-3);
    assert.ok(err <= 1e-6, `relative error ${err}`);
    assert.ok(Math.max(...exact.map(Math.abs)) > 1e-3, "gradient is not trivially zero");
  });
}

test("finite-horizon exactGradient equals central finite differences (H = 7; rel err <= 1e-6)", () => {
  const mdp = finiteMdp({ ...randomSpec(5, 2, 1, 21), gamma: 0.97 });
  const theta = randomTheta(10, 4);
  const exact = mdp.exactGradient(theta, 7);
  const fd = finiteDifference((x) => mdp.exactObjective(x, 7), theta, 1e-5);
  assert.ok(relErr(exact, fd, 1e-3) <= 1e-6, `relative error ${relErr(exact, fd, 1e-3)}`);
});

test("a long finite horizon converges to the infinite-horizon objective and gradient (1e-10)", () => {
  const mdp = finiteMdp({ ...randomSpec(5, 3, 0, 8), gamma: 0.8 });
  const theta = randomTheta(15, 9);
  // gamma^400 ~ 1e-39: the tail is far below the tolerance.
  assert.ok(Math.abs(mdp.exactObjective(theta, 400) - mdp.exactObjective(theta)) < 1e-10);
  assert.ok(relErr(mdp.exactGradient(theta, 400), mdp.exactGradient(theta), 1) < 1e-10);
  assert.equal(mdp.exactObjective(theta, 0), 0);
});

test("exactValues satisfy the Bellman equation V(s) = sum_a pi(a|s) Q(s,a) (1e-12)", () => {
  const mdp = finiteMdp({ ...randomSpec(4, 2, 1, 30), gamma: 1 });
  const { value, q, policy, visitation } = mdp.exactValues(randomTheta(8, 2));
  for (let s = 0; s < 3; s++) {
    const v = policy[2 * s] * q[2 * s] + policy[2 * s + 1] * q[2 * s + 1];
    assert.ok(Math.abs(v - value[s]) < 1e-12);
    assert.ok(visitation[s] > 0);
  }
  assert.equal(value[3], 0);
});

test("exactGradient rejects theta of the wrong size or with NaN", () => {
  const mdp = finiteMdp(randomSpec(3, 2, 1, 1));
  assert.throws(() => mdp.exactGradient(new Float64Array(5)), /theta must have 6 elements/);
  assert.throws(
    () => mdp.exactObjective(Float64Array.from([0, 0, Number.NaN, 0, 0, 0])),
    /theta\[2\] is NaN/,
  );
  assert.throws(
    () => mdp.exactObjective(new Float64Array(6), 2.5),
    /horizon must be a non-negative integer/,
  );
});

/** Mean and standard error of discounted returns of the softmax policy on the env. */
function monteCarlo(
  spec: FiniteMdpSpec,
  theta: Float64Array,
  episodes: number,
  gamma: number,
  seed: number,
) {
  const mdp = finiteMdp(spec);
  const { env, numActions: A } = mdp;
  const rng = new Rng(seed + 1);
  const probs = new Float64Array(A);
  let sum = 0;
  let sumSq = 0;
  env.reset({ seed });
  for (let e = 0; e < episodes; e++) {
    let obs = e === 0 ? env.reset({ seed }).observation : env.reset().observation;
    let ret = 0;
    let discount = 1;
    for (;;) {
      const s = obs.indexOf(1);
      let max = -Infinity;
      for (let a = 0; a < A; a++) max = Math.max(max, theta[s * A + a]);
      for (let a = 0; a < A; a++) probs[a] = Math.exp(theta[s * A + a] - max);
      const step = env.step(rng.categorical(probs));
      ret += discount * step.reward;
      discount *= gamma;
      obs = step.observation;
      if (step.terminated || step.truncated) break;
    }
    sum += ret;
    sumSq += ret * ret;
  }
  const mean = sum / episodes;
  const variance = (sumSq - episodes * mean * mean) / (episodes - 1);
  return { mean, se: Math.sqrt(variance / episodes), mdp };
}

test("exactObjective matches Monte Carlo rollouts of the env (gamma 1, within 4 standard errors)", () => {
  const spec = randomSpec(5, 3, 2, 40);
  const theta = randomTheta(15, 41);
  const { mean, se, mdp } = monteCarlo(spec, theta, 20000, 1, 7);
  const exact = mdp.exactObjective(theta);
  assert.ok(Math.abs(mean - exact) <= 4 * se, `MC ${mean} +- ${se}, exact ${exact}`);
  assert.ok(se < 0.05, `standard error ${se} small enough to make the test meaningful`);
});

test("finite-horizon exactObjective matches Monte Carlo of a time-limited env (H = 4, within 4 SE)", () => {
  const spec = { ...randomSpec(4, 2, 0, 50), gamma: 0.9, maxEpisodeSteps: 4 };
  const theta = randomTheta(8, 51);
  const { mean, se, mdp } = monteCarlo(spec, theta, 20000, 0.9, 8);
  const exact = mdp.exactObjective(theta, 4);
  assert.ok(Math.abs(mean - exact) <= 4 * se, `MC ${mean} +- ${se}, exact ${exact}`);
  // The infinite-horizon value is far from the truncated one: the horizon matters here.
  assert.ok(Math.abs(mdp.exactObjective(theta) - exact) > 10 * se);
});

test("FiniteMdpEnv: one-hot observations, terminal flags, seeded determinism, state reset", () => {
  const mdp = finiteMdp({ ...randomSpec(4, 2, 1, 60), maxEpisodeSteps: 50 });
  const env = mdp.env;
  assert.equal(env.observationSpace.kind, "box");
  assert.deepEqual(env.observationSpace.shape, [4]);
  assert.equal(env.actionSpace.n, 2);
  const run = (seed: number) => {
    const trace: number[] = [];
    let obs = env.reset({ seed }).observation;
    trace.push(obs.indexOf(1));
    for (let i = 0; i < 200; i++) {
      const step = env.step(i % 2);
      obs = step.observation;
      assert.equal(
        obs.reduce((x, y) => x + y, 0),
        1,
        "one-hot",
      );
      assert.equal(step.terminated, obs[3] === 1, "terminated exactly on entering state 3");
      trace.push(obs.indexOf(1), step.reward);
      if (step.terminated || step.truncated) obs = env.reset().observation;
    }
    return trace;
  };
  const a = run(3);
  assert.deepEqual(run(3), a);
  assert.notDeepEqual(run(4), a);
  assert.equal(env.reset({ options: { state: [2] } }).observation[2], 1);
  assert.equal(env.state, 2);
  assert.throws(() => env.reset({ options: { state: [3] } }), /non-terminal state index/);
});

test("FiniteMdpEnv errors: bad action, step before reset, step after the episode ended", () => {
  const spec: FiniteMdpSpec = {
    transitions: [
      [
        [0, 1],
        [0, 1],
      ],
      [
        [0, 1],
        [0, 1],
      ],
    ],
    rewards: [
      [1, 2],
      [0, 0],
    ],
    initial: [1, 0],
    terminal: [false, true],
    id: "Tiny",
  };
  const env = finiteMdp(spec).env;
  assert.throws(() => env.step(0), /Tiny: step\(\) called before reset\(\)/);
  env.reset({ seed: 0 });
  assert.throws(() => env.step(2), /Tiny: invalid action 2 for action space Discrete\(2\)/);
  assert.throws(() => env.step(0.5), /invalid action 0\.5/);
  const step = env.step(1);
  assert.equal(step.reward, 2);
  assert.equal(step.terminated, true);
  assert.equal(step.truncated, false);
  assert.throws(() => env.step(0), /after the episode ended/);
});

test("time limit: truncated at maxEpisodeSteps", () => {
  const env = finiteMdp({ ...randomSpec(3, 2, 0, 70), gamma: 0.9, maxEpisodeSteps: 5 }).env;
  env.reset({ seed: 1 });
  for (let i = 0; i < 4; i++) assert.equal(env.step(0).truncated, false);
  const last = env.step(0);
  assert.equal(last.truncated, true);
  assert.equal(last.terminated, false);
});

test("bandit: one-step episodes, constant observation, Gaussian rewards with the right moments", () => {
  const env = bandit([0, 0.5, 2], [1, 0, 0.5]);
  assert.equal(env.actionSpace.n, 3);
  assert.deepEqual(Array.from(env.reset({ seed: 1 }).observation), [1]);
  const n = 20000;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    env.reset();
    const step = env.step(2);
    assert.equal(step.terminated, true);
    assert.equal(step.truncated, false);
    sum += step.reward;
    sumSq += step.reward * step.reward;
  }
  const mean = sum / n;
  const std = Math.sqrt(sumSq / n - mean * mean);
  // Mean within 4 standard errors (0.5 / sqrt(n)); std within 3% (its standard error is ~0.5%).
  assert.ok(Math.abs(mean - 2) < (4 * 0.5) / Math.sqrt(n), `mean ${mean}`);
  assert.ok(Math.abs(std - 0.5) < 0.015, `std ${std}`);
  env.reset();
  assert.equal(env.step(1).reward, 0.5, "std 0 pays the mean exactly");
  assert.throws(() => env.step(1), /after the episode ended/);
  env.reset();
  assert.throws(() => env.step(3), /Bandit: invalid action 3 for action space Discrete\(3\)/);
});

test("bandit: seeded determinism and input validation", () => {
  const env = bandit([1, 2]);
  const run = (seed: number) => {
    env.reset({ seed });
    const out = [env.step(0).reward];
    for (let i = 0; i < 10; i++) {
      env.reset();
      out.push(env.step(i % 2).reward);
    }
    return out;
  };
  assert.deepEqual(run(5), run(5));
  assert.notDeepEqual(run(5), run(6));
  assert.throws(() => bandit([]), /means must be a non-empty array/);
  assert.throws(() => bandit([0, Number.NaN]), /means\[1\] is NaN/);
  assert.throws(() => bandit([0, 1], [1]), /stds must be a number or 2 numbers/);
  assert.throws(() => bandit([0, 1], -1), /stds\[0\] is -1, expected a finite number >= 0/);
});

test("bandit exactGradient equals finite differences and exactObjective the policy's mean reward", () => {
  const env = bandit([0.3, -1, 2, 0.7]);
  const theta = randomTheta(4, 12);
  const fd = finiteDifference((x) => env.exactObjective(x), theta, 1e-5);
  assert.ok(relErr(env.exactGradient(theta), fd, 1e-3) <= 1e-6);
  assert.ok(
    Math.abs(env.exactObjective(new Float64Array(4)) - 0.5) < 1e-15,
    "uniform: mean of means",
  );
});

test("Point1D: clipped velocity, walls, reward -(x' - target)^2, time limit 30, never terminates", () => {
  const env = point1d();
  assert.deepEqual(Array.from(env.actionSpace.kind === "box" ? env.actionSpace.high : []), [1]);
  env.reset({ options: { state: [0.5, -0.3] } });
  let step = env.step([3]); // clipped to 1: x = 0.5 + 0.2
  assert.ok(Math.abs(step.observation[0] - 0.7) < 1e-15);
  assert.equal(step.observation[1], -0.3);
  assert.ok(Math.abs(step.reward + 1.0 * 1.0) < 1e-12);
  env.reset({ options: { state: [1.95, 0] } });
  assert.equal(env.step([1]).observation[0], 2, "wall at 2");
  env.reset({ seed: 0 });
  for (let t = 1; t <= 30; t++) {
    step = env.step([0]);
    assert.equal(step.terminated, false);
    assert.equal(step.truncated, t === 30);
  }
  assert.throws(() => env.step([Number.NaN]), /Point1D-v0/);
  assert.throws(() => point1d({ speed: -1 }), /speed must be > 0/);
  assert.throws(() => point1d({ sped: 1 }), /unknown option "sped"/);
});

test("Point1D: a proportional controller beats the reward threshold, random and idle policies do not", () => {
  const env = point1d();
  const evaluate = (policy: (obs: Float64Array, rng: Rng) => number) => {
    const rng = new Rng(1);
    let total = 0;
    env.reset({ seed: 2 });
    for (let e = 0; e < 300; e++) {
      let obs = env.reset().observation;
      for (;;) {
        const step = env.step([policy(obs, rng)]);
        total += step.reward;
        obs = step.observation;
        if (step.terminated || step.truncated) break;
      }
    }
    return total / 300;
  };
  const threshold = env.rewardThreshold as number;
  // Margins are several standard errors of a 300-episode mean (returns have std < 3).
  assert.ok(evaluate((o) => 5 * (o[1] - o[0])) > -1.4);
  assert.ok(evaluate((o, r) => 5 * (o[1] - o[0]) + r.normal()) > threshold);
  assert.ok(evaluate((o) => 0.5 * (o[1] - o[0])) < threshold);
  assert.ok(evaluate(() => 0) < -15);
  assert.ok(evaluate((_o, r) => r.uniformRange(-1, 1)) < -15);
});

test("the registry makes Bandit-v0 (with options) and Point1D-v0", () => {
  const b = make("Bandit-v0", { means: [5, 6], stds: 0 });
  assert.equal(b.id, "Bandit-v0");
  b.reset({ seed: 0 });
  assert.equal(b.step(1).reward, 6);
  assert.deepEqual(make("Bandit-v0").actionSpace, { kind: "discrete", n: 3, start: 0 });
  assert.throws(() => make("Bandit-v0", { mean: [1] }), /Bandit-v0: unknown option "mean"/);
  const p = make("Point1D-v0");
  assert.equal(p.maxEpisodeSteps, 30);
  assert.equal(p.rewardThreshold, -2);
  registerToyEnvs(); // idempotent
  assert.equal(listEnvs().filter((id) => id === "Point1D-v0").length, 1);
});

test("finiteMdp.makeEnv returns independent envs (one per vector-env slot)", () => {
  const mdp = finiteMdp(randomSpec(3, 2, 1, 80));
  const a = mdp.makeEnv();
  const b = mdp.makeEnv();
  assert.notEqual(a, b);
  assert.notEqual(a, mdp.env);
  a.reset({ seed: 1 });
  b.reset({ seed: 1 });
  let ended = false;
  for (let i = 0; i < 50 && !ended; i++) {
    const sa = a.step(0);
    const sb = b.step(0);
    assert.deepEqual(sa.observation, sb.observation);
    ended = sa.terminated || sa.truncated;
  }
  assert.ok(ended);
  b.reset({ seed: 2 });
  assert.throws(() => a.step(0), /after the episode ended/, "b's reset does not touch a");
});
