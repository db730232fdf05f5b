/**
 * A k-armed bandit as an Env: every episode is one step, the observation is the constant `[1]`,
 * and pulling arm a pays a Gaussian reward N(means[a], stds[a]^2). The simplest test of a
 * policy-gradient learner, with the exact objective and gradient of a softmax policy
 * pi = softmax(theta), theta `[K]`:
 *   J = sum_a pi_a mu_a,   dJ/dtheta_a = pi_a (mu_a - J).
 *
 * @example
 * const env = bandit([0, 0.5, 1]);             // stds default to 1
 * env.reset({ seed: 0 });
 * const { reward, terminated } = env.step(2);  // reward ~ N(1, 1), terminated = true
 */
import type { Rng } from "../../core/rng.ts";
import { type BoxSpace, box, type DiscreteSpace, describeValue, discrete } from "../spaces.ts";
import type { Env, ResetOptions, ResetResult, StepResult } from "../types.ts";
import {
  assertRunning,
  checkTheta,
  discreteIndex,
  type Phase,
  reseed,
  softmaxInto,
} from "./common.ts";

/**
 * A k-armed bandit with arm means `means` `[K]` and reward standard deviations `stds` `[K]`
 * (default all 1; a number applies to every arm; 0 gives deterministic rewards).
 */
export function bandit(means: readonly number[], stds?: number | readonly number[]): BanditEnv {
  return new BanditEnv(means, stds);
}

export class BanditEnv implements Env {
  readonly id: string;
  /** Box(1, 1, [1]): the observation is always `[1]` (a bandit has one state). */
  readonly observationSpace: BoxSpace;
  readonly actionSpace: DiscreteSpace;
  /** One step per episode. */
  readonly maxEpisodeSteps = 1;
  readonly means: Float64Array;
  readonly stds: Float64Array;
  private rng: Rng | null = null;
  private phase: Phase = "new";

  constructor(means: readonly number[], stds: number | readonly number[] = 1, id = "Bandit") {
    this.id = id;
    if (!Array.isArray(means) || means.length === 0) {
      throw new RangeError(
        `bandit: means must be a non-empty array of numbers, got ${describeValue(means)}`,
      );
    }
    const k = means.length;
    const s = typeof stds === "number" ? new Array<number>(k).fill(stds) : stds;
    if (!Array.isArray(s) || s.length !== k) {
      throw new RangeError(
        `bandit: stds must be a number or ${k} numbers (one per arm), got ${describeValue(stds)}`,
      );
    }
    for (let a = 0; a < k; a++) {
      if (typeof means[a] !== "number" || !Number.isFinite(means[a])) {
        throw new RangeError(
          `bandit: means[${a}] is ${describeValue(means[a])}, expected a finite number`,
        );
      }
      if (typeof s[a] !== "number" || !Number.isFinite(s[a]) || s[a] < 0) {
        throw new RangeError(
          `bandit: stds[${a}] is ${describeValue(s[a])}, expected a finite number >= 0`,
        );
      }
    }
    this.means = Float64Array.from(means);
    this.stds = Float64Array.from(s);
    this.observationSpace = box(1, 1, [1]);
    this.actionSpace = discrete(k);
  }

  reset(options: ResetOptions = {}): ResetResult {
    this.rng = reseed(this.id, this.rng, options);
    this.phase = "running";
    return { observation: Float64Array.of(1), info: {} };
  }

  step(action: number): StepResult {
    assertRunning(this.id, this.phase, action, this.actionSpace);
    const a = discreteIndex(this.id, this.actionSpace, action);
    const noise = this.stds[a] === 0 ? 0 : this.stds[a] * (this.rng as Rng).normal();
    this.phase = "done";
    return {
      observation: Float64Array.of(1),
      reward: this.means[a] + noise,
      terminated: true,
      truncated: false,
      info: {},
    };
  }

  close(): void {}

  /** Expected reward J = sum_a pi_a mu_a of the softmax policy pi = softmax(theta), theta `[K]`. */
  exactObjective(theta: ArrayLike<number>): number {
    const pi = this.policy(theta);
    let j = 0;
    for (let a = 0; a < pi.length; a++) j += pi[a] * this.means[a];
    return j;
  }

  /** dJ/dtheta `[K]`: pi_a (mu_a - J). */
  exactGradient(theta: ArrayLike<number>): Float64Array {
    const pi = this.policy(theta);
    let j = 0;
    for (let a = 0; a < pi.length; a++) j += pi[a] * this.means[a];
    return pi.map((p, a) => p * (this.means[a] - j));
  }

  private policy(theta: ArrayLike<number>): Float64Array {
    const k = this.means.length;
    checkTheta(`${this.id}.exact`, theta, k, "one logit per arm");
    const pi = new Float64Array(k);
    softmaxInto(theta, 0, k, pi, 0);
    return pi;
  }
}
