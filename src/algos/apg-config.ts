/**
 * The one documented configuration of analytic policy gradients (APG): defaults, validation and
 * CLI flags all derive from {@link apgSchema}. The defaults are tuned on Pendulum-v1 (README,
 * "Analytic policy gradients"; bench/apg.ts measures them).
 */
import {
  type ConfigOf,
  enumField,
  intField,
  intListField,
  nullableNumberField,
  numberField,
  resolveConfig,
} from "../config/schema.ts";
import { runSchema } from "./trainer.ts";

export const apgSchema = {
  seed: runSchema.seed,
  totalSteps: intField(100_000, runSchema.totalSteps.doc, { min: 1 }),
  numEnvs: intField(4, "Environments unrolled together (the batch B the loss averages over).", {
    min: 1,
  }),
  window: intField(
    32,
    "Steps per update (H): the return is backpropagated through windows of this many steps; the env state carries on to the next window with its gradient cut (Brax APG, SHAC). Use the time limit for whole-episode windows.",
    { min: 1 },
  ),
  gamma: numberField(0.99, "Discount of the window's return sum_t gamma^t r_t.", {
    min: 0,
    max: 1,
  }),
  stateGrad: enumField(
    "full",
    ["full", "detach"] as const,
    '"full": backpropagate through every state of the window. "detach": each step\'s state enters as a constant, s_{t+1} = f(sg[s_t], a_t), so each action is scored only by the transition it makes (one-step, greedy).',
  ),
  reward: enumField(
    "outcome",
    ["outcome", "env"] as const,
    '"outcome": score each transition by r(s_{t+1}, a_t), the reward of the state the action leads to. "env": by the env\'s own reward as written (for Pendulum and LinearQuadratic that of the state before the step, so the last action of a window is scored by its cost alone).',
  ),
  actionNoise: enumField(
    "gaussian",
    ["gaussian", "none"] as const,
    '"gaussian": reparameterized actions a = squash(mu + sigma * eps) with a learned log-std; "none": deterministic a = squash(mu).',
  ),
  initLogStd: numberField(-1, 'Initial log-std of the action noise ("gaussian").'),
  hiddenSizes: intListField([32, 32], "Hidden layer widths of the policy MLP; [] is linear.", {
    min: 1,
  }),
  activation: enumField("tanh", ["tanh", "relu", "elu"] as const, "Hidden activation."),
  lr: numberField(0.01, "Adam learning rate.", { min: 0, exclusiveMin: true }),
  lrSchedule: enumField("cosine", runSchema.lrSchedule.choices, runSchema.lrSchedule.doc),
  beta1: numberField(0.7, "Adam beta1 (0.7 damps the momentum of the noisy pathwise gradient).", {
    min: 0,
    max: 1,
    exclusiveMax: true,
  }),
  beta2: numberField(0.95, "Adam beta2.", { min: 0, max: 1, exclusiveMax: true }),
  maxGradNorm: nullableNumberField(
    10,
    "Clip the gradient to this global L2 norm before the step (the pre-clip norm is logged as gradNorm); null for no clipping.",
    { min: 0, exclusiveMin: true },
  ),
  evalEvery: runSchema.evalEvery,
  evalEpisodes: runSchema.evalEpisodes,
  evalMode: runSchema.evalMode,
  stop: runSchema.stop,
  stopAtReturn: runSchema.stopAtReturn,
} as const;

export type ApgConfig = ConfigOf<typeof apgSchema>;

/** Checks and completes a partial config; errors name the field, the value and the range. */
export function resolveApgConfig(overrides: Partial<ApgConfig> = {}): ApgConfig {
  return resolveConfig(apgSchema, overrides, "ApgConfig");
}
