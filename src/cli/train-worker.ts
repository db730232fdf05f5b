/**
 * The training loop's thread. Trainers are synchronous, so in the main thread a Ctrl-C could not be
 * handled until training ended; here the main thread stays free to receive SIGINT and draw progress,
 * and tells this thread to stop through a shared flag that is read after every update.
 *
 * This thread writes metrics.jsonl and the checkpoints itself, in step with the updates, so a
 * checkpoint is never ahead of the metrics it follows.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";
import {
  checkTrainerState,
  type EvalMetrics,
  type RunMetrics,
  runTrainer,
} from "../algos/trainer.ts";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "../io/checkpoint.ts";
import { MetricsWriter } from "../io/metrics.ts";
import { getAlgorithm } from "./algorithms.ts";
import { BEST_CHECKPOINTS, RUN_FILES } from "./run-dir.ts";

/** What the main thread passes in. */
export interface WorkerInput {
  readonly algo: string;
  readonly envId: string;
  readonly config: Record<string, unknown>;
  /** Absolute paths of modules registering custom environments, imported before training. */
  readonly envModules: readonly string[];
  readonly runDir: string;
  readonly checkpointEvery: number;
  /** Checkpoint to resume from, or null for a fresh run. */
  readonly resumeFrom: string | null;
  /** Int32Array view; element 0 becomes 1 when the user asks to stop. */
  readonly stopFlag: SharedArrayBuffer;
}

/** Where a checkpoint was saved. */
export interface SavedCheckpoint {
  readonly path: string;
  readonly update: number;
  readonly envSteps: number;
}

/** Messages back to the main thread. */
export type WorkerMessage =
  | { readonly type: "metrics"; readonly row: RunMetrics }
  | { readonly type: "eval"; readonly row: EvalMetrics }
  | { readonly type: "warning"; readonly message: string }
  | ({ readonly type: "checkpoint" } & SavedCheckpoint)
  | ({ readonly type: "best"; readonly returnMean: number } & SavedCheckpoint)
  | ({
      readonly type: "done";
      readonly stopReason: "budget" | "return" | "interrupted";
      /** The return the run stops at (null: stopping off, or no threshold). */
      readonly stopAtReturn: number | null;
      /** The evaluation that decided the stop, or null. */
      readonly lastEval: EvalMetrics | null;
    } & SavedCheckpoint)
  | {
      readonly type: "error";
      readonly message: string;
      readonly stack?: string;
      readonly lastCheckpoint: string | null;
    };

function post(m: WorkerMessage): void {
  parentPort!.postMessage(m);
}

async function main(input: WorkerInput): Promise<void> {
  const algo = getAlgorithm(input.algo);
  const stop = new Int32Array(input.stopFlag);
  const controller = new AbortController();
  const metrics = new MetricsWriter(join(input.runDir, RUN_FILES.metrics));
  const ckptDir = join(input.runDir, RUN_FILES.checkpoints);
  let lastPath: string | null = null;
  let lastUpdate = -1;
  const info = (c: Checkpoint) => {
    const s = checkTrainerState(c.state);
    return { algo: algo.name, envId: input.envId, update: s.update, envSteps: s.envSteps };
  };
  const save = (c: Checkpoint): SavedCheckpoint => {
    const i = info(c);
    if (i.update !== lastUpdate || lastPath === null) {
      metrics.sync();
      lastPath = saveCheckpoint(ckptDir, c, i);
      lastUpdate = i.update;
    }
    return { path: lastPath, update: i.update, envSteps: i.envSteps };
  };
  try {
    // This thread has its own module registry: custom envs are registered here again.
    for (const m of input.envModules) await import(pathToFileURL(m).href);
    const resume = input.resumeFrom === null ? undefined : loadCheckpoint(input.resumeFrom);
    if (resume) {
      lastPath = resume.path;
      lastUpdate = resume.info.update;
    }
    if (Atomics.load(stop, 0) === 1) controller.abort();
    const outcome = runTrainer(algo, input.envId, input.config, {
      onMetrics: (row) => {
        metrics.append(row);
        post({ type: "metrics", row: { ...row } });
        if (Atomics.load(stop, 0) === 1) controller.abort();
      },
      onEval: (row) => {
        metrics.append(row);
        post({ type: "eval", row });
      },
      onBest: (c, e) => {
        metrics.sync();
        const i = info(c);
        const path = saveCheckpoint(join(ckptDir, BEST_CHECKPOINTS), c, i, { keep: 1 });
        post({
          type: "best",
          path,
          update: i.update,
          envSteps: i.envSteps,
          returnMean: e.evalReturnMean,
        });
      },
      onCheckpoint: (c) => post({ type: "checkpoint", ...save(c) }),
      onWarning: (message) => post({ type: "warning", message }),
      checkpointEvery: input.checkpointEvery,
      signal: controller.signal,
      ...(resume ? { resume } : {}),
    });
    const saved = save(outcome.checkpoint);
    metrics.close();
    post({
      type: "done",
      stopReason: outcome.stopReason,
      stopAtReturn: outcome.stopAtReturn,
      lastEval: outcome.lastEval,
      ...saved,
    });
  } catch (e) {
    metrics.close();
    const err = e as Error;
    post({
      type: "error",
      message: err?.message ?? String(e),
      stack: err?.stack,
      lastCheckpoint: lastPath,
    });
  }
}

void main(workerData as WorkerInput);
