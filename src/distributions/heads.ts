/**
 * Distribution heads: what a policy does with its network's outputs for each kind of action
 * distribution (sample or take the mode on the rollout path, score log-prob and entropy on the
 * taped path). A policy builds one with {@link actionHead} and calls it; it never switches on the
 * kind itself.
 *
 * Outputs per row: Categorical n logits; independent Categoricals sum(nvec) logits; DiagGaussian D
 * means, then D log-stds when the log-std is state-dependent (else the log-std is a parameter,
 * passed in as `logStd`).
 */

import { slice, Tensor } from "../core/index.ts";
import * as math from "../core/math.ts";
import type { Rng } from "../core/rng.ts";
import {
  categoricalEntropy,
  categoricalLogProb,
  categoricalModeRow,
  categoricalModeRowMasked,
  categoricalSampleRow,
  categoricalSampleRowMasked,
} from "./categorical.ts";
import {
  clipToBox,
  diagGaussianEntropy,
  diagGaussianLogProb,
  fillStandardNormal,
  squashedGaussianEntropy,
  squashedGaussianLogProb,
  squashToBox,
} from "./gaussian.ts";
import {
  multiDiscreteEntropy,
  multiDiscreteLogProb,
  multiDiscreteMode,
  multiDiscreteSample,
} from "./multi-discrete.ts";

/** Which distribution a head is, with its sizes: a discriminated union on `kind`. */
export type HeadSpec =
  | { readonly kind: "categorical"; readonly n: number; readonly start: number }
  | { readonly kind: "multi-categorical"; readonly nvec: readonly number[] }
  | {
      readonly kind: "gaussian";
      readonly dim: number;
      readonly logStd: "state-independent" | "state-dependent";
      readonly squash: "clip" | "tanh";
      readonly low: Float64Array;
      readonly high: Float64Array;
    };

/** A head's behaviour; see the module doc for the row layout of `out`. */
export interface ActionHead {
  readonly spec: HeadSpec;
  /** Network outputs per row. */
  readonly outputs: number;
  /** Numbers per action. */
  readonly actDim: number;
  /** Whether the raw action (what is scored) can differ from the env action. */
  readonly rawDiffers: boolean;
  /**
   * Entries of one row of an action mask (0 = invalid class, lined up with the logits): the
   * logits per row for the categorical heads, 0 for the Gaussian (which takes no masks).
   */
  readonly maskSize: number;
  /**
   * Rollout path, no tape: rows of `out` [batch, outputs] -> raw actions and env actions
   * [batch, actDim] each. `logStd` is the state-independent log-std's data (else null).
   * `deterministic` takes the mode and draws nothing from `rng`. `masks` [batch, maskSize]
   * (categorical heads): masked classes are never drawn. Allocates only to grow.
   */
  act(
    out: Float64Array,
    logStd: Float64Array | null,
    batch: number,
    rng: Rng,
    deterministic: boolean,
    raw: Float64Array,
    env: Float64Array,
    masks?: Uint8Array | null,
  ): void;
  /**
   * Taped path: log pi(a|s) [B] and entropy [B] of raw `actions` [B * actDim] given `out`
   * [B, outputs], under the action `masks` [B * maskSize] they were sampled with, if any.
   */
  logProbAndEntropy(
    out: Tensor,
    logStd: Tensor | null,
    actions: Float64Array,
    masks?: Uint8Array | null,
  ): { logProb: Tensor; entropy: Tensor };
}

/** The head of `spec`. */
export function actionHead(spec: HeadSpec): ActionHead {
  switch (spec.kind) {
    case "categorical":
      return categoricalHead(spec);
    case "multi-categorical":
      return multiCategoricalHead(spec);
    case "gaussian":
      return gaussianHead(spec);
  }
}

function categoricalHead(spec: Extract<HeadSpec, { kind: "categorical" }>): ActionHead {
  const n = spec.n;
  return {
    spec,
    outputs: n,
    actDim: 1,
    rawDiffers: spec.start !== 0,
    maskSize: n,
    act(out, _logStd, batch, rng, deterministic, raw, env, masks) {
      for (let i = 0; i < batch; i++) {
        // The masked versions are separate functions, so the unmasked hot path stays as it was.
        const k = masks
          ? deterministic
            ? categoricalModeRowMasked(out, i * n, n, masks, i * n)
            : categoricalSampleRowMasked(out, i * n, n, masks, i * n, rng)
          : deterministic
            ? categoricalModeRow(out, i * n, n)
            : categoricalSampleRow(out, i * n, n, rng);
        raw[i] = k;
        env[i] = spec.start + k;
      }
    },
    logProbAndEntropy: (out, _logStd, actions, masks) => ({
      logProb: categoricalLogProb(out, actions, masks),
      entropy: categoricalEntropy(out, masks),
    }),
  };
}

