/**
 * A small finite MDP built from a user's tables, with the exact objective J(theta) and its exact
 * gradient for a tabular softmax policy, so policy-gradient estimators can be checked against the
 * truth (unbiasedness tests) rather than only against each other.
 *
 * For pi(a|s) = softmax(theta[s*A .. s*A + A]) and discount gamma:
 *   V = (I - gamma P_pi)^{-1} r_pi                        (Bellman equation over non-terminal states)
 *   J = d0 . V
 *   d = d0^T (I - gamma P_pi)^{-1}                        (discounted state visitation)
 *   Q(s, a) = R(s, a) + gamma sum_{s'} P(s'|s, a) V(s')   (V = 0 at terminal states)
 *   dJ/dtheta[s, a] = d(s) pi(a|s) (Q(s, a) - V(s))       (policy gradient theorem, Sutton et al. 2000)
 * The last line is the softmax Jacobian applied to d(s) Q(s, .): sum_b Q(s,b) dpi(b|s)/dtheta[s,a]
 * = pi(a|s) (Q(s,a) - V(s)).
 *
 * @example
 * const mdp = finiteMdp({
 *   transitions: [[[0, 1], [1, 0]], [[0, 1], [0, 1]]], // P[s][a][s']
 *   rewards: [[1, 0], [0, 0]],                          // R[s][a]
 *   initial: [1, 0],
 *   terminal: [false, true],
 * });
 * mdp.exactObjective(new Float64Array(4));             // J at the uniform policy
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

/** Tolerance on probability rows summing to one. */
const SUM_TOL = 1e-9;

export interface FiniteMdpSpec {
  /** `P[s][a][s']`, shape `[S][A][S]`. Rows of terminal states are never used (any non-negative values). */
  readonly transitions: readonly (readonly (readonly number[])[])[];
  /** Expected reward `R[s][a]` of taking `a` in `s`, shape `[S][A]`; the env pays it exactly. */
  readonly rewards: readonly (readonly number[])[];
  /** Initial state distribution `d0[s]`, shape `[S]`, no mass on terminal states. */
  readonly initial: readonly number[];
  /** `terminal[s]`: entering `s` ends the episode (`terminated`). Default: none. */
  readonly terminal?: readonly boolean[];
  /**
   * Discount of the exact objective, in [0, 1]; default 1. With gamma = 1 every state must be able
   * to reach a terminal state (else J is infinite or undefined). The env itself pays raw rewards.
   */
  readonly gamma?: number;
  /**
   * Time limit of the env (`truncated` at this many steps). The exact objective ignores it unless
   * you pass it as `horizon`, see {@link FiniteMdp.exactObjective}.
   */
  readonly maxEpisodeSteps?: number;
  /** Env id for messages; default "FiniteMdp". */
  readonly id?: string;
}

export interface FiniteMdp {
  /**
   * One env of this MDP. Observation: one-hot of the state, Box(0, 1, [S]); action: Discrete(A).
   * It is a single stateful object: for a vector env or a trainer's factory use
   * {@link FiniteMdp.makeEnv}, e.g. `reinforce(() => mdp.makeEnv(), config)`.
   */
  readonly env: FiniteMdpEnv;
  /** A new, independent env over the same tables (each call returns a fresh object). */
  makeEnv(): FiniteMdpEnv;
  readonly numStates: number;
  readonly numActions: number;
  readonly gamma: number;
  /**
   * J(theta) = E[sum_t gamma^t r_t] from d0 under the tabular softmax policy
   * pi(a|s) = softmax(theta[s*A .. s*A + A]), `theta` of shape `[S*A]` (row-major `[S, A]`).
   * Without `horizon`, until a terminal state (linear solve). With `horizon` H, only the first H
   * steps count (dynamic programming): pass `env.maxEpisodeSteps` to match a time-limited env.
   */
  exactObjective(theta: ArrayLike<number>, horizon?: number): number;
  /** dJ/dtheta, shape `[S*A]`, same conventions as {@link FiniteMdp.exactObjective}. */
  exactGradient(theta: ArrayLike<number>, horizon?: number): Float64Array;
  /**
   * The surrogate of the behaviour policy pi_old = softmax(thetaOld) at `theta` (Kakade & Langford
   * 2002; TRPO's L_{theta_old}): L_old(theta) = J(theta_old) + sum_t gamma^t E_{s_t ~ pi_old}[
   * sum_a pi_theta(a|s_t) Q_old(s_t, a) - V_old(s_t)], the states and Q still those of pi_old. It
   * equals J and has J's gradient at theta = thetaOld only. `horizon` as for
   * {@link FiniteMdp.exactObjective} (Q then depends on the steps left).
   */
  exactSurrogate(thetaOld: ArrayLike<number>, theta: ArrayLike<number>, horizon?: number): number;
  /**
   * dL_old/dtheta, shape `[S*A]`: what the per-step importance-sampled gradient
   * E_old[rho_t grad log pi_theta(a_t|s_t) G_t] estimates (src/algos/surrogates.ts).
   */
  exactSurrogateGradient(
    thetaOld: ArrayLike<number>,
    theta: ArrayLike<number>,
    horizon?: number,
  ): Float64Array;
  /**
   * The quantities behind the infinite-horizon objective: `value` V `[S]`, `q` Q `[S*A]`,
   * `visitation` d `[S]` (discounted expected visits from d0), `policy` pi `[S*A]`. Terminal
   * states have V = Q = d = 0.
   */
  exactValues(theta: ArrayLike<number>): {
    value: Float64Array;
    q: Float64Array;
    visitation: Float64Array;
    policy: Float64Array;
  };
}

