/**
 * Per-environment presets (as rl-baselines3-zoo keeps per-env hyperparameters): the base config of
 * `policygrad train <env>` for each algorithm, shown by `policygrad envs` and `train --help`.
 * `--preset <name>` and flags override a preset's fields; an env without an entry uses the
 * algorithm's defaults.
 *
 * Today every entry is the REINFORCE defaults (tuned on CartPole-v1, see reinforce-config.ts); the
 * tuned values per env, with the seeds they were tuned on and what they reach, belong here.
 */

import type { ReinforceConfig } from "./reinforce-config.ts";
import type { Preset } from "./trainer.ts";

/** REINFORCE's preset per built-in env id. */
export const REINFORCE_ENV_PRESETS: Readonly<Record<string, Preset<ReinforceConfig>>> = {
  "CartPole-v1": { description: "the defaults (tuned on CartPole-v1)", config: {} },
  "Acrobot-v1": { description: "the defaults (not tuned for Acrobot-v1 yet)", config: {} },
  "MountainCar-v0": { description: "the defaults (not tuned for MountainCar-v0 yet)", config: {} },
  "Pendulum-v1": { description: "the defaults (not tuned for Pendulum-v1 yet)", config: {} },
  "MountainCarContinuous-v0": {
    description: "the defaults (not tuned for MountainCarContinuous-v0 yet)",
    config: {},
  },
};
