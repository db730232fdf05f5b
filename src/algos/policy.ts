/**
 * The stochastic policy: an MLP body plus the action distribution chosen by the action space.
 *
 * | action space         | head                                  | MLP outputs                      |
 * |----------------------|---------------------------------------|----------------------------------|
 * | Discrete(n)          | Categorical                           | n logits                         |
 * | MultiDiscrete(nvec)  | independent Categoricals              | sum(nvec) logits                 |
 * | MultiBinary(n)       | independent Categoricals over {0, 1}  | 2n logits                        |
 * | Box, state-independent log-std | DiagGaussian, `policy.logStd` [D] | D means                 |
 * | Box, state-dependent log-std   | DiagGaussian                | D means, then D log-stds         |
 *
 * Box actions meet their bounds by clipping or tanh squashing (`spec.squash`, see src/distributions/gaussian.ts).
 *
 * **Action masks** (Discrete, MultiDiscrete, MultiBinary): `act` and `logProbAndEntropy` take an
 * optional mask [B, maskSize] of 0/1 per class, lined up with the logits (maskSize = n, or
 * sum(nvec)); a masked class gets probability 0 (src/distributions/categorical.ts). Envs give
 * theirs as `info.actionMask`; the rollout keeps them with the batch so the update scores the
 * actions under the same masks.
 *
 * Parameter names are stable (they become tensor names in checkpoints): `policy.<i>.weight` [in, out]
 * and `policy.<i>.bias` [out] for layer i of the MLP, and `policy.logStd` [D] for a
 * state-independent log-std.
 */
import { enumField, numberField } from "../config/schema.ts";
import type { Params } from "../core/index.ts";
import { full, Tensor } from "../core/index.ts";
import type { Rng } from "../core/rng.ts";
import { type ActionHead, actionHead, type HeadSpec } from "../distributions/heads.ts";
import { describe, flatSize, type Space } from "../envs/spaces.ts";
import { type Activation, createMlpInference, initMlp, type MlpSpec, mlp } from "../nn/index.ts";
import { type ObsScale, scaleObsRows } from "./obs-scale.ts";

/** Everything that fixes a policy's architecture (with the parameters, everything needed to act). */
export interface PolicySpec {
  /** Length of a flat observation. */
  obsDim: number;
  actionSpace: Space;
  /** Hidden layer widths of the MLP body; `[]` is a linear policy. */
  hiddenSizes: readonly number[];
  activation: Activation;
  /**
   * Box only: one learned log-std per action dimension (`policy.logStd`), or D extra MLP outputs.
   * Neither is clamped: a clamp would zero the gradient outside its range.
   */
  logStd: "state-independent" | "state-dependent";
  /** Box only: how samples are brought inside the bounds. */
  squash: "clip" | "tanh";
  /** Box only: initial log-std (the `policy.logStd` value, or the bias of the log-std outputs). */
  initLogStd: number;
  /** Applied to every observation before the MLP sees it (src/algos/obs-scale.ts); absent: none. */
  obsScale?: ObsScale | null;
}

/** The distribution head implied by a spec (src/distributions/heads.ts). */
export type PolicyHead = HeadSpec;

/**
 * A policy pi(a | s). Actions exist in two forms:
 *
 * - **env actions** (`outActions` of {@link Policy.act}): what the environment accepts. Discrete:
 *   `start + k`; MultiDiscrete/MultiBinary: the class of each component; Box: the sample clipped to
 *   the bounds (`squash: "clip"`) or squashed by tanh and rescaled to them (`squash: "tanh"`).
 * - **raw actions** (`outRaw` of {@link Policy.act}): what {@link Policy.logProbAndEntropy} scores.
 *   Discrete: the class index k in [0, n) (= env action - start); MultiDiscrete/MultiBinary: the
 *   same as the env action; Box (both variants): the pre-clip / pre-squash Gaussian sample u. The
 *   log-prob of u is exact: for "clip" it is the Gaussian density of the unclipped sample (the
 *   standard choice), for "tanh" the density of the squashed env action by change of variables.
 *   Neither clipping (not invertible) nor atanh of a squashed action (infinite at the bounds) could
 *   recover u, so the trainer must keep the raw actions.
 *
 * A trainer therefore passes `outRaw` to `act` and stores it for the update; `rawDiffers` says when
 * the two forms can differ (Box always; Discrete when start != 0).
 */
