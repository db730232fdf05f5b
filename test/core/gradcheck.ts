/**
 * Test helper: checks reverse-mode gradients against central finite differences in float64.
 */
import assert from "node:assert/strict";
import {
  mul,
  type Params,
  Rng,
  sum,
  type Tensor,
  tensor,
  valueAndGrad,
} from "../../src/core/index.ts";

export interface CheckOptions {
  /** Random inputs are drawn uniform in [lo, hi]; default [-2, 2]. */
  range?: [number, number];
  seed?: number;
  /** Norm-wise relative error bound; default 1e-6. */
  tol?: number;
  /** Finite-difference step; default 1e-6. */
  h?: number;
}

/**
 * Draws random inputs of the given shapes, reduces `f(...inputs)` to a scalar with fixed random
 * weights (so every output element's cotangent differs), and compares the tape's gradient of each
 * input with central differences: |analytic - numeric| / max(|analytic|, |numeric|, 1e-12) in the
 * 2-norm must be <= tol.
 */
export function gradcheck(
  f: (...xs: Tensor[]) => Tensor,
  shapes: number[][],
  opts: CheckOptions = {},
): void {
  const [lo, hi] = opts.range ?? [-2, 2];
  const tol = opts.tol ?? 1e-6;
  const h = opts.h ?? 1e-6;
  const rng = new Rng(opts.seed ?? 1);
  const params: Params = {};
  shapes.forEach((s, i) => {
    const n = s.reduce((a, b) => a * b, 1);
    params[`x${i}`] = tensor(
      Array.from({ length: n }, () => rng.uniformRange(lo, hi)),
      s,
    );
  });
  const names = Object.keys(params);
  const call = (p: Params) => f(...names.map((k) => p[k]));
  const outShape = call(params).shape;
  const wSize = outShape.reduce((a, b) => a * b, 1);
  const w = tensor(
    Array.from({ length: wSize }, () => rng.uniformRange(0.5, 1.5)),
    outShape,
  );
  const loss = (p: Params) => sum(mul(call(p), w));
  const { grads } = valueAndGrad(loss)(params);
  for (const name of names) {
    const x = params[name].data;
    const numeric = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const x0 = x[i];
      x[i] = x0 + h;
      const up = loss(params).data[0];
      x[i] = x0 - h;
      const down = loss(params).data[0];
      x[i] = x0;
      numeric[i] = (up - down) / (2 * h);
    }
    let diff = 0;
    let na = 0;
    let nn = 0;
    for (let i = 0; i < x.length; i++) {
      diff += (grads[name][i] - numeric[i]) ** 2;
      na += grads[name][i] ** 2;
      nn += numeric[i] ** 2;
    }
    const err = Math.sqrt(diff) / Math.max(Math.sqrt(na), Math.sqrt(nn), 1e-12);
    assert.ok(
      err <= tol,
      `gradient of input ${name} ${JSON.stringify(params[name].shape)}: relative error ${err.toExponential(2)} > ${tol}\nanalytic ${Array.from(grads[name].slice(0, 6))}\nnumeric  ${Array.from(numeric.slice(0, 6))}`,
    );
  }
}
