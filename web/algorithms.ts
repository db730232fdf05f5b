/**
 * The algorithms the page offers: each one's config schema (the same one the CLI's flags come
 * from, so the controls show the same ranges and docs) and how to start it one update at a time.
 * Only the package's public API is used.
 */
import {
  type AsyncEnv,
  type ConfigSchema,
  type Env,
  type Policy,
  type ReinforceConfig,
  reinforceSchema,
  startReinforce,
} from "policygrad";

/** What the worker drives: one update per call, the policy, and a checkpoint's parts. */
export interface PageRun {
  readonly policy: Policy;
  readonly done: boolean;
  readonly totalSteps: number;
  updateAsync(): Promise<{
    update: number;
    envSteps: number;
    episodes: number;
    wallTimeS: number;
    stepsPerSecond: number;
    returnMean: number | null;
    returnMean100: number | null;
  }>;
  checkpoint(): {
    params: Policy["params"];
    valueParams?: Policy["params"];
    state: unknown;
  };
  close(): void;
}

export interface PageAlgorithm {
  readonly label: string;
  readonly schema: ConfigSchema;
  /** The fields shown as controls, in order (the others keep their defaults). */
  readonly main: readonly string[];
  start(env: string | (() => Env | AsyncEnv), config: Readonly<Record<string, unknown>>): PageRun;
}

export const ALGORITHMS: Readonly<Record<string, PageAlgorithm>> = {
  reinforce: {
    label: "REINFORCE",
    schema: reinforceSchema,
    main: [
      "lr",
      "gamma",
      "batchEpisodes",
      "numEnvs",
      "hiddenSizes",
      "baseline",
      "normalizeAdvantages",
      "entropyCoef",
      "totalSteps",
    ],
    start(env, config) {
      const run = startReinforce(env, config as Partial<ReinforceConfig>, {
        onWarning: () => {},
      });
      return {
        get policy() {
          return run.policy;
        },
        get done() {
          return run.done;
        },
        totalSteps: run.config.totalSteps,
        updateAsync: () => run.updateAsync(),
        checkpoint: () => run.checkpoint(),
        close: () => run.close(),
      };
    },
  },
};
