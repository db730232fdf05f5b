// The cross-runtime workload (issue #17): short seeded training runs whose every metric and final
// parameter is hashed. It imports only the package root, so the same bundle runs in Node and in a
// browser; test/cross-runtime.test.ts runs it in each runtime and compares the hashes.
import { evaluate, type Params, reinforce, type UpdateMetrics } from "../../src/index.ts";

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
  hex(): string {
    return this.h1.toString(16).padStart(8, "0") + this.h2.toString(16).padStart(8, "0");
  }
}

// Everything an update reports except the wall clock and what is derived from it.
const METRICS = [
  "update",
  "envSteps",
  "episodes",
  "batchSteps",
  "batchEpisodes",
  "returnMean",
  "returnStd",
  "lengthMean",
  "returnMean100",
  "loss",
  "gradNorm",
  "entropy",
  "lr",
  "valueMse",
] as const;

export interface RunDigest {
  hash: string;
  updates: number;
  lastReturnMean: number | null;
  evalReturnMean: number;
}

function run(envId: string, config: Record<string, unknown>): RunDigest {
  const hash = new BitHash();
  let updates = 0;
  let lastReturnMean: number | null = null;
  const onMetrics = (m: UpdateMetrics) => {
    updates++;
    lastReturnMean = m.returnMean;
    for (const key of METRICS)
      hash.add((m as unknown as Record<string, number | null>)[key] ?? null);
  };
  const { policy, checkpoint } = reinforce(envId, { seed: 3, ...config }, { onMetrics });
  const addParams = (params: Params) => {
    for (const name of Object.keys(params).sort()) for (const v of params[name].data) hash.add(v);
  };
  addParams(checkpoint.params);
  if (checkpoint.valueParams) addParams(checkpoint.valueParams);
  // Sampled actions: the distributions' samplers and the RNG transforms too.
  const score = evaluate(policy, envId, { episodes: 3, seed: 11, deterministic: false });
  hash.add(score.returnMean);
  return { hash: hash.hex(), updates, lastReturnMean, evalReturnMean: score.returnMean };
}

/** One digest per run; equal digests in two runtimes mean bit-identical runs. */
export function runWorkload(): Record<string, RunDigest> {
  return {
    "CartPole-v1": run("CartPole-v1", { totalSteps: 20_000 }),
    "Pendulum-v1 (Gaussian, value baseline, tanh squash)": run("Pendulum-v1", {
      totalSteps: 8_000,
      baseline: "value",
      squash: "tanh",
      lrSchedule: "linear",
    }),
    "Acrobot-v1": run("Acrobot-v1", { totalSteps: 16_000 }),
  };
}