export interface Policy {
  readonly spec: PolicySpec;
  /** The parameters `act` reads (shared, not copied: an optimizer updating them in place is seen). */
  readonly params: Params;
  /** Numbers per action: 1 for Discrete, the component count for MultiDiscrete, D for Box. */
  readonly actDim: number;
  readonly head: PolicyHead;
  /** Whether raw and env actions can differ, i.e. whether a trainer needs `outRaw`. */
  readonly rawDiffers: boolean;
  /** Entries of one row of an action mask: n (Discrete), sum(nvec) (MultiDiscrete), 0 (Box: no masks). */
  readonly maskSize: number;
  /**
   * The rollout hot path: no tape, and no allocation once a batch of this size has been seen.
   * obs [batch, obsDim] -> outActions [batch, actDim] (env-ready) and, if given, outRaw
   * [batch, actDim] (what `logProbAndEntropy` scores; see {@link Policy}). `deterministic` takes the
   * mode instead of sampling (argmax; the Gaussian mean, clipped or squashed) and draws nothing from
   * `rng`. `masks` [batch, maskSize] (optional, categorical heads only): 0 = invalid class.
   */
  act(
    obs: Float64Array,
    batch: number,
    rng: Rng,
    outActions: Float64Array,
    deterministic?: boolean,
    outRaw?: Float64Array,
    masks?: Uint8Array | null,
  ): void;
  /**
   * Differentiable in `params` (use inside `valueAndGrad`): per-sample log pi(a | s) [B] and
   * entropy [B] for obs [B, obsDim] and raw actions [B * actDim] (the `outRaw` of `act`).
   * For a tanh-squashed Gaussian, `entropy` is that of the pre-squash Gaussian (the squashed one has
   * no closed form; see `squashedGaussianEntropy` in src/distributions/gaussian.ts).
   * `masks` [B * maskSize]: the masks the actions were sampled under (categorical heads only).
   */
  logProbAndEntropy(
    params: Params,
    obs: Tensor,
    actions: Float64Array,
    masks?: Uint8Array | null,
  ): { logProb: Tensor; entropy: Tensor };
  /**
   * For a policy that sees normalized observations (src/algos/obs-norm.ts): a snapshot of the
   * statistics it applies, which a checkpoint file stores beside the parameters.
   */
  observationNormalizer?(): ObservationNormalizer;
}

/**
 * Observation statistics a policy acts behind: it sees
 * `min(max((obs - mean) / sqrt(var + epsilon), -clip), clip)` (no clipping when clip is null).
 */
export interface ObservationNormalizer {
  readonly mean: readonly number[];
  readonly var: readonly number[];
  readonly epsilon: number;
  readonly clip: number | null;
}

const PREFIX = "policy";
/** Name of the state-independent log-std parameter. */
export const LOG_STD_NAME = `${PREFIX}.logStd`;
/** Gain of the output layer: small, so the initial policy is near uniform / zero-mean. */
const OUTPUT_GAIN = 0.01;

