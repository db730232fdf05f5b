/**
 * The learned baseline V(s): an MLP with one output (parameters `value.<i>.weight|bias`), fit by
 * regression on the returns of each batch with its own Adam optimizer.
 */

import { valueAndGrad } from "../core/grad.ts";
import { mean, mul, reshape, sub, Tensor } from "../core/index.ts";
import type { Rng } from "../core/rng.ts";
import type { Params } from "../core/tensor.ts";
import {
  type Activation,
  type AdamState,
  adam,
  createMlpInference,
  initMlp,
  type MlpSpec,
  mlp,
} from "../nn/index.ts";
import { type ObsScale, scaleObsRows } from "./obs-scale.ts";

/** The MLP of V(s): obsDim inputs, one output, prefix "value". */
export function valueMlpSpec(
  obsDim: number,
  hiddenSizes: readonly number[],
  activation: Activation,
): MlpSpec {
  return { inputSize: obsDim, hiddenSizes, outputSize: 1, activation, prefix: "value" };
}

/** Fresh V(s) parameters: orthogonal init, output gain 1 (CleanRL's critic). */
export function initValueParams(spec: MlpSpec, rng: Rng): Params {
  return initMlp(spec, rng, { init: "orthogonal", outputGain: 1 });
}

/**
 * Mean squared error of V on the targets: obs [B, obsDim], targets [B] -> scalar loss
 * 0.5 * mean((V(s) - G)^2).
 */
export function valueLoss(
  spec: MlpSpec,
  params: Params,
  obs: Tensor,
  targets: Tensor,
): { loss: Tensor; metrics: { valueMse: number } } {
  const v = reshape(mlp(params, spec, obs), [obs.shape[0]]);
  const err = sub(v, targets);
  const mse = mean(mul(err, err));
  return { loss: mul(mse, 0.5), metrics: { valueMse: mse.data[0] } };
}

/** V(s) with its optimizer: batched prediction without a tape, and the per-batch fit. */
export interface ValueFunction {
  readonly spec: MlpSpec;
  readonly params: Params;
  /** obs [batch, obsDim] -> out [batch]; no tape, allocation only when the batch outgrows all before. */
  predict(obs: Float64Array, batch: number, out: Float64Array): void;
  /**
   * `iterations` full-batch Adam steps on {@link valueLoss} with obs [batch, obsDim] and targets
   * [batch]; returns the loss before the first step. Throws on a non-finite loss or gradient.
   */
  fit(obs: Float64Array, targets: Float64Array, batch: number, iterations: number): number;
  /** JSON-safe optimizer state, for checkpoints. */
  optimizerState(): AdamState;
}

/**
 * @param params the V(s) parameters (updated in place by `fit`)
 * @param lr Adam learning rate
 * @param state a saved optimizer state to continue from (resume), else fresh
 * @param obsScale applied to the observations before the MLP sees them (as the policy's)
 */
export function createValueFunction(
  spec: MlpSpec,
  params: Params,
  lr: number,
  state?: AdamState,
  obsScale: ObsScale | null = null,
): ValueFunction {
  let scaled = new Float64Array(0);
  /** `obs` scaled into a reused buffer (the identity without obsScale). */
  const input = (obs: Float64Array, batch: number): Float64Array => {
    if (obsScale === null) return obs;
    const n = batch * spec.inputSize;
    if (scaled.length < n) scaled = new Float64Array(Math.max(n, 2 * scaled.length));
    scaleObsRows(obsScale, obs, batch, scaled);
    return scaled;
  };
  const opt = adam({ lr });
  const optState = state ?? opt.init(params);
  let capacity = 0;
  let infer: ReturnType<typeof createMlpInference> | null = null;
  let metrics = { valueMse: 0 };
  let fitObs: Tensor | null = null;
  let fitTargets: Tensor | null = null;
  // reuseGrads: each fitting step applies its gradients before the next one is computed.
  const vg = valueAndGrad(
    (p) => {
      const r = valueLoss(spec, p, fitObs!, fitTargets!);
      metrics = r.metrics;
      return r.loss;
    },
    { reuseGrads: true },
  );
  return {
    spec,
    params,
    predict(obs, batch, out) {
      if (batch === 0) return;
      if (infer === null || batch > capacity) {
        capacity = Math.max(batch, 2 * capacity);
        infer = createMlpInference(spec, capacity);
      }
      infer(params, input(obs, batch), batch, out);
    },
    fit(obs, targets, batch, iterations) {
      const x = input(obs, batch);
      fitObs = new Tensor(x.subarray(0, batch * spec.inputSize), [batch, spec.inputSize]);
      fitTargets = new Tensor(targets.subarray(0, batch), [batch]);
      let first = Number.NaN;
      for (let i = 0; i < iterations; i++) {
        const { value, grads } = vg(params);
        if (i === 0) first = metrics.valueMse;
        if (!Number.isFinite(value)) {
          throw new Error(`value function: non-finite loss ${value} at fit iteration ${i}`);
        }
        for (const name of Object.keys(grads)) {
          const g = grads[name];
          for (let k = 0; k < g.length; k++) {
            if (!Number.isFinite(g[k])) {
              throw new Error(
                `value function: non-finite gradient ${g[k]} in "${name}"[${k}] at fit iteration ${i}`,
              );
            }
          }
        }
        opt.step(params, grads, optState);
      }
      return first;
    },
    optimizerState: () => optState,
  };
}
