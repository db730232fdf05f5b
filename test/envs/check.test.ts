import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/core/rng.ts";
import {
  checkEnv,
  EnvCheckError,
  type EnvCheckReport,
  spaceProblems,
} from "../../src/envs/check.ts";
import { listEnvs, make } from "../../src/envs/registry.ts";
import { box, discrete, type Space } from "../../src/envs/spaces.ts";
import { bandit } from "../../src/envs/toy/bandit.ts";
import { finiteMdp } from "../../src/envs/toy/finite-mdp.ts";
import { point1d } from "../../src/envs/toy/point.ts";
import "../../src/envs/toy/register.ts";
import type { Action, Env, ResetOptions, ResetResult, StepResult } from "../../src/envs/types.ts";
import {
  ClipAction,
  NormalizeObservation,
  NormalizeReward,
  RecordEpisodeStatistics,
  RescaleAction,
  TimeLimit,
} from "../../src/envs/wrappers.ts";

function assertClean(report: EnvCheckReport) {
  assert.equal(report.passed, true);
  assert.deepEqual(report.warnings, [], `${report.id} warnings`);
  assert.ok(report.checks.length >= 10);
  assert.ok(report.checks.every((c) => c.passed && c.message === "ok"));
}

test("every registered env passes checkEnv without warnings", () => {
  const ids = listEnvs();
  for (const id of [
    "CartPole-v1",
    "Pendulum-v1",
    "MountainCar-v0",
    "MountainCarContinuous-v0",
    "Acrobot-v1",
    "Bandit-v0",
    "Point1D-v0",
  ]) {
    assert.ok(ids.includes(id), `${id} is registered`);
  }
  for (const id of ids) assertClean(checkEnv(make(id), { seed: 3 }));
});

test("toy envs and wrapped envs pass checkEnv", () => {
  const mdp = finiteMdp({
    transitions: [
      [
        [0.5, 0.5, 0],
        [0, 0.2, 0.8],
      ],
      [
        [0.1, 0.9, 0],
        [0, 0, 1],
      ],
      [
        [0, 0, 1],
        [0, 0, 1],
      ],
    ],
    rewards: [
      [1, 0],
      [0, 2],
      [0, 0],
    ],
    initial: [1, 0, 0],
    terminal: [false, false, true],
    maxEpisodeSteps: 20,
  });
  assertClean(checkEnv(mdp.env));
  assertClean(checkEnv(bandit([1, 2, 3], 0.5)));
  assertClean(checkEnv(point1d({ speed: 0.5 })));
  // Normalizers are checked frozen: live statistics carry over from one run to the next, so the
  // same seed cannot give the same observations (see the next test).
  assertClean(
    checkEnv(
      new RecordEpisodeStatistics(new NormalizeObservation(make("CartPole-v1"), { frozen: true })),
    ),
  );
  assertClean(
    checkEnv(new NormalizeReward(new RescaleAction(make("Pendulum-v1"), -1, 1), { frozen: true })),
  );
  assertClean(checkEnv(new TimeLimit(make("Acrobot-v1"), 50)));
  // ClipAction accepts any finite action by design: its space is Box(-inf, inf).
  assertClean(checkEnv(new ClipAction(make("MountainCarContinuous-v0"))));
});

/**
 * A configurable custom env: a counter on a line, observation `[x]` in Box(-1, 1), episodes of
 * `length` steps. Each flaw breaks one part of the contract.
 */
class CustomEnv implements Env {
  readonly id = "Custom";
  readonly observationSpace: Space = box(-1, 1, [1]);
  readonly actionSpace: Space = discrete(2);
  private rng = new Rng(0);
  private x = 0;
  private t = 0;
  private done = true;
  private calls = 0;
  constructor(
    private readonly flaw:
      | "none"
      | "nondeterministic"
      | "nan"
      | "outside"
      | "no-done-guard"
      | "numeric-flags"
      | "accepts-anything"
      | "never-ends"
      | "reset-throws" = "none",
    private readonly length = 20,
  ) {}
  reset(options: ResetOptions = {}): ResetResult {
    if (this.flaw === "reset-throws") throw new Error("boom");
    if (options.seed !== undefined) this.rng = new Rng(options.seed);
    // The non-deterministic flaw: a call counter leaks into the initial state across seeds.
    this.x =
      this.flaw === "nondeterministic" ? (this.calls++ % 7) / 10 : this.rng.uniformRange(-0.5, 0.5);
    this.t = 0;
    this.done = false;
    return { observation: Float64Array.of(this.x), info: {} };
  }
  step(action: Action): StepResult {
    if (this.done && this.flaw !== "no-done-guard") throw new Error("Custom: reset() first");
    if (this.flaw !== "accepts-anything" && action !== 0 && action !== 1) {
      throw new RangeError(`Custom: invalid action ${String(action)}`);
    }
    this.x = Math.max(-1, Math.min(1, this.x + (action === 1 ? 0.1 : -0.1) * this.rng.uniform()));
    this.t++;
    const ended = this.flaw !== "never-ends" && this.t >= this.length;
    this.done = ended;
    let obs = this.x;
    if (this.flaw === "nan" && this.t === 5) obs = Number.NaN;
    if (this.flaw === "outside" && this.t === 3) obs = 1.5;
    const flag = this.flaw === "numeric-flags" ? (Number(ended) as unknown as boolean) : ended;
    return {
      observation: Float64Array.of(obs),
      reward: -Math.abs(this.x),
      terminated: false,
      truncated: flag,
      info: {},
    };
  }
  close(): void {}
}