/** The head for `spec`, after checking it; the error names the field and value at fault. */
export function policyHead(spec: PolicySpec): PolicyHead {
  const space = spec.actionSpace;
  switch (space?.kind) {
    case "discrete":
      return { kind: "categorical", n: space.n, start: space.start };
    case "multi-discrete":
      return { kind: "multi-categorical", nvec: [...space.nvec] };
    case "multi-binary":
      return { kind: "multi-categorical", nvec: new Array<number>(space.n).fill(2) };
    case "box": {
      if (spec.logStd !== "state-independent" && spec.logStd !== "state-dependent") {
        throw new Error(
          `policy: spec.logStd must be "state-independent" | "state-dependent", got ${String(spec.logStd)}`,
        );
      }
      if (spec.squash !== "clip" && spec.squash !== "tanh") {
        throw new Error(`policy: spec.squash must be "clip" | "tanh", got ${String(spec.squash)}`);
      }
      if (!Number.isFinite(spec.initLogStd)) {
        throw new Error(`policy: spec.initLogStd must be a finite number, got ${spec.initLogStd}`);
      }
      if (spec.squash === "tanh") {
        for (let d = 0; d < space.size; d++) {
          if (!(Number.isFinite(space.low[d]) && Number.isFinite(space.high[d]))) {
            throw new Error(
              `policy: squash "tanh" needs finite bounds, but ${describe(space)} has low ${space.low[d]}, high ${space.high[d]} at element ${d}; use squash "clip"`,
            );
          }
          if (!(space.low[d] < space.high[d])) {
            throw new Error(
              `policy: squash "tanh" needs low < high, got low ${space.low[d]} = high at element ${d} of ${describe(space)}`,
            );
          }
        }
      }
      return {
        kind: "gaussian",
        dim: space.size,
        logStd: spec.logStd,
        squash: spec.squash,
        low: space.low,
        high: space.high,
      };
    }
    default:
      throw new Error(
        `policy: spec.actionSpace must be a Discrete, Box, MultiDiscrete or MultiBinary space, got ${JSON.stringify(space)}`,
      );
  }
}

/** The MLP body of a policy: prefix "policy", obsDim inputs, as many outputs as the head needs. */
export function policyMlpSpec(spec: PolicySpec): MlpSpec {
  if (!Number.isInteger(spec.obsDim) || spec.obsDim < 1) {
    throw new Error(`policy: spec.obsDim must be an integer >= 1, got ${spec.obsDim}`);
  }
  return {
    inputSize: spec.obsDim,
    hiddenSizes: spec.hiddenSizes,
    outputSize: actionHead(policyHead(spec)).outputs,
    activation: spec.activation,
    prefix: PREFIX,
  };
}

/**
 * A fresh policy: orthogonal init (hidden gain sqrt 2, output gain 0.01, so the initial policy is
 * near uniform or zero-mean), log-std at `spec.initLogStd`.
 * @example
 * const policy = createPolicy({ obsDim: 4, actionSpace: discrete(2), hiddenSizes: [64, 64],
 *   activation: "tanh", logStd: "state-independent", squash: "clip", initLogStd: 0 }, new Rng(0));
 * policy.act(env.observations, env.numEnvs, rng, actions, false, rawActions);
 */
export function createPolicy(spec: PolicySpec, rng: Rng): Policy {
  const mlpSpec = policyMlpSpec(spec);
  const head = policyHead(spec);
  const params = initMlp(mlpSpec, rng, { init: "orthogonal", outputGain: OUTPUT_GAIN });
  if (head.kind === "gaussian") {
    if (head.logStd === "state-independent") {
      params[LOG_STD_NAME] = full([head.dim], spec.initLogStd);
    } else {
      // The log-std outputs start at initLogStd: their bias carries it, their small weights vary it.
      const bias = params[`${PREFIX}.${spec.hiddenSizes.length}.bias`].data;
      for (let d = 0; d < head.dim; d++) bias[head.dim + d] = spec.initLogStd;
    }
  }
  return buildPolicy(spec, mlpSpec, head, params);
}

