import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/core/rng.ts";
import { box, discrete, type Space } from "../../src/envs/spaces.ts";
import { point1d } from "../../src/envs/toy/point.ts";
import type { Action, Env, ResetResult, StepResult } from "../../src/envs/types.ts";
import {
  ClipAction,
  NormalizeObservation,
  NormalizeReward,
  RecordEpisodeStatistics,
  RescaleAction,
  RunningMeanStd,
  TimeLimit,
} from "../../src/envs/wrappers.ts";

/**
 * A scripted env: observation i is `obs(i)` (i counts every reset and step), reward of step k of
 * an episode is `reward(k)`, terminating after `episodeLength` steps. Records the actions it gets.
 */
class ScriptEnv implements Env {
  readonly id = "Script";
  readonly observationSpace: Space = box(-Infinity, Infinity, [2]);
  readonly actionSpace: Space;
  readonly actions: number[][] = [];
  private i = 0;
  private k = 0;
  constructor(
    private readonly episodeLength: number,
    private readonly obs: (i: number) => number[] = (i) => [i, -2 * i],
    private readonly reward: (k: number) => number = (k) => k + 1,
    actionSpace: Space = box([-2, 0], [2, 10]),
  ) {
    this.actionSpace = actionSpace;
  }
  reset(): ResetResult {
    this.k = 0;
    return { observation: Float64Array.from(this.obs(this.i++)), info: {} };
  }
  step(action: Action): StepResult {
    if (typeof action !== "number") {
      const a = Array.from(action);
      if (a.some(Number.isNaN)) throw new RangeError("Script: NaN action");
      this.actions.push(a);
    }
    const reward = this.reward(this.k++);
    return {
      observation: Float64Array.from(this.obs(this.i++)),
      reward,
      terminated: this.k >= this.episodeLength,
      truncated: false,
      info: {},
    };
  }
  close(): void {}
}

function twoPass(xs: number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, x) => a + (x - mean) * (x - mean), 0) / xs.length;
  return { mean, variance };
}

/** Mean and variance after pooling Gymnasium's prior (count c, mean 0, var 1) with the data. */
function withPrior(xs: number[], c: number): { mean: number; variance: number } {
  const { mean, variance } = twoPass(xs);
  const n = xs.length;
  const total = n + c;
  return {
    mean: (n * mean) / total,
    variance: (c + n * variance + (mean * mean * c * n) / total) / total,
  };
}

const close = (a: number, b: number, rel: number) =>
  Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));

test("TimeLimit truncates at the limit (even on a terminating step) and guards step order", () => {
  const env = new TimeLimit(new ScriptEnv(3), 3);
  assert.equal(env.maxEpisodeSteps, 3);
  assert.throws(() => env.step([0, 0]), /Script: step\(\) called before reset\(\)/);
  env.reset();
  assert.equal(env.step([0, 0]).truncated, false);
  assert.equal(env.step([0, 0]).truncated, false);
  const last = env.step([0, 0]);
  assert.equal(last.terminated, true, "the inner env terminates on step 3");
  assert.equal(last.truncated, true, "TimeLimit sets truncated at the limit, as Gymnasium");
  assert.throws(() => env.step([0, 0]), /after the episode ended/);
  env.reset();
  assert.equal(env.elapsedSteps, 0);

  const long = new TimeLimit(new ScriptEnv(100), 2);
  long.reset();
  long.step([0, 0]);
  const cut = long.step([0, 0]);
  assert.deepEqual([cut.terminated, cut.truncated], [false, true]);
  assert.throws(() => long.step([0, 0]), /time limit of 2 steps/);
  assert.throws(
    () => new TimeLimit(new ScriptEnv(1), 0),
    /maxEpisodeSteps must be a positive integer, got 0/,
  );
});

test("RecordEpisodeStatistics sets info.episode = { return, length } on the last step only", () => {
  const env = new RecordEpisodeStatistics(new TimeLimit(new ScriptEnv(4), 10));
  for (let episode = 0; episode < 2; episode++) {
    env.reset();
    for (let k = 0; k < 3; k++) assert.equal(env.step([0, 0]).info.episode, undefined);
    const last = env.step([0, 0]);
    assert.deepEqual(last.info.episode, { return: 1 + 2 + 3 + 4, length: 4 });
  }
  // Truncation ends an episode too.
  const cut = new RecordEpisodeStatistics(new TimeLimit(new ScriptEnv(10), 2));
  cut.reset();
  cut.step([0, 0]);
  assert.deepEqual(cut.step([0, 0]).info.episode, { return: 3, length: 2 });
});

