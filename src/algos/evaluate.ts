/**
 * Evaluation: run a policy for whole episodes and report the undiscounted returns. The episodes
 * run side by side in a vector env, one sub-env each, so the policy acts for all of them in one
 * batched forward pass per step.
 */

import type { AsyncEnv, Env } from "../envs/types.ts";
import {
  type AsyncVectorEnv,
  EnvVectorEnv,
  makeVecOf,
  PhysicsVectorEnv,
  type VectorEnv,
} from "../envs/vector.ts";
import type { Policy } from "./policy.ts";
import { meanStd } from "./returns.ts";
import { streamRng, streamSeed } from "./streams.ts";

export interface EvaluateOptions {
  /** Episodes to run (>= 1). */
  episodes: number;
  /**
   * Seeds the evaluation: episode i's env from `deriveSeed(streamSeed(seed, "evalEnvs"), i)`, the
   * sampled actions from the "evalActions" stream (src/algos/streams.ts), never one stream for both.
   */
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
  /** Per episode, in episode order. */
  returns: number[];
  lengths: number[];
}

/**
 * Runs `policy` for `episodes` episodes and returns the undiscounted returns. `env` is an id or a
 * factory of Envs (the episodes then run in parallel, one fresh env each, closed afterwards), or
 * one Env object (the episodes run one after another on it; it is left open).
 *
 * @example evaluate(policy, "CartPole-v1", { episodes: 10, seed: 0, deterministic: true }).returnMean
 */
export function evaluate(
  policy: Policy,
  env: string | Env | (() => Env),
  opts: EvaluateOptions,
): EvaluateResult {
  const e = evaluation(policy, env, opts);
  const vec = e.vec as VectorEnv;
  try {
    vec.reset(e.resetSeed);
    while (!e.done()) {
      vec.step(e.act());
      if (e.record()) vec.reset();
    }
    return e.result();
  } finally {
    e.close();
  }
}

/**
 * {@link evaluate} for envs that may answer asynchronously ({@link AsyncEnv}s, or a factory of
 * them): the same episodes and returns, awaiting each step.
 */
export async function evaluateAsync(
  policy: Policy,
  env: string | Env | AsyncEnv | (() => Env | AsyncEnv),
  opts: EvaluateOptions,
): Promise<EvaluateResult> {
  const e = evaluation(policy, env, opts);
  const vec = e.vec;
  try {
    await vec.reset(e.resetSeed);
    while (!e.done()) {
      await vec.step(e.act());
      if (e.record()) await vec.reset();
    }
    return e.result();
  } finally {
    e.close();
  }
}

/**
 * One evaluation's bookkeeping, written once for evaluate and evaluateAsync: they reset the vector
 * env with `resetSeed`, then until `done()` step it with `act()`'s actions and call `record()`
 * (which says when the single env must be reset by hand).
 */
function evaluation(
  policy: Policy,
  env: string | Env | AsyncEnv | (() => Env | AsyncEnv),
  opts: EvaluateOptions,
) {
  const { episodes, seed, deterministic } = opts ?? ({} as EvaluateOptions);
  if (!Number.isInteger(episodes) || episodes < 1) {
    throw new Error(`evaluate: opts.episodes must be an integer >= 1, got ${episodes}`);
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`evaluate: opts.seed must be an integer >= 0, got ${seed}`);
  }
  if (typeof deterministic !== "boolean") {
    throw new Error(`evaluate: opts.deterministic must be true or false, got ${deterministic}`);
  }
  const single = typeof env === "object" && env !== null;
  const vec: VectorEnv | AsyncVectorEnv = makeVecOf(
    single ? () => env : env,
    single ? 1 : episodes,
  );
  const N = vec.numEnvs;
  const obsDim = vec.obsDim;
  const id = single ? env.id : typeof env === "string" ? env : "the env";
  if (policy.spec.obsDim !== obsDim) {
    if (!single) vec.close();
    throw new Error(
      `evaluate: ${id} gives observations of ${obsDim} values, the policy takes ${policy.spec.obsDim}`,
    );
  }
  const limit =
    vec instanceof PhysicsVectorEnv
      ? vec.maxEpisodeSteps
      : vec instanceof EnvVectorEnv
        ? vec.envs[0].maxEpisodeSteps
        : undefined;
  const cap = opts.maxEpisodeSteps ?? limit ?? 100_000;
  const rng = streamRng(seed, "evalActions");
  const actions = new Float64Array(N * policy.actDim);
  const returns = new Array<number>(episodes).fill(0);
  const lengths = new Array<number>(episodes).fill(0);
  // Sub-env j runs episode j (in parallel), or, with one Env object, every episode in turn.
  const episodeOf = new Int32Array(N).map((_, j) => j);
  let finished = 0;
  return {
    vec,
    resetSeed: streamSeed(seed, "evalEnvs"),
    done: () => finished >= episodes,
    act(): Float64Array {
      const o = vec.observations;
      for (let i = 0; i < N * obsDim; i++) {
        const j = Math.floor(i / obsDim);
        if (!Number.isFinite(o[i]) && episodeOf[j] < episodes) {
          throw new Error(
            `evaluate: non-finite observation ${o[i]} from ${id} (element ${i - j * obsDim}, episode ${episodeOf[j]}, step ${lengths[episodeOf[j]]})`,
          );
        }
      }
      policy.act(o, N, rng, actions, deterministic, undefined, vec.actionMasks);
      return actions;
    },
    record(): boolean {
      let resetNow = false;
      for (let j = 0; j < N; j++) {
        const ep = episodeOf[j];
        if (ep >= episodes || vec.autoreset[j] === 1) continue;
        const r = vec.rewards[j];
        if (!Number.isFinite(r)) {
          throw new Error(
            `evaluate: non-finite reward ${r} from ${id} (episode ${ep}, step ${lengths[ep]})`,
          );
        }
        returns[ep] += r;
        lengths[ep]++;
        const capped = lengths[ep] >= cap;
        if (vec.terminated[j] === 1 || vec.truncated[j] === 1 || capped) {
          finished++;
          episodeOf[j] = single ? ep + 1 : episodes;
          // A capped episode has not ended inside the env: start the next one by hand.
          if (capped && single && ep + 1 < episodes && vec.terminated[j] + vec.truncated[j] === 0) {
            resetNow = true;
          }
        }
      }
      return resetNow;
    },
    result(): EvaluateResult {
      const rs = meanStd(returns);
      return {
        returnMean: rs.mean,
        returnStd: rs.std,
        lengthMean: meanStd(lengths).mean,
        episodes,
        returns,
        lengths,
      };
    },
    close(): void {
      if (!single) vec.close();
    },
  };
}