/** Names and shapes of every parameter of a policy with this spec, in creation order. */
export function policyParamShapes(spec: PolicySpec): Record<string, number[]> {
  const mlpSpec = policyMlpSpec(spec);
  const head = policyHead(spec);
  const sizes = [mlpSpec.inputSize, ...mlpSpec.hiddenSizes, mlpSpec.outputSize];
  const shapes: Record<string, number[]> = {};
  for (let i = 0; i + 1 < sizes.length; i++) {
    shapes[`${PREFIX}.${i}.weight`] = [sizes[i], sizes[i + 1]];
    shapes[`${PREFIX}.${i}.bias`] = [sizes[i + 1]];
  }
  if (head.kind === "gaussian" && head.logStd === "state-independent") {
    shapes[LOG_STD_NAME] = [head.dim];
  }
  return shapes;
}

/**
 * A policy over existing parameters (e.g. loaded from a checkpoint). The tensors are used as they
 * are, not copied. Every parameter the spec needs must be present with its shape, and no other
 * `policy.*` name may appear (that would mean the spec and the parameters disagree); names outside
 * `policy.*` (a value function's, say) are ignored.
 */
export function policyFromParams(spec: PolicySpec, params: Params): Policy {
  const mlpSpec = policyMlpSpec(spec);
  const head = policyHead(spec);
  const expected = policyParamShapes(spec);
  const own: Params = {};
  for (const [name, shape] of Object.entries(expected)) {
    const p = params[name];
    if (!(p instanceof Tensor)) {
      throw new Error(
        `policyFromParams: missing parameter "${name}" (shape [${shape.join(", ")}]); got names ${Object.keys(params).join(", ")}`,
      );
    }
    if (p.shape.length !== shape.length || p.shape.some((d, i) => d !== shape[i])) {
      throw new Error(
        `policyFromParams: "${name}" has shape [${p.shape.join(", ")}], the spec needs [${shape.join(", ")}]`,
      );
    }
    own[name] = p;
  }
  for (const name of Object.keys(params)) {
    if (name.startsWith(`${PREFIX}.`) && !(name in expected)) {
      throw new Error(
        `policyFromParams: unexpected parameter "${name}" for this spec (expected ${Object.keys(expected).join(", ")})`,
      );
    }
  }
  return buildPolicy(spec, mlpSpec, head, own);
}

