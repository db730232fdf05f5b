import assert from "node:assert/strict";
import { test } from "node:test";
import { createPolicy } from "../../src/algos/policy.ts";
import {
  createPolicyGradient,
  type ReinforceCheckpoint,
  type ReinforceConfig,
  reinforce,
  reinforcePolicy,
  resolveReinforceConfig,
  type UpdateMetrics,
  VANILLA,
} from "../../src/algos/reinforce.ts";
import {
  computeAdvantages,
  EpisodeEnd,
  NO_SIGNAL_NOTE,
  NO_SIGNAL_PERSIST,
  NO_SIGNAL_WARNING,
} from "../../src/algos/returns.ts";
import type { Batch } from "../../src/algos/rollout.ts";
import { Rng } from "../../src/core/rng.ts";
import { make } from "../../src/envs/registry.ts";
import { discrete } from "../../src/envs/spaces.ts";
import { paramsFromJson, paramsToJson } from "../../src/nn/params.ts";
import { CountEnv } from "./helpers.ts";

const { none: N, terminal: T, cut: C } = EpisodeEnd;

/** A hand-made batch: 1-d observations, actions given. */
function handBatch(
  obs: number[],
  actions: number[],
  rewards: number[],
  ends: number[],
  cuts: { index: number[]; obs: number[] } = { index: [], obs: [] },
  numEpisodes = 2,
): Batch {
  return {
    size: rewards.length,
    obs: Float64Array.from(obs),
    actions: Float64Array.from(actions),
    masks: null,
    rewards: Float64Array.from(rewards),
    ends: Uint8Array.from(ends),
    cutObs: Float64Array.from(cuts.obs),
    cutIndex: Int32Array.from(cuts.index),
    episodeReturns: new Float64Array(0),
    episodeLengths: new Float64Array(0),
    numEpisodes,
    laneOffsets: Int32Array.of(0, rewards.length),
  };
}

function buffers(n: number) {
  return {
    advantages: new Float64Array(n),
    valueTargets: new Float64Array(n),
    bootstrap: new Float64Array(n),
  };
}

const cfgOf = (o: Partial<ReinforceConfig>) => resolveReinforceConfig(o);

test("computeAdvantages: each option by hand", () => {
  // Two segments: [1, 2] terminal, [3] cut with V(next) = 10; gamma 0.5.
  const b = handBatch([0, 0, 0], [0, 0, 0], [1, 2, 3], [N, T, C], { index: [2], obs: [0] });
  const base = { gamma: 0.5, normalizeAdvantages: false, bootstrapTruncated: true } as const;
  const run = (o: Partial<ReinforceConfig>, values: number[] | null = null) =>
    Array.from(
      computeAdvantages(
        b,
        cfgOf({ ...base, ...o }),
        values ? Float64Array.from(values) : null,
        values ? Float64Array.from([10]) : null,
        buffers(3),
      ).advantages,
    );
  // Full return: ep1 = 1 + .5*2 = 2 at both steps; ep2 = 3 (no bootstrap without V).
  assert.deepEqual(run({ returnMode: "full", baseline: "none" }), [2, 2, 3]);
  // Reward-to-go: [2, 2, 3].
  assert.deepEqual(run({ returnMode: "reward-to-go", baseline: "none" }), [2, 2, 3]);
  // Leave-one-out batch mean of the reward-to-go: seg1 b = 3, seg2 b = (2 + 2) / 2 = 2.
  assert.deepEqual(run({ returnMode: "reward-to-go", baseline: "batch-mean" }), [-1, -1, 1]);
  // Value baseline with bootstrap: G = [1 + .5*2, 2, 3 + .5*10] = [2, 2, 8]; minus V = [1, 0, 2].
  assert.deepEqual(run({ baseline: "value" }, [1, 0, 2]), [1, 2, 6]);
  // Without bootstrapping the cut contributes 0.
  assert.deepEqual(run({ baseline: "value", bootstrapTruncated: false }, [1, 0, 2]), [1, 2, 1]);
  // GAE lambda 0: TD errors [1 + .5*0 - 1, 2 - 0, 3 + .5*10 - 2] = [0, 2, 6].
  assert.deepEqual(run({ baseline: "value", gaeLambda: 0 }, [1, 0, 2]), [0, 2, 6]);
  // Normalization: mean 0, population std 1.
  const n = run({ returnMode: "reward-to-go", baseline: "none", normalizeAdvantages: true });
  const m = n.reduce((a, x) => a + x, 0) / 3;
  const s = Math.sqrt(n.reduce((a, x) => a + (x - m) ** 2, 0) / 3);
  assert.ok(Math.abs(m) < 1e-12 && Math.abs(s - 1) < 1e-6, `mean ${m}, std ${s}`);
});