test("RunningMeanStd (initialCount 0) equals a two-pass computation, per sample and per batch (1e-12)", () => {
  const rng = new Rng(1);
  // A large offset makes naive sum-of-squares formulas lose every digit; Welford/Chan do not.
  const xs = Array.from({ length: 1000 }, () => [1e6 + rng.normal(), -3 + 0.01 * rng.normal()]);
  const single = new RunningMeanStd(2, { initialCount: 0 });
  for (const x of xs) single.update(x);
  const batched = new RunningMeanStd(2, { initialCount: 0 });
  for (let start = 0; start < xs.length; start += 37) {
    const chunk = xs.slice(start, start + 37);
    batched.updateBatch(chunk.flat(), chunk.length);
  }
  for (let i = 0; i < 2; i++) {
    const ref = twoPass(xs.map((x) => x[i]));
    for (const rms of [single, batched]) {
      assert.equal(rms.count, 1000);
      assert.ok(close(rms.mean[i], ref.mean, 1e-12), `mean ${rms.mean[i]} vs ${ref.mean}`);
      assert.ok(
        Math.abs(rms.var[i] - ref.variance) <= 1e-9 * ref.variance,
        `var ${rms.var[i]} vs ${ref.variance}`,
      );
    }
  }
});

test("RunningMeanStd default prior matches Gymnasium's (1e-4 pseudo-counts, mean 0, var 1)", () => {
  const rms = new RunningMeanStd(1);
  const xs = [3, 5, -1, 2];
  for (const x of xs) rms.update([x]);
  const ref = withPrior(xs, 1e-4);
  assert.ok(close(rms.mean[0], ref.mean, 1e-12));
  assert.ok(close(rms.var[0], ref.variance, 1e-12));
  assert.ok(close(rms.count, 4.0001, 1e-15));
});

test("RunningMeanStd state round-trips through JSON and is validated", () => {
  const rms = new RunningMeanStd(3);
  rms.updateBatch([1, 2, 3, 4, 5, 6], 2);
  const copy = new RunningMeanStd(3);
  copy.setState(JSON.parse(JSON.stringify(rms.getState())));
  rms.update([7, 8, 9]);
  copy.update([7, 8, 9]);
  assert.deepEqual(copy.getState(), rms.getState());
  assert.throws(
    () => copy.setState({ count: 1, mean: [0, 0], var: [1, 1, 1] }),
    /mean: 3 finite numbers/,
  );
  assert.throws(
    () => copy.setState({ count: 1, mean: [0, 0, 0], var: [1, -1, 1] }),
    /var: 3 finite numbers >= 0/,
  );
});

test("NormalizeObservation: statistics over every reset/step observation, output (x - mean) / sqrt(var + eps)", () => {
  const rng = new Rng(2);
  const values = Array.from({ length: 200 }, () => [5 + 2 * rng.normal(), -1 + 0.1 * rng.normal()]);
  const env = new NormalizeObservation(new ScriptEnv(7, (i) => values[i]));
  assert.equal(env.observationSpace.low[0], -Infinity);
  const seen: number[][] = [];
  let out = env.reset().observation;
  seen.push(values[0]);
  for (let i = 1; i < 200; i++) {
    const step = env.step([0, 0]);
    out = step.observation;
    seen.push(values[i]);
    if (step.terminated) {
      if (++i >= 200) break;
      out = env.reset().observation;
      seen.push(values[i]);
    }
  }
  for (let d = 0; d < 2; d++) {
    const ref = withPrior(
      seen.map((v) => v[d]),
      1e-4,
    );
    assert.ok(close(env.stats.mean[d], ref.mean, 1e-12));
    assert.ok(close(env.stats.var[d], ref.variance, 1e-10));
    const last = seen[seen.length - 1][d];
    assert.ok(close(out[d], (last - ref.mean) / Math.sqrt(ref.variance + 1e-8), 1e-9));
  }
  // Normalized: roughly zero mean, unit variance.
  assert.ok(Math.abs(env.stats.mean[0] - 5) < 0.5 && Math.abs(env.stats.var[0] - 4) < 1.5);
});

