/**
 * A checkpoint as one file, read and written from bytes with no Node API, so a browser page can
 * download a trained policy, open one the CLI trained, and deploy it in a game:
 *
 * ```
 * policy.safetensors = safetensors with
 *   tensors       the policy's parameters ("policy.0.weight" [in, out], ...) and, when the
 *                 algorithm has one, the value network's ("value.0.weight", ...), all F64
 *   __metadata__  "format": "policygrad-checkpoint-file", "version": "1",
 *                 "policygrad": JSON (encodeState) of { info, policySpec, normalizer,
 *                               valueParamNames, state }
 * ```
 *
 * PyTorch and NumPy users load the tensors as they are; the JSON says how to act with them: the
 * policy's architecture (its spec, action space included, so no env object is needed to act), the
 * observation normalizer's statistics, and the trainer's state (optimizer, RNG, counters, config).
 * Nothing from the file is ever executed. `policygrad/node` adds `readCheckpointFile` and
 * `writeCheckpointFile`; the CLI's `export` writes this file and `eval` reads it.
 *
 * @example
 * const agent = loadAgent(new Uint8Array(await (await fetch("policy.safetensors")).arrayBuffer()));
 * const action = agent.act(observation); // a number for Discrete actions
 */

import type { ObservationNormalizer, Policy, PolicySpec } from "../algos/policy.ts";
import { policyFromParams } from "../algos/policy.ts";
import { Rng } from "../core/rng.ts";
import { type Params, parameter, Tensor } from "../core/tensor.ts";
import { flatSize } from "../envs/spaces.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
  type SafetensorsInput,
} from "./safetensors.ts";
import { decodeState, encodeState } from "./state-json.ts";

/** A missing, truncated, corrupted or inconsistent checkpoint; `path` names the offending file. */
export class CheckpointError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`checkpoint ${path}: ${problem}`);
    this.name = "CheckpointError";
  }
}

/** Identifies a checkpoint; stored in its manifest or file. */
export interface CheckpointInfo {
  /** Algorithm name from the algorithm table, e.g. `"reinforce"`. */
  readonly algo: string;
  readonly envId: string;
  /** Number of completed updates. */
  readonly update: number;
  readonly envSteps: number;
}

/** The learning curve so far, one entry per update (the page shows it when it opens the file). */
export interface LearningCurve {
  readonly envSteps: readonly number[];
  readonly returnMean: readonly (number | null)[];
  readonly returnMean100: readonly (number | null)[];
}

/** Everything one checkpoint file holds. */
export interface CheckpointFile {
  readonly info: CheckpointInfo;
  /** The architecture and action space of the policy (with `params`, all that acting needs). */
  readonly policySpec: PolicySpec;
  readonly params: Params;
  readonly valueParams?: Params;
  readonly normalizer: ObservationNormalizer | null;
  /** The trainer's JSON-safe state (exact resume); typed arrays and special numbers survive. */
  readonly state: unknown;
  readonly curve?: LearningCurve;
}

export const CHECKPOINT_FILE_FORMAT = "policygrad-checkpoint-file";
const VERSION = "1";

/** Serializes a checkpoint to the bytes of one safetensors file. Parameters must be finite. */
export function encodeCheckpointFile(file: CheckpointFile): Uint8Array {
  const tensors: Record<string, SafetensorsInput> = {};
  const add = (params: Params, what: string): string[] => {
    for (const [name, t] of Object.entries(params)) {
      if (!(t instanceof Tensor)) {
        throw new TypeError(`encodeCheckpointFile: ${what}["${name}"] is not a Tensor`);
      }
      if (name in tensors) {
        throw new Error(`encodeCheckpointFile: parameter name "${name}" appears twice`);
      }
      for (let i = 0; i < t.size; i++) {
        if (!Number.isFinite(t.data[i])) {
          // A diverged policy is not worth a file that looks fine.
          throw new RangeError(
            `encodeCheckpointFile: ${what}["${name}"] holds ${t.data[i]} at flat index ${i}`,
          );
        }
      }
      tensors[name] = { shape: t.shape, data: t.data, dtype: "F64" };
    }
    return Object.keys(params);
  };
  add(file.params, "params");
  const valueParamNames = file.valueParams ? add(file.valueParams, "valueParams") : [];
  checkNormalizer(file.normalizer, file.policySpec.obsDim, "encodeCheckpointFile");
  const meta = {
    info: file.info,
    policySpec: file.policySpec,
    normalizer: file.normalizer,
    valueParamNames,
    state: file.state,
    ...(file.curve ? { curve: checkCurve(file.curve, "encodeCheckpointFile: curve") } : {}),
  };
  return encodeSafetensors(tensors, {
    format: CHECKPOINT_FILE_FORMAT,
    version: VERSION,
    policygrad: encodeState(meta),
    layout:
      "dense layer i: y = x @ weight + bias, weight [in, out] (transpose for torch.nn.Linear)",
  });
}

