/**
 * Lower bounds on the memory a REINFORCE run needs, from its config and the env's sizes, so a
 * config that cannot fit is refused before any work (issue #16 item 3) instead of an out-of-memory
 * abort minutes later. Each figure is a lower bound (an episode lasts at least one step; every
 * float64 of the batch, the network and its tape counted once or a few times), so no run that fits
 * is refused.
 */
import type { ReinforceConfig } from "./reinforce-config.ts";

/** One part of a run's memory, and the config field that sizes it. */
export interface MemoryNeed {
  /** The config field to change to shrink it (the CLI names its flag). */
  readonly field: string;
  /** What it is, e.g. "a batch of at least 1e9 steps". */
  readonly what: string;
  readonly bytes: number;
}

/** The env's sizes the estimate needs. */
export interface EnvSizes {
  readonly obsDim: number;
  readonly actDim: number;
}

const F64 = 8;

/** float64s of an MLP's parameters: sum over layers of (in + 1) * out. */
function mlpSize(sizes: readonly number[]): number {
  let n = 0;
  for (let i = 1; i < sizes.length; i++) n += (sizes[i - 1] + 1) * sizes[i];
  return n;
}

/**
 * Lower bounds on the memory of a REINFORCE run: the networks (parameters, gradients, Adam's two
 * moments and the checkpoint's copy: 5 float64 each), the batch (per step: observation, action,
 * reward and the advantage buffers, plus the tape's activations and their gradients in every hidden
 * layer), and the sub-envs (observations and states).
 */
export function reinforceMemoryNeeds(cfg: ReinforceConfig, env: EnvSizes): MemoryNeed[] {
  const { obsDim, actDim } = env;
  const value = cfg.baseline === "value";
  const policyParams = mlpSize([obsDim, ...cfg.hiddenSizes, 2 * actDim]);
  const valueParams = value ? mlpSize([obsDim, ...cfg.valueHiddenSizes, 1]) : 0;
  const hidden = cfg.hiddenSizes.reduce((a, b) => a + b, 0);
  const valueHidden = value ? cfg.valueHiddenSizes.reduce((a, b) => a + b, 0) : 0;
  const perStep = obsDim + actDim + 6 + 4 * hidden + 2 * valueHidden;
  const steps = cfg.batchMode === "episodes" ? cfg.batchEpisodes : cfg.rolloutSteps * cfg.numEnvs;
  const batchField = cfg.batchMode === "episodes" ? "batchEpisodes" : "rolloutSteps";
  return [
    {
      field: "hiddenSizes",
      what: `a policy of ${policyParams.toExponential(2)} parameters`,
      bytes: 5 * F64 * policyParams,
    },
    ...(value
      ? [
          {
            field: "valueHiddenSizes",
            what: `a value network of ${valueParams.toExponential(2)} parameters`,
            bytes: 5 * F64 * valueParams,
          },
        ]
      : []),
    {
      field: batchField,
      what: `a batch of at least ${steps.toExponential(2)} steps`,
      bytes: F64 * perStep * steps,
    },
    {
      field: "numEnvs",
      what: `${cfg.numEnvs} sub-envs`,
      bytes: F64 * (2 * obsDim + actDim + 8) * cfg.numEnvs,
    },
  ];
}