test("the loss gradient is minus (1/N) sum_t grad log pi(a_t|s_t) Psi_t, checked by hand", () => {
  // Linear policy on one-hot obs of 2 states, 2 actions: d log pi(a|s) / d W[s, :] = e_a - pi(.|s).
  const policy = createPolicy(
    {
      obsDim: 2,
      actionSpace: discrete(2),
      hiddenSizes: [],
      activation: "tanh",
      logStd: "state-independent",
      squash: "clip",
      initLogStd: 0,
    },
    new Rng(0),
  );
  const W = [0.5, -0.5, 0.2, 0.1];
  policy.params["policy.0.weight"].data.set(W);
  policy.params["policy.0.bias"].data.fill(0);
  const pi = (s: number) => {
    const z = [Math.exp(W[2 * s]), Math.exp(W[2 * s + 1])];
    return [z[0] / (z[0] + z[1]), z[1] / (z[0] + z[1])];
  };
  // Steps: (s0, a1, w=2), (s1, a0, w=-1), (s0, a0, w=0.5); N = 2 episodes.
  const b = handBatch([1, 0, 0, 1, 1, 0], [1, 0, 0], [0, 0, 0], [N, T, T]);
  const w = Float64Array.from([2, -1, 0.5]);
  const g = createPolicyGradient(policy)(b, w, 1 / 2, 0);
  const expected = [0, 0, 0, 0];
  const add = (s: number, a: number, weight: number) => {
    const p = pi(s);
    for (let k = 0; k < 2; k++) expected[2 * s + k] += (weight * ((k === a ? 1 : 0) - p[k])) / 2;
  };
  add(0, 1, 2);
  add(1, 0, -1);
  add(0, 0, 0.5);
  const got = Array.from(g.grads["policy.0.weight"]);
  for (let i = 0; i < 4; i++) {
    assert.ok(Math.abs(-got[i] - expected[i]) < 1e-12, `W[${i}]: ${-got[i]} vs ${expected[i]}`);
  }
  // The entropy bonus adds -coef * d mean(H) to the gradient: it changes the result.
  const ge = createPolicyGradient(policy)(b, w, 1 / 2, 0.1);
  assert.notEqual(ge.grads["policy.0.weight"][0], got[0]);
  assert.ok(ge.metrics.entropy > 0.6 && ge.metrics.entropy <= Math.log(2));
});

/** Metrics without the timing fields, for exact comparisons. */
function untimed(ms: UpdateMetrics[]) {
  return ms.map(({ wallTimeS: _w, stepsPerSecond: _s, ...rest }) => rest);
}

function run(
  env: string,
  config: Partial<ReinforceConfig>,
  resume?: ReinforceCheckpoint,
): { metrics: UpdateMetrics[]; checkpoint: ReinforceCheckpoint } {
  const metrics: UpdateMetrics[] = [];
  const r = reinforce(env, config, {
    onMetrics: (m) => metrics.push(m),
    onWarning: () => {},
    ...(resume ? { resume } : {}),
  });
  return { metrics, checkpoint: r.checkpoint };
}

test("same seed, bit-identical metrics; another seed, different ones", () => {
  const cfg = { seed: 3, totalSteps: 6000 };
  const a = untimed(run("CartPole-v1", cfg).metrics);
  const b = untimed(run("CartPole-v1", cfg).metrics);
  assert.ok(a.length >= 5);
  assert.deepEqual(a, b);
  const c = untimed(run("CartPole-v1", { ...cfg, seed: 4 }).metrics);
  assert.notDeepEqual(a, c);
});