function failures(env: Env, options = {}): Map<string, string> {
  const report = checkEnv(env, { ...options, noThrow: true });
  assert.equal(report.passed, false);
  return new Map(report.checks.filter((c) => !c.passed).map((c) => [c.name, c.message]));
}

test("live (unfrozen) normalizers are reported as not reset-deterministic", () => {
  const failed = failures(new NormalizeReward(make("Pendulum-v1")));
  assert.deepEqual([...failed.keys()], ["same seed gives the same trajectory"]);
  assert.match(failed.get("same seed gives the same trajectory")!, /step 0 reward/);
});

test("a well-behaved custom env passes", () => {
  assertClean(checkEnv(new CustomEnv()));
});

test("a non-deterministic env fails the determinism check, saying where the runs differ", () => {
  const failed = failures(new CustomEnv("nondeterministic"));
  assert.deepEqual([...failed.keys()], ["same seed gives the same trajectory"]);
  assert.match(
    failed.get("same seed gives the same trajectory")!,
    /two runs with reset\(\{ seed: 0 \}\) and the same actions differ at reset\(seed 0\) observation: \[0\] \(length 1\) vs \[0\.\d\] \(length 1\); expected identical trajectories/,
  );
});

test("NaN and out-of-space observations fail with the step, the element and the bounds", () => {
  const nan = failures(new CustomEnv("nan"));
  assert.match(
    nan.get("observations are finite")!,
    /step 4: observation element 0 is NaN, expected a finite number/,
  );
  // NaN is not inside the Box either.
  assert.match(
    nan.get("observations in observation space")!,
    /step 4: observation \[NaN\].*outside Box\(-1, 1, \[1\]\)/,
  );
  const outside = failures(new CustomEnv("outside"));
  assert.deepEqual([...outside.keys()], ["observations in observation space"]);
  assert.match(
    outside.get("observations in observation space")!,
    /step 2: observation \[1\.5\] \(length 1\) is outside Box\(-1, 1, \[1\]\) \(element 0 is 1\.5, expected within \[-1, 1\]\)/,
  );
  // Violations recur every episode: the first three are listed, the rest counted.
  assert.match(outside.get("observations in observation space")!, /; and \d+ more$/);
});

test("stepping after the end without an error, numeric flags and a throwing reset each fail", () => {
  assert.match(
    failures(new CustomEnv("no-done-guard")).get("step() after the episode ended throws")!,
    /returned normally; expected it to throw until reset\(\) is called/,
  );
  assert.match(
    failures(new CustomEnv("numeric-flags")).get("terminated and truncated are booleans")!,
    /step 0: truncated is 0, expected true or false/,
  );
  assert.match(
    failures(new CustomEnv("reset-throws")).get("reset() returns { observation, info }")!,
    /reset\(seed 0\): reset\(\) threw Error: boom/,
  );
});

test("the thrown EnvCheckError lists every failed check with what was expected", () => {
  class Broken extends CustomEnv {
    constructor() {
      super("nan");
    }
    override step(action: Action): StepResult {
      const r = super.step(action);
      return { ...r, reward: Number.POSITIVE_INFINITY };
    }
  }
  let error: unknown;
  try {
    checkEnv(new Broken());
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof EnvCheckError);
  const lines = error.message.split("\n");
  assert.match(lines[0], /^checkEnv\(Custom\): 3 check\(s\) failed:$/);
  assert.match(error.message, /- observations are finite: .*expected a finite number/);
  assert.match(
    error.message,
    /- rewards are finite: step 0: reward is Infinity, expected a finite number/,
  );
  assert.equal(error.report.passed, false);
});

test("warnings: invalid actions accepted, and no episode end to test stepping after it", () => {
  const lax = checkEnv(new CustomEnv("accepts-anything"));
  assert.equal(lax.passed, true);
  assert.equal(lax.warnings.length, 3);
  assert.match(lax.warnings[0], /step\(2\) did not throw, but the action is not in Discrete\(2\)/);
  const endless = checkEnv(new CustomEnv("never-ends"), { steps: 50 });
  assert.deepEqual(endless.warnings.length, 1);
  assert.match(endless.warnings[0], /no episode ended within 50 steps/);
  assert.equal(endless.episodes, 0);
});

test("malformed spaces and env objects are reported", () => {
  const badSpaces = Object.assign(new CustomEnv(), {
    observationSpace: {
      kind: "box",
      shape: [2],
      size: 2,
      low: new Float64Array(2),
      high: new Float64Array(1),
    },
    actionSpace: { kind: "discrete", n: 0, start: 0 },
  }) as unknown as Env;
  const failed = failures(badSpaces);
  assert.match(
    failed.get("observation space is valid")!,
    /Box high is .*expected a Float64Array of 2 bounds/,
  );
  assert.match(
    failed.get("action space is valid")!,
    /Discrete n is 0, expected a positive integer/,
  );
  assert.deepEqual(spaceProblems({ kind: "tuple" }), [
    'kind is string "tuple", expected "discrete", "box", "multi-discrete" or "multi-binary"',
  ]);
  assert.deepEqual(spaceProblems(box(0, 1, [3])), []);
  assert.throws(() => checkEnv({} as Env), /expected an Env object/);
});
