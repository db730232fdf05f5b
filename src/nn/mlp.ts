/**
 * Multi-layer perceptrons over named parameters: `initMlp`, the differentiable `mlp`, and
 * `createMlpInference`, the no-tape, no-allocation forward pass used on every environment step.
 */
import { denseInto } from "../core/backend/kernels.ts";
import { dense } from "../core/ops.ts";
import type { Rng } from "../core/rng.ts";
import { fmt, type Params, parameter, Tensor } from "../core/tensor.ts";
import { orthogonal, xavierUniform } from "./init.ts";

export type Activation = "tanh" | "relu" | "elu";

/**
 * Layer i has parameters `${prefix}.${i}.weight` [in, out] (y = x @ W + b) and `${prefix}.${i}.bias`
 * [out]. Hidden layers use `activation`; the output layer is linear. `hiddenSizes: []` is a single
 * linear layer.
 */
export interface MlpSpec {
  inputSize: number;
  hiddenSizes: readonly number[];
  outputSize: number;
  activation: Activation;
  prefix: string;
}

export interface InitOptions {
  /** Default "orthogonal". */
  init?: "orthogonal" | "xavier";
  /** Gain of the output layer; default 1. Policies often use 0.01 (near-uniform initial policy). */
  outputGain?: number;
  /** Gain of the hidden layers; default sqrt(2) for orthogonal (CleanRL's `layer_init`), 1 for xavier. */
  hiddenGain?: number;
}

/** The layer sizes [in, h1, ..., out], after checking the spec. */
function layerSizes(spec: MlpSpec, where: string): number[] {
  const sizes = [spec.inputSize, ...spec.hiddenSizes, spec.outputSize];
  for (const s of sizes) {
    if (!Number.isInteger(s) || s < 1) {
      throw new Error(
        `${where}: layer sizes must be integers >= 1, got ${fmt(sizes)} (spec "${spec.prefix}")`,
      );
    }
  }
  if (spec.activation !== "tanh" && spec.activation !== "relu" && spec.activation !== "elu") {
    throw new Error(
      `${where}: activation must be "tanh" | "relu" | "elu", got ${String(spec.activation)}`,
    );
  }
  return sizes;
}

/** Fresh parameters for `spec`: weights by the chosen initializer, biases zero. */
export function initMlp(spec: MlpSpec, rng: Rng, options: InitOptions = {}): Params {
  const sizes = layerSizes(spec, "initMlp");
  const init = options.init ?? "orthogonal";
  if (init !== "orthogonal" && init !== "xavier") {
    throw new Error(`initMlp: init must be "orthogonal" | "xavier", got ${String(init)}`);
  }
  const hiddenGain = options.hiddenGain ?? (init === "orthogonal" ? Math.SQRT2 : 1);
  const outputGain = options.outputGain ?? 1;
  const params: Params = {};
  for (let i = 0; i + 1 < sizes.length; i++) {
    const [fanIn, fanOut] = [sizes[i], sizes[i + 1]];
    const gain = i + 2 === sizes.length ? outputGain : hiddenGain;
    const w =
      init === "orthogonal"
        ? orthogonal(rng, fanIn, fanOut, gain)
        : xavierUniform(rng, fanIn, fanOut, gain);
    params[`${spec.prefix}.${i}.weight`] = parameter(w, [fanIn, fanOut]);
    params[`${spec.prefix}.${i}.bias`] = parameter(null, [fanOut]);
  }
  return params;
}

function layerParams(
  params: Params,
  spec: MlpSpec,
  i: number,
  fanIn: number,
  fanOut: number,
): [Tensor, Tensor] {
  const wName = `${spec.prefix}.${i}.weight`;
  const bName = `${spec.prefix}.${i}.bias`;
  const w = params[wName];
  const b = params[bName];
  if (!(w instanceof Tensor) || !(b instanceof Tensor)) {
    throw new Error(
      `mlp: missing parameter "${!(w instanceof Tensor) ? wName : bName}" for spec "${spec.prefix}"`,
    );
  }
  if (w.shape.length !== 2 || w.shape[0] !== fanIn || w.shape[1] !== fanOut || b.size !== fanOut) {
    throw new Error(
      `mlp: "${wName}" ${fmt(w.shape)} / "${bName}" ${fmt(b.shape)}, expected [${fanIn}, ${fanOut}] / [${fanOut}]`,
    );
  }
  return [w, b];
}

/** Layer sizes and parameter names of a spec, computed once per spec object (see {@link mlpLayout}). */
interface Layout {
  inputSize: number;
  hiddenSizes: readonly number[];
  hidden: number[];
  outputSize: number;
  activation: Activation;
  prefix: string;
  sizes: number[];
  wNames: string[];
  bNames: string[];
}

const layouts = new WeakMap<MlpSpec, Layout>();

