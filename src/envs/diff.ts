/**
 * Differentiable environments: the tensor interpreter of the array algebra (num.ts) and the public
 * differentiable step.
 *
 * {@link TensorNum} runs a {@link Dynamics} with `T` = a Tensor of shape `[B]` (one column of a
 * batch of B states), through the autodiff core's ops, so inside `valueAndGrad` the next states,
 * rewards and observations are on the tape and gradients flow back to the actions (and through
 * them to a policy's parameters) and to earlier states: analytic policy gradients (APG, SHAC).
 * Subgradients at the kinks are the ops' own (num.ts lists them).
 *
 * Unrolling B envs for H steps: start from `initialStates` (or states kept from an earlier window),
 * call `step` H times inside one `valueAndGrad` call, and sum the rewards. Tensors made inside
 * `valueAndGrad` live in its buffer arena and are overwritten by its next call, so to carry the
 * states into the next window copy them out (`detach`); a copied state is a constant, which cuts
 * the gradient at the window start. To reset some rows mid-window, `where(mask, fresh, next)`:
 * the reset rows then get no gradient from before the reset.
 *
 * @example
 * const env = makeDifferentiable("Pendulum-v1");
 * const K = tensor([[-1, -0.2]]); // a linear policy u = -K [theta, theta_dot]
 * const { value, grads } = valueAndGrad((p) => {
 *   let s = env.initialStates(new Rng(0), 64);
 *   let ret = tensor(0);
 *   for (let t = 0; t < 50; t++) {
 *     const u = neg(add(mul(s[0], slice(p.K, [0, 0], [1, 1])), mul(s[1], slice(p.K, [0, 1], [1, 1]))));
 *     const tr = env.step(s, [reshape(u, [-1])]);
 *     ret = add(ret, mean(tr.reward));
 *     s = tr.next;
 *   }
 *   return ret;
 * })({ K });
 */
import {
  add,
  clip,
  concat,
  cos,
  div,
  eq,
  floor,
  fround,
  ge,
  gt,
  le,
  lt,
  maximum,
  minimum,
  mul,
  neg,
  reshape,
  sin,
  slice,
  sqrt,
  sub,
  where,
} from "../core/ops.ts";
import type { Rng } from "../core/rng.ts";
import { fmt, Tensor } from "../core/tensor.ts";
import type { Dynamics, Num, Val } from "./num.ts";
import { type MakeOptions, physicsOf } from "./registry.ts";
import { describeValue } from "./spaces.ts";

/**
 * Scalar tensors of the constants seen, so a step does not allocate one per constant operand. A
 * definition's constants are a fixed set (its parameters and literals); the cap keeps a
 * definition that makes up new numbers every step from growing it without bound.
 */
const constants = new Map<number, Tensor>();
const MAX_CONSTANTS = 1024;

/** A number as a scalar tensor (shape `[]`), shared per value; a Tensor as itself. */
function t(x: Val<Tensor>): Tensor {
  if (typeof x !== "number") return x;
  let c = constants.get(x);
  // A Map key does not tell -0 from 0, so -0 is never cached.
  if (c === undefined || Object.is(x, -0)) {
    c = new Tensor(new Float64Array([x]), []);
    if (constants.size < MAX_CONSTANTS && !Object.is(x, -0)) constants.set(x, c);
  }
  return c;
}

/**
 * The tensor interpreter: `T` = Tensor `[B]`; numbers broadcast. `float32` switches `fround` on
 * (forward equal to the column compiler's rollout bit for bit; the rounding's gradient is
 * straight through) or off (the float64 variant, whose derivatives central differences can check).
 */
