// The cross-runtime workload (issue #17): short seeded training runs (REINFORCE on three envs, PPO
// with observation and reward normalization, APG) whose every metric, final parameter and
// checkpointed statistic is hashed. It imports only the package root, so the same bundle runs in
// Node, in a browser page and in a browser worker; test/cross-runtime.test.ts runs it in each
// runtime and compares the hashes.
import {
  type AnyAlgorithm,
  activeKernels,
  apgAlgorithm,
  createTrainer,
  type EvalMetrics,
  evaluate,
  type Params,
  type Policy,
  PPO_ENV_CONFIGS,
  ppoAlgorithm,
  reinforceAlgorithm,
  runTrainer,
  type TrainerCheckpoint,
} from "../../src/index.ts";

/** FNV-1a over the 32-bit halves of each double: any bit that differs changes the hash. */
class BitHash {
  private readonly f64 = new Float64Array(1);
  private readonly u32 = new Uint32Array(this.f64.buffer);
  private h1 = 0x811c9dc5;
  private h2 = 0x01000193;
  add(x: number | null): void {
    this.f64[0] = x ?? Number.NaN;
    for (const word of this.u32) {
      this.h1 = Math.imul(this.h1 ^ word, 0x01000193) >>> 0;
      this.h2 = Math.imul(this.h2 ^ word ^ (this.h1 >>> 7), 0x5bd1e995) >>> 0;
    }
    if (x === null) this.add(-1); // null and NaN hash differently
  }
  /** Every number, boolean and null in a JSON-like value, objects in sorted key order. */
  addValue(v: unknown): void {
    if (typeof v === "number" || v === null) this.add(v);
    else if (typeof v === "boolean") this.add(v ? 1 : 0);
    else if (typeof v === "string") for (let i = 0; i < v.length; i++) this.add(v.charCodeAt(i));
    else if (ArrayBuffer.isView(v)) for (const x of v as Float64Array) this.add(x);
    else if (Array.isArray(v)) for (const x of v) this.addValue(x);
    else if (typeof v === "object") {
      for (const key of Object.keys(v).sort()) {
        if (CLOCK.has(key)) continue;
        this.add(key.length);
        this.addValue((v as Record<string, unknown>)[key]);
      }
    }
  }
  hex(): string {
    return this.h1.toString(16).padStart(8, "0") + this.h2.toString(16).padStart(8, "0");
  }
}

/** The wall clock and what is derived from it: the only fields that may differ between runs. */
const CLOCK = new Set(["wallTimeS", "stepsPerSecond"]);

/** One training run of the workload: an algorithm of the trainer layer, an env and a config. */
interface RunSpec {
  readonly algorithm: AnyAlgorithm;
  readonly envId: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/**
 * Each digest is split by what it covers, so a mismatch says where the bits parted: the metrics
 * rows (updates and evaluations), the final parameters (policy and value), the rest of the final
 * checkpoint (optimizer moments, RNG states, normalizer statistics, recent returns) and an
 * evaluation with sampled actions after training.
 */
export interface RunDigest {
  metrics: string;
  params: string;
  state: string;
  evaluation: string;
  updates: number;
  lastReturnMean: number | null;
  evalReturnMean: number;
  /** Samples behind the observation and reward normalizers' statistics (null: none). */
  obsNormCount: number | null;
  rewardNormCount: number | null;
}

const RUNS: Readonly<Record<string, RunSpec>> = {
  "CartPole-v1": {
    algorithm: reinforceAlgorithm,
    envId: "CartPole-v1",
    config: { seed: 3, totalSteps: 20_000 },
  },
  "Pendulum-v1 (Gaussian, value baseline, tanh squash)": {
    algorithm: reinforceAlgorithm,
    envId: "Pendulum-v1",
    config: { seed: 3, totalSteps: 8_000, baseline: "value", squash: "tanh", lrSchedule: "linear" },
  },
  "Acrobot-v1": {
    algorithm: reinforceAlgorithm,
    envId: "Acrobot-v1",
    config: { seed: 3, totalSteps: 16_000 },
  },
  // PPO's Pendulum preset normalizes observations and rewards, so their running statistics (and
  // the policy that acts behind the observation normalizer) are in the digest too. An evaluation
  // every 2,048 steps puts evaluation rows and a best checkpoint in it.
  "Pendulum-v1 (PPO, normalized observations and rewards)": {
    algorithm: ppoAlgorithm,
    envId: "Pendulum-v1",
    config: {
      ...PPO_ENV_CONFIGS["Pendulum-v1"],
      seed: 3,
      totalSteps: 4_096,
      evalEvery: 2_048,
      evalEpisodes: 2,
    },
  },
  // APG's defaults (tuned on Pendulum-v1): the backward through 32-step windows of the physics.
  "Pendulum-v1 (APG)": {
    algorithm: apgAlgorithm,
    envId: "Pendulum-v1",
    config: { seed: 3, totalSteps: 4_096, evalEvery: 2_048, evalEpisodes: 2 },
  },
};

/** The runs the browser playground offers besides REINFORCE, for the worker's stepAsync path. */
const ASYNC_RUNS = ["Pendulum-v1 (PPO, normalized observations and rewards)", "Pendulum-v1 (APG)"];

/** Collects a run's metric stream and hashes it with its end state. */
class Digester {
  private readonly metrics = new BitHash();
  updates = 0;
  lastReturnMean: number | null = null;