/**
 * The checked sizes and the parameter names of `spec`, cached: `mlp` runs on every training step
 * (docs/performance.md). The cache entry is rebuilt if the spec object was changed since.
 */
function mlpLayout(spec: MlpSpec, where: string): Layout {
  const c = layouts.get(spec);
  if (
    c !== undefined &&
    c.inputSize === spec.inputSize &&
    c.outputSize === spec.outputSize &&
    c.activation === spec.activation &&
    c.prefix === spec.prefix &&
    c.hiddenSizes === spec.hiddenSizes &&
    sameSizes(c.hidden, spec.hiddenSizes)
  ) {
    return c;
  }
  const sizes = layerSizes(spec, where);
  const layout: Layout = {
    inputSize: spec.inputSize,
    hiddenSizes: spec.hiddenSizes,
    hidden: spec.hiddenSizes.slice(),
    outputSize: spec.outputSize,
    activation: spec.activation,
    prefix: spec.prefix,
    sizes,
    wNames: sizes.slice(1).map((_, i) => `${spec.prefix}.${i}.weight`),
    bNames: sizes.slice(1).map((_, i) => `${spec.prefix}.${i}.bias`),
  };
  layouts.set(spec, layout);
  return layout;
}

function sameSizes(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The differentiable forward pass: x [B, inputSize] -> [B, outputSize]. */
export function mlp(params: Params, spec: MlpSpec, x: Tensor): Tensor {
  const { sizes, wNames, bNames, activation } = mlpLayout(spec, "mlp");
  if (x.shape.length !== 2 || x.shape[1] !== spec.inputSize) {
    throw new Error(
      `mlp: x has shape ${fmt(x.shape)}, expected [B, ${spec.inputSize}] (spec "${spec.prefix}")`,
    );
  }
  const L = sizes.length - 1;
  let h = x;
  for (let i = 0; i < L; i++) {
    let w = params[wNames[i]];
    let b = params[bNames[i]];
    if (
      !(w instanceof Tensor) ||
      !(b instanceof Tensor) ||
      w.shape.length !== 2 ||
      w.shape[0] !== sizes[i] ||
      w.shape[1] !== sizes[i + 1] ||
      b.size !== sizes[i + 1]
    ) {
      [w, b] = layerParams(params, spec, i, sizes[i], sizes[i + 1]); // throws the descriptive error
    }
    h = dense(h, w, b, i + 1 === L ? "none" : activation);
  }
  return h;
}

/** A linear layer: x [B, I] @ w [I, O] + b [O] -> [B, O]. */
export function linear(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  return dense(x, w, b, "none");
}

/**
 * A forward pass with no tape and no allocation after creation, for rollouts: call it every
 * environment step on the whole [N, obsDim] batch. Same kernels and summation order as {@link mlp},
 * so the outputs are bit-identical.
 *
 * The returned function reads x [batch, inputSize] and writes out [batch, outputSize] (both
 * row-major; longer arrays are fine), for batch <= maxBatch.
 */
export function createMlpInference(
  spec: MlpSpec,
  maxBatch: number,
): (params: Params, x: Float64Array, batch: number, out: Float64Array) => void {
  const sizes = layerSizes(spec, "createMlpInference");
  if (!Number.isInteger(maxBatch) || maxBatch < 1) {
    throw new Error(`createMlpInference: maxBatch must be an integer >= 1, got ${maxBatch}`);
  }
  const L = sizes.length - 1;
  const hidden = spec.hiddenSizes.map((h) => new Float64Array(maxBatch * h));
  const wNames = sizes.slice(1).map((_, i) => `${spec.prefix}.${i}.weight`);
  const bNames = sizes.slice(1).map((_, i) => `${spec.prefix}.${i}.bias`);
  const I = spec.inputSize;
  const O = spec.outputSize;
  return (params, x, batch, out) => {
    if (!Number.isInteger(batch) || batch < 0 || batch > maxBatch) {
      throw new Error(`mlp inference: batch must be an integer in [0, ${maxBatch}], got ${batch}`);
    }
    if (x.length < batch * I || out.length < batch * O) {
      throw new Error(
        `mlp inference: x has ${x.length} elements and out ${out.length}; batch ${batch} needs ${batch * I} and ${batch * O}`,
      );
    }
    let input = x;
    for (let i = 0; i < L; i++) {
      const w = params[wNames[i]];
      const b = params[bNames[i]];
      if (
        w === undefined ||
        b === undefined ||
        w.size !== sizes[i] * sizes[i + 1] ||
        b.size !== sizes[i + 1]
      ) {
        layerParams(params, spec, i, sizes[i], sizes[i + 1]); // throws the descriptive error
      }
      const dst = i === L - 1 ? out : hidden[i];
      const act = i < L - 1 ? spec.activation : "none";
      denseInto(input, w.data, b.data, dst, batch, sizes[i], sizes[i + 1], act);
      input = dst;
    }
  };
}
