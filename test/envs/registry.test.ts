import assert from "node:assert/strict";
import { test } from "node:test";
import { envSpecs, listEnvs, make, register } from "../../src/envs/registry.ts";
import { box, discrete } from "../../src/envs/spaces.ts";
import type { Env } from "../../src/envs/types.ts";
import { TimeLimit } from "../../src/envs/wrappers.ts";

const BUILTINS = [
  "CartPole-v1",
  "Pendulum-v1",
  "MountainCar-v0",
  "MountainCarContinuous-v0",
  "Acrobot-v1",
];

test("listEnvs and envSpecs include the five built-ins with spaces and limits", () => {
  for (const id of BUILTINS) assert.ok(listEnvs().includes(id), id);
  const cart = envSpecs().find((s) => s.id === "CartPole-v1")!;
  assert.deepEqual(cart.actionSpace, discrete(2));
  assert.equal(cart.maxEpisodeSteps, 500);
  assert.equal(cart.rewardThreshold, 475);
  assert.equal(cart.builtin, true);
  const pend = envSpecs().find((s) => s.id === "Pendulum-v1")!;
  assert.equal(pend.rewardThreshold, undefined);
  assert.equal(pend.observationSpace.kind === "box" && pend.observationSpace.size, 3);
  assert.equal(pend.differentiable, true);
  assert.match((cart.differentiable as { reason: string }).reason, /its action is Discrete\(2\)/);
  const bandit = envSpecs().find((s) => s.id === "Bandit-v0")!;
  assert.match((bandit.differentiable as { reason: string }).reason, /no definition/);
});

test("unknown id lists the known ids", () => {
  assert.throws(
    () => make("CartPole-v0"),
    (e: Error) => {
      assert.match(e.message, /unknown env id "CartPole-v0"; known ids: /);
      for (const id of BUILTINS) assert.ok(e.message.includes(id));
      return true;
    },
  );
});

test("same seed gives the same trajectory; reset() without seed continues the stream", () => {
  for (const id of BUILTINS) {
    const run = (env: Env, seed?: number) => {
      const out: number[] = [...env.reset(seed === undefined ? {} : { seed }).observation];
      for (let t = 0; t < 30; t++) {
        const act = env.actionSpace.kind === "discrete" ? t % env.actionSpace.n : [Math.sin(t)];
        const r = env.step(act);
        out.push(...r.observation, r.reward);
        if (r.terminated || r.truncated) break;
      }
      return out;
    };
    const a = make(id);
    const b = make(id);
    const first = run(a, 7);
    assert.deepEqual(run(b, 7), first, `${id} same seed`);
    const second = run(a);
    assert.notDeepEqual(second, first, `${id} reset() draws a new initial state`);
    assert.deepEqual(run(b), second, `${id} continued streams agree`);
    assert.notDeepEqual(run(make(id), 8), first, `${id} other seed differs`);
  }
});

test("reset({ options: { state } }) sets the state and rejects a wrong layout", () => {
  const env = make("Acrobot-v1");
  const o = env.reset({ options: { state: [0, 0, 0.5, -0.5] } }).observation;
  assert.deepEqual(Array.from(o), [1, 0, 1, 0, 0.5, -0.5]);
  assert.throws(
    () => env.reset({ options: { state: [0, 0, 0] } }),
    /Acrobot-v1: reset options.state must be 4 finite numbers \(Acrobot state layout\), got \[0, 0, 0\]/,
  );
});