function buildPolicy(spec: PolicySpec, mlpSpec: MlpSpec, head: PolicyHead, params: Params): Policy {
  const actDim = flatSize(spec.actionSpace);
  const outSize = mlpSpec.outputSize;
  const obsDim = spec.obsDim;
  const obsScale = spec.obsScale ?? null;
  if (obsScale !== null && obsScale.center.length !== obsDim) {
    throw new Error(
      `policy: spec.obsScale covers ${obsScale.center.length} elements, obsDim is ${obsDim}`,
    );
  }
  const dist: ActionHead = actionHead(head);
  const maskSize = dist.maskSize;
  const logStdParam = (p: Params): Tensor | null =>
    head.kind === "gaussian" && head.logStd === "state-independent" ? p[LOG_STD_NAME] : null;

  // Buffers of the hot path, grown (rarely: only to a larger batch than ever seen) and then reused.
  let capacity = 0;
  let infer: ReturnType<typeof createMlpInference> | null = null;
  let headOut = new Float64Array(0); // [capacity, outSize]
  let rawScratch = new Float64Array(0); // [capacity, actDim], raw actions when outRaw is not given
  let scaled = new Float64Array(0); // [capacity, obsDim], scaled observations (obsScale only)
  let scaledBatch = new Float64Array(0); // the same for logProbAndEntropy's batches
  function ensureCapacity(batch: number): void {
    if (batch <= capacity && infer !== null) return;
    capacity = Math.max(batch, 2 * capacity, 1);
    infer = createMlpInference(mlpSpec, capacity);
    headOut = new Float64Array(capacity * outSize);
    rawScratch = new Float64Array(capacity * actDim);
    if (obsScale !== null) scaled = new Float64Array(capacity * obsDim);
  }

  function act(
    obs: Float64Array,
    batch: number,
    rng: Rng,
    outActions: Float64Array,
    deterministic = false,
    outRaw?: Float64Array,
    masks?: Uint8Array | null,
  ): void {
    if (!Number.isInteger(batch) || batch < 0) {
      throw new Error(`policy.act: batch must be an integer >= 0, got ${batch}`);
    }
    if (obs.length < batch * obsDim) {
      throw new Error(
        `policy.act: obs has ${obs.length} values, batch ${batch} x obsDim ${obsDim} needs ${batch * obsDim}`,
      );
    }
    if (
      outActions.length < batch * actDim ||
      (outRaw !== undefined && outRaw.length < batch * actDim)
    ) {
      throw new Error(
        `policy.act: outActions (${outActions.length}) and outRaw (${outRaw?.length ?? "none"}) need ${batch * actDim} values each (batch ${batch} x actDim ${actDim})`,
      );
    }
    if (masks && (maskSize === 0 || masks.length < batch * maskSize)) {
      throw new Error(
        `policy.act: masks has ${masks.length} values, batch ${batch} x maskSize ${maskSize} needs ${batch * maskSize}${maskSize === 0 ? " (a Box action space takes no masks)" : ""}`,
      );
    }
    ensureCapacity(batch);
    if (obsScale !== null) scaleObsRows(obsScale, obs, batch, scaled);
    infer!(params, obsScale === null ? obs : scaled, batch, headOut);
    const logStd = logStdParam(params);
    dist.act(
      headOut,
      logStd === null ? null : logStd.data,
      batch,
      rng,
      deterministic,
      outRaw ?? rawScratch,
      outActions,
      masks,
    );
  }

  function logProbAndEntropy(
    p: Params,
    obs: Tensor,
    actions: Float64Array,
    masks?: Uint8Array | null,
  ): { logProb: Tensor; entropy: Tensor } {
    const batch = obs.shape[0];
    if (masks && (maskSize === 0 || masks.length !== batch * maskSize)) {
      throw new Error(
        `policy.logProbAndEntropy: masks has ${masks.length} values, expected ${batch * maskSize} (batch ${batch} x maskSize ${maskSize})${maskSize === 0 ? "; a Box action space takes no masks" : ""}`,
      );
    }
    if (actions.length !== batch * actDim) {
      throw new Error(
        `policy.logProbAndEntropy: actions has ${actions.length} values, expected ${batch * actDim} (batch ${batch} from obs [${obs.shape.join(", ")}] x actDim ${actDim})`,
      );
    }
    let input = obs;
    if (obsScale !== null) {
      if (scaledBatch.length < obs.size) scaledBatch = new Float64Array(obs.size);
      const view = scaledBatch.subarray(0, obs.size);
      scaleObsRows(obsScale, obs.data, batch, view);
      input = new Tensor(view, obs.shape);
    }
    return dist.logProbAndEntropy(mlp(p, mlpSpec, input), logStdParam(p), actions, masks);
  }

  return {
    spec,
    params,
    actDim,
    head,
    rawDiffers: dist.rawDiffers,
    maskSize,
    act,
    logProbAndEntropy,
  };
}

/**
 * The config fields of a policy's hidden activation and Gaussian head, shared by the algorithms
 * whose policies are sampled (REINFORCE, PPO): spread into their schemas, so they are flags too.
 */
export const policyHeadSchema = {
  activation: enumField("tanh", ["tanh", "relu", "elu"] as const, "Hidden activation of the MLPs."),
  logStd: enumField(
    "state-independent",
    ["state-independent", "state-dependent"] as const,
    "Box actions: a learned log-std per action dimension, or one output by the MLP per state.",
  ),
  squash: enumField(
    "clip",
    ["clip", "tanh"] as const,
    "Box actions: clip Gaussian samples to the bounds, or squash them with tanh (with the log-prob correction).",
  ),
  initLogStd: numberField(0, "Box actions: initial log standard deviation of the Gaussian policy."),
} as const;