test("NormalizeObservation: frozen statistics do not move; state round-trips through JSON", () => {
  const a = new NormalizeObservation(point1d());
  a.reset({ seed: 3 });
  for (let i = 0; i < 20; i++) a.step([0.5]);
  const saved = JSON.parse(JSON.stringify(a.getState()));
  const b = new NormalizeObservation(point1d());
  b.setState(saved);
  // Same inner trajectory in both, continuing from the same statistics: identical outputs.
  const ra = a.reset({ seed: 9 }).observation.slice();
  const rb = b.reset({ seed: 9 }).observation.slice();
  assert.deepEqual(ra, rb);
  for (let i = 0; i < 10; i++)
    assert.deepEqual(a.step([-0.3]).observation, b.step([-0.3]).observation);
  a.frozen = true;
  const before = a.getState();
  a.reset({ seed: 1 });
  a.step([1]);
  assert.deepEqual(a.getState(), before);
  assert.throws(
    () => b.setState({ kind: "normalize-reward" } as never),
    /expected \{ kind: "normalize-observation"/,
  );
  const discreteObs = Object.assign(new ScriptEnv(1), { observationSpace: discrete(4) });
  assert.throws(
    () => new NormalizeObservation(discreteObs),
    /NormalizeObservation\(Script\): needs a Box observation space, got Discrete\(4\)/,
  );
});

test("NormalizeReward follows Gymnasium: G = G * gamma * (1 - terminated) + r, reward / sqrt(var(G) + eps)", () => {
  const gamma = 0.9;
  const rewards = (k: number) => (k % 3) - 0.5 + k;
  const env = new NormalizeReward(new TimeLimit(new ScriptEnv(4, undefined, rewards), 3), {
    gamma,
  });
  const returns: number[] = [];
  let g = 0;
  for (let episode = 0; episode < 5; episode++) {
    env.reset();
    for (let k = 0; ; k++) {
      const step = env.step([0, 0]);
      // Truncated at 3 steps by the time limit: the inner env never terminates, so G carries over
      // between episodes, exactly as in Gymnasium.
      g = g * gamma * (step.terminated ? 0 : 1) + rewards(k);
      returns.push(g);
      const ref = withPrior(returns, 1e-4);
      assert.ok(close(step.reward, rewards(k) / Math.sqrt(ref.variance + 1e-8), 1e-10));
      if (step.terminated || step.truncated) break;
    }
  }
  // Termination resets G.
  const term = new NormalizeReward(new ScriptEnv(2, undefined, () => 1), { gamma: 0.5 });
  term.reset();
  term.step([0, 0]);
  term.step([0, 0]); // terminates: G = 1
  assert.equal(term.getState().discountedReturn, 1);
  term.reset();
  term.step([0, 0]);
  assert.equal(term.getState().discountedReturn, 1 * 0.5 + 1);
});

test("NormalizeReward: frozen statistics and JSON state round trip give identical rewards", () => {
  const a = new NormalizeReward(point1d(), { gamma: 0.95 });
  a.reset({ seed: 4 });
  for (let i = 0; i < 25; i++) a.step([0.2]);
  const b = new NormalizeReward(point1d(), { gamma: 0.95 });
  b.setState(JSON.parse(JSON.stringify(a.getState())));
  a.reset({ seed: 5 });
  b.reset({ seed: 5 });
  for (let i = 0; i < 10; i++) assert.equal(a.step([0.7]).reward, b.step([0.7]).reward);
  b.frozen = true;
  const before = b.getState().stats;
  b.reset({ seed: 6 });
  b.step([1]);
  assert.deepEqual(b.getState().stats, before);
  assert.throws(
    () => a.setState({ kind: "normalize-reward", stats: before, discountedReturn: Number.NaN }),
    /discountedReturn: finite number/,
  );
});

test("ClipAction clips to the env's bounds, widens its own space to Box(-inf, inf), passes NaN on", () => {
  const inner = new ScriptEnv(100);
  const env = new ClipAction(inner);
  assert.equal(env.actionSpace.low[0], -Infinity);
  assert.equal(env.actionSpace.high[1], Infinity);
  env.reset();
  env.step([-5, 3]);
  env.step(Float64Array.of(1.5, 20));
  assert.deepEqual(inner.actions, [
    [-2, 3],
    [1.5, 10],
  ]);
  assert.throws(() => env.step([Number.NaN, 0]), /Script: NaN action/);
  assert.throws(
    () => env.step([1]),
    /invalid action \[1\] \(length 1\) for ClipAction action space/,
  );
  assert.throws(
    () => new ClipAction(new ScriptEnv(1, undefined, undefined, discrete(3))),
    /needs a Box action space, got Discrete\(3\)/,
  );
});

test("RescaleAction maps [min, max] affinely onto the env's bounds", () => {
  const inner = new ScriptEnv(100);
  const env = new RescaleAction(inner, -1, 1);
  assert.deepEqual(Array.from(env.actionSpace.low), [-1, -1]);
  env.reset();
  env.step([-1, -1]);
  env.step([1, 1]);
  env.step([0, 0.5]);
  // Inner bounds: low [-2, 0], high [2, 10].
  assert.deepEqual(inner.actions, [
    [-2, 0],
    [2, 10],
    [0, 7.5],
  ]);
  const perDim = new RescaleAction(new ScriptEnv(100), [0, 0], [1, 2]);
  assert.deepEqual(Array.from(perDim.actionSpace.high), [1, 2]);
  assert.throws(
    () => new RescaleAction(new ScriptEnv(1), 1, 1),
    /need finite minAction < maxAction at element 0/,
  );
  assert.throws(
    () => new RescaleAction(new ScriptEnv(1, undefined, undefined, box(-Infinity, 1, [1])), -1, 1),
    /needs finite action bounds/,
  );
});

test("wrappers stack and forward spaces, limits and close()", () => {
  let closed = false;
  const base = point1d();
  const inner = Object.assign(Object.create(base), { close: () => (closed = true) });
  const env = new RecordEpisodeStatistics(new NormalizeObservation(new ClipAction(inner)));
  assert.equal(env.id, "Point1D-v0");
  assert.equal(env.maxEpisodeSteps, 30);
  assert.equal(env.rewardThreshold, -2);
  env.reset({ seed: 0 });
  let last: StepResult | null = null;
  for (let i = 0; i < 30; i++) last = env.step([5]);
  assert.equal(last?.truncated, true);
  assert.equal(last?.info.episode?.length, 30);
  env.close();
  assert.equal(closed, true);
});
