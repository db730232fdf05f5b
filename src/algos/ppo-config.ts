/**
 * The one documented configuration of PPO and of the unclipped importance-sampled policy gradients
 * (`--algo is`, `--algo is-pd`): several updates per batch. Defaults, validation and CLI flags
 * derive from {@link ppoSchema}. The defaults are CleanRL's ppo.py (Huang et al. 2022, "The 37
 * Implementation Details of Proximal Policy Optimization"), except where a field says otherwise.
 */
import {
  booleanField,
  type ConfigOf,
  enumField,
  intField,
  intListField,
  nullableNumberField,
  numberField,
  resolveConfig,
} from "../config/schema.ts";
import { policyHeadSchema } from "./policy.ts";
import { type Preset, runSchema } from "./trainer.ts";

export const ppoSchema = {
  seed: runSchema.seed,
  totalSteps: intField(500_000, runSchema.totalSteps.doc, { min: 1 }),
  objective: enumField(
    "clipped",
    ["clipped", "ratio", "per-decision"] as const,
    '"clipped": PPO\'s clipped surrogate. "ratio": the per-step importance-sampled surrogate rho_t A_t, unclipped (--algo is). "per-decision": Precup\'s per-decision importance sampling of the returns, unbiased for grad J at any theta (--algo is-pd; full-batch steps, no advantages).',
  ),
  numEnvs: intField(4, "Sub-environments stepped together by the vector env.", { min: 1 }),
  rolloutSteps: intField(
    128,
    "Steps per sub-env per batch (batch = numEnvs * rolloutSteps transitions; episodes continue across batches).",
    { min: 1 },
  ),
  updateEpochs: intField(4, "Passes over each batch (K epochs).", { min: 1 }),
  numMinibatches: intField(
    4,
    'Shuffled minibatches per epoch; each is one gradient step ("per-decision" always uses the whole batch).',
    { min: 1 },
  ),
  gamma: numberField(0.99, "Discount factor.", { min: 0, max: 1 }),
  gaeLambda: numberField(
    0.95,
    "Lambda of generalized advantage estimation (Schulman et al. 2016).",
    {
      min: 0,
      max: 1,
    },
  ),
  bootstrapTruncated: booleanField(
    true,
    "At a time-limit truncation or a batch cut, continue the return with gamma * V(next state) instead of 0.",
  ),
  normalizeAdvantages: booleanField(
    true,
    "Scale each minibatch's advantages to mean 0, std 1 (CleanRL normalizes per minibatch).",
  ),
  clipCoef: numberField(
    0.2,
    "PPO's clip range eps: ratios outside [1 - eps, 1 + eps] get no gradient where the clip binds.",
    {
      min: 0,
      exclusiveMin: true,
    },
  ),
  clipValueLoss: booleanField(
    true,
    "Clip the value function's change around its rollout value by clipCoef (PPO's value loss clipping).",
  ),
  entropyCoef: numberField(0.01, "Weight of the entropy bonus.", { min: 0 }),
  valueCoef: numberField(0.5, "Weight of the value loss in the joint loss.", { min: 0 }),
  maxGradNorm: nullableNumberField(
    0.5,
    "Clip the joint gradient (policy and value) to this global L2 norm; null for no clipping.",
    { min: 0, exclusiveMin: true },
  ),
  targetKl: nullableNumberField(
    null,
    "Stop the epochs of a batch early once the approximate KL to the behaviour policy exceeds this; null: never.",
    { min: 0, exclusiveMin: true },
  ),
  lr: numberField(2.5e-4, "Adam learning rate (policy and value).", { min: 0, exclusiveMin: true }),
  // CleanRL anneals PPO's learning rate linearly to 0 over the budget.
  lrSchedule: enumField("linear", runSchema.lrSchedule.choices, runSchema.lrSchedule.doc),
  adamEps: numberField(1e-5, "Adam's epsilon (CleanRL and SB3 use 1e-5 for PPO, not 1e-8).", {
    min: 0,
    exclusiveMin: true,
  }),
  normalizeObservations: booleanField(
    false,
    "Normalize observations with running statistics, clipped to +-10 (shared by the sub-envs, updated after each batch, saved in checkpoints and applied wherever the policy acts; src/algos/obs-norm.ts).",
  ),
  normalizeRewards: booleanField(
    false,
    "Divide rewards by the running std of the discounted return (Gymnasium's NormalizeReward), before the advantages are computed; episode returns are still reported raw.",
  ),
  clipRewards: nullableNumberField(10, "Clip normalized rewards to [-c, c]; null: no clip.", {
    min: 0,
    exclusiveMin: true,
  }),
  hiddenSizes: intListField([64, 64], "Hidden layer widths of the policy MLP.", { min: 1 }),
  valueHiddenSizes: intListField([64, 64], "Hidden layer widths of the separate V(s) MLP.", {
    min: 1,
  }),
  ...policyHeadSchema,
  evalEvery: runSchema.evalEvery,
  evalEpisodes: runSchema.evalEpisodes,
  evalMode: runSchema.evalMode,
  stop: runSchema.stop,
  stopAtReturn: runSchema.stopAtReturn,
} as const;

