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
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "../io/checkpoint.ts";
import { MetricsWriter } from "../io/metrics.ts";
import { getAlgorithm } from "./algorithms.ts";
import { RUN_FILES } from "./run-dir.ts";

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

/** Messages back to the main thread. */
export type WorkerMessage =
  | { readonly type: "metrics"; readonly row: Record<string, unknown> }
  | { readonly type: "warning"; readonly message: string }
  | {
      readonly type: "checkpoint";
      readonly path: string;
      readonly update: number;
      readonly envSteps: number;
    }
  | {
      readonly type: "done";
      readonly stoppedEarly: boolean;
      readonly path: string;
      readonly update: number;
      readonly envSteps: number;
    }
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
  const save = (c: Checkpoint): { path: string; update: number; envSteps: number } => {
    const { update, envSteps } = algo.counters(c);
    if (update !== lastUpdate || lastPath === null) {
      metrics.sync();
      lastPath = saveCheckpoint(ckptDir, c, {
        algo: algo.name,
        envId: input.envId,
        update,
        envSteps,
      });
      lastUpdate = update;
    }
    return { path: lastPath, update, envSteps };
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
    const outcome = algo.train(input.envId, input.config, {
      onMetrics: (row) => {
        metrics.append(row);
        post({ type: "metrics", row: { ...row } });
        if (Atomics.load(stop, 0) === 1) controller.abort();
      },
      onCheckpoint: (c) => post({ type: "checkpoint", ...save(c) }),
      onWarning: (message) => post({ type: "warning", message }),
      checkpointEvery: input.checkpointEvery,
      signal: controller.signal,
      ...(resume ? { resume } : {}),
    });
    const saved = save(outcome.checkpoint);
    metrics.close();
    post({ type: "done", stoppedEarly: outcome.stoppedEarly, ...saved });
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
