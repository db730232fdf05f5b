/**
 * Rollouts: run the policy in a vector env and collect a batch of transitions into preallocated
 * buffers. The step loop calls `policy.act` once per vector step for all sub-envs, copies numbers
 * into typed arrays and allocates nothing (buffers grow only when a batch is longer than any before).
 *
 * Storage is one **lane** per sub-env (`lane j, step t` at index `j * capacity + t`), so each
 * sub-env's steps stay contiguous; at the end of a batch the lanes are packed back to back into
 * one flat sequence of segments, the layout returns.ts works on (see {@link EpisodeEnd}).
 *
 * Gymnasium's next-step autoreset: the vector step after an episode ended resets that sub-env
 * (`autoreset[j] = 1`, its action ignored, reward 0); such a step is no transition and is dropped.
 *
 * With a {@link Shaping} option the batch's rewards are the env's plus the potential-based term
 * gamma * Phi(s') - Phi(s) (src/envs/shaping.ts), while the episode returns and lengths it
 * reports stay the env's own.
 */
import type { Rng } from "../core/rng.ts";
import { checkShaping, type Shaping, shapingTerm } from "../envs/shaping.ts";
import type { Policy } from "./policy.ts";
import { EpisodeEnd } from "./returns.ts";

/**
 * What a rollout needs of a vector env (contract B's `VectorEnv` satisfies it structurally).
 * Arrays are rewritten in place by `reset`/`step`: observations [N, obsDim], the rest [N].
 */
export interface RolloutEnv {
  readonly numEnvs: number;
  readonly obsDim: number;
  readonly actDim: number;
  readonly observations: Float64Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly autoreset: Uint8Array;
  /** [N, maskSize] valid actions of the current observations, or null/absent: no masks. */
  readonly actionMasks?: Uint8Array | null;
  reset(seed?: number): void;
  step(actions: Float64Array): void;
}

/** A {@link RolloutEnv} whose `reset`/`step` resolve when the sub-envs have answered. */
export interface AsyncRolloutEnv extends Omit<RolloutEnv, "reset" | "step"> {
  readonly async: true;
  reset(seed?: number): Promise<void>;
  step(actions: Float64Array): Promise<void>;
}

/**
 * How a batch is collected.
 * - `episodes`: `episodes` complete episodes, all started fresh after a reset of every sub-env,
 *   sub-env j running a fixed share (floor(N / numEnvs), one more for the first N mod numEnvs).
 *   Fixing the shares in advance keeps the episodes i.i.d.: taking "the first N episodes to finish"
 *   would favour short ones and bias the estimate. Steps of a sub-env past its share are simulated
 *   (the vector env steps all) but not used.
 * - `steps`: `steps` vector steps; episodes continue across batches, and each lane's last step is
 *   a cut (bootstrapped by the trainer when it has a value function).
 */
export type RolloutMode =
  | { readonly kind: "episodes"; readonly episodes: number }
  | { readonly kind: "steps"; readonly steps: number };

/**
 * One batch. Every array is a view of the rollout's buffers, valid until the next `collect`.
 * Steps are packed lane by lane into segments (returns.ts); `ends[size - 1]` is never `none`.
 */
export interface Batch {
  /** Number of transitions T. */
  readonly size: number;
  /** [T, obsDim] s_t. */
  readonly obs: Float64Array;
  /** [T, actDim] raw actions a_t (the `outRaw` of `policy.act`, what `logProbAndEntropy` scores). */
  readonly actions: Float64Array;
  /**
   * [T, maskSize] the action masks a_t was sampled under (the env's `info.actionMask`), to be
   * passed to `logProbAndEntropy`; null when the env gives none.
   */
  readonly masks: Uint8Array | null;
  /** [T] r_t, the env's reward plus the shaping term when the rollout shapes. */
  readonly rewards: Float64Array;
  /** [T] {@link EpisodeEnd} codes. */
  readonly ends: Uint8Array;
  /** [K, obsDim] the state after each cut step (truncation or batch end), for bootstrapping. */
  readonly cutObs: Float64Array;
  /** [K] index in [0, T) of each cut step, in the order of `cutObs`. */
  readonly cutIndex: Int32Array;
  /** [E] undiscounted returns of the episodes that finished in this batch (the env's rewards, never shaped). */
  readonly episodeReturns: Float64Array;
  /** [E] their lengths in steps. */
  readonly episodeLengths: Float64Array;
  /** Episodes counted by the estimator's 1/N: `episodes` in episode mode, else E. */
  readonly numEpisodes: number;
  /** [N + 1] sub-env j's steps are [laneOffsets[j], laneOffsets[j + 1]), in the order it took them. */
  readonly laneOffsets: Int32Array;
}

