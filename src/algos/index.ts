/**
 * Algorithms: REINFORCE and PPO (with the unclipped importance-sampled gradients is / is-pd), the
 * trainer layer, the surrogate estimators, rollouts, returns and advantages,
 * the learned baseline, evaluation, and the policy they train.
 */
export * from "./apg.ts";
export * from "./evaluate.ts";
export * from "./gradprobe.ts";
export * from "./obs-norm.ts";
export * from "./obs-scale.ts";
export * from "./policy.ts";
export * from "./ppo.ts";
export * from "./presets.ts";
export * from "./reinforce.ts";
export * from "./returns.ts";
export * from "./reward-norm.ts";
export * from "./rollout.ts";
export * from "./streams.ts";
export * from "./surrogates.ts";
export * from "./trainer.ts";
export * from "./value.ts";
