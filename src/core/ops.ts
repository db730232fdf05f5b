/**
 * The closed set of primitive ops, the fused kernels, and (at the end of this file) the one table of
 * their derivatives, {@link RULES}: each op's vector-Jacobian product in one place.
 *
 * Binary elementwise ops take Tensors or numbers and broadcast like NumPy (shapes aligned on the
 * right; a dim of 1 stretches). Every op checks its shapes and throws an error naming the op, the
 * shapes it got and what it expected.
 */
import {
  activationGrad,
  columnSums,
  type DenseActivation,
  denseInto,
  matmulABtAdd,
  matmulAtBAdd,
  matmulInto,
  tanhFast,
} from "./backend/kernels.ts";
import * as math from "./math.ts";
import {
  activeTape,
  alloc,
  fmt,
  gradOf,
  gradToWrite,
  needsTape,
  type Rule,
  shapeSize,
  type TapeNode,
  Tensor,
} from "./tensor.ts";

type Operand = Tensor | number;

function asTensor(x: Operand, op: string): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === "number") return new Tensor(new Float64Array([x]), []);
  throw new TypeError(`${op}: expected a Tensor or a number, got ${String(x)}`);
}

function record(op: keyof typeof RULES, out: Tensor, inputs: Tensor[], saved: unknown): void {
  activeTape!.record(op, RULES[op], out, inputs, saved);
}

// ---------------------------------------------------------------------------------------------
// Broadcasting

/** The NumPy broadcast of two shapes, or an error naming `op`. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(
        `${op}: shapes ${fmt(a)} and ${fmt(b)} do not broadcast (dim ${i} of the result: ${da} vs ${db}; expected equal or 1)`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * For an input of shape `inShape` broadcast to `outShape`: the input index of each output index,
 * or null when no map is needed (same size: identity; size 1: always 0).
 */
function broadcastMap(outShape: readonly number[], inShape: readonly number[]): Int32Array | null {
  const n = shapeSize(outShape);
  const inSize = shapeSize(inShape);
  if (inSize === n || inSize === 1) return null;
  const r = outShape.length;
  const off = r - inShape.length;
  // Input strides aligned to the output dims; 0 where the input is broadcast.
  const strides = new Array<number>(r).fill(0);
  let s = 1;
  for (let d = r - 1; d >= off; d--) {
    const dim = inShape[d - off];
    strides[d] = dim === 1 ? 0 : s;
    s *= dim;
  }
  const map = new Int32Array(n);
  const idx = new Array<number>(r).fill(0);
  let src = 0;
  for (let i = 0; i < n; i++) {
    map[i] = src;
    // Odometer increment of the multi-index, updating the source offset incrementally.
    for (let d = r - 1; d >= 0; d--) {
      idx[d]++;
      src += strides[d];
      if (idx[d] < outShape[d]) break;
      src -= strides[d] * idx[d];
      idx[d] = 0;
    }
  }
  return map;
}

/** Input index of output element i (see broadcastMap). */
function at(map: Int32Array | null, size: number, i: number): number {
  return map !== null ? map[i] : size === 1 ? 0 : i;
}

interface Broadcast2 {
  mapA: Int32Array | null;
  mapB: Int32Array | null;
}

/** The saved maps of a binary op without broadcast maps (shared: one object less per op). */
const NO_MAPS: Broadcast2 = { mapA: null, mapB: null };

type Fn2 = (x: number, y: number) => number;
type Fn1 = (x: number) => number;

function binary(
  op: keyof typeof RULES | Untaped,
  a: Operand,
  b: Operand,
  f: Fn2,
  taped = true,
): Tensor {
  const ta = asTensor(a, op);
  const tb = asTensor(b, op);
  const A = ta.data;
  const B = tb.data;
  let shape: readonly number[];
  let mapA: Int32Array | null = null;
  let mapB: Int32Array | null = null;
  // A scalar `[]` broadcasts to the other shape: no shape or map to build (the env algebra's
  // constants meet a column in most of its ops).
  if (sameShape(ta.shape, tb.shape) || tb.shape.length === 0) shape = ta.shape;
  else if (ta.shape.length === 0) shape = tb.shape;
  else {
    shape = broadcastShapes(op, ta.shape, tb.shape);
    mapA = broadcastMap(shape, ta.shape);
    mapB = broadcastMap(shape, tb.shape);
  }
  const n = shapeSize(shape);
  const out = alloc(n);
  if (arithmetic(op, A, B, out, n, ta.size, tb.size)) {
    // done: add, sub, mul or div without broadcast maps
  } else if (ta.size === n && tb.size === n) {
    for (let i = 0; i < n; i++) out[i] = f(A[i], B[i]);
  } else if (tb.size === 1 && ta.size === n) {
    const y = B[0];
    for (let i = 0; i < n; i++) out[i] = f(A[i], y);
  } else {
    const na = ta.size;
    const nb = tb.size;
    for (let i = 0; i < n; i++) out[i] = f(A[at(mapA, na, i)], B[at(mapB, nb, i)]);
  }
  const t = new Tensor(out, shape);
  if (taped && needsTape(ta, tb)) {
    const maps = mapA === null && mapB === null ? NO_MAPS : { mapA, mapB };
    record(op as keyof typeof RULES, t, [ta, tb], maps satisfies Broadcast2);
  }
  return t;
}

