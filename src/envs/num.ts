/**
 * The array algebra environments are written in, once (Gymnasium's functional envs over
 * jax.numpy, Brax's `step(state, action)`): a {@link Dynamics} is a set of plain functions of
 * `(num, params, state columns, action columns)` where every arithmetic on the state or action
 * goes through `num`, a {@link Num}. Two interpreters run the same definition:
 *
 * - the column compiler (columns.ts): `T` is a value of one row, traced once and compiled into the
 *   straight-line row loop the rollouts run (the stateful env and the vector env), with the same
 *   operations in the same order as the hand-written loops it replaced, so the same bits;
 * - the tensor interpreter (diff.ts): `T` is a Tensor of shape `[B]` recorded on the autodiff
 *   tape, for analytic gradients through the dynamics.
 *
 * TypeScript has no operator overloading, hence the method calls. Parameters are plain numbers:
 * arithmetic on them alone (e.g. `p.massPole + p.massCart`) is ordinary JavaScript, evaluated the
 * same way by both interpreters.
 *
 * Kinks and their subgradients (what the tensor interpreter's backward passes): `min`/`max` send
 * the gradient to the chosen operand (to `a` at ties), so `clip` passes 1 inside its bounds and 0
 * while saturated; `where` sends it to the chosen branch; `floor`, the comparisons and the masks
 * are piecewise constant and pass 0, so {@link floorMod} and {@link wrap} pass 1 to their argument;
 * `fround` passes 1 (straight through).
 */
import type { Rng } from "../core/rng.ts";
import type { EnvOptions } from "./physics.ts";
import type { Space } from "./spaces.ts";

/** A value of the algebra or a plain number (a constant, broadcast over the batch). */
export type Val<T> = T | number;

/**
 * The array algebra. Every op is elementwise over the batch; masks are values equal to 1 (true)
 * or 0 (false). Each op says the JavaScript expression it means on one row: the column compiler
 * emits exactly that expression, so a definition reproduces hand-written code bit for bit.
 */
export interface Num<T> {
  /** `a + b` */
  add(a: Val<T>, b: Val<T>): T;
  /** `a - b` */
  sub(a: Val<T>, b: Val<T>): T;
  /** `a * b` */
  mul(a: Val<T>, b: Val<T>): T;
  /** `a / b` */
  div(a: Val<T>, b: Val<T>): T;
  /** `-a` */
  neg(a: Val<T>): T;
  /** `a * a` */
  square(a: Val<T>): T;
  /** `sqrt(a)` (correctly rounded, as `Math.sqrt`) */
  sqrt(a: Val<T>): T;
  /** `sin(a)` from src/envs/trig.ts, the one place elementary functions come from. */
  sin(a: Val<T>): T;
  /** `cos(a)` from src/envs/trig.ts. */
  cos(a: Val<T>): T;
  /** `Math.min(a, b)`; the gradient goes to `a` at ties. */
  min(a: Val<T>, b: Val<T>): T;
  /** `Math.max(a, b)`; the gradient goes to `a` at ties. */
  max(a: Val<T>, b: Val<T>): T;
  /** `Math.min(Math.max(a, lo), hi)`; gradient 1 inside `[lo, hi]`, 0 outside. */
  clip(a: Val<T>, lo: number, hi: number): T;
  /** `Math.floor(a)`; gradient 0. */
  floor(a: Val<T>): T;
  /**
   * `Math.fround(a)` when the interpreter rounds to float32 (Gymnasium's float32 envs, for
   * bit-exact rollouts), else `a` (the float64 variant, smooth enough to check derivatives).
   * Straight-through gradient: 1.
   */
  fround(a: Val<T>): T;
  /** Mask `a < b`. */
  lt(a: Val<T>, b: Val<T>): T;
  /** Mask `a <= b`. */
  le(a: Val<T>, b: Val<T>): T;
  /** Mask `a > b`. */
  gt(a: Val<T>, b: Val<T>): T;
  /** Mask `a >= b`. */
  ge(a: Val<T>, b: Val<T>): T;
  /** Mask `a === b`. */
  eq(a: Val<T>, b: Val<T>): T;
  /** Mask `m1 && m2` of two masks. */
  and(m1: Val<T>, m2: Val<T>): T;
  /** Mask `m1 || m2` of two masks. */
  or(m1: Val<T>, m2: Val<T>): T;
  /** `mask ? a : b` (the mask gets no gradient; the branch not taken gets 0). */
  where(mask: Val<T>, a: Val<T>, b: Val<T>): T;
}

