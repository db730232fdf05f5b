/**
 * The functional gradient API over named parameters: `valueAndGrad(f)` and `grad(f)`.
 */
import { residentArray } from "./backend/simd.ts";
import { activeTape, fmt, type Params, setActiveTape, Tape, Tensor } from "./tensor.ts";

export interface ValueAndGrad {
  value: number;
  /** One flat Float64Array per parameter name, same size as the parameter's data. Freshly allocated. */
  grads: Record<string, Float64Array>;
}

export interface ValueAndGradOptions {
  /** Reuse the returned gradient arrays across calls (see {@link valueAndGrad}). Default false. */
  reuseGrads?: boolean;
}

/**
 * Turns a scalar function of named parameters into one returning its value and gradients
 * (reverse mode: the ops record a tape, replayed backward in an iterative loop).
 *
 * Buffers: tensors created by ops inside `f` live in a buffer arena owned by the returned function
 * and are reused by its next call. Read them (e.g. a metric stashed from inside `f`) before calling
 * the same function again; copy them if you need them longer. Parameters and the returned grads are
 * never reused.
 *
 * Gradients are fresh arrays on every call unless `options.reuseGrads` is set: then each call
 * zeroes and refills the same arrays (no allocation per step; read or copy them before the next
 * call, as a training step does when it clips them and hands them to the optimizer).
 *
 * Calls do not nest: `f` must not call another `valueAndGrad` function.
 *
 * @example
 * const vg = valueAndGrad((p) => mean(mul(p.w, p.w)));
 * const { value, grads } = vg({ w: tensor([1, 2, 3]) }); // grads.w = [2/3, 4/3, 2]
 */
export function valueAndGrad(
  f: (p: Params) => Tensor,
  options: ValueAndGradOptions = {},
): (p: Params) => ValueAndGrad {
  const tape = new Tape();
  const reuse = options.reuseGrads === true;
  // This call's parameters in key order, in lists reused across calls: the loops below then index
  // arrays instead of looking names up (docs/performance.md).
  const names: string[] = [];
  const tensors: Tensor[] = [];
  // With reuseGrads: the previous call's names, gradient arrays and returned record. A call with
  // the same names (in the same order) and sizes returns the same record and arrays again.
  const keptNames: string[] = [];
  const keptArrays: Float64Array[] = [];
  let kept: Record<string, Float64Array> | null = null;
  return (params: Params): ValueAndGrad => {
    if (activeTape !== null) {
      throw new Error(
        "valueAndGrad: nested calls are not supported (f called another gradient function)",
      );
    }
    let n = 0;
    let same = kept !== null;
    // for-in, not Object.keys: the engine reads params[name] from its enum cache. A params
    // object's own keys are its only enumerable ones (Object.prototype has none).
    for (const name in params) {
      const p = params[name];
      if (!(p instanceof Tensor))
        throw new TypeError(`valueAndGrad: params["${name}"] is not a Tensor`);
      if (
        same &&
        (n >= keptNames.length || keptNames[n] !== name || keptArrays[n].length !== p.size)
      )
        same = false;
      names[n] = name;
      tensors[n] = p;
      n++;
    }
    if (n !== keptNames.length) same = false;
    let grads: Record<string, Float64Array>;
    if (same && kept !== null) grads = kept;
    else {
      grads = {};
      kept = null;
      keptNames.length = 0;
      keptArrays.length = 0;
    }
    let shared = false;
    for (let i = 0; i < n; i++) {
      const p = tensors[i];
      if (p.tracked) {
        shared = true; // the same tensor under a second name
        continue;
      }
      p.tracked = true;
      // Not zeroed here: the first rule to reach p either writes all of it (gradToWrite) or
      // zeroes it (gradOf); a parameter no rule reached is zeroed after backward.
      if (grads === kept) p.gradBuf = keptArrays[i];
      else {
        // Kept arrays live in the SIMD kernels' memory, which writes the weight gradients there.
        const g = reuse ? residentArray(p.size) : new Float64Array(p.size);
        p.gradBuf = g;
        grads[names[i]] = g;
      }
    }
    if (shared) {
      // Both names get the tensor's one buffer (copied apart at the end); such a record is not
      // kept, and one kept before no longer fits.
      grads = {};
      for (let i = 0; i < n; i++) grads[names[i]] = tensors[i].gradBuf!;
      kept = null;
      keptNames.length = 0;
      keptArrays.length = 0;
    } else if (reuse && grads !== kept) {
      kept = grads;
      for (let i = 0; i < n; i++) {
        keptNames.push(names[i]);
        keptArrays.push(tensors[i].gradBuf!);
      }
    }
    tape.reset();
    setActiveTape(tape);
    try {
      const out = f(params);
      if (!(out instanceof Tensor) || out.size !== 1) {
        const got = out instanceof Tensor ? `shape ${fmt(out.shape)}` : String(out);
        throw new Error(`valueAndGrad: f must return a scalar Tensor (size 1), got ${got}`);
      }
      const value = out.data[0];
      if (out.tracked) tape.backward(out);
      for (let i = 0; i < n; i++) {
        const p = tensors[i];
        if (p.grad === null && p.gradBuf !== null) p.gradBuf.fill(0);
      }
      return { value, grads };
    } finally {
      setActiveTape(null);
      tape.release();
      for (let i = 0; i < n; i++) {
        const p = tensors[i];
        p.tracked = false;
        p.grad = null;
        p.gradBuf = null;
      }
      if (shared) {
        // Every name gets the full gradient of its tensor, in an array of its own.
        const seen = new Set<Float64Array>();
        for (let i = 0; i < n; i++) {
          const g = grads[names[i]];
          if (seen.has(g)) grads[names[i]] = g.slice();
          seen.add(g);
        }
      }
    }
  };
}
