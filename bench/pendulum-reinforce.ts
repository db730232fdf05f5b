/**
 * REINFORCE's best Pendulum-v1 settings found so far (bench/pg.ts measured them: -256 mean over
 * seeds 0-2 after 1M steps with the linearly decaying lr; 300k at a constant lr: -447), shared by
 * bench:pg and bench:apg.
 */
import type { ReinforceConfig } from "../src/algos/reinforce.ts";

export const PENDULUM_REINFORCE: Partial<ReinforceConfig> = {
  lrSchedule: "linear",
  batchMode: "steps",
  numEnvs: 16,
  rolloutSteps: 100,
  baseline: "value",
  gaeLambda: 0.95,
  gamma: 0.99,
  rewardScale: 0.01,
  lr: 0.01,
  hiddenSizes: [32],
  activation: "relu",
  valueHiddenSizes: [32],
  valueLr: 0.01,
  valueIterations: 5,
};
