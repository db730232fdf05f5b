/**
 * Action and observation spaces, as in Gymnasium: Discrete, Box, MultiDiscrete and MultiBinary.
 * A space is a discriminated union on `kind`; each can test membership (`contains`), draw a sample
 * from a seeded {@link Rng}, and describe itself for error messages.
 */

import { log } from "../core/math.ts";
import type { Rng } from "../core/rng.ts";

/** `n` integer actions `start, start + 1, ..., start + n - 1`. Actions are plain numbers. */
export interface DiscreteSpace {
  readonly kind: "discrete";
  readonly n: number;
  readonly start: number;
}

/**
 * A box of reals with per-element bounds (possibly infinite), row-major over `shape`. Values are
 * arrays of numbers or typed arrays with `size = prod(shape)` elements.
 */
export interface BoxSpace {
  readonly kind: "box";
  readonly shape: readonly number[];
  readonly size: number;
  readonly low: Float64Array;
  readonly high: Float64Array;
}

/** A vector of independent discrete choices, element i in `[0, nvec[i])`. */
export interface MultiDiscreteSpace {
  readonly kind: "multi-discrete";
  readonly nvec: readonly number[];
}

/** A vector of `n` bits, each 0 or 1. */
export interface MultiBinarySpace {
  readonly kind: "multi-binary";
  readonly n: number;
}

export type Space = DiscreteSpace | BoxSpace | MultiDiscreteSpace | MultiBinarySpace;

/** A value of a vector-valued space: a plain array or any typed array. */
export type VectorValue = ArrayLike<number>;

/** Discrete space of `n` actions starting at `start` (default 0). */
export function discrete(n: number, start = 0): DiscreteSpace {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`discrete: n must be a positive integer, got ${n}`);
  }
  if (!Number.isInteger(start)) {
    throw new RangeError(`discrete: start must be an integer, got ${start}`);
  }
  return { kind: "discrete", n, start };
}

/**
 * Box space. `low`/`high` are scalars (broadcast) or arrays of `prod(shape)` elements; `shape`
 * defaults to the length of an array bound.
 */
export function box(
  low: number | VectorValue,
  high: number | VectorValue,
  shape?: readonly number[],
): BoxSpace {
  const inferred =
    shape ??
    (typeof low !== "number" ? [low.length] : typeof high !== "number" ? [high.length] : null);
  if (inferred === null) throw new TypeError("box: give a shape when both bounds are scalars");
  if (!inferred.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RangeError(`box: shape must be positive integers, got [${inferred.join(", ")}]`);
  }
  const size = inferred.reduce((a, b) => a * b, 1);
  const lo = fillBound("low", low, size);
  const hi = fillBound("high", high, size);
  for (let i = 0; i < size; i++) {
    if (Number.isNaN(lo[i]) || Number.isNaN(hi[i]) || lo[i] > hi[i]) {
      throw new RangeError(
        `box: need low <= high at element ${i}, got low ${lo[i]}, high ${hi[i]}`,
      );
    }
  }
  return { kind: "box", shape: [...inferred], size, low: lo, high: hi };
}

function fillBound(name: string, bound: number | VectorValue, size: number): Float64Array {
  if (typeof bound === "number") return new Float64Array(size).fill(bound);
  if (bound.length !== size) {
    throw new RangeError(`box: ${name} has ${bound.length} elements, shape needs ${size}`);
  }
  return Float64Array.from(bound);
}

/** MultiDiscrete space with element i in `[0, nvec[i])`. */
export function multiDiscrete(nvec: readonly number[]): MultiDiscreteSpace {
  if (nvec.length === 0 || !nvec.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new RangeError(`multiDiscrete: nvec must be positive integers, got [${nvec.join(", ")}]`);
  }
  return { kind: "multi-discrete", nvec: [...nvec] };
}

/** MultiBinary space of `n` bits. */
export function multiBinary(n: number): MultiBinarySpace {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`multiBinary: n must be a positive integer, got ${n}`);
  }
  return { kind: "multi-binary", n };
}

/** Number of scalars in one value of the space (1 for Discrete). */
export function flatSize(space: Space): number {
  switch (space.kind) {
    case "discrete":
      return 1;
    case "box":
      return space.size;
    case "multi-discrete":
      return space.nvec.length;
    case "multi-binary":
      return space.n;
  }
}

