// Class 4 of issue #16: the Env contract, checked at the boundary the same way everywhere. Each
// broken env gets the same one message (naming the env, the method and the field) at its first bad
// step, in training exactly as in evaluation; a string reward used to train for 59 updates.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { evaluate } from "../../src/algos/evaluate.ts";
import { createPolicy } from "../../src/algos/policy.ts";
import { reinforce } from "../../src/algos/reinforce.ts";
import { Rng } from "../../src/core/rng.ts";
import { box, discrete } from "../../src/envs/spaces.ts";
import type { Env } from "../../src/envs/types.ts";
import { ROOT } from "../cli/run-cli.ts";
import { assertRefused, cli } from "./helpers.ts";

/** A one-number corridor whose `bad` result replaces a good one from step `at` of each episode. */
function brokenEnv(
  bad: { reset?: () => unknown; step?: (good: Record<string, unknown>) => unknown },
  at = 2,
): () => Env {
  return () => {
    let t = 0;
    return {
      id: "Broken-v0",
      observationSpace: box(0, 1, [1]),
      actionSpace: discrete(2),
      reset() {
        t = 0;
        return (bad.reset ? bad.reset() : { observation: Float64Array.of(0), info: {} }) as never;
      },
      step() {
        t++;
        const good = {
          observation: Float64Array.of(0.5),
          reward: 1,
          terminated: t >= 5,
          truncated: false,
          info: {},
        };
        return (bad.step && t >= at ? bad.step(good) : good) as never;
      },
      close() {},
    };
  };
}

const CASES: [string, Parameters<typeof brokenEnv>[0], RegExp][] = [
  [
    "step() returns undefined",
    { step: () => undefined },
    /step\(\) returned undefined; expected \{ observation, reward, terminated, truncated, info \}/,
  ],
  [
    "a string reward",
    { step: (g) => ({ ...g, reward: "1" }) },
    /step\(\) returned reward string "1"; expected a finite number/,
  ],
  [
    "a NaN reward",
    { step: (g) => ({ ...g, reward: Number.NaN }) },
    /step\(\) returned reward NaN; expected a finite number/,
  ],
  [
    "a missing reward",
    { step: (g) => ({ ...g, reward: undefined }) },
    /step\(\) returned reward undefined/,
  ],
  [
    "a wrong-shaped observation",
    { step: (g) => ({ ...g, observation: [0.5, 0.5] }) },
    /step\(\) returned an observation of 2 values .*its observation space has 1/,
  ],
  [
    "a string in the observation",
    { step: (g) => ({ ...g, observation: ["0.5"] }) },
    /step\(\) returned observation\[0\] = string "0\.5"; expected a finite number/,
  ],
  [
    "an observation that is a string",
    { step: (g) => ({ ...g, observation: "0.5" }) },
    /step\(\) returned observation string "0\.5"; expected 1 numbers/,
  ],
  [
    "terminated as a number",
    { step: (g) => ({ ...g, terminated: 0 }) },
    /step\(\) returned terminated 0; expected true or false/,
  ],
  [
    "reset() returns undefined",
    { reset: () => undefined },
    /reset\(\) returned undefined; expected \{ observation, info \}/,
  ],
  [
    "reset() without an observation",
    { reset: () => ({ info: {} }) },
    /reset\(\) returned observation undefined; expected 1 numbers/,
  ],
];

for (const [what, bad, message] of CASES) {
  test(`${what}: one message naming env, method and field, the same in training and evaluation`, () => {
    const make = brokenEnv(bad);
    let trainError: Error | undefined;
    try {
      reinforce(
        make,
        { seed: 0, totalSteps: 200, numEnvs: 1, batchEpisodes: 2 },
        { onWarning: () => {} },
      );
    } catch (e) {
      trainError = e as Error;
    }
    const policy = createPolicy(
      {
        obsDim: 1,
        actionSpace: discrete(2),
        hiddenSizes: [4],
        activation: "tanh",
        logStd: "state-independent",
        squash: "clip",
        initLogStd: 0,
      },
      new Rng(0),
    );
    let evalError: Error | undefined;
    try {
      evaluate(policy, make(), { episodes: 2, seed: 0, deterministic: false });
    } catch (e) {
      evalError = e as Error;
    }
    assert.ok(evalError, "evaluation refused it");
    assert.match(evalError.message, /^env "Broken-v0": /);
    assert.match(evalError.message, message);
    assert.ok(trainError, "training refused it");
    // Training says where (update, env step), then exactly the evaluation's message.
    assert.match(trainError.message, /^reinforce \(update 1, env step 0\): env "Broken-v0": /);
    assert.ok(
      trainError.message.endsWith(evalError.message),
      `${trainError.message}\n${evalError.message}`,
    );
  });
}

test("on the command line: a string reward stops training at its first step in one line (exit 1)", async () => {
  const tmp = mkdtempSync(join(tmpdir(), "pg-hard-contract-"));
  const mod = join(tmp, "string-reward.mts");
  writeFileSync(
    mod,
    `import { box, discrete, register } from ${JSON.stringify(pathToFileURL(join(ROOT, "src", "index.ts")).href)};
register("StringReward-v0", () => ({
  id: "StringReward-v0", observationSpace: box(0, 1, [1]), actionSpace: discrete(2), t: 0,
  reset() { this.t = 0; return { observation: Float64Array.of(0), info: {} }; },
  step() { this.t++; return { observation: Float64Array.of(0), reward: "1", terminated: this.t > 3, truncated: false, info: {} }; },
  close() {},
}));
`,
  );
  const r = await cli(["train", "StringReward-v0", "--env-module", mod, "--out", join(tmp, "run")]);
  assertRefused(
    r,
    1,
    /^policygrad: training failed: reinforce \(update 1, env step 0\): env "StringReward-v0": step\(\) returned reward string "1"; expected a finite number$/,
  );
});
