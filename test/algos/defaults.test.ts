/**
 * The presets' claims (src/algos/presets.ts, the README's "Defaults per environment") as learning
 * tests: `policygrad train <id>` with no flag trains with the env's preset, and the policy `eval`
 * then uses (the best evaluation's checkpoint) reaches the table's value on 20 deterministic
 * episodes. One fixed seed each, chosen among the tuning seeds for a short run; every seed and the
 * full budgets are `npm run bench:defaults`'s job. Pendulum-v1 and MountainCarContinuous-v0 run a
 * reduced budget here (their full runs take 15-40 s) and assert a weaker, stated value.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluate } from "../../src/algos/evaluate.ts";
import { REINFORCE_ENV_PRESETS } from "../../src/algos/presets.ts";
import { type ReinforceConfig, reinforce, reinforcePolicy } from "../../src/algos/reinforce.ts";
import { make } from "../../src/envs/registry.ts";

/** Trains `env`'s preset (overlaid with `overrides`) and evaluates the policy `eval` would use. */
function trainPreset(env: string, seed: number, overrides: Partial<ReinforceConfig> = {}) {
  const preset = REINFORCE_ENV_PRESETS[env];
  assert.ok(preset, `${env} has a preset`);
  const warnings: string[] = [];
  const run = reinforce(
    env,
    { ...preset.config, seed, ...overrides },
    { onWarning: (w) => warnings.push(w) },
  );
  const policy = reinforcePolicy(run.best?.checkpoint ?? run.checkpoint, make(env));
  const ret = evaluate(policy, env, {
    episodes: 20,
    seed: 1_000_000 + seed,
    deterministic: true,
  }).returnMean;
  const steps = run.metrics?.envSteps ?? 0;
  console.log(`${env} (preset, seed ${seed}): ${ret.toFixed(1)} after ${steps} env steps`);
  return { ret, steps, warnings };
}

test("CartPole-v1's preset: >= 475 (seed 15)", () => {
  const { ret, warnings } = trainPreset("CartPole-v1", 15);
  assert.ok(ret >= 475, `CartPole-v1: ${ret}`);
  assert.deepEqual(warnings, []);
});

test("Acrobot-v1's preset: >= -100 (seed 13)", () => {
  const { ret } = trainPreset("Acrobot-v1", 13);
  assert.ok(ret >= -100, `Acrobot-v1: ${ret}`);
});

test("MountainCar-v0's preset: >= -130 (seed 15); without its shaping there is no signal and the run says so", () => {
  const { ret, warnings } = trainPreset("MountainCar-v0", 15);
  assert.ok(ret >= -130, `MountainCar-v0: ${ret}`);
  assert.deepEqual(warnings, []);
  const plain = trainPreset("MountainCar-v0", 15, { shaping: 0, totalSteps: 20_000 });
  assert.equal(plain.ret, -200);
  assert.equal(plain.warnings.length, 1);
  assert.match(plain.warnings[0], /no learning signal.*shaping/s);
});

test("Pendulum-v1's preset at half its budget: >= -300 (seed 10; the full 1M-step claim is bench:defaults')", () => {
  // Measured: seed 10 reaches -160 at 500k env steps (the lr decaying over 500k), seed 11 -399;
  // an untrained policy scores about -1200.
  const { ret } = trainPreset("Pendulum-v1", 10, { totalSteps: 500_000 });
  assert.ok(ret >= -300, `Pendulum-v1: ${ret}`);
});

test("MountainCarContinuous-v0's preset: >= 90 (seed 10)", () => {
  // Measured: seed 10 stops at 61k env steps (its 50-episode evaluation reached 96), then 96.2.
  const { ret, steps } = trainPreset("MountainCarContinuous-v0", 10);
  assert.ok(ret >= 90, `MountainCarContinuous-v0: ${ret}`);
  assert.ok(steps < 500_000, `stopped at the return before the budget (${steps} env steps)`);
});