export class TensorNum implements Num<Tensor> {
  constructor(readonly float32 = true) {}
  add(a: Val<Tensor>, b: Val<Tensor>): Tensor {
    return add(t(a), t(b));
  }
  sub(a: Val<Tensor>, b: Val<Tensor>): Tensor {
    return sub(t(a), t(b));
  }
  mul(a: Val<Tensor>, b: Val<Tensor>): Tensor {
    return mul(t(a), t(b));
  }
  div(a: Val<Tensor>, b: Val<Tensor>): Tensor {
    return div(t(a), t(b));
  }
  neg(a: Val<Tensor>): Tensor {
    return neg(t(a));
  }
  square(a: Val<Tensor>): Tensor {
    return mul(t(a), t(a));
  }
  sqrt(a: Val<Tensor>): Tensor {
    return sqrt(t(a));
  }
  sin(a: Val<Tensor>): Tensor {
    return sin(t(a));
  }
  cos(a: Val<Tensor>): Tensor {
    return cos(t(a));
  }
  min(a: Val<Tensor>, b: Val<Tensor>): Tensor {
    return minimum(t(a), t(b));
  }
  max(a: Val<Tensor>, b: Val<Tensor>): Tensor {
    return maximum(t(a), t(b));
  }
  clip(a: Val<Tensor>, lo: number, hi: number): Tensor {
    return clip(t(a), lo, hi);
  }
  floor(a: Val<Tensor>): Tensor {
    return floor(t(a));
  }
  fround(a: Val<Tensor>): Tensor {
    return this.float32 ? fround(t(a)) : t(a);
  }
  lt(a: Val<Tensor>, b: Val<Tensor>): Tensor {
    return lt(t(a), t(b));
  }
  le(a: Val<Tensor>, b: Val<Tensor>): Tensor {
    return le(t(a), t(b));
  }
  gt(a: Val<Tensor>, b: Val<Tensor>): Tensor {
    return gt(t(a), t(b));
  }
  ge(a: Val<Tensor>, b: Val<Tensor>): Tensor {
    return ge(t(a), t(b));
  }
  eq(a: Val<Tensor>, b: Val<Tensor>): Tensor {
    return eq(t(a), t(b));
  }
  // Masks are 0/1 and never on the tape, so products and maxima are the logical ops.
  and(a: Val<Tensor>, b: Val<Tensor>): Tensor {
    return mul(t(a), t(b));
  }
  or(a: Val<Tensor>, b: Val<Tensor>): Tensor {
    return maximum(t(a), t(b));
  }
  where(m: Val<Tensor>, a: Val<Tensor>, b: Val<Tensor>): Tensor {
    return where(t(m), t(a), t(b));
  }
}

/** One differentiable transition of a batch of B states. */
export interface DiffTransition {
  /** The next state, one Tensor `[B]` per state component. */
  readonly next: Tensor[];
  /** `[B]` rewards of the transitions. */
  readonly reward: Tensor;
  /** `[B]` 1 where the next state is terminal, else 0 (no gradient). */
  readonly terminated: Tensor;
  /** The observation of the next state, one Tensor `[B]` per component. */
  readonly obs: Tensor[];
}

/**
 * A differentiable environment: a {@link Dynamics} with its parameters, stepped on batches of
 * states held as columns (`s[k]` is component k of every state, a Tensor `[B]`). No time limit or
 * autoreset: the caller decides when an unroll ends (see the module comment).
 */
export class DifferentiableEnv<P = unknown> {
  readonly dynamics: Dynamics<P>;
  readonly params: P;
  readonly num: TensorNum;
  /** The registered time limit, when made from an id. */
  readonly maxEpisodeSteps?: number;

  /**
   * @param options.float32 Gymnasium's float32 roundings (default true: the same forward values
   *   as `make(id)`'s rollouts); false for the smooth float64 variant.
   * @throws when `dynamics.differentiable` is not `true`, with its reason.
   */
  constructor(
    dynamics: Dynamics<P>,
    params: P,
    options: { float32?: boolean; maxEpisodeSteps?: number } = {},
  ) {
    const d = dynamics.differentiable;
    if (d !== true) {
      throw new Error(`${dynamics.name} is not differentiable: ${d.reason}`);
    }
    this.dynamics = dynamics;
    this.params = params;
    this.num = new TensorNum(options.float32 ?? true);
    if (options.maxEpisodeSteps !== undefined) this.maxEpisodeSteps = options.maxEpisodeSteps;
  }

  /** B initial states drawn as the env's `reset` draws them (row i from `rng`), as constants. */
  initialStates(rng: Rng, batch: number): Tensor[] {
    if (!Number.isInteger(batch) || batch < 1) {
      throw new RangeError(
        `${this.dynamics.name}: initialStates batch must be a positive integer, got ${describeValue(batch)}`,
      );
    }
    const sd = this.dynamics.stateDim;
    const rows = new Float64Array(batch * sd);
    for (let i = 0; i < batch; i++) this.dynamics.initial(this.params, rng, rows, i);
    return Array.from({ length: sd }, (_, k) => {
      const col = new Float64Array(batch);
      for (let i = 0; i < batch; i++) col[i] = rows[i * sd + k];
      return new Tensor(col, [batch]);
    });
  }