/**
 * Builds a finite MDP from tables, validating them: probabilities non-negative and finite, rows
 * summing to 1 within 1e-9, consistent shapes. Errors name the table, the index and the problem.
 */
export function finiteMdp(spec: FiniteMdpSpec): FiniteMdp {
  const t = validate(spec);
  const { S, A, P, R, d0, terminal, gamma } = t;

  const softmaxAll = (theta: ArrayLike<number>): Float64Array => {
    checkTheta("finiteMdp.exact", theta, S * A, `[S*A] = [${S}*${A}]`);
    const pi = new Float64Array(S * A);
    for (let s = 0; s < S; s++) softmaxInto(theta, s * A, A, pi, s * A);
    return pi;
  };

  /** Q(s,a) = R(s,a) + gamma sum_{s' non-terminal} P(s'|s,a) V(s') for every s, a. */
  const qFromV = (v: Float64Array, q: Float64Array): void => {
    for (let s = 0; s < S; s++) {
      for (let a = 0; a < A; a++) {
        if (terminal[s]) {
          q[s * A + a] = 0;
          continue;
        }
        let next = 0;
        const row = (s * A + a) * S;
        for (let n = 0; n < S; n++) if (!terminal[n]) next += P[row + n] * v[n];
        q[s * A + a] = R[s * A + a] + gamma * next;
      }
    }
  };

  const infinite = (theta: ArrayLike<number>) => {
    if (t.endless.length > 0) {
      throw new RangeError(
        `finiteMdp.exact: with gamma = 1, state(s) ${t.endless.join(", ")} never reach a terminal state, so J is only defined up to a horizon: pass horizon (e.g. env.maxEpisodeSteps = ${spec.maxEpisodeSteps})`,
      );
    }
    const pi = softmaxAll(theta);
    // Index map over non-terminal states: the linear system lives there (V = 0 at terminals).
    const idx: number[] = [];
    for (let s = 0; s < S; s++) if (!terminal[s]) idx.push(s);
    const n = idx.length;
    const m = new Float64Array(n * n);
    const r = new Float64Array(n);
    const start = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const s = idx[i];
      start[i] = d0[s];
      m[i * n + i] = 1;
      for (let a = 0; a < A; a++) {
        const p = pi[s * A + a];
        r[i] += p * R[s * A + a];
        const row = (s * A + a) * S;
        for (let j = 0; j < n; j++) m[i * n + j] -= gamma * p * P[row + idx[j]];
      }
    }
    const vSub = solveLinear(m, r, n);
    // d^T M = d0^T  <=>  M^T d = d0.
    const dSub = solveLinear(transpose(m, n), start, n);
    const value = new Float64Array(S);
    const visitation = new Float64Array(S);
    for (let i = 0; i < n; i++) {
      value[idx[i]] = vSub[i];
      visitation[idx[i]] = dSub[i];
    }
    const q = new Float64Array(S * A);
    qFromV(value, q);
    return { value, q, visitation, policy: pi };
  };

  /**
   * Finite horizon H: V_h = sum_a pi Q_h with Q_h = R + gamma P V_{h-1}, V_0 = 0; J = d0 . V_H;
   * dJ/dtheta[s,a] = sum_{t<H} gamma^t mu_t(s) pi(a|s) (Q_{H-t}(s,a) - V_{H-t}(s)), with mu_t the
   * probability of being in non-terminal s at step t (episodes stop at terminals).
   *
   * With `thetaNew` the same sums give the surrogate L_old(theta_new) of the behaviour policy
   * pi = pi_old (V, Q and mu all from pi_old, only the action probabilities from pi_new):
   * L = J(old) + sum_{t<H} gamma^t sum_s mu_t(s) (sum_a pi_new(a|s) Q_{H-t}(s,a) - V_{H-t}(s)),
   * dL/dtheta_new[s,a] = sum_t gamma^t mu_t(s) pi_new(a|s) (Q_{H-t}(s,a) - sum_b pi_new(b|s) Q_{H-t}(s,b)).
   */
  const finite = (
    theta: ArrayLike<number>,
    horizon: number,
    wantGrad: boolean,
    thetaNew?: ArrayLike<number>,
  ) => {
    if (!Number.isInteger(horizon) || horizon < 0) {
      throw new RangeError(
        `finiteMdp.exact: horizon must be a non-negative integer, got ${describeValue(horizon)}`,
      );
    }
    const pi = softmaxAll(theta);
    const piNew = thetaNew === undefined ? pi : softmaxAll(thetaNew);
    const values = new Float64Array((horizon + 1) * S); // V_h at [h*S ..], V_0 = 0
    const q = new Float64Array(S * A);
    for (let h = 1; h <= horizon; h++) {
      qFromV(values.subarray((h - 1) * S, h * S), q);
      for (let s = 0; s < S; s++) {
        let v = 0;
        if (!terminal[s]) for (let a = 0; a < A; a++) v += pi[s * A + a] * q[s * A + a];
        values[h * S + s] = v;
      }
    }
    let objective = 0;
    for (let s = 0; s < S; s++) objective += d0[s] * values[horizon * S + s];
    if (!wantGrad && thetaNew === undefined) return { objective, gradient: null };
    const gradient = new Float64Array(S * A);
    let mu = Float64Array.from(d0);
    let discount = 1;
    for (let t = 0; t < horizon; t++) {
      const h = horizon - t;
      qFromV(values.subarray((h - 1) * S, h * S), q);
      const next = new Float64Array(S);
      for (let s = 0; s < S; s++) {
        if (terminal[s] || mu[s] === 0) continue;
        // V of the new action probabilities under the old Q (= V_h(s) without thetaNew).
        let vNew = 0;
        for (let a = 0; a < A; a++) vNew += piNew[s * A + a] * q[s * A + a];
        objective += discount * mu[s] * (vNew - values[h * S + s]);
        for (let a = 0; a < A; a++) {
          const p = pi[s * A + a];
          gradient[s * A + a] += discount * mu[s] * piNew[s * A + a] * (q[s * A + a] - vNew);
          const row = (s * A + a) * S;
          for (let n = 0; n < S; n++) if (!terminal[n]) next[n] += mu[s] * p * P[row + n];
        }
      }
      mu = next;
      discount *= gamma;
    }
    return { objective, gradient };
  };

  /** The infinite-horizon surrogate L_old(theta_new) and its gradient (see `finite`). */
  const infiniteSurrogate = (thetaOld: ArrayLike<number>, thetaNew: ArrayLike<number>) => {
    const { value, q, visitation } = infinite(thetaOld);
    const piNew = softmaxAll(thetaNew);
    let objective = 0;
    for (let s = 0; s < S; s++) objective += d0[s] * value[s];
    const gradient = new Float64Array(S * A);
    for (let s = 0; s < S; s++) {
      if (terminal[s]) continue;
      let vNew = 0;
      for (let a = 0; a < A; a++) vNew += piNew[s * A + a] * q[s * A + a];
      objective += visitation[s] * (vNew - value[s]);
      for (let a = 0; a < A; a++) {
        const k = s * A + a;
        gradient[k] = visitation[s] * piNew[k] * (q[k] - vNew);
      }
    }
    return { objective, gradient };
  };

  const makeEnv = () => new FiniteMdpEnv(t, spec.id ?? "FiniteMdp", spec.maxEpisodeSteps);
  return {
    env: makeEnv(),
    makeEnv,
    numStates: S,
    numActions: A,
    gamma,
    exactObjective(theta, horizon) {
      if (horizon !== undefined) return finite(theta, horizon, false).objective;
      const { value } = infinite(theta);
      let j = 0;
      for (let s = 0; s < S; s++) j += d0[s] * value[s];
      return j;
    },
    exactGradient(theta, horizon) {
      if (horizon !== undefined) return finite(theta, horizon, true).gradient as Float64Array;
      const { value, q, visitation, policy } = infinite(theta);
      const g = new Float64Array(S * A);
      for (let s = 0; s < S; s++) {
        for (let a = 0; a < A; a++) {
          const k = s * A + a;
          g[k] = visitation[s] * policy[k] * (q[k] - value[s]);
        }
      }
      return g;
    },
    exactSurrogate(thetaOld, theta, horizon) {
      if (horizon !== undefined) return finite(thetaOld, horizon, false, theta).objective;
      return infiniteSurrogate(thetaOld, theta).objective;
    },
    exactSurrogateGradient(thetaOld, theta, horizon) {
      if (horizon !== undefined) return finite(thetaOld, horizon, true, theta).gradient!;
      return infiniteSurrogate(thetaOld, theta).gradient;
    },
    exactValues: infinite,
  };
}