function isVector(x: unknown): x is VectorValue {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}

/**
 * Entries of one action mask for this action space (`info.actionMask`): one 0/1 per class, n for
 * Discrete(n), sum(nvec) for MultiDiscrete (component j's classes after those of components < j),
 * 2n for MultiBinary(n); 0 for Box, which takes no masks.
 */
export function actionMaskSize(space: Space): number {
  switch (space.kind) {
    case "discrete":
      return space.n;
    case "multi-discrete":
      return space.nvec.reduce((a, b) => a + b, 0);
    case "multi-binary":
      return 2 * space.n;
    case "box":
      return 0;
  }
}

/** Whether `x` is a member of `space` (Box: right length, no NaN, within bounds). */
export function contains(space: Space, x: unknown): boolean {
  switch (space.kind) {
    case "discrete":
      return (
        typeof x === "number" &&
        Number.isInteger(x) &&
        x >= space.start &&
        x < space.start + space.n
      );
    case "box": {
      if (!isVector(x) || x.length !== space.size) return false;
      for (let i = 0; i < space.size; i++) {
        const v = x[i];
        if (typeof v !== "number" || Number.isNaN(v) || v < space.low[i] || v > space.high[i]) {
          return false;
        }
      }
      return true;
    }
    case "multi-discrete": {
      if (!isVector(x) || x.length !== space.nvec.length) return false;
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        if (!Number.isInteger(v) || v < 0 || v >= space.nvec[i]) return false;
      }
      return true;
    }
    case "multi-binary": {
      if (!isVector(x) || x.length !== space.n) return false;
      for (let i = 0; i < x.length; i++) if (x[i] !== 0 && x[i] !== 1) return false;
      return true;
    }
  }
}

/**
 * A random member of the space. Box: uniform on finite bounds, exponential tails on half-bounded
 * dimensions and a standard normal on unbounded ones (Gymnasium's rule).
 */
export function sample(space: Space, rng: Rng): number | Float64Array {
  switch (space.kind) {
    case "discrete":
      return space.start + rng.int(space.n);
    case "box": {
      const out = new Float64Array(space.size);
      for (let i = 0; i < space.size; i++) {
        const lo = space.low[i];
        const hi = space.high[i];
        const loFinite = Number.isFinite(lo);
        const hiFinite = Number.isFinite(hi);
        if (loFinite && hiFinite) out[i] = lo + (hi - lo) * rng.uniform();
        else if (loFinite) out[i] = lo - log(1 - rng.uniform());
        else if (hiFinite) out[i] = hi + log(1 - rng.uniform());
        else out[i] = rng.normal();
      }
      return out;
    }
    case "multi-discrete":
      return Float64Array.from(space.nvec, (n) => rng.int(n));
    case "multi-binary":
      return Float64Array.from({ length: space.n }, () => rng.int(2));
  }
}

function formatBound(a: Float64Array): string {
  const first = a[0];
  if (a.every((v) => v === first)) return String(first);
  return `[${Array.from(a, (v) => String(v)).join(", ")}]`;
}

/** Short human description, e.g. `Discrete(2)` or `Box(-2, 2, [1])`, for error messages. */
export function describe(space: Space): string {
  switch (space.kind) {
    case "discrete":
      return space.start === 0
        ? `Discrete(${space.n})`
        : `Discrete(${space.n}, start=${space.start})`;
    case "box":
      return `Box(${formatBound(space.low)}, ${formatBound(space.high)}, [${space.shape.join(", ")}])`;
    case "multi-discrete":
      return `MultiDiscrete([${space.nvec.join(", ")}])`;
    case "multi-binary":
      return `MultiBinary(${space.n})`;
  }
}

/** Short description of an arbitrary value for error messages (truncated arrays, NaN shown). */
export function describeValue(x: unknown): string {
  if (isVector(x)) {
    const items = Array.from({ length: Math.min(x.length, 8) }, (_, i) => String(x[i]));
    return `[${items.join(", ")}${x.length > 8 ? ", ..." : ""}] (length ${x.length})`;
  }
  if (typeof x === "number") return String(x);
  return `${typeof x} ${JSON.stringify(x) ?? String(x)}`;
}