/** The part of a rollout that carries over between batches (JSON-safe), for exact resume. */
export interface RolloutState {
  /** Return and length so far of each sub-env's running episode (steps mode). */
  readonly episodeReturn: number[];
  readonly episodeLength: number[];
  /** Whether the vector env has been reset once (steps mode resets only at the start). */
  readonly started: boolean;
}

export interface Rollout {
  readonly mode: RolloutMode;
  /**
   * Runs the policy (sampling with `rng`) until the batch is complete. The first call resets the
   * vector env with `resetSeed` (sub-env i gets deriveSeed(resetSeed, i)); episode mode resets (unseeded,
   * continuing the sub-envs' streams) before every later batch too. Throws when an observation or
   * reward is NaN or infinite, naming which and where.
   */
  collect(rng: Rng, resetSeed: number): Batch;
  /**
   * The same batch as `collect`, awaiting the env's `reset` and `step`: the path for an
   * {@link AsyncRolloutEnv} (for a sync env it gives what `collect` gives).
   */
  collectAsync(rng: Rng, resetSeed: number): Promise<Batch>;
  /** Vector steps times sub-envs simulated so far (used or not). */
  readonly simulatedSteps: number;
  getState(): RolloutState;
  setState(state: RolloutState): void;
}

/** A larger copy of `a` (contents kept), for the rare batch longer than any before. */
function grown<A extends Float64Array | Uint8Array | Int32Array>(a: A, n: number): A {
  if (a.length >= n) return a;
  const b = new (a.constructor as new (n: number) => A)(Math.max(n, 2 * a.length));
  b.set(a);
  return b;
}

/** Options of {@link createRollout}. */
export interface RolloutOptions {
  /** Adds potential-based shaping to the batch's rewards (not to its episode returns). */
  readonly shaping?: Shaping;
}

