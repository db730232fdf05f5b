/**
 * Evaluation: run a policy for whole episodes and report the undiscounted returns.
 */
import { Rng } from "../core/rng.ts";
import { make } from "../envs/registry.ts";
import type { Env, StepInfo } from "../envs/types.ts";
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
  const cap = opts.maxEpisodeSteps ?? e.maxEpisodeSteps ?? 100_000;
  const discrete = e.actionSpace.kind === "discrete";
  const rng = new Rng(seed);
  const action = new Float64Array(policy.actDim);
  // The env's action mask of the current state (info.actionMask), when it gives one.
  const mask = new Uint8Array(policy.maskSize);
  const readMask = (info: StepInfo, ep: number, len: number): Uint8Array | null => {
    const m = info?.actionMask;
    if (m === undefined || m === null) return null;
    if (m.length !== mask.length) {
      throw new Error(
        `evaluate: ${e.id} gave info.actionMask of ${m.length} entries (episode ${ep}, step ${len}); the policy's action space needs ${mask.length}`,
      );
    }
    for (let j = 0; j < mask.length; j++) mask[j] = m[j] ? 1 : 0;
    return mask;
  };
  const returns: number[] = [];
  const lengths: number[] = [];
  try {
    for (let ep = 0; ep < episodes; ep++) {
      const start = e.reset(ep === 0 ? { seed } : {});
      let obs = start.observation;
      let info = start.info;
      let ret = 0;
      let len = 0;
      for (;;) {
        if (obs.length !== obsDim) {
          throw new Error(
            `evaluate: ${e.id} gave an observation of ${obs.length} values, the policy takes ${obsDim}`,
          );
        }
        for (let d = 0; d < obsDim; d++) {
          if (!Number.isFinite(obs[d])) {
            throw new Error(
              `evaluate: non-finite observation ${obs[d]} from ${e.id} (element ${d}, episode ${ep}, step ${len})`,
            );
          }
        }
        policy.act(obs, 1, rng, action, deterministic, undefined, readMask(info, ep, len));
        const r = e.step(discrete ? action[0] : action);
        if (!Number.isFinite(r.reward)) {
          throw new Error(
            `evaluate: non-finite reward ${r.reward} from ${e.id} (episode ${ep}, step ${len})`,
          );
        }
        ret += r.reward;
        len++;
        obs = r.observation;
        info = r.info;
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