  /**
   * One transition of every state in the batch: `states` has stateDim Tensors `[B]`, `actions`
   * actDim Tensors `[B]` (continuous actions outside the space are clipped, as in the rollouts).
   */
  step(states: readonly Tensor[], actions: readonly Tensor[]): DiffTransition {
    const dyn = this.dynamics;
    const b = batchOf(dyn, "states", states, dyn.stateDim);
    batchOf(dyn, "actions", actions, dyn.actDim, b);
    const tr = dyn.step(this.num, this.params, states, actions);
    const next = tr.next.map((x) => full(x, b));
    return {
      next,
      reward: full(tr.reward, b),
      terminated: full(tr.terminated, b),
      obs: dyn.observe(this.num, this.params, next).map((x) => full(x, b)),
    };
  }

  /** The observation of each state of the batch, one Tensor `[B]` per component. */
  observe(states: readonly Tensor[]): Tensor[] {
    const dyn = this.dynamics;
    const b = batchOf(dyn, "states", states, dyn.stateDim);
    return dyn.observe(this.num, this.params, states).map((x) => full(x, b));
  }
}

/** A value broadcast to `[b]` (a number or a `[]` constant becomes a constant column). */
function full(x: Val<Tensor>, b: number): Tensor {
  if (typeof x !== "number" && x.shape.length === 1) return x;
  const v = typeof x === "number" ? x : x.data[0];
  return new Tensor(new Float64Array(b).fill(v), [b]);
}

/** Checks `cols` is `n` Tensors of one shape `[B]` (B = `batch` when given); returns B. */
function batchOf(
  dyn: Dynamics,
  what: string,
  cols: readonly Tensor[],
  n: number,
  batch?: number,
): number {
  if (!Array.isArray(cols) || cols.length !== n) {
    throw new TypeError(
      `${dyn.name}: ${what} must be an array of ${n} Tensors [B] (one per component), got ${describeValue(cols)}`,
    );
  }
  const b = batch ?? (cols[0] instanceof Tensor ? cols[0].shape[0] : -1);
  for (let k = 0; k < n; k++) {
    const c = cols[k];
    if (!(c instanceof Tensor) || c.shape.length !== 1 || c.shape[0] !== b) {
      const got = c instanceof Tensor ? `shape ${fmt(c.shape)}` : describeValue(c);
      throw new TypeError(`${dyn.name}: ${what}[${k}] must be a Tensor [${b}], got ${got}`);
    }
  }
  return b;
}

/**
 * The differentiable env of a registered id (options as for `make`, plus `float32`). Throws for
 * an env that is not differentiable (naming the reason) or has no definition in the algebra.
 */
export function makeDifferentiable(
  id: string,
  options: MakeOptions & { float32?: boolean } = {},
): DifferentiableEnv {
  const { float32, ...makeOptions } = options;
  const ph = physicsOf(id, makeOptions);
  const dyn = ph?.spec.physics.dynamics;
  if (ph === null || dyn === undefined) {
    throw new Error(
      `makeDifferentiable: ${id} has no definition in the array algebra (a Dynamics); write one (see the README's "Differentiable environments") and use new DifferentiableEnv(dynamics, params)`,
    );
  }
  return new DifferentiableEnv(dyn, ph.params, {
    maxEpisodeSteps: ph.maxEpisodeSteps,
    ...(float32 === undefined ? {} : { float32 }),
  });
}

/** Columns `[B]` stacked into one `[B, K]` Tensor (e.g. observations for a policy). */
export function stackColumns(cols: readonly Tensor[]): Tensor {
  return concat(
    cols.map((c) => reshape(c, [-1, 1])),
    1,
  );
}

/** The K columns `[B]` of a `[B, K]` Tensor (e.g. a policy's actions for `step`). */
export function columnsOf(x: Tensor): Tensor[] {
  if (!(x instanceof Tensor) || x.shape.length !== 2) {
    throw new TypeError(`columnsOf: expected a Tensor [B, K], got ${describeValue(x)}`);
  }
  const [b, k] = x.shape;
  if (k === 1) return [reshape(x, [b])];
  return Array.from({ length: k }, (_, j) => reshape(slice(x, [0, j], [b, 1]), [b]));
}

/** A copy of each column, off the tape and out of `valueAndGrad`'s arena (to carry states on). */
export function detach(cols: readonly Tensor[]): Tensor[] {
  return cols.map((c) => new Tensor(c.data.slice(), c.shape));
}