export type PpoConfig = ConfigOf<typeof ppoSchema>;

/** Checks and completes a partial config; errors name the field, the value and the range. */
export function resolvePpoConfig(overrides: Partial<PpoConfig> = {}): PpoConfig {
  return resolveConfig(ppoSchema, overrides, "PpoConfig");
}

/** The small networks the per-env presets use: as sample-efficient here, and about twice as fast. */
const SMALL_NETS = { hiddenSizes: [32, 32], valueHiddenSizes: [32, 32] } as const;

/**
 * Tuned per-env PPO presets (rl-baselines3-zoo keeps per-env hyperparameters too). Tuned on seeds
 * 0-3 with deterministic evaluation every 10 updates (bench/ppo.ts measures them on other seeds):
 * - CartPole-v1: rl-zoo's short rollouts and many epochs (gae 0.8, gamma 0.98), lr 2e-3, two
 *   minibatches: evaluation at 500 after 8-13k steps.
 * - Acrobot-v1: reward normalization is what makes it learn (without it the value error of
 *   returns near -500 dominates the clipped joint gradient): -100 after about 5k steps.
 * - Pendulum-v1: observation and reward normalization, gamma 0.95, 10 epochs of minibatches of 64,
 *   tanh-squashed actions, lr 1e-3 over 200k steps. With clipped actions and lr 2e-3 over 100k,
 *   20-episode evaluations at the end sat at -204 (median of seeds 0-5) and down to -295; with
 *   these, -194 (seeds 0-7, worst -202).
 * - MountainCarContinuous-v0: normalization and a wider initial std (log-std 0.5) so the first
 *   batches reach the flag: 90 after about 10k steps.
 */
export const PPO_ENV_CONFIGS: Readonly<Record<string, Partial<PpoConfig>>> = {
  "CartPole-v1": {
    ...SMALL_NETS,
    totalSteps: 50_000,
    numEnvs: 8,
    rolloutSteps: 32,
    numMinibatches: 2,
    updateEpochs: 10,
    gamma: 0.98,
    gaeLambda: 0.8,
    entropyCoef: 0,
    lr: 2e-3,
    clipValueLoss: false,
  },
  "Acrobot-v1": {
    ...SMALL_NETS,
    totalSteps: 60_000,
    numEnvs: 8,
    rolloutSteps: 64,
    numMinibatches: 4,
    updateEpochs: 4,
    gamma: 0.99,
    gaeLambda: 0.94,
    entropyCoef: 0,
    lr: 2e-3,
    normalizeRewards: true,
  },
  "Pendulum-v1": {
    ...SMALL_NETS,
    totalSteps: 200_000,
    numEnvs: 4,
    rolloutSteps: 256,
    numMinibatches: 16,
    updateEpochs: 10,
    gamma: 0.95,
    gaeLambda: 0.95,
    entropyCoef: 0,
    lr: 1e-3,
    squash: "tanh",
    clipValueLoss: false,
    normalizeObservations: true,
    normalizeRewards: true,
  },
  "MountainCarContinuous-v0": {
    ...SMALL_NETS,
    totalSteps: 60_000,
    numEnvs: 4,
    rolloutSteps: 256,
    numMinibatches: 8,
    updateEpochs: 10,
    gamma: 0.99,
    gaeLambda: 0.9,
    entropyCoef: 0,
    lr: 1e-3,
    initLogStd: 0.5,
    normalizeObservations: true,
    normalizeRewards: true,
  },
};

/** {@link PPO_ENV_CONFIGS} as the trainer layer's per-env presets of `--algo ppo|is|is-pd`. */
export const PPO_ENV_PRESETS: Readonly<Record<string, Preset<PpoConfig>>> = Object.fromEntries(
  Object.entries(PPO_ENV_CONFIGS).map(([id, config]) => [
    id,
    { description: `tuned for ${id} (src/algos/ppo-config.ts)`, config },
  ]),
);
