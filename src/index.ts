/**
 * policygrad: policy-gradient reinforcement learning for TypeScript.
 *
 * The public API, one import away: the autodiff core, networks and optimizers, action
 * distributions, Gymnasium-compatible environments and the trainers. Nothing here touches Node's
 * APIs, so it runs in the browser too; files (checkpoints, metric logs, plots) are in
 * `policygrad/node` (src/node.ts).
 *
 * @example
 * import { evaluate, make, reinforce } from "policygrad";
 * const { policy } = reinforce("CartPole-v1", { seed: 0 });
 * console.log(evaluate(policy, make("CartPole-v1"), { episodes: 10, seed: 1, deterministic: true }).returnMean);
 */
export * from "./algos/index.ts";
export * from "./config/schema.ts";
export * from "./core/index.ts";
export * from "./distributions/index.ts";
export * from "./envs/index.ts";
export * from "./io/checkpoint-file.ts";
export * from "./io/safetensors.ts";
export * from "./io/state-json.ts";
export * from "./nn/index.ts";
