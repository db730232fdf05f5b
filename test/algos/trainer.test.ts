import assert from "node:assert/strict";
import { test } from "node:test";
import { apgAlgorithm } from "../../src/algos/apg.ts";
import { createPolicy } from "../../src/algos/policy.ts";
import { ppoAlgorithm } from "../../src/algos/ppo.ts";
import {
  type ReinforceCheckpoint,
  reinforce,
  reinforceAlgorithm,
  reinforcePolicy,
  type UpdateMetrics,
} from "../../src/algos/reinforce.ts";
import {
  type Algorithm,
  createTrainer,
  type EvalMetrics,
  lrScale,
  runSchema,
  runTrainer,
} from "../../src/algos/trainer.ts";
import { type ConfigOf, numberField, resolveConfig } from "../../src/config/schema.ts";
import { Rng } from "../../src/core/rng.ts";
import { make } from "../../src/envs/registry.ts";
import { paramsFromJson, paramsToJson } from "../../src/nn/params.ts";

type Row = Record<string, unknown>;
const untimed = (rows: readonly object[]) =>
  rows.map((r) => {
    const { wallTimeS: _w, stepsPerSecond: _s, ...rest } = r as Row;
    return rest;
  });

/** A run's update and evaluation rows in stream order, and its result. */
function run(config: object, resume?: ReinforceCheckpoint, signalAt?: number) {
  const rows: object[] = [];
  const stop = new AbortController();
  const r = reinforce("CartPole-v1", config, {
    onWarning: () => {},
    onMetrics: (m: UpdateMetrics) => {
      rows.push(m);
      if (m.update === signalAt) stop.abort();
    },
    onEval: (e: EvalMetrics) => rows.push(e),
    signal: stop.signal,
    ...(resume ? { resume } : {}),
  });
  return { rows, r };
}

const jsonRoundTrip = (c: ReinforceCheckpoint): ReinforceCheckpoint => {
  const o = JSON.parse(JSON.stringify({ ...c, params: paramsToJson(c.params) }));
  return { params: paramsFromJson(o.params), state: o.state };
};

const EVAL = { seed: 3, totalSteps: 6000, evalEvery: 1000, evalMode: "both", stop: false } as const;

test("same seed, bit-identical update and evaluation rows and best checkpoint", () => {
  const a = run(EVAL);
  const b = run(EVAL);
  const evals = a.rows.filter((r) => "evalReturnMean" in r);
  assert.ok(evals.length >= 10, `${evals.length} evaluation rows`);
  assert.deepEqual(untimed(a.rows), untimed(b.rows));
  assert.ok(a.r.best?.checkpoint && b.r.best?.checkpoint);
  assert.equal(a.r.best.update, b.r.best.update);
  assert.deepEqual(
    paramsToJson(a.r.best.checkpoint.params),
    paramsToJson(b.r.best.checkpoint.params),
  );
});

test("interrupt + resume from JSON equals an uninterrupted run, evaluations and best included", () => {
  const straight = run(EVAL);
  const part = run(EVAL, undefined, 5);
  assert.equal(part.r.stopReason, "interrupted");
  const rest = run({}, jsonRoundTrip(part.r.checkpoint));
  assert.deepEqual(untimed([...part.rows, ...rest.rows]), untimed(straight.rows));
  assert.equal(rest.r.best?.update, straight.r.best?.update);
  assert.equal(rest.r.best?.returnMean, straight.r.best?.returnMean);
});

test("step() one update at a time gives the rows runTrainer gives", () => {
  const t = createTrainer(reinforceAlgorithm, "CartPole-v1", EVAL, { onWarning: () => {} });
  const rows: object[] = [];
  while (t.finished === null) {
    const s = t.step();
    rows.push(s.metrics, ...s.evaluations);
  }
  t.close();
  assert.throws(() => t.step(), /the run is finished \(budget\)/);
  assert.deepEqual(untimed(rows), untimed(run(EVAL).rows));
});

test("stopping: at stopAtReturn on the deciding evaluation, never with stop false", () => {
  const cfg = { seed: 3, totalSteps: 6000, evalEvery: 1000, stopAtReturn: 100 };
  const s = run(cfg);
  assert.equal(s.r.stopReason, "return");
  assert.ok(s.r.lastEval !== null && s.r.lastEval.evalReturnMean >= 100);
  const evals = s.rows.filter((r) => "evalReturnMean" in r) as EvalMetrics[];
  assert.ok(
    evals.slice(0, -1).every((e) => e.evalReturnMean < 100),
    "stops at the first",
  );
  assert.equal(run({ ...cfg, stop: false }).r.stopReason, "budget");
  // Resuming a run that stopped changes nothing.
  const again = run({}, s.r.checkpoint);
  assert.equal(again.r.stopReason, "return");
  assert.equal(again.rows.length, 0);
  // Evaluations can run on another env than training's (e.g. unshaped), whose threshold applies.
  const capped = () =>
    Object.assign(make("CartPole-v1", { maxEpisodeSteps: 25 }), { rewardThreshold: 20 });
  const o = reinforce(
    "CartPole-v1",
    { seed: 3, totalSteps: 6000, evalEvery: 1000 },
    { evalEnv: capped },
  );
  assert.equal(o.stopReason, "return");
  assert.ok(o.lastEval!.evalReturnMean >= 20 && o.lastEval!.evalReturnMean <= 25);
});

