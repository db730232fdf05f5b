/**
 * Potential-based reward shaping (Ng, Harada & Russell 1999, "Policy invariance under reward
 * transformations"): a learner may be given r + F(s, s') instead of r, with
 *
 *   F(s, s') = gamma * Phi(s') - Phi(s),   Phi(s') = 0 when s' is terminal,
 *
 * for any potential Phi over states, and the optimal policies stay the same: along an episode the
 * added terms telescope, so the shaped discounted return from s_t is the env's own minus Phi(s_t)
 * (plus gamma^(T-t) Phi(s_T) when the episode is cut at T by a time limit, s_T not being terminal).
 * The gamma must be the one the learner discounts with, and Phi(terminal) = 0 is what keeps the
 * theorem: a goal reached is worth its own reward, never a potential.
 *
 * For a Monte-Carlo learner, -Phi(s_t) acts as a state-dependent baseline and the cut term as a
 * bootstrap with Phi in place of V: an episode that ends at the time limit in a better state
 * (a car with more energy) is scored higher, which is the signal a reward that is -1 on every step
 * lacks. Learners are shaped; metrics, evaluation and stopping use the env's own rewards.
 *
 * Potentials are functions of the observation. The built-ins that need one register it
 * ({@link potentialOf}); users pass their own to `createRollout`.
 */

/** Phi of the observation `obs[offset .. offset + obsDim)`. Called on the hot path: allocate nothing. */
export type Potential = (obs: ArrayLike<number>, offset: number) => number;

/** What a rollout needs to shape its rewards. */
export interface Shaping {
  readonly potential: Potential;
  /** The learner's discount factor (the theorem holds only with it). */
  readonly gamma: number;
  /** Multiplies Phi: F = scale * (gamma * Phi(s') - Phi(s)). */
  readonly scale: number;
}

/**
 * The shaping term F(s, s') = scale * (gamma * Phi(s') - Phi(s)), with Phi(s') taken as 0 when
 * the step `terminated` (a time-limit truncation is not terminal and keeps Phi(s')).
 *
 * @param phiS Phi(s), computed before the step (the observation buffer is rewritten by it)
 * @param phiNext Phi(s') of the observation after the step (ignored when terminated)
 */
export function shapingTerm(
  shaping: Shaping,
  phiS: number,
  phiNext: number,
  terminated: boolean,
): number {
  return shaping.scale * (shaping.gamma * (terminated ? 0 : phiNext) - phiS);
}

/** Checks a {@link Shaping}; errors name the field and the expected range. */
export function checkShaping(where: string, shaping: Shaping): void {
  if (typeof shaping.potential !== "function") {
    throw new TypeError(`${where}: shaping.potential must be a function (obs, offset) => number`);
  }
  if (!(shaping.gamma >= 0 && shaping.gamma <= 1)) {
    throw new RangeError(`${where}: shaping.gamma must be in [0, 1], got ${shaping.gamma}`);
  }
  if (!(shaping.scale > 0 && Number.isFinite(shaping.scale))) {
    throw new RangeError(
      `${where}: shaping.scale must be a finite number > 0, got ${shaping.scale}`,
    );
  }
}