/**
 * Parses and validates the bytes of a checkpoint file. `source` names it in errors. Throws
 * {@link CheckpointError} for anything malformed, non-finite or inconsistent (the parameters must
 * fit the policy spec).
 */
export function decodeCheckpointFile(bytes: Uint8Array, source = "<bytes>"): CheckpointFile {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(
      `decodeCheckpointFile: bytes must be a Uint8Array (e.g. new Uint8Array(await file.arrayBuffer())), got ${Object.prototype.toString.call(bytes)}`,
    );
  }
  let contents: ReturnType<typeof decodeSafetensors>;
  try {
    contents = decodeSafetensors(bytes, { source, checkFinite: true });
  } catch (e) {
    if (e instanceof SafetensorsError) throw new CheckpointError(source, e.problem);
    throw e;
  }
  const bad = (problem: string): never => {
    throw new CheckpointError(source, problem);
  };
  const m = contents.metadata;
  if (m.format !== CHECKPOINT_FILE_FORMAT) {
    bad(
      `not a policygrad checkpoint file (metadata format is ${JSON.stringify(m.format)}, expected "${CHECKPOINT_FILE_FORMAT}")`,
    );
  }
  if (m.version !== VERSION) {
    bad(`unsupported version ${JSON.stringify(m.version)} (this build reads ${VERSION})`);
  }
  let meta: Record<string, unknown>;
  try {
    meta = decodeState(m.policygrad ?? "") as Record<string, unknown>;
  } catch (e) {
    return bad(`metadata "policygrad" is not valid JSON (${(e as Error).message})`);
  }
  if (meta === null || typeof meta !== "object") bad('metadata "policygrad" must be an object');
  const info = meta.info as Record<string, unknown>;
  if (
    info === null ||
    typeof info !== "object" ||
    typeof info.algo !== "string" ||
    typeof info.envId !== "string" ||
    !Number.isSafeInteger(info.update) ||
    !Number.isSafeInteger(info.envSteps)
  ) {
    bad("info must be { algo: string, envId: string, update: int, envSteps: int }");
  }
  const valueNames = meta.valueParamNames;
  if (!Array.isArray(valueNames) || !valueNames.every((n) => typeof n === "string")) {
    bad("valueParamNames must be a list of tensor names");
  }
  const params: Params = {};
  const valueParams: Params = {};
  const isValue = new Set(valueNames as string[]);
  for (const [name, t] of Object.entries(contents.tensors)) {
    // Trainable parameters (parameter()), like initMlp's: a resumed run trains as fast.
    const data = t.data instanceof Float64Array ? t.data : Float64Array.from(t.data);
    (isValue.has(name) ? valueParams : params)[name] = parameter(data, t.shape);
  }
  for (const n of isValue) if (!(n in valueParams)) bad(`value tensor "${n}" is missing`);
  const policySpec = meta.policySpec as PolicySpec;
  try {
    policyFromParams(policySpec, params);
  } catch (e) {
    bad(`the parameters do not fit the policy spec: ${(e as Error).message}`);
  }
  const normalizer = (meta.normalizer ?? null) as ObservationNormalizer | null;
  try {
    checkNormalizer(normalizer, policySpec.obsDim, "normalizer");
  } catch (e) {
    bad((e as Error).message);
  }
  let curve: LearningCurve | undefined;
  try {
    curve = meta.curve === undefined ? undefined : checkCurve(meta.curve as LearningCurve, "curve");
  } catch (e) {
    bad((e as Error).message);
  }
  return {
    info: info as unknown as CheckpointInfo,
    policySpec,
    params,
    ...(isValue.size > 0 ? { valueParams } : {}),
    normalizer,
    state: meta.state,
    ...(curve ? { curve } : {}),
  };
}

function checkCurve(c: LearningCurve, where: string): LearningCurve {
  const num = (x: unknown) => typeof x === "number" && Number.isFinite(x);
  const ok =
    c !== null &&
    typeof c === "object" &&
    Array.isArray(c.envSteps) &&
    c.envSteps.every(num) &&
    [c.returnMean, c.returnMean100].every(
      (a) =>
        Array.isArray(a) && a.length === c.envSteps.length && a.every((x) => x === null || num(x)),
    );
  if (!ok) {
    throw new Error(
      `${where} must be { envSteps: number[], returnMean: (number | null)[], returnMean100: (number | null)[] } of one length`,
    );
  }
  return c;
}

