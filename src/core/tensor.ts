/**
 * Tensors and the tape.
 *
 * A {@link Tensor} is a row-major Float64Array with a shape. Ops called inside a function passed to
 * `valueAndGrad` record one {@link TapeNode} per op whose inputs depend on a parameter; backward
 * replays that list in reverse with a plain loop (no recursion, so a 10,000-step unroll is fine).
 *
 * Buffer reuse: while a tape is active, op outputs and gradient buffers come from the tape's arena, a
 * list of buffers reused in call order on the next call of the same gradient function. A training
 * step of fixed shapes therefore allocates no Float64Array after the first call.
 */
import { residentArray, residentCopy } from "./backend/simd.ts";

/** Row-major float64 tensor. `data.length === size === product(shape)`; a scalar has shape `[]`. */
export class Tensor {
  readonly shape: readonly number[];
  /**
   * The values. For a {@link parameter} (initMlp's, loaded or cloned ones) this may be a view into
   * the SIMD kernels' memory: its `buffer` is then that whole memory, so use `data.slice()`, not
   * `data.buffer`, to copy or send the values.
   */
  readonly data: Float64Array;
  readonly size: number;
  /** @internal true when this tensor depends on a parameter of the active tape. */
  tracked = false;
  /** @internal gradient buffer during backward, else null. */
  grad: Float64Array | null = null;
  /**
   * @internal the buffer `grad` will be when first written (a parameter's returned gradient
   * array), else null: then a fresh one comes from the arena.
   */
  gradBuf: Float64Array | null = null;

  constructor(data: Float64Array, shape: readonly number[]) {
    const size = shapeSize(shape);
    if (data.length !== size) {
      throw new Error(
        `Tensor: data has ${data.length} elements but shape [${shape.join(", ")}] needs ${size}`,
      );
    }
    this.data = data;
    this.shape = shape;
    this.size = size;
  }

  /** The single value of a size-1 tensor. */
  item(): number {
    if (this.size !== 1)
      throw new Error(`Tensor.item: expected size 1, got shape ${fmt(this.shape)}`);
    return this.data[0];
  }

  /** A plain copy of the data (row-major). */
  toArray(): number[] {
    return Array.from(this.data);
  }
}

/**
 * A tensor meant to be trained: a copy of `values` (zeros when null) of the given shape, stored
 * where the dense kernels read and write it in place (src/core/backend/simd.ts; a plain array
 * where WebAssembly is missing). Use it for parameters, `tensor()` for everything else.
 */
export function parameter(values: Float64Array | null, shape: readonly number[]): Tensor {
  const data = values === null ? residentArray(shapeSize(shape)) : residentCopy(values);
  return new Tensor(data, shape);
}

/** Named parameters, e.g. `"policy.0.weight"`. */
export type Params = Record<string, Tensor>;

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (!Number.isInteger(d) || d < 0)
      throw new Error(`invalid shape ${fmt(shape)}: dims must be integers >= 0`);
    n *= d;
  }
  return n;
}