/** Validated, flattened tables: P `[S*A*S]`, R `[S*A]`. */
export interface FiniteMdpTables {
  readonly S: number;
  readonly A: number;
  readonly P: Float64Array;
  readonly R: Float64Array;
  readonly d0: Float64Array;
  readonly terminal: readonly boolean[];
  readonly gamma: number;
  /** With gamma = 1: the states that cannot reach a terminal state (only with a time limit). */
  readonly endless: readonly number[];
}

function validate(spec: FiniteMdpSpec): FiniteMdpTables {
  const fail = (msg: string): never => {
    throw new RangeError(`finiteMdp: ${msg}`);
  };
  if (spec === null || typeof spec !== "object") {
    fail(`expected { transitions, rewards, initial, ... }, got ${describeValue(spec)}`);
  }
  const { transitions, rewards, initial } = spec;
  if (!Array.isArray(transitions) || transitions.length === 0) {
    fail(`transitions must be a non-empty array P[s][a][s'], got ${describeValue(transitions)}`);
  }
  const S = transitions.length;
  if (!Array.isArray(transitions[0]) || transitions[0].length === 0) {
    fail(
      `transitions[0] must be a non-empty array (one row per action), got ${describeValue(transitions[0])}`,
    );
  }
  const A = transitions[0].length;

  const terminal: boolean[] = [];
  if (spec.terminal === undefined) {
    for (let s = 0; s < S; s++) terminal.push(false);
  } else {
    if (!Array.isArray(spec.terminal) || spec.terminal.length !== S) {
      fail(`terminal must have ${S} entries (one per state), got ${describeValue(spec.terminal)}`);
    }
    for (let s = 0; s < S; s++) {
      if (typeof spec.terminal[s] !== "boolean") {
        fail(`terminal[${s}] is ${describeValue(spec.terminal[s])}, expected a boolean`);
      }
      terminal.push(spec.terminal[s]);
    }
  }

  const P = new Float64Array(S * A * S);
  for (let s = 0; s < S; s++) {
    const rows = transitions[s];
    if (!Array.isArray(rows) || rows.length !== A) {
      fail(
        `transitions[${s}] has ${describeValue(rows)}, expected ${A} rows (one per action, as transitions[0])`,
      );
    }
    for (let a = 0; a < A; a++) {
      const row = rows[a];
      if (!Array.isArray(row) || row.length !== S) {
        fail(
          `transitions[${s}][${a}] is ${describeValue(row)}, expected ${S} probabilities (one per next state)`,
        );
      }
      let sum = 0;
      for (let n = 0; n < S; n++) {
        const p = row[n];
        if (typeof p !== "number" || !Number.isFinite(p) || p < 0) {
          fail(
            `transitions[${s}][${a}][${n}] is ${describeValue(p)}, expected a finite probability >= 0`,
          );
        }
        P[(s * A + a) * S + n] = p;
        sum += p;
      }
      if (!terminal[s] && Math.abs(sum - 1) > SUM_TOL) {
        fail(`transitions[${s}][${a}] sums to ${sum}, expected 1 (within ${SUM_TOL})`);
      }
    }
  }

  if (!Array.isArray(rewards) || rewards.length !== S) {
    fail(`rewards must have ${S} rows R[s][a] (one per state), got ${describeValue(rewards)}`);
  }
  const R = new Float64Array(S * A);
  for (let s = 0; s < S; s++) {
    const row = rewards[s];
    if (!Array.isArray(row) || row.length !== A) {
      fail(`rewards[${s}] is ${describeValue(row)}, expected ${A} rewards (one per action)`);
    }
    for (let a = 0; a < A; a++) {
      const r = row[a];
      if (typeof r !== "number" || !Number.isFinite(r)) {
        fail(`rewards[${s}][${a}] is ${describeValue(r)}, expected a finite number`);
      }
      R[s * A + a] = r;
    }
  }

  if (!Array.isArray(initial) || initial.length !== S) {
    fail(`initial must have ${S} probabilities (one per state), got ${describeValue(initial)}`);
  }
  const d0 = new Float64Array(S);
  let total = 0;
  for (let s = 0; s < S; s++) {
    const p = initial[s];
    if (typeof p !== "number" || !Number.isFinite(p) || p < 0) {
      fail(`initial[${s}] is ${describeValue(p)}, expected a finite probability >= 0`);
    }
    if (p > 0 && terminal[s]) {
      fail(
        `initial[${s}] is ${p} but state ${s} is terminal; an episode cannot start at a terminal state`,
      );
    }
    d0[s] = p;
    total += p;
  }
  if (Math.abs(total - 1) > SUM_TOL)
    fail(`initial sums to ${total}, expected 1 (within ${SUM_TOL})`);

  const gamma = spec.gamma ?? 1;
  if (typeof gamma !== "number" || !(gamma >= 0 && gamma <= 1)) {
    fail(`gamma must be a number in [0, 1], got ${describeValue(gamma)}`);
  }
  if (
    spec.maxEpisodeSteps !== undefined &&
    (!Number.isInteger(spec.maxEpisodeSteps) || spec.maxEpisodeSteps < 1)
  ) {
    fail(`maxEpisodeSteps must be a positive integer, got ${describeValue(spec.maxEpisodeSteps)}`);
  }
  // Under a softmax policy every action has positive probability, so with gamma = 1, I - P_pi is
  // invertible for all theta iff every non-terminal state can reach a terminal one through some
  // action. A time limit makes the MDP well defined anyway (the objective then needs a horizon).
  const stuck = gamma === 1 ? statesThatCannotTerminate(S, A, P, terminal) : [];
  if (stuck.length > 0 && spec.maxEpisodeSteps === undefined) {
    fail(
      `with gamma = 1 every state must be able to reach a terminal state, but state(s) ${stuck.join(", ")} cannot; ` +
        "mark terminal states, use gamma < 1 or set maxEpisodeSteps",
    );
  }
  return { S, A, P, R, d0, terminal, gamma, endless: stuck };
}

