/**
 * The messages between the page (main.ts) and the training worker (worker.ts). Typed unions both
 * ways, so each side switches on `type` and the compiler checks every field.
 */

/** Env ids the page offers besides the registry's: the async example. */
export const ASYNC_EXAMPLE_ID = "CartPole-v1 (async, env on the page)";

/** A learning-curve point per update; `evalReturn` on the updates followed by an evaluation. */
export interface CurvePoint {
  readonly update: number;
  readonly envSteps: number;
  readonly returnMean: number | null;
  readonly returnMean100: number | null;
}

export interface EvalPoint {
  readonly envSteps: number;
  readonly returnMean: number;
}

export interface EvalSummary {
  readonly returnMean: number;
  readonly returns: readonly number[];
  readonly episodes: number;
  readonly seed: number;
  readonly deterministic: boolean;
}

/** What the canvas draws: the display env's observation and the policy's action distribution there. */
export interface Frame {
  readonly envId: string;
  readonly observation: readonly number[];
  /** Discrete: the probability of each action. Box: a histogram of sampled actions per dimension. */
  readonly distribution:
    | { readonly kind: "discrete"; readonly probs: readonly number[]; readonly start: number }
    | {
        readonly kind: "continuous";
        readonly low: number;
        readonly high: number;
        readonly bins: readonly number[];
        readonly mode: number;
      };
  readonly action: number;
  readonly step: number;
  readonly episodeReturn: number;
  /** Frames shown so far (the test reads it to see the picture change). */
  readonly frame: number;
}

export type ToWorker =
  | {
      readonly type: "start";
      readonly algo: string;
      readonly envId: string;
      readonly config: Readonly<Record<string, unknown>>;
      /** Milliseconds of sleep between updates (0: as fast as possible). */
      readonly delayMs: number;
    }
  | { readonly type: "display"; readonly on: boolean }
  | { readonly type: "pause" }
  | { readonly type: "resume" }
  | { readonly type: "stop" }
  | { readonly type: "reset" }
  | { readonly type: "speed"; readonly delayMs: number }
  | { readonly type: "evaluate"; readonly episodes: number; readonly seed: number }
  | { readonly type: "download" }
  | { readonly type: "open"; readonly name: string; readonly bytes: Uint8Array }
  /** The main thread's answer to an async env call (see {@link FromWorker} "env"). */
  | {
      readonly type: "env-answer";
      readonly call: number;
      readonly observation: number[];
      readonly reward: number;
      readonly terminated: boolean;
      readonly truncated: boolean;
    };

export type Status = "idle" | "running" | "paused" | "stopped" | "done" | "watching";

export type FromWorker =
  | { readonly type: "ready"; readonly kernels: "wasm-simd" | "js" }
  | { readonly type: "status"; readonly status: Status; readonly message?: string }
  | {
      readonly type: "metrics";
      readonly point: CurvePoint;
      readonly episodes: number;
      readonly stepsPerSecond: number;
      readonly wallTimeS: number;
      readonly kernels: "wasm-simd" | "js";
    }
  | { readonly type: "eval-point"; readonly point: EvalPoint }
  | { readonly type: "frame"; readonly frame: Frame }
  | { readonly type: "evaluated"; readonly result: EvalSummary }
  | { readonly type: "file"; readonly name: string; readonly bytes: Uint8Array }
  | {
      readonly type: "opened";
      readonly name: string;
      readonly envId: string;
      readonly algo: string;
      readonly update: number;
      readonly envSteps: number;
      readonly curve: readonly CurvePoint[];
    }
  | { readonly type: "error"; readonly message: string }
  | { readonly type: "warning"; readonly message: string }
  /** The worker asks the main thread to reset or step sub-env `env` of the async example. */
  | {
      readonly type: "env";
      readonly call: number;
      readonly env: number;
      readonly op: "reset" | "step";
      readonly seed?: number;
      readonly action?: number;
    };
