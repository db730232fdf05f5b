/**
 * Per-environment presets (as rl-baselines3-zoo keeps per-env hyperparameters): the base config of
 * `policygrad train <env>` for each algorithm, shown by `policygrad envs` and `train --help`.
 * `--preset <name>` and flags override a preset's fields; an env without an entry uses the
 * algorithm's defaults.
 *
 * Today every entry is the REINFORCE defaults (tuned on CartPole-v1, see reinforce-config.ts); the
 * tuned values per env, with the seeds they were tuned on and what they reach, belong here.
 */

import type { ApgConfig } from "./apg-config.ts";
import type { ReinforceConfig } from "./reinforce-config.ts";
import type { Preset } from "./trainer.ts";

/** REINFORCE's preset per built-in env id. */
export const REINFORCE_ENV_PRESETS: Readonly<Record<string, Preset<ReinforceConfig>>> = {
  "CartPole-v1": { description: "the defaults (tuned on CartPole-v1)", config: {} },
  // bench:schedules (2026-12-02, seeds 10-13, 150k steps, no stopping): the final deterministic
  // return's median was -101 with a linear lr decay to 0 against -350 constant (cosine -355);
  // CartPole-v1 was 500 either way, so the schema's default stays constant.
  "Acrobot-v1": {
    description:
      "the defaults with a linear lr decay (final return -101 vs -350 constant, median of 4 seeds)",
    config: { lrSchedule: "linear" },
  },
  "MountainCar-v0": { description: "the defaults (not tuned for MountainCar-v0 yet)", config: {} },
  "Pendulum-v1": { description: "the defaults (not tuned for Pendulum-v1 yet)", config: {} },
  "MountainCarContinuous-v0": {
    description: "the defaults (not tuned for MountainCarContinuous-v0 yet)",
    config: {},
  },
};

/**
 * APG's preset per differentiable built-in (README, "Analytic policy gradients"). Pendulum-v1 uses
 * the defaults, which were tuned on it; the LQ task's preset is the setting whose optimum is K*.
 */
export const APG_ENV_PRESETS: Readonly<Record<string, Preset<ApgConfig>>> = {
  "Pendulum-v1": { description: "the defaults (tuned on Pendulum-v1)", config: {} },
  "LinearQuadratic-v0": {
    description:
      "a linear policy, deterministic, whole-episode windows of the env's own reward: its optimum is the LQR gain K*",
    config: {
      hiddenSizes: [],
      actionNoise: "none",
      reward: "env",
      window: 200,
      numEnvs: 16,
      lr: 0.5,
      // Clipped: the first gradients (K near 0, the double integrator drifting) are 1e5 times the
      // later ones, and Adam's second moment would remember them for many updates.
      maxGradNorm: 1,
      totalSteps: 16 * 200 * 80,
    },
  },
  "CartPoleSwingUp-v0": {
    description:
      "100-step windows (2 s, about one swing) over 8 envs for 2M env steps: deterministic returns -462 (seed 0) and -864 (seed 1) over 100 episodes; 1M steps reach only -1255",
    config: { window: 100, numEnvs: 8, totalSteps: 2_000_000 },
  },
  "MountainCarContinuous-v0": {
    description:
      "the defaults; the negative control: the goal bonus has no gradient, so APG learns to stand still (use reinforce)",
    config: {},
  },
};