/**
 * The loops of add, sub, mul and div written out (when no broadcast map is needed), so each is
 * straight code rather than a call of `f` per element: `binary`'s `f(x, y)` call site serves every
 * op and is megamorphic. The same operations, so the same bits. Returns false for any other case.
 */
function arithmetic(
  op: string,
  A: Float64Array,
  B: Float64Array,
  out: Float64Array,
  n: number,
  na: number,
  nb: number,
): boolean {
  // Strides 0 or 1: a size-1 operand is read at 0 (a constant meeting a column).
  const sa = na === n ? 1 : na === 1 ? 0 : -1;
  const sb = nb === n ? 1 : nb === 1 ? 0 : -1;
  if (sa < 0 || sb < 0) return false;
  switch (op) {
    case "add":
      for (let i = 0; i < n; i++) out[i] = A[i * sa] + B[i * sb];
      return true;
    case "sub":
      for (let i = 0; i < n; i++) out[i] = A[i * sa] - B[i * sb];
      return true;
    case "mul":
      for (let i = 0; i < n; i++) out[i] = A[i * sa] * B[i * sb];
      return true;
    case "div":
      for (let i = 0; i < n; i++) out[i] = A[i * sa] / B[i * sb];
      return true;
    default:
      return false;
  }
}

function unary(
  op: keyof typeof RULES | Untaped,
  x: Tensor,
  f: Fn1,
  saved: unknown = null,
  taped = true,
): Tensor {
  checkTensor(op, x);
  const X = x.data;
  const n = x.size;
  const out = alloc(n);
  switch (op) {
    // Written out: `f(X[i])` below is one megamorphic call site for every op (see arithmetic).
    case "neg":
      for (let i = 0; i < n; i++) out[i] = -X[i];
      break;
    case "fround":
      for (let i = 0; i < n; i++) out[i] = Math.fround(X[i]);
      break;
    case "floor":
      for (let i = 0; i < n; i++) out[i] = Math.floor(X[i]);
      break;
    case "sin":
      for (let i = 0; i < n; i++) out[i] = math.sin(X[i]);
      break;
    case "cos":
      for (let i = 0; i < n; i++) out[i] = math.cos(X[i]);
      break;
    default:
      for (let i = 0; i < n; i++) out[i] = f(X[i]);
  }
  const t = new Tensor(out, x.shape);
  if (taped && needsTape(x)) record(op as keyof typeof RULES, t, [x], saved);
  return t;
}

/**
 * Ops that are piecewise constant (floor, the comparisons): their derivative is 0 wherever it
 * exists, so they are never recorded and their outputs are constants to the tape. They have no
 * entry in {@link RULES} for that reason (see the note there).
 */