function statesThatCannotTerminate(
  S: number,
  A: number,
  P: Float64Array,
  terminal: readonly boolean[],
): number[] {
  const reaches = terminal.slice();
  let changed = true;
  while (changed) {
    changed = false;
    for (let s = 0; s < S; s++) {
      if (reaches[s]) continue;
      search: for (let a = 0; a < A; a++) {
        for (let n = 0; n < S; n++) {
          if (P[(s * A + a) * S + n] > 0 && reaches[n]) {
            reaches[s] = true;
            changed = true;
            break search;
          }
        }
      }
    }
  }
  const stuck: number[] = [];
  for (let s = 0; s < S; s++) if (!reaches[s]) stuck.push(s);
  return stuck;
}

function transpose(m: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[j * n + i] = m[i * n + j];
  return out;
}

/**
 * Solves `a x = b` for a dense `[n, n]` row-major matrix by Gaussian elimination with partial
 * pivoting (the largest remaining entry of each column becomes the pivot, which keeps the
 * elimination stable for the diagonally dominant systems `I - gamma P` met here). Inputs are not
 * modified. Throws if the matrix is singular to working precision.
 */
export function solveLinear(a: ArrayLike<number>, b: ArrayLike<number>, n: number): Float64Array {
  if (a.length !== n * n || b.length !== n) {
    throw new RangeError(
      `solveLinear: expected a [${n}, ${n}] (${n * n} values) and b [${n}], got ${a.length} and ${b.length}`,
    );
  }
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(m[i]));
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) {
      if (Math.abs(m[r * n + col]) > Math.abs(m[pivot * n + col])) pivot = r;
    }
    const p = m[pivot * n + col];
    if (!(Math.abs(p) > 1e-13 * scale)) {
      throw new RangeError(
        `solveLinear: matrix is singular to working precision (pivot ${p} in column ${col})`,
      );
    }
    if (pivot !== col) {
      for (let k = 0; k < n; k++) {
        const tmp = m[col * n + k];
        m[col * n + k] = m[pivot * n + k];
        m[pivot * n + k] = tmp;
      }
      const tmp = x[col];
      x[col] = x[pivot];
      x[pivot] = tmp;
    }
    for (let r = col + 1; r < n; r++) {
      const f = m[r * n + col] / p;
      if (f === 0) continue;
      for (let k = col; k < n; k++) m[r * n + k] -= f * m[col * n + k];
      x[r] -= f * x[col];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let acc = x[r];
    for (let k = r + 1; k < n; k++) acc -= m[r * n + k] * x[k];
    x[r] = acc / m[r * n + r];
  }
  return x;
}