test("bad actions and misuse give errors naming env, action and space", () => {
  const cart = make("CartPole-v1");
  assert.throws(
    () => cart.step(0),
    /CartPole-v1: step\(\) called before reset\(\).*action 0, action space Discrete\(2\)/,
  );
  cart.reset({ seed: 0 });
  assert.throws(
    () => cart.step(2),
    /CartPole-v1: invalid action 2 for action space Discrete\(2\): expected an integer in \[0, 1\]/,
  );
  assert.throws(() => cart.step(0.5), /CartPole-v1: invalid action 0.5 .*Discrete\(2\)/);
  assert.throws(
    () => cart.step([1] as unknown as number),
    /CartPole-v1: invalid action \[1\].*expected an integer number/,
  );
  const pend = make("Pendulum-v1");
  pend.reset({ seed: 0 });
  assert.throws(
    () => pend.step([Number.NaN]),
    /Pendulum-v1: invalid action \[NaN\] \(length 1\) for action space Box\(-2, 2, \[1\]\): element 0 is NaN/,
  );
  assert.throws(
    () => pend.step([1, 2]),
    /Pendulum-v1: .*Box\(-2, 2, \[1\]\): expected length 1, got 2/,
  );
  assert.throws(
    () => pend.step(1),
    /Pendulum-v1: invalid action 1 .*expected an array of 1 numbers/,
  );
  assert.throws(() => pend.step(["1"] as unknown as number[]), /element 0 is not a number/);
  // A valid action after the errors still works: errors do not corrupt the episode.
  assert.equal(pend.step(new Float32Array([1.5])).truncated, false);
  const cartDone = make("CartPole-v1");
  cartDone.reset({ options: { state: [0, 0, 0.2, 2] } });
  assert.equal(cartDone.step(1).terminated, true);
  assert.throws(() => cartDone.step(1), /CartPole-v1: step\(\) called after the episode ended/);
});

/**
 * A custom env that guards nothing itself: its observation counts the actions taken, every reward
 * is 1, and it terminates once the count reaches `terminateAt`.
 */
class Counter implements Env {
  readonly observationSpace = box(0, 100, [1]);
  readonly actionSpace = discrete(2);
  private n = 0;
  constructor(
    readonly id: string,
    private readonly terminateAt = Number.POSITIVE_INFINITY,
  ) {}
  reset() {
    this.n = 0;
    return { observation: Float64Array.of(0), info: {} };
  }
  step(a: number | ArrayLike<number>) {
    this.n += a as number;
    return {
      observation: Float64Array.of(this.n),
      reward: 1,
      terminated: this.n >= this.terminateAt,
      truncated: false,
      info: {},
    };
  }
  close() {}
}

test("register: custom envs get the time limit; duplicates and bad limits are rejected", () => {
  register("Counter-test", () => new Counter("Counter-test"), {
    maxEpisodeSteps: 3,
    rewardThreshold: 2,
  });
  assert.throws(
    () => register("Counter-test", () => new Counter("Counter-test")),
    /already registered/,
  );
  assert.throws(
    () => register("Counter-bad", () => new Counter("Counter-bad"), { maxEpisodeSteps: 0 }),
    /maxEpisodeSteps must be a positive integer, got 0/,
  );
  const env = make("Counter-test");
  assert.equal(env.maxEpisodeSteps, 3);
  assert.equal(env.rewardThreshold, 2);
  env.reset();
  assert.deepEqual(
    [env.step(1).truncated, env.step(1).truncated, env.step(1).truncated],
    [false, false, true],
  );
  assert.throws(
    () => env.step(1),
    /Counter-test: step\(\) called after the episode ended \(terminated, or truncated at the time limit of 3 steps\) without reset\(\)/,
  );
  assert.equal(make("Counter-test", { maxEpisodeSteps: 10 }).maxEpisodeSteps, 10);
  assert.equal(make("CartPole-v1", { maxEpisodeSteps: 10 }).maxEpisodeSteps, 10);
});

test("register: the time limit refuses step() before reset and after the episode ended, as TimeLimit", () => {
  register("Loose-test", () => new Counter("Loose-test", 2), { maxEpisodeSteps: 4 });
  const env = make("Loose-test");
  assert.ok(env instanceof TimeLimit, "make wraps it in the TimeLimit wrapper");
  assert.throws(() => env.step(1), /Loose-test: step\(\) called before reset\(\)/);
  env.reset();
  assert.equal(env.step(1).terminated, false);
  assert.equal(env.step(1).terminated, true);
  assert.throws(() => env.step(0), /Loose-test: step\(\) called after the episode ended/);
  env.reset();
  const flags = [0, 0, 0, 0].map(() => env.step(0).truncated);
  assert.deepEqual(flags, [false, false, false, true]);
  assert.throws(() => env.step(0), /truncated at the time limit of 4 steps\) without reset/);
  env.reset();
  assert.equal(env.step(0).truncated, false, "reset starts a new episode");
});