/** @param env the vector env; `policy` must take its observations ([N, obsDim]) */
export function createRollout(
  env: RolloutEnv | AsyncRolloutEnv,
  policy: Policy,
  mode: RolloutMode,
  options: RolloutOptions = {},
): Rollout {
  const N = env.numEnvs;
  const shaping = options.shaping ?? null;
  if (shaping !== null) checkShaping("createRollout", shaping);
  const obsDim = env.obsDim;
  const actDim = policy.actDim;
  if (policy.spec.obsDim !== obsDim) {
    throw new Error(
      `createRollout: policy obsDim ${policy.spec.obsDim} does not match the env's obsDim ${obsDim}`,
    );
  }
  if (env.actDim !== actDim) {
    throw new Error(
      `createRollout: policy actDim ${actDim} does not match the env's actDim ${env.actDim}`,
    );
  }
  const count = mode.kind === "episodes" ? mode.episodes : mode.steps;
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`createRollout: mode.${mode.kind} must be an integer >= 1, got ${count}`);
  }

  // Per-lane storage [N, capacity, ...]; episode mode grows capacity when a lane fills up.
  let capacity = mode.kind === "steps" ? mode.steps : 64;
  let obs = new Float64Array(N * capacity * obsDim);
  let acts = new Float64Array(N * capacity * actDim);
  // Action masks, allocated once the env turns out to give them (at its first reset).
  const maskSize = policy.maskSize;
  let masks: Uint8Array | null = null;
  let rewards = new Float64Array(N * capacity);
  let ends = new Uint8Array(N * capacity);
  const laneLength = new Int32Array(N);
  // Cuts: the next state and (lane, step) of each cut; episode stats of finished episodes.
  let cutObs = new Float64Array(N * obsDim);
  let cutLane = new Int32Array(N);
  let cutIndex = new Int32Array(N);
  let numCuts = 0;
  let epReturns = new Float64Array(N);
  let epLengths = new Float64Array(N);
  let numFinished = 0;
  // Per sub-env: running episode return/length, episodes finished this batch and its share.
  const runReturn = new Float64Array(N);
  const runLength = new Float64Array(N);
  const finished = new Int32Array(N);
  const share = new Int32Array(N);
  for (let j = 0; j < N && mode.kind === "episodes"; j++) {
    share[j] = Math.floor(mode.episodes / N) + (j < mode.episodes % N ? 1 : 0);
  }
  // Phi(s_t) of each sub-env, taken before the step rewrites the observations.
  const phi = new Float64Array(shaping === null ? 0 : N);
  const envActions = new Float64Array(N * actDim);
  const rawActions = new Float64Array(N * actDim);
  let started = false;
  let simulated = 0;

  function growLanes(): void {
    const old = capacity;
    capacity *= 2;
    const move = <A extends Float64Array | Uint8Array>(a: A, width: number): A => {
      const b = new (a.constructor as new (n: number) => A)(N * capacity * width);
      for (let j = 0; j < N; j++)
        b.set(a.subarray(j * old * width, (j + 1) * old * width), j * capacity * width);
      return b;
    };
    obs = move(obs, obsDim);
    acts = move(acts, actDim);
    rewards = move(rewards, 1);
    ends = move(ends, 1);
    if (masks !== null) masks = move(masks, maskSize);
  }

  function addCut(j: number, t: number, src: Float64Array, offset: number): void {
    cutObs = grown(cutObs, (numCuts + 1) * obsDim);
    cutLane = grown(cutLane, numCuts + 1);
    cutIndex = grown(cutIndex, numCuts + 1);
    for (let d = 0; d < obsDim; d++) cutObs[numCuts * obsDim + d] = src[offset + d];
    cutLane[numCuts] = j;
    cutIndex[numCuts] = t;
    numCuts++;
  }

  function addEpisode(ret: number, len: number): void {
    epReturns = grown(epReturns, numFinished + 1);
    epLengths = grown(epLengths, numFinished + 1);
    epReturns[numFinished] = ret;
    epLengths[numFinished] = len;
    numFinished++;
  }

  /** Checked after every reset and step, before the policy sees the observations. */
  function checkObservations(): void {
    const o = env.observations;
    for (let i = 0; i < N * obsDim; i++) {
      if (!Number.isFinite(o[i])) {
        const j = Math.floor(i / obsDim);
        throw new Error(
          `rollout: non-finite observation ${o[i]} from sub-env ${j} (element ${i - j * obsDim} of ${obsDim}, step ${runLength[j]} of its episode)`,
        );
      }
    }
  }

  function active(j: number): boolean {
    return mode.kind === "steps" || finished[j] < share[j];
  }

  // One batch is: the reset its mode asks for, then per vector step `beforeStep`, the env's
  // step, `afterStep`, and finally `finish`. collect and collectAsync differ only in awaiting
  // the env, so the bookkeeping is written once.

  /** The seed to reset with (undefined: continue the streams), or null for no reset. */
  function resetArg(resetSeed: number): number | undefined | null {
    if (!started) {
      started = true;
      return resetSeed;
    }
    return mode.kind === "episodes" ? undefined : null;
  }

  function startBatch(): void {
    if (mode.kind === "episodes") {
      runReturn.fill(0);
      runLength.fill(0);
    }
    const envMasks = env.actionMasks ?? null;
    if (envMasks !== null && masks === null) {
      if (envMasks.length !== N * maskSize) {
        throw new Error(
          `rollout: the env's action masks have ${envMasks.length} entries, ${N} sub-envs x the policy's maskSize ${maskSize} need ${N * maskSize}`,
        );
      }
      masks = new Uint8Array(N * capacity * maskSize);
    }
    laneLength.fill(0);
    finished.fill(0);
    numCuts = 0;
    numFinished = 0;
    checkObservations();
  }

  function more(vstep: number): boolean {
    return mode.kind === "steps" ? vstep < mode.steps : anyActive();
  }

  /** Acts for all sub-envs and remembers s_t and a_t of the lanes in use. */
  function beforeStep(rng: Rng): void {
    const o = env.observations;
    const envMasks = env.actionMasks ?? null;
    policy.act(o, N, rng, envActions, false, rawActions, envMasks);
    for (let j = 0; j < N; j++) {
      if (!active(j)) continue;
      if (shaping !== null) phi[j] = shaping.potential(o, j * obsDim);
      if (laneLength[j] === capacity) growLanes();
      const at = j * capacity + laneLength[j];
      for (let d = 0; d < obsDim; d++) obs[at * obsDim + d] = o[j * obsDim + d];
      for (let d = 0; d < actDim; d++) acts[at * actDim + d] = rawActions[j * actDim + d];
      if (masks !== null && envMasks !== null) {
        for (let d = 0; d < maskSize; d++) masks[at * maskSize + d] = envMasks[j * maskSize + d];
      }
    }
  }

  /** Records r_t and how step t ended (dropping autoreset steps, which are no transitions). */
  function afterStep(): void {
    const o = env.observations;
    simulated += N;
    for (let j = 0; j < N; j++) {
      if (!active(j) || env.autoreset[j] === 1) continue;
      const t = laneLength[j];
      const at = j * capacity + t;
      const r = env.rewards[j];
      if (!Number.isFinite(r)) {
        throw new Error(
          `rollout: non-finite reward ${r} from sub-env ${j} (step ${runLength[j]} of its episode)`,
        );
      }
      runReturn[j] += r;
      runLength[j]++;
      laneLength[j] = t + 1;
      const term = env.terminated[j] === 1;
      const trunc = env.truncated[j] === 1;
      rewards[at] =
        shaping === null
          ? r
          : r + shapingTerm(shaping, phi[j], term ? 0 : shaping.potential(o, j * obsDim), term);
      if (term) ends[at] = EpisodeEnd.terminal;
      else if (trunc) {
        ends[at] = EpisodeEnd.cut;
        addCut(j, t, o, j * obsDim);
      } else ends[at] = EpisodeEnd.none;
      if (term || trunc) {
        addEpisode(runReturn[j], runLength[j]);
        runReturn[j] = 0;
        runLength[j] = 0;
        finished[j]++;
      }
    }
    checkObservations();
  }

  /** Steps mode: a lane whose episode runs on is cut at the batch end (next state: the current observation). */
  function finish(): Batch {
    if (mode.kind === "steps") {
      const o = env.observations;
      for (let j = 0; j < N; j++) {
        const t = laneLength[j] - 1;
        if (t >= 0 && ends[j * capacity + t] === EpisodeEnd.none) {
          ends[j * capacity + t] = EpisodeEnd.cut;
          addCut(j, t, o, j * obsDim);
        }
      }
    }
    return pack();
  }

  const isAsync = (env as Partial<AsyncRolloutEnv>).async === true;

  function collect(rng: Rng, resetSeed: number): Batch {
    if (isAsync) {
      throw new Error(
        "rollout.collect: this env answers asynchronously (async: true); use await collectAsync()",
      );
    }
    const e = env as RolloutEnv;
    const seed = resetArg(resetSeed);
    if (seed !== null) e.reset(seed);
    startBatch();
    for (let vstep = 0; more(vstep); vstep++) {
      beforeStep(rng);
      e.step(envActions);
      afterStep();
    }
    return finish();
  }

  async function collectAsync(rng: Rng, resetSeed: number): Promise<Batch> {
    const seed = resetArg(resetSeed);
    if (seed !== null) await env.reset(seed);
    startBatch();
    for (let vstep = 0; more(vstep); vstep++) {
      beforeStep(rng);
      await env.step(envActions);
      afterStep();
    }
    return finish();
  }

  function anyActive(): boolean {
    for (let j = 0; j < N; j++) if (finished[j] < share[j]) return true;
    return false;
  }

  /** Moves the lanes back to back (a forward copyWithin never overwrites a lane not yet moved). */
  function pack(): Batch {
    const offset = new Int32Array(N + 1); // small, once per batch
    let size = 0;
    for (let j = 0; j < N; j++) {
      offset[j] = size;
      const from = j * capacity;
      const len = laneLength[j];
      if (from !== size) {
        obs.copyWithin(size * obsDim, from * obsDim, (from + len) * obsDim);
        acts.copyWithin(size * actDim, from * actDim, (from + len) * actDim);
        rewards.copyWithin(size, from, from + len);
        ends.copyWithin(size, from, from + len);
        masks?.copyWithin(size * maskSize, from * maskSize, (from + len) * maskSize);
      }
      size += len;
    }
    offset[N] = size;
    for (let k = 0; k < numCuts; k++) cutIndex[k] += offset[cutLane[k]];
    return {
      size,
      obs: obs.subarray(0, size * obsDim),
      actions: acts.subarray(0, size * actDim),
      masks: masks === null ? null : masks.subarray(0, size * maskSize),
      rewards: rewards.subarray(0, size),
      ends: ends.subarray(0, size),
      cutObs: cutObs.subarray(0, numCuts * obsDim),
      cutIndex: cutIndex.subarray(0, numCuts),
      episodeReturns: epReturns.subarray(0, numFinished),
      episodeLengths: epLengths.subarray(0, numFinished),
      numEpisodes: mode.kind === "episodes" ? mode.episodes : numFinished,
      laneOffsets: offset,
    };
  }

  return {
    mode,
    collect,
    collectAsync,
    get simulatedSteps() {
      return simulated;
    },
    getState: () => ({
      episodeReturn: Array.from(runReturn),
      episodeLength: Array.from(runLength),
      started,
    }),
    setState(state) {
      const ok =
        state !== null &&
        typeof state === "object" &&
        Array.isArray(state.episodeReturn) &&
        state.episodeReturn.length === N &&
        Array.isArray(state.episodeLength) &&
        state.episodeLength.length === N &&
        typeof state.started === "boolean";
      if (!ok) {
        throw new Error(
          `rollout.setState: expected { episodeReturn: number[${N}], episodeLength: number[${N}], started: boolean }, got ${JSON.stringify(state)}`,
        );
      }
      runReturn.set(state.episodeReturn);
      runLength.set(state.episodeLength);
      started = state.started;
    },
  };
}