/**
 * The env of a {@link finiteMdp}: observation one-hot `[S]` of the current state, action
 * Discrete(A), reward R[s][a], next state drawn from P[s][a]. `terminated` when the next state is
 * terminal; `truncated` at `maxEpisodeSteps` (set even if the step also terminated, as
 * Gymnasium's TimeLimit). `reset({ options: { state: [s] } })` starts from state `s` instead of
 * drawing from d0. Each observation is a fresh array.
 */
export class FiniteMdpEnv implements Env {
  readonly id: string;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: DiscreteSpace;
  readonly maxEpisodeSteps?: number;
  private readonly t: FiniteMdpTables;
  private rng: Rng | null = null;
  private phase: Phase = "new";
  private current = 0;
  private elapsed = 0;

  /** @internal use {@link finiteMdp}, which validates the tables. */
  constructor(tables: FiniteMdpTables, id: string, maxEpisodeSteps?: number) {
    this.t = tables;
    this.id = id;
    this.observationSpace = box(0, 1, [tables.S]);
    this.actionSpace = discrete(tables.A);
    if (maxEpisodeSteps !== undefined) this.maxEpisodeSteps = maxEpisodeSteps;
  }

  /** The current state index. */
  get state(): number {
    return this.current;
  }

  reset(options: ResetOptions = {}): ResetResult {
    this.rng = reseed(this.id, this.rng, options);
    const given = options.options?.state;
    if (given !== undefined) {
      const s = given.length === 1 ? given[0] : Number.NaN;
      if (!Number.isInteger(s) || s < 0 || s >= this.t.S || this.t.terminal[s]) {
        throw new RangeError(
          `${this.id}: reset options.state must be [s] with s a non-terminal state index in [0, ${this.t.S - 1}], got ${describeValue(given)}`,
        );
      }
      this.current = s;
    } else {
      this.current = this.rng.categorical(this.t.d0);
    }
    this.elapsed = 0;
    this.phase = "running";
    return { observation: this.oneHot(), info: {} };
  }

  step(action: number): StepResult {
    assertRunning(this.id, this.phase, action, this.actionSpace);
    const a = discreteIndex(this.id, this.actionSpace, action);
    const { S, A, P, R, terminal } = this.t;
    const s = this.current;
    const reward = R[s * A + a];
    this.current = (this.rng as Rng).categorical(P, (s * A + a) * S, S);
    this.elapsed++;
    const terminated = terminal[this.current];
    const truncated = this.maxEpisodeSteps !== undefined && this.elapsed >= this.maxEpisodeSteps;
    if (terminated || truncated) this.phase = "done";
    return { observation: this.oneHot(), reward, terminated, truncated, info: {} };
  }

  close(): void {}

  private oneHot(): Float64Array {
    const obs = new Float64Array(this.t.S);
    obs[this.current] = 1;
    return obs;
  }
}