/** `[2, 3]` formatted for error messages. */
export function fmt(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Makes a tensor from values (copied). Without `shape`, a number gives a scalar `[]` and an array a
 * vector `[n]`.
 * @example tensor([1, 2, 3, 4], [2, 2])
 */
export function tensor(values: ArrayLike<number> | number, shape?: readonly number[]): Tensor {
  if (typeof values === "number") {
    const s = shape ?? [];
    return full(s, values);
  }
  const data = Float64Array.from(values as ArrayLike<number>);
  return new Tensor(data, shape ? [...shape] : [data.length]);
}

export function zeros(shape: readonly number[]): Tensor {
  return new Tensor(new Float64Array(shapeSize(shape)), [...shape]);
}

export function ones(shape: readonly number[]): Tensor {
  return full(shape, 1);
}

export function full(shape: readonly number[], value: number): Tensor {
  return new Tensor(new Float64Array(shapeSize(shape)).fill(value), [...shape]);
}

// ---------------------------------------------------------------------------------------------
// The tape

/** One recorded op: its output, inputs, what its rule needs, and the rule itself. */
export interface TapeNode {
  op: string;
  rule: Rule;
  out: Tensor;
  inputs: Tensor[];
  /** Op-specific data saved for backward (axis, indices, index maps...). */
  saved: unknown;
}

/**
 * A vector-Jacobian product: given `g = dL/d(out)`, add `dL/d(input)` into the gradient buffer of
 * every tracked input (via {@link gradOf}).
 */
export type Rule = (node: TapeNode, g: Float64Array) => void;

export class Tape {
  nodes: TapeNode[] = [];
  length = 0;
  private arena: Float64Array[] = [];
  private cursor = 0;

  /** A buffer of `n` elements, reused from the previous call when the sizes line up. Not zeroed. */
  alloc(n: number): Float64Array {
    const i = this.cursor++;
    let buf = this.arena[i];
    if (buf === undefined || buf.length !== n) {
      buf = new Float64Array(n);
      this.arena[i] = buf;
    }
    return buf;
  }

  record(op: string, rule: Rule, out: Tensor, inputs: Tensor[], saved: unknown): void {
    out.tracked = true;
    const i = this.length++;
    const node = this.nodes[i];
    if (node === undefined) {
      this.nodes.push({ op, rule, out, inputs, saved });
    } else {
      // Reuse node objects across calls: a step then creates no tape garbage.
      node.op = op;
      node.rule = rule;
      node.out = out;
      node.inputs = inputs;
      node.saved = saved;
    }
  }

  reset(): void {
    this.cursor = 0;
    for (let i = 0; i < this.length; i++) {
      const n = this.nodes[i];
      n.inputs = EMPTY;
      n.saved = null;
    }
    this.length = 0;
  }

  /** Replays the nodes in reverse: a loop, never recursion. `root` gets gradient 1. */
  backward(root: Tensor): void {
    gradOf(root)[0] += 1;
    for (let i = this.length - 1; i >= 0; i--) {
      const node = this.nodes[i];
      const g = node.out.grad;
      if (g !== null) node.rule(node, g);
      node.out.grad = null;
    }
  }

  /** Clears the marks left on recorded tensors, so none of them looks tracked after the call. */
  release(): void {
    for (let i = 0; i < this.length; i++) {
      const out = this.nodes[i].out;
      out.tracked = false;
      out.grad = null;
    }
  }
}

const EMPTY: Tensor[] = [];

/** The tape of the running `valueAndGrad` call, or null outside one. */
export let activeTape: Tape | null = null;

export function setActiveTape(t: Tape | null): void {
  activeTape = t;
}

/** An output buffer for an op: from the active tape's arena, else freshly allocated. */
export function alloc(n: number): Float64Array {
  return activeTape === null ? new Float64Array(n) : activeTape.alloc(n);
}

/** The gradient buffer of `t`, created zeroed on first use. Rules add into it. */
export function gradOf(t: Tensor): Float64Array {
  let g = t.grad;
  if (g === null) {
    g = (t.gradBuf ?? alloc(t.size)).fill(0);
    t.grad = g;
  }
  return g;
}

/**
 * For a rule that can write a whole gradient instead of adding to it: when `t` has no gradient
 * yet, returns the buffer that becomes its gradient, NOT zeroed (the caller must write every
 * element); else null, and the caller adds into {@link gradOf}. This saves the zero fill and the
 * read-modify-write of every weight gradient (docs/performance.md).
 */
export function gradToWrite(t: Tensor): Float64Array | null {
  if (t.grad !== null) return null;
  const g = t.gradBuf ?? alloc(t.size);
  t.grad = g;
  return g;
}

/** True when an op on these inputs must be recorded. */
export function needsTape(a: Tensor, b?: Tensor | null, c?: Tensor | null): boolean {
  return activeTape !== null && (a.tracked || b?.tracked === true || c?.tracked === true);
}
