/**
 * `policygrad/node`: what needs Node's file system. Checkpoints (safetensors parameters plus JSON
 * state), metric logs (JSON lines) and learning-curve plots (SVG, PNG), all written atomically.
 *
 * @example
 * import { make, reinforcePolicy } from "policygrad";
 * import { loadCheckpoint } from "policygrad/node";
 * const policy = reinforcePolicy(loadCheckpoint("runs/my-run"), make("CartPole-v1"));
 */
export * from "./io/index.ts";