/** What one transition of a {@link Dynamics} gives, per row of the batch. */
export interface Transition<T> {
  /** The next state, one value per state component. */
  readonly next: readonly T[];
  /** The reward of the transition `s --a--> next`. */
  readonly reward: Val<T>;
  /** Mask: 1 where `next` is terminal. */
  readonly terminated: Val<T>;
}

/**
 * The pure definition of an environment in the algebra: written once, run by the column compiler
 * (rollouts) and the tensor interpreter (gradients). `P` is its resolved parameter record.
 * States and actions are columns: `s[k]` is state component k of every row of the batch.
 */
export interface Dynamics<P = unknown> {
  /** Family name for messages, e.g. "CartPole". */
  readonly name: string;
  readonly stateDim: number;
  readonly obsDim: number;
  /** Scalars per action (1 for Discrete). */
  readonly actDim: number;
  /**
   * `true` when the tensor interpreter's gradients of {@link step} are meaningful, else the reason
   * they are not (e.g. a discrete action: no gradient reaches the policy through it).
   */
  readonly differentiable: true | { readonly reason: string };
  /**
   * Which state the reward scores besides the action: `"state"`, the state before the step (as
   * Gymnasium's Pendulum), or `"next"`, the state the action leads to (the default). Analytic
   * policy gradients score each transition by its outcome r(s_{t+1}, a_t) and need to know.
   */
  readonly rewardOf?: "state" | "next";
  /** Resolves options (documented per env) to parameters; rejects unknown keys. */
  params(options?: EnvOptions): P;
  observationSpace(p: P): Space;
  actionSpace(p: P): Space;
  /** Draws an initial state from `rng` into row `i` of the row-major `s` `[N, stateDim]`. */
  initial(p: P, rng: Rng, s: Float64Array, i: number): void;
  /**
   * One transition. Out-of-bounds continuous actions are clipped here, as Gymnasium's envs do.
   * A Discrete action is one column holding the integer.
   */
  step<T>(num: Num<T>, p: P, s: readonly T[], a: readonly T[]): Transition<T>;
  /** The observation of a state, one value per observation component. */
  observe<T>(num: Num<T>, p: P, s: readonly T[]): readonly Val<T>[];
}

/**
 * The floored modulo `x - m * floor(x / m)` (Python's `%`, unlike JavaScript's), for `m > 0`:
 * in `[0, m)`. Gradient 1 in `x` (the floor passes 0).
 */
export function floorMod<T>(num: Num<T>, x: Val<T>, m: number): T {
  return num.sub(x, num.mul(m, num.floor(num.div(x, m))));
}

/** Angle wrapped to `[-pi, pi)` with a floored modulo (Gymnasium's `angle_normalize`). */
export function angleNormalize<T>(num: Num<T>, x: Val<T>): T {
  return num.sub(floorMod(num, num.add(x, Math.PI), 2 * Math.PI), Math.PI);
}

/**
 * Gymnasium's `wrap(x, m, M)`: x shifted by whole periods `M - m` into `[m, M]` (subtracting while
 * above `M`, adding while below `m`). One shift is `x - 1 * (M - m)`, the same double as
 * Gymnasium's loop computes; k > 1 shifts are one product `k (M - m)` rather than k subtractions
 * (within an ulp of the loop, and out of reach for Acrobot, whose angles move less than a period
 * per step). Gradient 1 in x.
 */
export function wrap<T>(num: Num<T>, x: Val<T>, m: number, M: number): T {
  const diff = M - m;
  // Shifts needed: ceil((x - M) / diff) above, ceil((m - x) / diff) below (ceil(y) = -floor(-y)).
  const up = num.neg(num.floor(num.div(num.sub(M, x), diff)));
  const down = num.neg(num.floor(num.div(num.sub(x, m), diff)));
  const above = num.sub(x, num.mul(up, diff));
  const below = num.add(x, num.mul(down, diff));
  return num.where(num.gt(x, M), above, num.where(num.lt(x, m), below, x));
}
