import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluate } from "../../src/algos/evaluate.ts";
import { createPolicy } from "../../src/algos/policy.ts";
import { policySpecFor, reinforce, resolveReinforceConfig } from "../../src/algos/reinforce.ts";
import { STREAMS, streamRng, streamSeed } from "../../src/algos/streams.ts";
import { initValueParams, valueMlpSpec } from "../../src/algos/value.ts";
import { deriveSeed, Rng } from "../../src/core/rng.ts";
import { make } from "../../src/envs/registry.ts";
import type { Action, Env, ResetOptions } from "../../src/envs/types.ts";

/** The first draws of a generator: equal for two streams exactly when they are the same stream. */
const head = (rng: Rng) => [rng.nextUint32(), rng.nextUint32(), rng.nextUint32()].join(",");

/** CartPole that records the seed of every seeded reset. */
class SeedRecorder implements Env {
  readonly inner = make("CartPole-v1");
  readonly id = "SeedRecorder";
  readonly observationSpace = this.inner.observationSpace;
  readonly actionSpace = this.inner.actionSpace;
  readonly maxEpisodeSteps = this.inner.maxEpisodeSteps;
  constructor(readonly seeds: number[]) {}
  reset(options: ResetOptions = {}) {
    if (options.seed !== undefined) this.seeds.push(options.seed);
    return this.inner.reset(options);
  }
  step(action: Action) {
    return this.inner.step(action);
  }
  close() {}
}

test("every purpose, sub-env and evaluation episode has its own stream, within a run and across runs", () => {
  // Every stream 10 consecutive run seeds read: were two the same (as policy init and sub-env 0
  // were, and sub-env 1 of seed s and sub-env 0 of seed s + 1), their first draws would repeat.
  const seen = new Map<string, string>();
  for (let seed = 0; seed < 10; seed++) {
    const streams: [string, Rng][] = (Object.keys(STREAMS) as (keyof typeof STREAMS)[]).map((p) => [
      `${p}`,
      streamRng(seed, p),
    ]);
    for (let i = 0; i < 16; i++) {
      streams.push([`sub-env ${i}`, new Rng(deriveSeed(streamSeed(seed, "envResets"), i))]);
      streams.push([`eval episode ${i}`, new Rng(deriveSeed(streamSeed(seed, "evalEnvs"), i))]);
    }
    for (const [name, rng] of streams) {
      const h = head(rng);
      const where = `${name} of seed ${seed}`;
      assert.ok(!seen.has(h), `${where} replays ${seen.get(h)}`);
      seen.set(h, where);
    }
  }
});

test("reinforce draws init, actions and resets from the documented streams", () => {
  const seed = 7;
  const cfg = resolveReinforceConfig({
    seed,
    baseline: "value",
    numEnvs: 3,
    totalSteps: 1,
    evalEvery: 1,
  });
  const seeds: number[] = [];
  const stopped = new AbortController();
  stopped.abort();
  const r0 = reinforce(() => new SeedRecorder(seeds), cfg, { signal: stopped.signal });
  const spec = policySpecFor(cfg, 4, make("CartPole-v1").actionSpace);
  const initial = createPolicy(spec, streamRng(seed, "policyInit")).params;
  for (const k of Object.keys(initial)) {
    assert.deepEqual(Array.from(r0.checkpoint.params[k].data), Array.from(initial[k].data), k);
  }
  const v0 = initValueParams(
    valueMlpSpec(4, cfg.valueHiddenSizes, cfg.activation),
    streamRng(seed, "valueInit"),
  );
  for (const k of Object.keys(v0)) {
    assert.deepEqual(Array.from(r0.checkpoint.valueParams![k].data), Array.from(v0[k].data), k);
  }
  assert.deepEqual(r0.checkpoint.state.algorithm.rng, streamRng(seed, "actions").getState());
  // One update, then the evaluation after it, on envs of its own.
  reinforce(() => new SeedRecorder(seeds), cfg);
  const train = [0, 1, 2].map((i) => deriveSeed(streamSeed(seed, "envResets"), i));
  const evals = Array.from({ length: cfg.evalEpisodes }, (_, i) =>
    deriveSeed(streamSeed(seed, "evalEnvs"), i),
  );
  assert.deepEqual(seeds, [...train, ...evals]);
});

test("evaluate resets episode i from the evaluation stream, apart from its action stream", () => {
  const seeds: number[] = [];
  const spec = policySpecFor(resolveReinforceConfig(), 4, make("CartPole-v1").actionSpace);
  evaluate(createPolicy(spec, new Rng(0)), () => new SeedRecorder(seeds), {
    episodes: 4,
    seed: 3,
    deterministic: false,
  });
  const base = streamSeed(3, "evalEnvs");
  assert.deepEqual(
    seeds,
    [0, 1, 2, 3].map((i) => deriveSeed(base, i)),
  );
  assert.notEqual(head(new Rng(base)), head(streamRng(3, "evalActions")));
});

test("deriveSeed rejects what is not a seed, naming it", () => {
  assert.throws(
    () => deriveSeed(-1),
    /deriveSeed: seed must be an integer in \[0, 2\^53\), got -1/,
  );
  assert.throws(() => deriveSeed(1, 2, 0.5), /path\[1\] must be an integer/);
});
