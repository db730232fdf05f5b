/**
 * Evaluation: run a policy for whole episodes and report the undiscounted returns.
 */
import { Rng } from "../core/rng.ts";
import { checkResetResult, checkStepResult } from "../envs/boundary.ts";
import { make } from "../envs/registry.ts";
import { flatSize } from "../envs/spaces.ts";
import type { Env } from "../envs/types.ts";
import type { Policy } from "./policy.ts";
import { meanStd } from "./returns.ts";

export interface EvaluateOptions {
  /** Episodes to run (>= 1). */
  episodes: number;
  /** Seeds the env (first reset; later resets continue its stream) and the action sampling. */
  seed: number;
  /** Take the distribution's mode (argmax, Gaussian mean) instead of sampling. */
  deterministic: boolean;
  /**
   * Safety cap on an episode's length for envs without a time limit (the episode is then counted
   * as it stands); default the env's maxEpisodeSteps, else 100,000.
   */
  maxEpisodeSteps?: number;
}

export interface EvaluateResult {
  returnMean: number;
  /** Population standard deviation of the returns. */
  returnStd: number;
  lengthMean: number;
  episodes: number;
  returns: number[];
  lengths: number[];
}

/**
 * Runs `policy` for `episodes` episodes on `env` (an Env, or an id to `make`; an env made here is
 * closed afterwards) and returns the undiscounted returns.
 *
 * @example evaluate(policy, "CartPole-v1", { episodes: 10, seed: 0, deterministic: true }).returnMean
 */
export function evaluate(policy: Policy, env: string | Env, opts: EvaluateOptions): EvaluateResult {
  const { episodes, seed, deterministic } = opts ?? ({} as EvaluateOptions);
  if (!Number.isInteger(episodes) || episodes < 1) {
    throw new Error(`evaluate: opts.episodes must be an integer >= 1, got ${episodes}`);
  }
  if (!Number.isInteger(seed))
    throw new Error(`evaluate: opts.seed must be an integer, got ${seed}`);
  if (typeof deterministic !== "boolean") {
    throw new Error(`evaluate: opts.deterministic must be true or false, got ${deterministic}`);
  }
  const e = typeof env === "string" ? make(env) : env;
  const obsDim = policy.spec.obsDim;
  const envObsDim = flatSize(e.observationSpace);
  if (envObsDim !== obsDim) {
    if (typeof env === "string") e.close();
    throw new Error(
      `evaluate: ${e.id} gives observations of ${envObsDim} values, the policy takes ${obsDim}`,
    );
  }
  const cap = opts.maxEpisodeSteps ?? e.maxEpisodeSteps ?? 100_000;
  const discrete = e.actionSpace.kind === "discrete";
  const rng = new Rng(seed);
  const action = new Float64Array(policy.actDim);
  const obsBuf = new Float64Array(obsDim);
  const returns: number[] = [];
  const lengths: number[] = [];
  try {
    for (let ep = 0; ep < episodes; ep++) {
      // Every result is checked as in training (src/envs/boundary.ts): one message for a broken env.
      const first: unknown = e.reset(ep === 0 ? { seed } : {});
      checkResetResult(e.id, first, obsDim);
      let obs = first.observation;
      let ret = 0;
      let len = 0;
      for (;;) {
        // A copy: the contract allows any array of numbers, and the env may reuse its buffer.
        for (let d = 0; d < obsDim; d++) obsBuf[d] = obs[d];
        policy.act(obsBuf, 1, rng, action, deterministic);
        const r: unknown = e.step(discrete ? action[0] : action);
        checkStepResult(e.id, r, obsDim);
        ret += r.reward;
        len++;
        obs = r.observation;
        if (r.terminated || r.truncated || len >= cap) break;
      }
      returns.push(ret);
      lengths.push(len);
    }
  } finally {
    if (typeof env === "string") e.close();
  }
  const rs = meanStd(returns);
  return {
    returnMean: rs.mean,
    returnStd: rs.std,
    lengthMean: meanStd(lengths).mean,
    episodes,
    returns,
    lengths,
  };
}
