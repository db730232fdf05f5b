/**
 * The random streams of a training run, derived in this one place from the run seed.
 *
 * Each purpose has its own stream, `new Rng(deriveSeed(seed, STREAMS[purpose]))`; streams that
 * hold one generator per sub-env or per evaluation episode add its index: sub-env i resets from
 * `deriveSeed(streamSeed(seed, "envResets"), i)` (the vector env's `reset(seed)` does that step),
 * evaluation episode i from `deriveSeed(streamSeed(seed, "evalEnvs"), i)`. deriveSeed is a
 * SplitMix64 hash of the path (src/core/rng.ts), so no two purposes, indices or run seeds share a
 * stream: before this, the policy's initial weights and sub-env 0's first reset read the same
 * stream, and sub-env 1 of seed s replayed sub-env 0 of seed s + 1 (issue #11).
 *
 * The numbers are part of the format: changing one changes every run's results.
 */
import { deriveSeed, Rng } from "../core/rng.ts";

/** Each purpose's number in the derivation path. */
export const STREAMS = {
  /** The policy's initial parameters. */
  policyInit: 1,
  /** The value function's initial parameters. */
  valueInit: 2,
  /** Sampling the actions of training rollouts. */
  actions: 3,
  /** The training vector env's resets; sub-env i takes index i. */
  envResets: 4,
  /** The evaluation envs' resets; episode i takes index i. */
  evalEnvs: 5,
  /** Sampling the actions of stochastic evaluation. */
  evalActions: 6,
  /** The order of the minibatches of algorithms that reuse a batch (PPO). */
  minibatches: 7,
} as const;

export type StreamPurpose = keyof typeof STREAMS;

/** The seed of `purpose`'s stream in the run seeded with `seed` (an integer in [0, 2^53)). */
export function streamSeed(seed: number, purpose: StreamPurpose): number {
  return deriveSeed(seed, STREAMS[purpose]);
}

/** A fresh generator of `purpose`'s stream in the run seeded with `seed`. */
export function streamRng(seed: number, purpose: StreamPurpose): Rng {
  return new Rng(streamSeed(seed, purpose));
}