/** A checkpoint through JSON, as it would be saved and loaded (params as { shape, data }). */
function jsonRoundTrip(c: ReinforceCheckpoint): ReinforceCheckpoint {
  const text = JSON.stringify({
    params: paramsToJson(c.params),
    valueParams: c.valueParams ? paramsToJson(c.valueParams) : null,
    state: c.state,
  });
  const o = JSON.parse(text);
  return {
    params: paramsFromJson(o.params),
    ...(o.valueParams ? { valueParams: paramsFromJson(o.valueParams) } : {}),
    state: o.state,
  };
}

for (const [env, cfg] of [
  ["CartPole-v1", { seed: 5, totalSteps: 8000 }],
  [
    "Pendulum-v1",
    {
      seed: 6,
      totalSteps: 6 * 4 * 50,
      batchMode: "steps",
      numEnvs: 4,
      rolloutSteps: 50,
      baseline: "value",
      gaeLambda: 0.95,
      maxGradNorm: 0.5,
      lrSchedule: "linear",
      entropyCoef: 0.01,
    },
  ],
] as const) {
  test(`resume from a JSON checkpoint continues exactly (${env}, ${cfg.batchMode ?? "episodes"} mode)`, () => {
    const straight = run(env, cfg);
    const K = 3;
    const stop = new AbortController();
    const first: UpdateMetrics[] = [];
    const part = reinforce(env, cfg, {
      signal: stop.signal,
      onWarning: () => {},
      onMetrics: (m) => {
        first.push(m);
        if (m.update === K) stop.abort();
      },
    });
    assert.equal(part.stoppedEarly, true);
    assert.equal(part.checkpoint.state.update, K);
    const resumed = run(env, {}, jsonRoundTrip(part.checkpoint));
    assert.ok(straight.metrics.length > K + 1, "the run must go on past the checkpoint");
    assert.deepEqual(untimed([...first, ...resumed.metrics]), untimed(straight.metrics));
    // The final parameters agree too.
    assert.deepEqual(
      paramsToJson(resumed.checkpoint.params),
      paramsToJson(straight.checkpoint.params),
    );
  });
}

test("onCheckpoint every k updates; the signal stops at an update boundary", () => {
  const seen: number[] = [];
  const ac = new AbortController();
  const r = reinforce(
    "CartPole-v1",
    { seed: 0, totalSteps: 1_000_000 },
    {
      signal: ac.signal,
      checkpointEvery: 2,
      onCheckpoint: (c) => seen.push(c.state.update),
      onMetrics: (m) => {
        if (m.update === 5) ac.abort();
      },
    },
  );
  assert.deepEqual(seen, [2, 4]);
  assert.equal(r.stoppedEarly, true);
  assert.equal(r.metrics?.update, 5);
});

test("no learning signal: a constant-reward env warns once, through the caller's sink", () => {
  const warnings: string[] = [];
  let updates = 0;
  reinforce(
    () => new CountEnv(5, true, () => 1),
    { seed: 0, totalSteps: 4000, numEnvs: 2 },
    {
      onWarning: (m) => warnings.push(m),
      onMetrics: () => updates++,
    },
  );
  assert.ok(updates >= NO_SIGNAL_PERSIST, `ran ${updates} updates`);
  assert.deepEqual(warnings, [NO_SIGNAL_NOTE, NO_SIGNAL_WARNING]);
  // CartPole's returns vary: no warning.
  const none: string[] = [];
  reinforce("CartPole-v1", { seed: 0, totalSteps: 3000 }, { onWarning: (m) => none.push(m) });
  assert.equal(none.length, 0);
});

