/**
 * What the CLI needs from a training algorithm. Each algorithm (REINFORCE now, analytic policy
 * gradients next) is one {@link Algorithm} entry in the table of src/cli/algorithms.ts: its config
 * schema (the `train` flags are derived from it), its trainer, and how to evaluate a checkpoint.
 * Adding an algorithm means adding one entry; nothing else in the CLI changes.
 */
import type { EnvSizes, MemoryNeed } from "../algos/memory.ts";
import type { ConfigSchema } from "../config/schema.ts";
import type { Checkpoint } from "../io/checkpoint.ts";

/** How the CLI drives one training session. */
export interface TrainSession {
  /** Called after every update with that update's flat metrics (JSON-safe numbers). */
  readonly onMetrics: (metrics: Readonly<Record<string, unknown>>) => void;
  /** Called every `checkpointEvery` updates with a complete checkpoint. */
  readonly onCheckpoint: (checkpoint: Checkpoint) => void;
  readonly checkpointEvery: number;
  /** Aborted when the user asks to stop: the trainer stops cleanly at the next update boundary. */
  readonly signal: AbortSignal;
  /** Where the trainer's warnings go (e.g. "no learning signal"). */
  readonly onWarning?: (message: string) => void;
  /** Continue exactly where this checkpoint was taken. */
  readonly resume?: Checkpoint;
}

export interface TrainOutcome {
  /** The state at the end (or at the stop): saved as the run's latest checkpoint. */
  readonly checkpoint: Checkpoint;
  /** True when the signal stopped training before `totalSteps`. */
  readonly stoppedEarly: boolean;
}

export interface EvalOptions {
  readonly episodes: number;
  readonly seed: number;
  /** Act with the distribution's mode instead of sampling. */
  readonly deterministic: boolean;
}

export interface EvalSummary {
  readonly returnMean: number;
  readonly returnStd: number;
  readonly lengthMean: number;
  readonly episodes: number;
  readonly returns: readonly number[];
  readonly lengths: readonly number[];
}

export interface Algorithm {
  /** The `--algo` value. */
  readonly name: string;
  /** One line for `policygrad train --help`. */
  readonly summary: string;
  /** The config's name in messages, e.g. `"ReinforceConfig"`. */
  readonly configName: string;
  /** Must contain int fields `seed` and `totalSteps` (the CLI names runs and shows progress with them). */
  readonly schema: ConfigSchema;
  /**
   * Named partial configs for `--preset <name>`, each with a one-line description; flags given
   * on the command line override the preset's fields.
   */
  readonly presets: Readonly<
    Record<
      string,
      { readonly description: string; readonly config: Readonly<Record<string, unknown>> }
    >
  >;
  /** Defaults overlaid with `overrides`, every field and cross-field rule checked (throws otherwise). */
  resolveConfig(overrides: Readonly<Record<string, unknown>>): Record<string, unknown>;
  /** Trains synchronously (the CLI runs it in a worker thread so Ctrl-C stays responsive). */
  train(
    envId: string,
    config: Readonly<Record<string, unknown>>,
    session: TrainSession,
  ): TrainOutcome;
  /** Completed updates and env steps recorded in a checkpoint (for its manifest). */
  counters(checkpoint: Checkpoint): { update: number; envSteps: number };
  /** Lower bounds on a run's memory, checked before it starts (src/cli/bounds.ts). */
  memoryNeeds?(config: Readonly<Record<string, unknown>>, env: EnvSizes): MemoryNeed[];
  /** Runs the checkpoint's policy for whole episodes on a fresh env. */
  evaluate(envId: string, checkpoint: Checkpoint, options: EvalOptions): EvalSummary;
}