type Untaped = "floor" | "lt" | "le" | "gt" | "ge" | "eq";

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkTensor(op: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor, got ${String(x)}`);
}

// ---------------------------------------------------------------------------------------------
// Elementwise

const fAdd: Fn2 = (x, y) => x + y;
const fSub: Fn2 = (x, y) => x - y;
const fMul: Fn2 = (x, y) => x * y;
const fDiv: Fn2 = (x, y) => x / y;
const fMax: Fn2 = (x, y) => Math.max(x, y);
const fMin: Fn2 = (x, y) => Math.min(x, y);

export const add = (a: Operand, b: Operand): Tensor => binary("add", a, b, fAdd);
export const sub = (a: Operand, b: Operand): Tensor => binary("sub", a, b, fSub);
export const mul = (a: Operand, b: Operand): Tensor => binary("mul", a, b, fMul);
export const div = (a: Operand, b: Operand): Tensor => binary("div", a, b, fDiv);
/** a^b elementwise. The gradient in b uses log(a), so keep a > 0 where b is differentiated. */
export const pow = (a: Operand, b: Operand): Tensor => binary("pow", a, b, math.pow);
/** Elementwise max; at ties the gradient goes to `a`. */
export const maximum = (a: Operand, b: Operand): Tensor => binary("maximum", a, b, fMax);
/** Elementwise min; at ties the gradient goes to `a`. */
export const minimum = (a: Operand, b: Operand): Tensor => binary("minimum", a, b, fMin);

export const neg = (x: Tensor): Tensor => unary("neg", x, (v) => -v);
export const exp = (x: Tensor): Tensor => unary("exp", x, math.exp);
export const log = (x: Tensor): Tensor => unary("log", x, math.log);
/** tanh via the same kernel as the fused dense layer (within a few ulps of the exact tanh). */
export const tanh = (x: Tensor): Tensor => unary("tanh", x, tanhFast);
export const sigmoid = (x: Tensor): Tensor => unary("sigmoid", x, sigmoidFn);
export const sin = (x: Tensor): Tensor => unary("sin", x, math.sin);
export const cos = (x: Tensor): Tensor => unary("cos", x, math.cos);
export const sqrt = (x: Tensor): Tensor => unary("sqrt", x, Math.sqrt);
/** |x|; the gradient at 0 is 0. */
export const abs = (x: Tensor): Tensor => unary("abs", x, Math.abs);
/** Rounds to the nearest float32 (`Math.fround`); straight-through gradient 1. */
export const fround = (x: Tensor): Tensor => unary("fround", x, Math.fround);
/** Largest integer <= x. Gradient 0 (piecewise constant: not recorded on the tape). */
export const floor = (x: Tensor): Tensor => unary("floor", x, Math.floor, null, false);

const fLt: Fn2 = (x, y) => (x < y ? 1 : 0);
const fLe: Fn2 = (x, y) => (x <= y ? 1 : 0);
const fGt: Fn2 = (x, y) => (x > y ? 1 : 0);
const fGe: Fn2 = (x, y) => (x >= y ? 1 : 0);
const fEq: Fn2 = (x, y) => (x === y ? 1 : 0);

// Comparisons give masks (1 where true, else 0), broadcast like the arithmetic ops, for `where`.
// Gradient 0: they are not recorded on the tape.
/** Mask a < b. */
export const lt = (a: Operand, b: Operand): Tensor => binary("lt", a, b, fLt, false);
/** Mask a <= b. */
export const le = (a: Operand, b: Operand): Tensor => binary("le", a, b, fLe, false);
/** Mask a > b. */
export const gt = (a: Operand, b: Operand): Tensor => binary("gt", a, b, fGt, false);
/** Mask a >= b. */
export const ge = (a: Operand, b: Operand): Tensor => binary("ge", a, b, fGe, false);
/** Mask a === b. */
export const eq = (a: Operand, b: Operand): Tensor => binary("eq", a, b, fEq, false);

function sigmoidFn(v: number): number {
  // Two branches so exp never overflows.
  if (v >= 0) return 1 / (1 + math.exp(-v));
  const e = math.exp(v);
  return e / (1 + e);
}

/** min(max(x, lo), hi). The gradient is 1 inside [lo, hi] and 0 outside. */
export function clip(x: Tensor, lo: number, hi: number): Tensor {
  if (!(lo <= hi)) throw new Error(`clip: expected lo <= hi, got lo=${lo}, hi=${hi}`);
  checkTensor("clip", x);
  const X = x.data;
  const n = x.size;
  const out = alloc(n);
  for (let i = 0; i < n; i++) {
    const v = X[i];
    out[i] = v < lo ? lo : Math.min(v, hi);
  }
  const t = new Tensor(out, x.shape);
  if (needsTape(x)) record("clip", t, [x], { lo, hi });
  return t;
}

/**
 * mask ? a : b elementwise, all three broadcast together. `mask` is a Tensor (nonzero = true);
 * it gets no gradient.
 */
export function where(mask: Tensor, a: Operand, b: Operand): Tensor {
  checkTensor("where", mask);
  const ta = asTensor(a, "where");
  const tb = asTensor(b, "where");
  const shape = broadcastShapes("where", broadcastShapes("where", mask.shape, ta.shape), tb.shape);
  const n = shapeSize(shape);
  const mapM = broadcastMap(shape, mask.shape);
  const mapA = broadcastMap(shape, ta.shape);
  const mapB = broadcastMap(shape, tb.shape);
  const out = alloc(n);
  const M = mask.data;
  for (let i = 0; i < n; i++) {
    out[i] =
      M[at(mapM, mask.size, i)] !== 0
        ? ta.data[at(mapA, ta.size, i)]
        : tb.data[at(mapB, tb.size, i)];
  }
  const t = new Tensor(out, shape);
  if (needsTape(ta, tb)) record("where", t, [ta, tb, mask], { mapA, mapB, mapM });
  return t;
}

// ---------------------------------------------------------------------------------------------
// Reductions

interface Reduce {
  outer: number;
  dim: number;
  inner: number;
  /** max only: the index along the axis that won, per output element. */
  argmax: Int32Array | null;
}

function normAxis(op: string, shape: readonly number[], axis: number): number {
  const r = shape.length;
  if (!Number.isInteger(axis) || axis < -r || axis >= r) {
    throw new Error(
      `${op}: axis ${axis} out of range for shape ${fmt(shape)} (expected -${r} <= axis < ${r})`,
    );
  }
  return axis < 0 ? axis + r : axis;
}

function reduce(op: "sum" | "mean" | "max", x: Tensor, axis?: number, keepDims = false): Tensor {
  checkTensor(op, x);
  let outer = 1;
  let dim = x.size;
  let inner = 1;
  let shape: number[];
  if (axis === undefined) {
    shape = keepDims ? x.shape.map(() => 1) : [];
  } else {
    const ax = normAxis(op, x.shape, axis);
    outer = shapeSize(x.shape.slice(0, ax));
    dim = x.shape[ax];
    inner = shapeSize(x.shape.slice(ax + 1));
    shape = x.shape.slice();
    if (keepDims) shape[ax] = 1;
    else shape.splice(ax, 1);
  }
  if (op === "max" && dim === 0)
    throw new Error(`max: cannot reduce an empty axis of shape ${fmt(x.shape)}`);
  const X = x.data;
  const out = alloc(outer * inner);
  let argmax: Int32Array | null = null;
  if (op === "max") {
    argmax = new Int32Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let q = 0; q < inner; q++) {
        const base = o * dim * inner + q;
        let best = X[base];
        let bi = 0;
        for (let d = 1; d < dim; d++) {
          const v = X[base + d * inner];
          if (v > best) {
            best = v;
            bi = d;
          }
        }
        out[o * inner + q] = best;
        argmax[o * inner + q] = bi;
      }
    }
  } else {
    const scale = op === "mean" ? 1 / dim : 1;
    for (let o = 0; o < outer; o++) {
      for (let q = 0; q < inner; q++) {
        const base = o * dim * inner + q;
        let s = 0;
        for (let d = 0; d < dim; d++) s += X[base + d * inner];
        out[o * inner + q] = s * scale;
      }
    }
  }
  const t = new Tensor(out, shape);
  if (needsTape(x)) record(op, t, [x], { outer, dim, inner, argmax } satisfies Reduce);
  return t;
}

/** Sum over `axis` (all elements when omitted). */
export const sum = (x: Tensor, axis?: number, keepDims = false): Tensor =>
  reduce("sum", x, axis, keepDims);
/** Mean over `axis` (all elements when omitted). */
export const mean = (x: Tensor, axis?: number, keepDims = false): Tensor =>
  reduce("mean", x, axis, keepDims);
/** Max over `axis` (all elements when omitted); the gradient goes to the first maximal element. */
export const max = (x: Tensor, axis?: number, keepDims = false): Tensor =>
  reduce("max", x, axis, keepDims);

// ---------------------------------------------------------------------------------------------
// Shape and indexing

/** Same data, new shape (one dim may be -1: inferred). Shares the data buffer. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor("reshape", x);
  const s = shape.slice();
  const hole = s.indexOf(-1);
  if (hole >= 0) {
    const rest = shapeSize(s.filter((_, i) => i !== hole));
    if (rest === 0 || x.size % rest !== 0) {
      throw new Error(
        `reshape: cannot infer -1 in ${fmt(shape)} for ${x.size} elements (shape ${fmt(x.shape)})`,
      );
    }
    s[hole] = x.size / rest;
  }
  if (shapeSize(s) !== x.size) {
    throw new Error(
      `reshape: shape ${fmt(x.shape)} (${x.size} elements) cannot become ${fmt(shape)}`,
    );
  }
  const t = new Tensor(x.data, s);
  if (needsTape(x)) record("reshape", t, [x], null);
  return t;
}

/** Row-major strides of a shape. */
function stridesOf(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    st[d] = s;
    s *= shape[d];
  }
  return st;
}

/** For every element of `shape` (row-major), the flat source index `base + sum idx[d] * strides[d]`. */
function indexMap(shape: readonly number[], strides: readonly number[], base: number): Int32Array {
  const n = shapeSize(shape);
  const r = shape.length;
  const map = new Int32Array(n);
  const idx = new Array<number>(r).fill(0);
  let src = base;
  for (let i = 0; i < n; i++) {
    map[i] = src;
    for (let d = r - 1; d >= 0; d--) {
      idx[d]++;
      src += strides[d];
      if (idx[d] < shape[d]) break;
      src -= strides[d] * idx[d];
      idx[d] = 0;
    }
  }
  return map;
}

/** out[i] = x[map[i]]: the shared forward of slice and gather. */
function take(op: "slice" | "gather", x: Tensor, map: Int32Array, shape: number[]): Tensor {
  const out = alloc(map.length);
  const X = x.data;
  for (let i = 0; i < map.length; i++) out[i] = X[map[i]];
  const t = new Tensor(out, shape);
  if (needsTape(x)) record(op, t, [x], map);
  return t;
}

/**
 * The block of `x` starting at `begin` with extent `size` per dim (`-1` or omitted: to the end).
 * @example slice(x /* [B, 4] *\/, [0, 1], [-1, 2]) // columns 1..2 -> [B, 2]
 */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  checkTensor("slice", x);
  const r = x.shape.length;
  if (begin.length !== r || (size !== undefined && size.length !== r)) {
    throw new Error(
      `slice: begin ${fmt(begin)} and size ${size ? fmt(size) : "(none)"} must have one entry per dim of shape ${fmt(x.shape)}`,
    );
  }
  const shape = new Array<number>(r);
  for (let d = 0; d < r; d++) {
    const b = begin[d];
    const s = size === undefined || size[d] === -1 ? x.shape[d] - b : size[d];
    if (!Number.isInteger(b) || !Number.isInteger(s) || b < 0 || s < 0 || b + s > x.shape[d]) {
      throw new Error(
        `slice: begin ${fmt(begin)} size ${size ? fmt(size) : "(none)"} out of bounds for shape ${fmt(x.shape)} at dim ${d}`,
      );
    }
    shape[d] = s;
  }
  const st = stridesOf(x.shape);
  let base = 0;
  for (let d = 0; d < r; d++) base += begin[d] * st[d];
  return take("slice", x, indexMap(shape, st, base), shape);
}

/**
 * Picks one element along `axis` for every position of the other axes (NumPy's
 * `take_along_axis` with the axis then dropped): for x [B, K], axis 1 and indices [B],
 * out[i] = x[i, indices[i]], shape [B]. `indices` has one entry per element of the result, in
 * row-major order; each must be an integer in [0, x.shape[axis]).
 */
export function gather(x: Tensor, axis: number, indices: ArrayLike<number>): Tensor {
  checkTensor("gather", x);
  const ax = normAxis("gather", x.shape, axis);
  const shape = x.shape.filter((_, d) => d !== ax);
  const n = shapeSize(shape);
  if (indices.length !== n) {
    throw new Error(
      `gather: x ${fmt(x.shape)} along axis ${ax} needs ${n} indices (one per element of result ${fmt(shape)}), got ${indices.length}`,
    );
  }
  const dim = x.shape[ax];
  const inner = shapeSize(x.shape.slice(ax + 1));
  const map = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = indices[i];
    if (!Number.isInteger(k) || k < 0 || k >= dim) {
      throw new Error(
        `gather: indices[${i}] = ${k} out of range for axis ${ax} of shape ${fmt(x.shape)} (expected 0..${dim - 1})`,
      );
    }
    const o = Math.floor(i / inner);
    const q = i - o * inner;
    map[i] = (o * dim + k) * inner + q;
  }
  return take("gather", x, map, shape);
}

/** Joins tensors along `axis`; all other dims must match. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new Error("concat: expected at least one tensor, got none");
  for (const x of xs) checkTensor("concat", x);
  const ref = xs[0].shape;
  const ax = normAxis("concat", ref, axis);
  let total = 0;
  for (const x of xs) {
    const ok = x.shape.length === ref.length && x.shape.every((d, i) => i === ax || d === ref[i]);
    if (!ok) {
      throw new Error(
        `concat: shapes ${xs.map((t) => fmt(t.shape)).join(", ")} differ outside axis ${ax} (expected equal dims elsewhere)`,
      );
    }
    total += x.shape[ax];
  }
  const shape = ref.slice();
  shape[ax] = total;
  const outer = shapeSize(ref.slice(0, ax));
  const inner = shapeSize(ref.slice(ax + 1));
  const out = alloc(shapeSize(shape));
  const maps: Int32Array[] = [];
  let offset = 0;
  for (const x of xs) {
    const d = x.shape[ax];
    // Input element (o, k, q) lands at output (o, offset + k, q).
    const map = indexMap([outer, d, inner], [total * inner, inner, 1], offset * inner);
    for (let i = 0; i < map.length; i++) out[map[i]] = x.data[i];
    maps.push(map);
    offset += d;
  }
  const t = new Tensor(out, shape);
  if (activeTape !== null && xs.some((x) => x.tracked)) record("concat", t, xs.slice(), maps);
  return t;
}

/** The same values with no gradient flowing back (shares the data buffer). */
export function stopGradient(x: Tensor): Tensor {
  checkTensor("stopGradient", x);
  return new Tensor(x.data, x.shape);
}

// ---------------------------------------------------------------------------------------------
// Matrix product and fused kernels

function check2d(op: string, name: string, x: Tensor): void {
  checkTensor(op, x);
  if (x.shape.length !== 2)
    throw new Error(`${op}: ${name} must be 2-D, got shape ${fmt(x.shape)}`);
}

/** a [M, K] @ b [K, N] -> [M, N]. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  check2d("matmul", "a", a);
  check2d("matmul", "b", b);
  const [M, K] = a.shape;
  const [K2, N] = b.shape;
  if (K !== K2) {
    throw new Error(
      `matmul: a ${fmt(a.shape)} @ b ${fmt(b.shape)}: inner dims ${K} and ${K2} must match`,
    );
  }
  const out = alloc(M * N);
  matmulInto(a.data, b.data, null, out, M, K, N);
  const t = new Tensor(out, [M, N]);
  if (needsTape(a, b)) record("matmul", t, [a, b], null);
  return t;
}

/**
 * Fused dense layer: act(x @ w + b). x [B, I], w [I, O], b [O] or null -> [B, O]. One op on the
 * tape instead of three, and no gradient is computed for x unless x depends on a parameter.
 */
export function dense(x: Tensor, w: Tensor, b: Tensor | null, activation: DenseActivation): Tensor {
  check2d("dense", "x", x);
  check2d("dense", "w", w);
  const [B, I] = x.shape;
  const [I2, O] = w.shape;
  if (I !== I2)
    throw new Error(
      `dense: x ${fmt(x.shape)} @ w ${fmt(w.shape)}: inner dims ${I} and ${I2} must match`,
    );
  if (b !== null && (b.shape.length !== 1 || b.shape[0] !== O)) {
    throw new Error(
      `dense: bias has shape ${b ? fmt(b.shape) : "?"}, expected [${O}] for w ${fmt(w.shape)}`,
    );
  }
  if (
    activation !== "tanh" &&
    activation !== "relu" &&
    activation !== "elu" &&
    activation !== "none"
  ) {
    throw new Error(
      `dense: activation must be "tanh" | "relu" | "elu" | "none", got ${String(activation)}`,
    );
  }
  const out = alloc(B * O);
  denseInto(x.data, w.data, b === null ? null : b.data, out, B, I, O, activation);
  const t = new Tensor(out, [B, O]);
  if (needsTape(x, w, b)) record("dense", t, b === null ? [x, w] : [x, w, b], activation);
  return t;
}

function rowsOf(op: string, x: Tensor): { rows: number; K: number } {
  checkTensor(op, x);
  if (x.shape.length < 1 || x.shape[x.shape.length - 1] === 0) {
    throw new Error(`${op}: expected a non-empty last axis, got shape ${fmt(x.shape)}`);
  }
  const K = x.shape[x.shape.length - 1];
  return { rows: x.size / K, K };
}

/**
 * Per row: the max m and ls = log(sum(exp(x - m))), so log softmax = (x - m) - ls. Shifting first
 * keeps exp finite, and subtracting m before ls keeps full precision for large logits.
 */
function rowLogSumExp(
  X: Float64Array,
  rows: number,
  K: number,
  m: Float64Array,
  ls: Float64Array,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * K;
    let mx = X[o];
    for (let k = 1; k < K; k++) if (X[o + k] > mx) mx = X[o + k];
    let s = 0;
    for (let k = 0; k < K; k++) s += math.exp(X[o + k] - mx);
    m[r] = mx;
    ls[r] = math.log(s);
  }
}

/** log softmax over the last axis: x [B, K] -> [B, K]. */
export function logSoftmax(x: Tensor): Tensor {
  const { rows, K } = rowsOf("logSoftmax", x);
  const m = alloc(rows);
  const ls = alloc(rows);
  rowLogSumExp(x.data, rows, K, m, ls);
  const out = alloc(x.size);
  for (let r = 0; r < rows; r++)
    for (let k = 0; k < K; k++) out[r * K + k] = x.data[r * K + k] - m[r] - ls[r];
  const t = new Tensor(out, x.shape);
  if (needsTape(x)) record("logSoftmax", t, [x], null);
  return t;
}

/**
 * Log-probability of the chosen class: logits [B, K], actions [B] (integers in [0, K)) -> [B] with
 * out[i] = logSoftmax(logits)[i, actions[i]]. Fused: no [B, K] log-softmax is materialized.
 */
export function logSoftmaxGather(logits: Tensor, actions: ArrayLike<number>): Tensor {
  check2d("logSoftmaxGather", "logits", logits);
  const [B, K] = logits.shape;
  if (actions.length !== B) {
    throw new Error(
      `logSoftmaxGather: logits ${fmt(logits.shape)} needs ${B} actions, got ${actions.length}`,
    );
  }
  const m = alloc(B);
  const ls = alloc(B);
  rowLogSumExp(logits.data, B, K, m, ls);
  const out = alloc(B);
  for (let i = 0; i < B; i++) {
    const a = actions[i];
    if (!(a >= 0 && a < K && a === Math.floor(a))) {
      throw new Error(`logSoftmaxGather: actions[${i}] = ${a}, expected an integer in [0, ${K})`);
    }
    out[i] = logits.data[i * K + a] - m[i] - ls[i];
  }
  const t = new Tensor(out, [B]);
  if (needsTape(logits)) record("logSoftmaxGather", t, [logits], { m, ls, actions });
  return t;
}

// ---------------------------------------------------------------------------------------------
// The derivative table: one vector-Jacobian product per op.

/** Elementwise binary rule from the two partial derivatives d(out)/dx and d(out)/dy. */
function binaryRule(
  dx: (x: number, y: number, z: number) => number,
  dy: (x: number, y: number, z: number) => number,
): Rule {
  return (node, g) => {
    const [a, b] = node.inputs;
    const { mapA, mapB } = node.saved as Broadcast2;
    const A = a.data;
    const B = b.data;
    const Z = node.out.data;
    const na = a.size;
    const nb = b.size;
    if (a.tracked) {
      const ga = gradOf(a);
      for (let i = 0; i < g.length; i++) {
        const ia = at(mapA, na, i);
        ga[ia] += g[i] * dx(A[ia], B[at(mapB, nb, i)], Z[i]);
      }
    }
    if (b.tracked) {
      const gb = gradOf(b);
      for (let i = 0; i < g.length; i++) {
        const ib = at(mapB, nb, i);
        gb[ib] += g[i] * dy(A[at(mapA, na, i)], B[ib], Z[i]);
      }
    }
  };
}

/** Elementwise unary rule from d(out)/dx as a function of x and the output y. */
function unaryRule(d: (x: number, y: number) => number): Rule {
  return (node, g) => {
    const x = node.inputs[0];
    const gx = gradOf(x);
    const X = x.data;
    const Y = node.out.data;
    for (let i = 0; i < g.length; i++) gx[i] += g[i] * d(X[i], Y[i]);
  };
}

function reduceRule(node: TapeNode, g: Float64Array): void {
  const x = node.inputs[0];
  const { outer, dim, inner, argmax } = node.saved as Reduce;
  const gx = gradOf(x);
  const scale = node.op === "mean" ? 1 / dim : 1;
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const gv = g[o * inner + q] * scale;
      const base = o * dim * inner + q;
      if (argmax !== null) gx[base + argmax[o * inner + q] * inner] += gv;
      else for (let d = 0; d < dim; d++) gx[base + d * inner] += gv;
    }
  }
}

/** Scatter-add back through out[i] = x[map[i]]. */
function takeRule(node: TapeNode, g: Float64Array): void {
  const gx = gradOf(node.inputs[0]);
  const map = node.saved as Int32Array;
  for (let i = 0; i < map.length; i++) gx[map[i]] += g[i];
}

/**
 * The stride of an input of `size` elements read at each of `n` output elements: 1 (same size),
 * 0 (one element, broadcast) or -1 (a broadcast map is needed).
 */
function stride(size: number, n: number): number {
  return size === n ? 1 : size === 1 ? 0 : -1;
}

/** `gx[map(i)] += s * g[i]`: the rule of add (s = 1 to both inputs) and sub (-1 to b). */
function addScaled(
  gx: Float64Array,
  g: Float64Array,
  s: number,
  map: Int32Array | null,
  size: number,
): void {
  const n = g.length;
  const st = stride(size, n);
  if (st >= 0) for (let i = 0; i < n; i++) gx[i * st] += s * g[i];
  else for (let i = 0; i < n; i++) gx[at(map, size, i)] += s * g[i];
}

/**
 * add and sub: written out rather than through {@link binaryRule}, whose per-element calls of
 * its partials are megamorphic (one call site for every op); these ops are most of an env step's
 * backward (issue #12's differentiable Pendulum).
 */
function linearRule(sb: number): Rule {
  return (node, g) => {
    const [a, b] = node.inputs;
    const { mapA, mapB } = node.saved as Broadcast2;
    if (a.tracked) addScaled(gradOf(a), g, 1, mapA, a.size);
    if (b.tracked) addScaled(gradOf(b), g, sb, mapB, b.size);
  };
}

/** `gx[map(i)] += g[i] * Y[mapY(i)]`: one input's share of mul's rule. */
function addProduct(
  gx: Float64Array,
  g: Float64Array,
  mapX: Int32Array | null,
  nx: number,
  Y: Float64Array,
  mapY: Int32Array | null,
  ny: number,
): void {
  const n = g.length;
  const sx = stride(nx, n);
  const sy = stride(ny, n);
  if (sx >= 0 && sy >= 0) for (let i = 0; i < n; i++) gx[i * sx] += g[i] * Y[i * sy];
  else for (let i = 0; i < n; i++) gx[at(mapX, nx, i)] += g[i] * Y[at(mapY, ny, i)];
}

// d(a b) = g b da + g a db, written out for the same reason as linearRule.
const mulRule: Rule = (node, g) => {
  const [a, b] = node.inputs;
  const { mapA, mapB } = node.saved as Broadcast2;
  if (a.tracked) addProduct(gradOf(a), g, mapA, a.size, b.data, mapB, b.size);
  if (b.tracked) addProduct(gradOf(b), g, mapB, b.size, a.data, mapA, a.size);
};

export const RULES = {
  add: linearRule(1),
  sub: linearRule(-1),
  mul: mulRule,
  div: binaryRule(
    (_x, y) => 1 / y,
    (x, y) => -x / (y * y),
  ),
  pow: binaryRule(
    (x, y) => (y === 0 ? 0 : y * math.pow(x, y - 1)),
    (x, _y, z) => (z === 0 ? 0 : z * math.log(x)),
  ),
  maximum: binaryRule(
    (x, y) => (x >= y ? 1 : 0),
    (x, y) => (x >= y ? 0 : 1),
  ),
  minimum: binaryRule(
    (x, y) => (x <= y ? 1 : 0),
    (x, y) => (x <= y ? 0 : 1),
  ),
  neg: ((node, g) => {
    const gx = gradOf(node.inputs[0]);
    for (let i = 0; i < g.length; i++) gx[i] -= g[i];
  }) as Rule,
  exp: unaryRule((_x, y) => y),
  log: unaryRule((x) => 1 / x),
  tanh: unaryRule((_x, y) => 1 - y * y),
  sigmoid: unaryRule((_x, y) => y * (1 - y)),
  // sin and cos written out, as neg: unaryRule's d(x, y) is one megamorphic call site.
  sin: ((node, g) => {
    const gx = gradOf(node.inputs[0]);
    const X = node.inputs[0].data;
    for (let i = 0; i < g.length; i++) gx[i] += g[i] * math.cos(X[i]);
  }) as Rule,
  cos: ((node, g) => {
    const gx = gradOf(node.inputs[0]);
    const X = node.inputs[0].data;
    for (let i = 0; i < g.length; i++) gx[i] += g[i] * -math.sin(X[i]);
  }) as Rule,
  sqrt: unaryRule((_x, y) => 0.5 / y),
  // Straight through: the rounding moves x by at most half a float32 ulp, which the float64
  // derivative of the surrounding computation does not see.
  fround: ((node, g) => {
    const gx = gradOf(node.inputs[0]);
    for (let i = 0; i < g.length; i++) gx[i] += g[i];
  }) as Rule,
  // floor, lt, le, gt, ge, eq: piecewise constant, gradient 0 wherever it exists; never recorded
  // (see Untaped), so no rule.
  abs: unaryRule((x) => (x > 0 ? 1 : x < 0 ? -1 : 0)),
  clip: ((node, g) => {
    const { lo, hi } = node.saved as { lo: number; hi: number };
    const x = node.inputs[0];
    const gx = gradOf(x);
    for (let i = 0; i < g.length; i++) if (x.data[i] >= lo && x.data[i] <= hi) gx[i] += g[i];
  }) as Rule,
  where: ((node, g) => {
    const [a, b, mask] = node.inputs;
    const { mapA, mapB, mapM } = node.saved as Broadcast2 & { mapM: Int32Array | null };
    const M = mask.data;
    const ga = a.tracked ? gradOf(a) : null;
    const gb = b.tracked ? gradOf(b) : null;
    for (let i = 0; i < g.length; i++) {
      if (M[at(mapM, mask.size, i)] !== 0) {
        if (ga !== null) ga[at(mapA, a.size, i)] += g[i];
      } else if (gb !== null) gb[at(mapB, b.size, i)] += g[i];
    }
  }) as Rule,
  sum: reduceRule,
  mean: reduceRule,
  max: reduceRule,
  reshape: ((node, g) => {
    const gx = gradOf(node.inputs[0]);
    for (let i = 0; i < g.length; i++) gx[i] += g[i];
  }) as Rule,
  slice: takeRule,
  gather: takeRule,
  concat: ((node, g) => {
    const maps = node.saved as Int32Array[];
    node.inputs.forEach((x, k) => {
      if (!x.tracked) return;
      const gx = gradOf(x);
      const map = maps[k];
      for (let i = 0; i < map.length; i++) gx[i] += g[map[i]];
    });
  }) as Rule,
  // C = A B:  dA = G B^T,  dB = A^T G.
  matmul: ((node, g) => {
    const [a, b] = node.inputs;
    const [M, K] = a.shape;
    const N = b.shape[1];
    if (a.tracked) matmulABtAdd(g, b.data, gradOf(a), M, N, K);
    if (b.tracked) matmulAtBAdd(a.data, g, gradOf(b), M, K, N);
  }) as Rule,
  // Y = act(X W + b):  GZ = G * act'(Y);  dW = X^T GZ,  db = column sums of GZ,  dX = GZ W^T.
  // A parameter's first gradient is written, not added (gradToWrite): no zero fill, no re-read.
  dense: ((node, g) => {
    const [x, w, b] = node.inputs;
    const [B, I] = x.shape;
    const O = w.shape[1];
    // GZ overwrites G in place: G (this output's gradient) is dead once this rule returns, and
    // one [B, O] buffer fewer keeps a batch-256 step's working set inside the 512 KB L2.
    const act = node.saved as DenseActivation;
    if (act !== "none") activationGrad(node.out.data, g, g, B * O, act);
    const gz = g;
    if (w.tracked) {
      const gw = gradToWrite(w);
      if (gw !== null) matmulAtBAdd(x.data, gz, gw, B, I, O, true);
      else matmulAtBAdd(x.data, gz, gradOf(w), B, I, O);
    }
    if (b?.tracked) {
      const gb = gradToWrite(b);
      if (gb !== null) columnSums(gz, gb, B, O, true);
      else columnSums(gz, gradOf(b), B, O, false);
    }
    if (x.tracked) matmulABtAdd(gz, w.data, gradOf(x), B, O, I);
  }) as Rule,
  // y = x - lse(x):  dx = g - softmax(x) * sum(g), with softmax = exp(y).
  logSoftmax: ((node, g) => {
    const x = node.inputs[0];
    const K = x.shape[x.shape.length - 1];
    const rows = x.size / K;
    const Y = node.out.data;
    const gx = gradOf(x);
    for (let r = 0; r < rows; r++) {
      const o = r * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += g[o + k];
      for (let k = 0; k < K; k++) gx[o + k] += g[o + k] - math.exp(Y[o + k]) * s;
    }
  }) as Rule,
  // y_i = x[i, a_i] - lse(x_i):  dx[i, k] = g_i * ([k = a_i] - softmax(x_i)_k).
  logSoftmaxGather: ((node, g) => {
    const x = node.inputs[0];
    const { m, ls, actions } = node.saved as {
      m: Float64Array;
      ls: Float64Array;
      actions: ArrayLike<number>;
    };
    const [B, K] = x.shape;
    const X = x.data;
    const gx = gradOf(x);
    for (let i = 0; i < B; i++) {
      const o = i * K;
      const gi = g[i];
      const mi = m[i];
      const li = ls[i];
      for (let k = 0; k < K; k++) gx[o + k] -= gi * math.exp(X[o + k] - mi - li);
      gx[o + actions[i]] += gi;
    }
  }) as Rule,
} satisfies Record<string, Rule>;