test("NaN/Infinity stops training with a message saying where", () => {
  assert.throws(
    () =>
      reinforce(
        () => new CountEnv(5, true, undefined, { what: "reward", at: 3 }),
        { totalSteps: 100 },
        { onWarning: () => {} },
      ),
    /reinforce \(update 1, env step 0\): env "Count": step\(\) returned reward NaN; expected a finite number/,
  );
  assert.throws(
    () =>
      reinforce(() => new CountEnv(5, true, undefined, { what: "obs", at: 2 }), {
        totalSteps: 100,
      }),
    /env "Count": step\(\) returned observation\[0\] = NaN/,
  );
  // Finite but huge rewards overflow the return to Infinity: the loss is caught.
  assert.throws(
    () =>
      reinforce(() => new CountEnv(5, true, () => 1e308), {
        ...VANILLA,
        gamma: 1,
        totalSteps: 100,
      }),
    /reinforce \(update 1, env step 0\): non-finite policy loss/,
  );
});

test("config errors name the field, the value and what was expected", () => {
  assert.throws(
    () => reinforce("CartPole-v1", { lr: -1 }),
    /ReinforceConfig\.lr: got -1, expected a number > 0/,
  );
  assert.throws(
    () => reinforce("CartPole-v1", { gaeLambda: 0.9 }),
    /gaeLambda: got 0.9, but GAE needs baseline "value"/,
  );
  assert.throws(
    () => reinforce("CartPole-v1", { batchMode: "rollouts" as "steps" }),
    /batchMode: got "rollouts", expected one of episodes, steps/,
  );
  assert.throws(
    () => reinforce("CartPole-v1", {}, { resume: { params: {}, state: {} } as never }),
    /options.resume: expected a trainer checkpoint/,
  );
});

test("linear lr schedule, SGD and gradient clipping act on the step", () => {
  const total = 3000;
  const lin = run("CartPole-v1", { seed: 1, totalSteps: total, lrSchedule: "linear" }).metrics;
  let before = 0;
  for (const m of lin) {
    assert.equal(m.lr, 0.02 * (1 - before / total), `update ${m.update}`);
    before = m.envSteps;
  }
  // SGD with lr 1 and a global-norm clip of 1e-3: each step moves the parameters by at most 1e-3.
  const aborted = new AbortController();
  aborted.abort();
  const cfg = { seed: 2, totalSteps: 1, optimizer: "sgd", lr: 1, maxGradNorm: 1e-3 } as const;
  const init = reinforce("CartPole-v1", cfg, { signal: aborted.signal }).checkpoint.params;
  const one = reinforce("CartPole-v1", cfg);
  assert.equal(one.metrics?.update, 1);
  assert.ok(one.metrics!.gradNorm > 1e-3, "the gradient norm before clipping is reported");
  let sq = 0;
  for (const name of Object.keys(init)) {
    const a = init[name].data;
    const b = one.checkpoint.params[name].data;
    for (let i = 0; i < a.length; i++) sq += (a[i] - b[i]) ** 2;
  }
  const moved = Math.sqrt(sq);
  assert.ok(moved > 0 && moved <= 1e-3 * (1 + 1e-9), `step norm ${moved} (tolerance: <= 1e-3)`);
});

test("reinforcePolicy rebuilds the trained policy from a checkpoint (after a JSON round trip)", () => {
  const result = reinforce("Point1D-v0", { seed: 4, totalSteps: 2_000, hiddenSizes: [8] });
  const json = JSON.parse(
    JSON.stringify({ ...result.checkpoint, params: paramsToJson(result.checkpoint.params) }),
  );
  const restored = reinforcePolicy(
    { params: paramsFromJson(json.params), state: json.state },
    make("Point1D-v0"),
  );
  const obs = Float64Array.from([0.3, -0.2, 1.1, 0.4]);
  const a = new Float64Array(2);
  const b = new Float64Array(2);
  result.policy.act(obs, 2, new Rng(9), a);
  restored.act(obs, 2, new Rng(9), b);
  assert.deepEqual(b, a);
  assert.throws(
    () =>
      reinforcePolicy({ params: result.checkpoint.params, state: {} as never }, make("Point1D-v0")),
    /not a checkpoint of ReinforceConfig/,
  );
  assert.throws(
    () => reinforcePolicy(result.checkpoint, make("CartPole-v1")),
    /obsDim|shape|expected/i,
  );
});
