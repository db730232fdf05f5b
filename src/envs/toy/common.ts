/**
 * Small pieces shared by the toy environments (bandit, finite MDP): seeding, the episode guard
 * and Discrete action checks, with the same messages and semantics as the built-ins
 * (`PhysicsEnv`): an env never seeded starts from seed 0, `reset()` without a seed continues the
 * current stream, and stepping before `reset()` or after the episode ended is an error.
 */

import { exp } from "../../core/math.ts";
import { Rng } from "../../core/rng.ts";
import { type DiscreteSpace, describe, describeValue, type Space } from "../spaces.ts";
import type { ResetOptions } from "../types.ts";

/** The Rng after `reset(options)`: a new one for a given seed, else the current stream. */
export function reseed(id: string, current: Rng | null, options: ResetOptions): Rng {
  if (options.seed !== undefined) {
    if (!Number.isInteger(options.seed)) {
      throw new TypeError(
        `${id}: reset seed must be an integer, got ${describeValue(options.seed)}`,
      );
    }
    return new Rng(options.seed);
  }
  return current ?? new Rng(0);
}

export type Phase = "new" | "running" | "done";

/** Throws the step-before-reset / step-after-done error unless the episode is running. */
export function assertRunning(id: string, phase: Phase, action: unknown, space: Space): void {
  if (phase === "running") return;
  const what =
    phase === "new"
      ? "step() called before reset()"
      : "step() called after the episode ended (terminated or truncated) without reset()";
  throw new Error(
    `${id}: ${what}; call env.reset() first (action ${describeValue(action)}, action space ${describe(space)})`,
  );
}

/** Checks a Discrete action and returns its 0-based index. */
export function discreteIndex(id: string, space: DiscreteSpace, action: unknown): number {
  if (
    typeof action !== "number" ||
    !Number.isInteger(action) ||
    action < space.start ||
    action >= space.start + space.n
  ) {
    throw new RangeError(
      `${id}: invalid action ${describeValue(action)} for action space ${describe(space)}: expected an integer in [${space.start}, ${space.start + space.n - 1}]`,
    );
  }
  return action - space.start;
}

/** Numerically stable softmax of `theta[offset .. offset + n)` into `out[outOffset ..]`. */
export function softmaxInto(
  theta: ArrayLike<number>,
  offset: number,
  n: number,
  out: Float64Array,
  outOffset: number,
): void {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, theta[offset + i]);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = exp(theta[offset + i] - max);
    out[outOffset + i] = e;
    total += e;
  }
  for (let i = 0; i < n; i++) out[outOffset + i] /= total;
}

/** Checks a parameter vector for the exact-objective helpers: right length, all finite. */
export function checkTheta(where: string, theta: ArrayLike<number>, size: number, what: string) {
  if (theta === null || typeof theta !== "object" || theta.length !== size) {
    throw new RangeError(
      `${where}: theta must have ${size} elements (${what}), got ${describeValue(theta)}`,
    );
  }
  for (let i = 0; i < size; i++) {
    if (!Number.isFinite(theta[i])) {
      throw new RangeError(`${where}: theta[${i}] is ${theta[i]}, expected a finite number`);
    }
  }
}