test("lr schedules: linear and cosine decay to (almost) zero over the budget", () => {
  assert.equal(lrScale("constant", 0.7), 1);
  assert.equal(lrScale("linear", 0.25), 0.75);
  assert.ok(Math.abs(lrScale("cosine", 0.5) - 0.5) < 1e-15);
  assert.equal(lrScale("cosine", 0), 1);
  assert.equal(lrScale("linear", 1), 1e-6);
  assert.equal(lrScale("cosine", 2), 1e-6);
  const lrs = run({ seed: 1, totalSteps: 3000, lrSchedule: "cosine", evalEvery: 0 }).rows.map(
    (m) => (m as UpdateMetrics).lr,
  );
  for (let i = 1; i < lrs.length; i++) assert.ok(lrs[i] < lrs[i - 1], `lr decreases at ${i}`);
});

/**
 * A user's algorithm through the public protocol: random search on the policy's output bias, to
 * prove the trainer needs nothing REINFORCE-specific.
 */
const toySchema = { ...runSchema, noise: numberField(0.1, "A made-up field.") };
type ToyConfig = ConfigOf<typeof toySchema>;
const toy: Algorithm<ToyConfig, { calls: number }, { noise: number }> = {
  name: "toy",
  summary: "perturb one bias",
  configName: "ToyConfig",
  schema: toySchema,
  presets: {},
  envPresets: {},
  resolveConfig: (o) => resolveConfig(toySchema, o, "ToyConfig"),
  init(_env, cfg, restore) {
    const spec = {
      obsDim: 4,
      actionSpace: make("CartPole-v1").actionSpace,
      hiddenSizes: [],
      activation: "tanh" as const,
      logStd: "state-independent" as const,
      squash: "clip" as const,
      initLogStd: 0,
    };
    const policy = createPolicy(spec, new Rng(cfg.seed));
    let calls = (restore?.state as { calls?: number } | undefined)?.calls ?? 0;
    return {
      policy,
      update: () => {
        calls++;
        return {
          envSteps: 100,
          episodeReturns: [calls],
          episodeLengths: [calls],
          metrics: { noise: calls === 3 ? Number.NaN : cfg.noise },
        };
      },
      save: () => ({ params: policy.params, state: { calls } }),
      close: () => {},
    };
  },
  policy: () => {
    throw new Error("unused");
  },
};

test("a user-defined algorithm runs in the trainer; a non-finite metric stops it, naming it", () => {
  const rows: object[] = [];
  assert.throws(
    () => runTrainer(toy, "CartPole-v1", { evalEvery: 0 }, { onMetrics: (m) => rows.push(m) }),
    /toy \(update 3, env step 200\): non-finite noise NaN/,
  );
  assert.deepEqual(
    rows.map((r) => [(r as Row).update, (r as Row).returnMean100]),
    [
      [1, 1],
      [2, 1.5],
    ],
  );
});

test("0.1.0 checkpoints: their policy loads, resuming them fails naming the version", () => {
  const now = reinforce("CartPole-v1", { seed: 1, totalSteps: 500, evalEvery: 0 }).checkpoint;
  // 0.1.0's REINFORCE state: flat, version 1, a config without the trainer's fields.
  const {
    evalEvery: _e,
    evalEpisodes: _n,
    evalMode: _m,
    stop: _s,
    stopAtReturn: _r,
    normalizeObservations: _o,
    ...config
  } = now.state.config;
  const v1 = { params: now.params, state: { version: 1, config, update: 2, envSteps: 500 } };
  const env = make("CartPole-v1");
  const obs = Float64Array.of(0.01, 0.2, -0.03, -0.1);
  const a = new Float64Array(1);
  const b = new Float64Array(1);
  reinforcePolicy(v1, env).act(obs, 1, new Rng(0), a, true);
  reinforcePolicy(now, env).act(obs, 1, new Rng(0), b, true);
  assert.deepEqual(a, b);
  assert.throws(
    () => reinforce("CartPole-v1", {}, { resume: v1 as never }),
    /state is version 1 \(policygrad 0\.1\.0, before the trainer layer\); this build resumes version 2 only/,
  );
  const v3 = { ...now, state: { ...now.state, version: 3 } };
  assert.throws(
    () => reinforce("CartPole-v1", {}, { resume: v3 as never }),
    /state is version 3; this build reads version 2/,
  );
});

test("a checkpoint's parameters are plain arrays, not blocks of the SIMD kernels' memory", () => {
  // A training thread never returns to its event loop, so a block held by a checkpoint's copy
  // would never be freed (docs/performance.md, "Memory of a long run").
  const runs: [Algorithm<never, unknown, object>, string, object][] = [
    [reinforceAlgorithm as never, "CartPole-v1", { baseline: "value" }],
    [ppoAlgorithm as never, "CartPole-v1", { rolloutSteps: 16 }],
    [apgAlgorithm as never, "Pendulum-v1", {}],
  ];
  for (const [algo, env, config] of runs) {
    const t = createTrainer(algo, env, { seed: 0, totalSteps: 10_000, evalEvery: 0, ...config });
    t.step();
    const c = t.checkpoint();
    const all = { ...c.params, ...(c.valueParams ?? {}) };
    assert.ok(Object.keys(all).length >= 4, algo.name);
    for (const [name, p] of Object.entries(all)) {
      assert.equal(p.data.buffer.byteLength, p.data.byteLength, `${algo.name} ${name}`);
    }
    t.close();
  }
});