  onMetrics = (m: { returnMean: number | null }): void => {
    this.updates++;
    this.lastReturnMean = m.returnMean;
    this.metrics.addValue(m);
  };

  onEval = (e: EvalMetrics): void => this.metrics.addValue(e);

  finish(
    spec: RunSpec,
    policy: Policy,
    checkpoint: TrainerCheckpoint<unknown, unknown>,
  ): RunDigest {
    const params = new BitHash();
    const addParams = (p: Params) => {
      for (const name of Object.keys(p).sort()) params.addValue(p[name].data);
    };
    addParams(checkpoint.params);
    if (checkpoint.valueParams) addParams(checkpoint.valueParams);
    const state = new BitHash();
    state.addValue(checkpoint.state);
    // Sampled actions: the distributions' samplers and the RNG transforms too.
    const score = evaluate(policy, spec.envId, { episodes: 3, seed: 11, deterministic: false });
    const evaluation = new BitHash();
    evaluation.addValue(score.returns);
    const learner = checkpoint.state.algorithm as {
      obsNorm?: { count: number } | null;
      rewardStats?: { count: number } | null;
    };
    return {
      metrics: this.metrics.hex(),
      params: params.hex(),
      state: state.hex(),
      evaluation: evaluation.hex(),
      updates: this.updates,
      lastReturnMean: this.lastReturnMean,
      evalReturnMean: score.returnMean,
      obsNormCount: learner.obsNorm?.count ?? null,
      rewardNormCount: learner.rewardStats?.count ?? null,
    };
  }
}

/** A run as `reinforce()`, `ppo()` and `apg()` do it (they are runTrainer with the algorithm). */
function runSync(spec: RunSpec): RunDigest {
  const d = new Digester();
  const { policy, checkpoint } = runTrainer(spec.algorithm, spec.envId, spec.config, {
    onMetrics: d.onMetrics,
    onEval: d.onEval,
  });
  return d.finish(spec, policy, checkpoint);
}

/**
 * A run as the playground's worker (web/worker.ts) does it: a trainer driven one update at a time
 * through stepAsync, its metrics and evaluations read from each step's result.
 */
async function runAsync(spec: RunSpec): Promise<RunDigest> {
  const d = new Digester();
  const trainer = createTrainer(spec.algorithm, spec.envId, spec.config);
  try {
    while (trainer.finished === null) {
      const { metrics, evaluations } = await trainer.stepAsync();
      d.onMetrics(metrics);
      for (const e of evaluations) d.onEval(e);
    }
    return d.finish(spec, trainer.policy, trainer.checkpoint());
  } finally {
    trainer.close();
  }
}

export interface Workload {
  /** The dense layers' kernels in this runtime (both give the same bits; reported, not compared). */
  kernels: string;
  runs: Record<string, RunDigest>;
}

/** One digest per run; equal digests in two runtimes mean bit-identical runs. */
export function runWorkload(): Workload {
  const runs: Record<string, RunDigest> = {};
  for (const [id, spec] of Object.entries(RUNS)) runs[id] = runSync(spec);
  return { kernels: activeKernels(), runs };
}

/** The PPO and APG runs through the playground's path; their digests equal runWorkload()'s. */
export async function runWorkloadAsync(): Promise<Workload> {
  const runs: Record<string, RunDigest> = {};
  for (const id of ASYNC_RUNS) runs[id] = await runAsync(RUNS[id]);
  return { kernels: activeKernels(), runs };
}
