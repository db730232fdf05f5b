/**
 * Optimizers as explicit-state updates: `init(params)` returns a plain JSON-safe state object and
 * `step(params, grads, state)` updates the parameters' data and the state in place. Saving a
 * checkpoint is `JSON.stringify(state)`; a restored state continues bit-identically.
 */

import { pow } from "../core/math.ts";
import type { Params } from "../core/tensor.ts";

export interface SgdState {
  kind: "sgd";
  step: number;
  /** Momentum buffer per parameter (absent without momentum). */
  velocity: Record<string, number[]>;
}

export interface AdamState {
  kind: "adam";
  step: number;
  /** First and second moment estimates per parameter. */
  m: Record<string, number[]>;
  v: Record<string, number[]>;
}

export type OptState = SgdState | AdamState;

export interface Optimizer<S extends OptState = OptState> {
  init(params: Params): S;
  /** One update; `lr` overrides the configured step size (for schedules). */
  step(params: Params, grads: Record<string, Float64Array>, state: S, lr?: number): void;
}

function positive(name: string, value: number, opt: string, allowZero = false): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new Error(
      `${opt}: ${name} must be a finite number ${allowZero ? ">= 0" : "> 0"}, got ${value}`,
    );
  }
  return value;
}

function zerosLike(params: Params): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const name of Object.keys(params)) out[name] = new Array<number>(params[name].size).fill(0);
  return out;
}

/** Checks that grads and the state buffers match params, naming the first that does not. */
function checkStep(
  opt: string,
  params: Params,
  grads: Record<string, Float64Array>,
  buffers: Record<string, number[]>[],
): void {
  for (const name of Object.keys(params)) {
    const n = params[name].size;
    const g = grads[name];
    if (g === undefined || g.length !== n) {
      throw new Error(
        `${opt}.step: grads["${name}"] has ${g === undefined ? "no entry" : `${g.length} elements`}, expected ${n}`,
      );
    }
    for (const b of buffers) {
      if (b[name] === undefined || b[name].length !== n) {
        throw new Error(
          `${opt}.step: state has no buffer of ${n} elements for "${name}" (state from other params?)`,
        );
      }
    }
  }
}

/**
 * Stochastic gradient descent with optional heavy-ball momentum (PyTorch's convention:
 * v = momentum * v + g; p -= lr * v).
 */
export function sgd(options: { lr: number; momentum?: number }): Optimizer<SgdState> {
  const lr0 = positive("lr", options.lr, "sgd");
  const mu = positive("momentum", options.momentum ?? 0, "sgd", true);
  return {
    init: (params) => ({ kind: "sgd", step: 0, velocity: mu > 0 ? zerosLike(params) : {} }),
    step(params, grads, state, lr = lr0) {
      positive("lr", lr, "sgd.step");
      checkStep("sgd", params, grads, mu > 0 ? [state.velocity] : []);
      state.step++;
      for (const name of Object.keys(params)) {
        const p = params[name].data;
        const g = grads[name];
        if (mu > 0) {
          const v = state.velocity[name];
          for (let i = 0; i < p.length; i++) {
            v[i] = mu * v[i] + g[i];
            p[i] -= lr * v[i];
          }
        } else {
          for (let i = 0; i < p.length; i++) p[i] -= lr * g[i];
        }
      }
    },
  };
}

/**
 * Adam (Kingma & Ba, 2015, Algorithm 1): m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p -= lr * m_hat / (sqrt(v_hat) + eps) with m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t).
 */
export function adam(options: {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}): Optimizer<AdamState> {
  const lr0 = positive("lr", options.lr, "adam");
  const b1 = options.beta1 ?? 0.9;
  const b2 = options.beta2 ?? 0.999;
  const eps = positive("eps", options.eps ?? 1e-8, "adam");
  for (const [name, b] of [
    ["beta1", b1],
    ["beta2", b2],
  ] as const) {
    if (!(b >= 0 && b < 1)) throw new Error(`adam: ${name} must be in [0, 1), got ${b}`);
  }
  return {
    init: (params) => ({ kind: "adam", step: 0, m: zerosLike(params), v: zerosLike(params) }),
    step(params, grads, state, lr = lr0) {
      positive("lr", lr, "adam.step");
      checkStep("adam", params, grads, [state.m, state.v]);
      const t = ++state.step;
      const c1 = 1 - pow(b1, t);
      const c2 = 1 - pow(b2, t);
      for (const name of Object.keys(params)) {
        const p = params[name].data;
        const g = grads[name];
        const m = state.m[name];
        const v = state.v[name];
        for (let i = 0; i < p.length; i++) {
          const gi = g[i];
          m[i] = b1 * m[i] + (1 - b1) * gi;
          v[i] = b2 * v[i] + (1 - b2) * gi * gi;
          p[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
        }
      }
    },
  };
}

/** sqrt of the sum of squares of every gradient entry. */
export function globalNorm(grads: Record<string, Float64Array>): number {
  let s = 0;
  for (const name of Object.keys(grads)) {
    const g = grads[name];
    for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  }
  return Math.sqrt(s);
}

/**
 * Scales all gradients in place so their global norm is at most `maxNorm`; returns the norm before
 * clipping. A non-finite norm leaves the gradients untouched (the caller should stop on it).
 */
export function clipGradNorm(grads: Record<string, Float64Array>, maxNorm: number): number {
  positive("maxNorm", maxNorm, "clipGradNorm");
  const norm = globalNorm(grads);
  if (Number.isFinite(norm) && norm > maxNorm) {
    const scale = maxNorm / norm;
    for (const name of Object.keys(grads)) {
      const g = grads[name];
      for (let i = 0; i < g.length; i++) g[i] *= scale;
    }
  }
  return norm;
}
