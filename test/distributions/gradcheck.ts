// Central finite-difference gradient check shared by the dist and policy tests (not a test file).
import type { Params, Tensor } from "../../src/core/index.ts";
import { valueAndGrad } from "../../src/core/index.ts";

/**
 * The norm-wise relative error ||g - n|| / max(||g||, ||n||) between the autodiff gradient g of the
 * scalar f at params and the central difference n = (f(p + h e_i) - f(p - h e_i)) / 2h, over every
 * element of every parameter. Norm-wise, because element-wise ratios are meaningless for elements
 * whose gradient is ~0. With h = 1e-5 in float64 the truncation error is O(h^2 f''') ~ 1e-10 and the
 * rounding error O(eps |f| / h) ~ 1e-11, so a correct gradient gives ~1e-9.
 */
export function gradcheck(f: (p: Params) => Tensor, params: Params, h = 1e-5): number {
  const { grads } = valueAndGrad(f)(params);
  let diff2 = 0;
  let g2 = 0;
  let n2 = 0;
  for (const name of Object.keys(params)) {
    const d = params[name].data;
    for (let i = 0; i < d.length; i++) {
      const old = d[i];
      d[i] = old + h;
      const fp = f(params).item();
      d[i] = old - h;
      const fm = f(params).item();
      d[i] = old;
      const num = (fp - fm) / (2 * h);
      const g = grads[name][i];
      diff2 += (g - num) ** 2;
      g2 += g * g;
      n2 += num * num;
    }
  }
  const denom = Math.sqrt(Math.max(g2, n2));
  if (denom === 0)
    throw new Error("gradcheck: gradient is exactly zero, the check would be vacuous");
  return Math.sqrt(diff2) / denom;
}
