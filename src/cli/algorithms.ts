/**
 * The table of training algorithms behind `--algo`. Each entry adapts one trainer to the CLI's
 * {@link Algorithm} interface; analytic policy gradients join as one more entry (`apg`), with its
 * own schema, trainer and evaluation, and nothing else in the CLI changes.
 */
import { evaluate } from "../algos/evaluate.ts";
import { reinforceMemoryNeeds } from "../algos/memory.ts";
import { type ReinforceCheckpoint, reinforce, reinforcePolicy } from "../algos/reinforce.ts";
import {
  type ReinforceConfig,
  reinforceSchema,
  resolveReinforceConfig,
  VANILLA,
} from "../algos/reinforce-config.ts";
import { make } from "../envs/registry.ts";
import type { Algorithm } from "./algorithm.ts";
import { UsageError } from "./flags.ts";

const reinforceAlgorithm: Algorithm = {
  name: "reinforce",
  summary: "REINFORCE, the Monte-Carlo policy gradient (Williams 1992), with optional baselines",
  configName: "ReinforceConfig",
  schema: reinforceSchema,
  presets: {
    vanilla: {
      description:
        "the textbook estimator: N fresh episodes, full returns R(tau), no baseline, no normalization",
      config: VANILLA,
    },
  },
  resolveConfig: (overrides) =>
    resolveReinforceConfig(overrides as Partial<ReinforceConfig>) as unknown as Record<
      string,
      unknown
    >,
  train(envId, config, session) {
    const result = reinforce(envId, config as unknown as ReinforceConfig, {
      onMetrics: (m) => session.onMetrics(m as unknown as Record<string, unknown>),
      ...(session.onWarning ? { onWarning: session.onWarning } : {}),
      onCheckpoint: (c) => session.onCheckpoint(c),
      checkpointEvery: session.checkpointEvery,
      signal: session.signal,
      ...(session.resume ? { resume: session.resume as ReinforceCheckpoint } : {}),
    });
    return { checkpoint: result.checkpoint, stoppedEarly: result.stoppedEarly };
  },
  memoryNeeds: (config, env) => reinforceMemoryNeeds(config as unknown as ReinforceConfig, env),
  counters(c) {
    const s = (c as ReinforceCheckpoint).state;
    return { update: s.update, envSteps: s.envSteps };
  },
  evaluate(envId, c, options) {
    const env = make(envId);
    try {
      return evaluate(reinforcePolicy(c as ReinforceCheckpoint, env), env, options);
    } finally {
      env.close();
    }
  },
};

/** Every algorithm by its `--algo` name. */
export const ALGORITHMS: Readonly<Record<string, Algorithm>> = {
  reinforce: reinforceAlgorithm,
};

for (const a of Object.values(ALGORITHMS)) {
  // The CLI reads these two fields of every config (run names, progress, resume).
  for (const f of ["seed", "totalSteps"]) {
    if (a.schema[f]?.kind !== "int")
      throw new Error(`algorithm ${a.name}: schema needs an int field "${f}"`);
  }
}

/** The algorithm named `name`; unknown names are a usage error listing the known ones. */
export function getAlgorithm(name: string): Algorithm {
  const a = ALGORITHMS[name];
  if (!a) {
    throw new UsageError(
      `unknown algorithm "${name}"; known algorithms: ${Object.keys(ALGORITHMS).join(", ")}`,
    );
  }
  return a;
}
