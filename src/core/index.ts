/**
 * policygrad's autodiff core: float64 tensors, a closed set of primitive ops with one derivative
 * table, fused dense and log-softmax kernels, and `valueAndGrad` over named parameters.
 */

export type { DenseActivation } from "./backend/kernels.ts";
export { activeKernels } from "./backend/simd.ts";
export { type ValueAndGrad, type ValueAndGradOptions, valueAndGrad } from "./grad.ts";
/**
 * exp, expm1, log, log1p, sin, cos, tan, atan, atan2, pow and tanh that give the same bits in every
 * JavaScript engine (fdlibm's algorithms from IEEE-754 basic operations); call these instead of
 * `Math.*` in your own environments to keep their runs reproducible across runtimes.
 */
export * as math from "./math.ts";
export {
  abs,
  add,
  broadcastShapes,
  clip,
  concat,
  cos,
  dense,
  div,
  eq,
  exp,
  floor,
  fround,
  gather,
  ge,
  gt,
  le,
  log,
  logSoftmax,
  logSoftmaxGather,
  lt,
  matmul,
  max,
  maximum,
  mean,
  minimum,
  mul,
  neg,
  pow,
  reshape,
  sigmoid,
  sin,
  slice,
  sqrt,
  stopGradient,
  sub,
  sum,
  tanh,
  where,
} from "./ops.ts";
export { deriveSeed, Rng, type RngState } from "./rng.ts";
export { full, ones, type Params, parameter, Tensor, tensor, zeros } from "./tensor.ts";