function checkNormalizer(n: ObservationNormalizer | null, obsDim: number, where: string): void {
  if (n === null) return;
  const vec = (v: unknown) =>
    Array.isArray(v) && v.length === obsDim && v.every((x) => Number.isFinite(x));
  if (
    typeof n !== "object" ||
    !vec(n.mean) ||
    !vec(n.var) ||
    !n.var.every((v) => v >= 0) ||
    !(Number.isFinite(n.epsilon) && n.epsilon >= 0) ||
    !(n.clip === null || (Number.isFinite(n.clip) && n.clip > 0))
  ) {
    throw new Error(
      `${where}: an observation normalizer must be { mean: number[${obsDim}], var: number[${obsDim}] (>= 0), epsilon >= 0, clip: number > 0 or null }`,
    );
  }
}

/**
 * `policy` seeing observations through `normalizer` (the same Policy otherwise): what acting,
 * evaluation and deployment use, so the statistics travel with the parameters.
 */
export function normalizedPolicy(policy: Policy, normalizer: ObservationNormalizer | null): Policy {
  if (normalizer === null) return policy;
  const d = policy.spec.obsDim;
  checkNormalizer(normalizer, d, "normalizedPolicy");
  const mean = Float64Array.from(normalizer.mean);
  const variance = Float64Array.from(normalizer.var);
  const eps = normalizer.epsilon;
  const clip = normalizer.clip ?? Infinity;
  let scratch = new Float64Array(0);
  // The formula of src/algos/obs-norm.ts operation for operation, so a loaded policy acts with
  // the same bits as the one that trained.
  const apply = (obs: Float64Array, out: Float64Array, n: number): void => {
    for (let i = 0; i < n; i++) {
      const z = (obs[i] - mean[i % d]) / Math.sqrt(variance[i % d] + eps);
      out[i] = Math.min(Math.max(z, -clip), clip);
    }
  };
  return {
    ...policy,
    act(obs, batch, rng, outActions, deterministic, outRaw) {
      if (scratch.length < batch * d) scratch = new Float64Array(batch * d);
      apply(obs, scratch, batch * d);
      policy.act(scratch, batch, rng, outActions, deterministic, outRaw);
    },
    logProbAndEntropy(params, obs, actions) {
      const x = new Float64Array(obs.size);
      apply(obs.data, x, obs.size);
      return policy.logProbAndEntropy(params, new Tensor(x, obs.shape), actions);
    },
    observationNormalizer: () => normalizer,
  };
}

/** A trained policy ready to act, one observation at a time. */
export interface Agent {
  readonly info: CheckpointInfo;
  /** The policy with its observation normalizer applied (use it with `evaluate`). */
  readonly policy: Policy;
  /**
   * The action for one observation (of `policy.spec.obsDim` numbers): a number for a Discrete
   * action space, else a new Float64Array in the env's action space. Deterministic (the
   * distribution's mode) unless `{ deterministic: false }`, which samples with the agent's Rng.
   */
  act(observation: ArrayLike<number>, options?: { deterministic?: boolean }): number | Float64Array;
}

/**
 * Turns a checkpoint file (its bytes, or a decoded {@link CheckpointFile}) into an {@link Agent}:
 * the documented way to deploy a trained policy in a game or page.
 *
 * @param options.seed seeds the sampling of `act(obs, { deterministic: false })` (default 0)
 * @example
 * const agent = loadAgent(bytes);
 * let { observation } = env.reset({ seed: 0 });
 * for (let done = false; !done; ) {
 *   const r = env.step(agent.act(observation));
 *   observation = r.observation;
 *   done = r.terminated || r.truncated;
 * }
 */
export function loadAgent(
  file: Uint8Array | CheckpointFile,
  options: { seed?: number; source?: string } = {},
): Agent {
  const f = file instanceof Uint8Array ? decodeCheckpointFile(file, options.source) : file;
  const policy = normalizedPolicy(policyFromParams(f.policySpec, f.params), f.normalizer);
  const obsDim = policy.spec.obsDim;
  const discrete = policy.spec.actionSpace.kind === "discrete";
  const obs = new Float64Array(obsDim);
  const out = new Float64Array(flatSize(policy.spec.actionSpace));
  const rng = new Rng(options.seed ?? 0);
  return {
    info: f.info,
    policy,
    act(observation, opts = {}) {
      if (observation?.length !== obsDim) {
        throw new RangeError(
          `agent.act: observation must hold ${obsDim} numbers, got ${observation?.length ?? String(observation)}`,
        );
      }
      for (let i = 0; i < obsDim; i++) {
        const v = observation[i];
        if (!Number.isFinite(v)) {
          throw new RangeError(`agent.act: observation[${i}] is ${v}; expected a finite number`);
        }
        obs[i] = v;
      }
      policy.act(obs, 1, rng, out, opts.deterministic ?? true);
      return discrete ? out[0] : out.slice();
    },
  };
}