function multiCategoricalHead(spec: Extract<HeadSpec, { kind: "multi-categorical" }>): ActionHead {
  const actDim = spec.nvec.length;
  return {
    spec,
    outputs: spec.nvec.reduce((a, b) => a + b, 0),
    actDim,
    rawDiffers: false,
    maskSize: spec.nvec.reduce((a, b) => a + b, 0),
    act(out, _logStd, batch, rng, deterministic, raw, env, masks) {
      if (deterministic) multiDiscreteMode(out, batch, spec.nvec, raw, masks);
      else multiDiscreteSample(out, batch, spec.nvec, rng, raw, masks);
      for (let i = 0; i < batch * actDim; i++) env[i] = raw[i];
    },
    logProbAndEntropy: (out, _logStd, actions, masks) => ({
      logProb: multiDiscreteLogProb(out, spec.nvec, actions, masks),
      entropy: multiDiscreteEntropy(out, spec.nvec, masks),
    }),
  };
}

function gaussianHead(spec: Extract<HeadSpec, { kind: "gaussian" }>): ActionHead {
  const D = spec.dim;
  const shared = spec.logStd === "state-independent";
  const outputs = shared ? D : 2 * D;
  let noise = new Float64Array(0);
  return {
    spec,
    outputs,
    actDim: D,
    rawDiffers: true,
    maskSize: 0,
    act(out, logStd, batch, rng, deterministic, raw, env) {
      if (shared && (logStd === null || logStd.length !== D)) {
        throw new Error(`gaussian head: needs the state-independent log-std of ${D} values`);
      }
      // Exactly batch * D normals per call, so the stream does not depend on buffer sizes.
      if (!deterministic) {
        if (noise.length < batch * D)
          noise = new Float64Array(Math.max(batch * D, 2 * noise.length));
        fillStandardNormal(rng, noise, 0, batch * D);
      }
      if (!deterministic) {
        // raw = std first, through math.expInPlace (no double crosses a call; see core/math.ts)
        for (let i = 0; i < batch; i++) {
          for (let d = 0; d < D; d++) {
            raw[i * D + d] = shared ? logStd![d] : out[i * outputs + D + d];
          }
        }
        math.expInPlace(raw, 0, batch * D);
      }
      for (let i = 0; i < batch; i++) {
        const o = i * outputs;
        for (let d = 0; d < D; d++) {
          const mu = out[o + d];
          const u = deterministic ? mu : mu + raw[i * D + d] * noise[i * D + d];
          if (!Number.isFinite(u)) {
            throw new Error(
              `policy.act: non-finite Gaussian action ${u} at row ${i}, dim ${d} (mean ${mu}); check the observations and parameters for NaN/Infinity`,
            );
          }
          raw[i * D + d] = u;
        }
      }
      if (spec.squash === "tanh") squashToBox(raw, spec.low, spec.high, batch, env);
      else clipToBox(raw, spec.low, spec.high, batch, env);
    },
    logProbAndEntropy(out, logStdParam, actions) {
      const batch = out.shape[0];
      let mean = out;
      let logStd: Tensor;
      if (shared) {
        if (!(logStdParam instanceof Tensor) || logStdParam.size !== D) {
          throw new Error(
            `gaussian head: the state-independent log-std must be a Tensor of shape [${D}], got ${logStdParam instanceof Tensor ? `[${logStdParam.shape.join(", ")}]` : String(logStdParam)}`,
          );
        }
        logStd = logStdParam;
      } else {
        mean = slice(out, [0, 0], [batch, D]);
        logStd = slice(out, [0, D], [batch, D]);
      }
      const u = new Tensor(actions, [batch, D]);
      return spec.squash === "tanh"
        ? {
            logProb: squashedGaussianLogProb(mean, logStd, u, spec.low, spec.high),
            entropy: squashedGaussianEntropy(mean, logStd),
          }
        : {
            logProb: diagGaussianLogProb(mean, logStd, u),
            entropy: diagGaussianEntropy(mean, logStd),
          };
    },
  };
}
