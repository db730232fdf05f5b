/**
 * The CLI's commands as functions: train, resume, eval, plot, envs, gradprobe. main.ts parses the command line
 * and calls these; each returns the process exit code (0 done, 1 failed, 128 + the signal's number
 * when stopped by a signal, 141 when stdout was closed). Usage mistakes throw {@link UsageError}
 * (exit code 2).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, realpathSync } from "node:fs";
import { availableParallelism, constants as osConstants } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { apgEnv, apgPolicySpecFor, resolveApgConfig } from "../algos/apg.ts";
import { type EvaluateResult, evaluate } from "../algos/evaluate.ts";
import { formatProbeTable, gradProbe } from "../algos/gradprobe.ts";
import { createPolicy, type Policy, type PolicySpec } from "../algos/policy.ts";
import { APG_ENV_PRESETS } from "../algos/presets.ts";
import { streamRng } from "../algos/streams.ts";
import {
  type AnyAlgorithm,
  checkpointPolicy,
  isEvalRow,
  type RunConfig as TrainRunConfig,
} from "../algos/trainer.ts";
import { ConfigError } from "../config/schema.ts";
import * as math from "../core/math.ts";
import type { Params } from "../core/tensor.ts";
import type { DifferentiableEnv } from "../envs/diff.ts";
import { envSpecs, listEnvs, make } from "../envs/registry.ts";
import { describe, type Space } from "../envs/spaces.ts";
import { removePath, writeFileAtomic } from "../io/atomic.ts";
import {
  CheckpointError,
  type LoadedCheckpoint,
  loadCheckpoint,
  readCheckpointFile,
  writeCheckpointFile,
} from "../io/checkpoint.ts";
import { loadAgent } from "../io/checkpoint-file.ts";
import { readMetrics, writeMetrics } from "../io/metrics.ts";
import { type Series, writePlot } from "../io/plot.ts";
import { ALGORITHMS, getAlgorithm, trainingYoungGenerationMb } from "./algorithms.ts";
import { checkMemory } from "./bounds.ts";
import {
  checkSameEnv,
  envSpacesOf,
  loadEnvModules,
  loadRunEnvModules,
  recordedModulePath,
} from "./env-modules.ts";
import { flagOf, formatFlagValue, UsageError } from "./flags.ts";
import { Progress, type ProgressStream } from "./progress.ts";
import {
  BEST_CHECKPOINTS,
  defaultRunDir,
  lockRunDir,
  packageVersion,
  prepareRunDir,
  RUN_FILES,
  type RunConfig,
  RunDirError,
  readRunConfig,
  writeRunConfig,
} from "./run-dir.ts";
import { onStopSignals, STOP_EXIT_CODE, type StopReason } from "./signals.ts";
import type { WorkerInput, WorkerMessage } from "./train-worker.ts";

/** Exit code of a run stopped by Ctrl-C (src/cli/signals.ts has every stop's code). */
const INTERRUPTED = STOP_EXIT_CODE.SIGINT;

/** Where commands print. */
export interface Io {
  /** `onClose` (src/cli/output.ts) tells a run that nobody reads its output any more. */
  readonly stdout: ProgressStream & { onClose?(listener: () => void): () => void };
  readonly stderr: { write(s: string): boolean };
}

export { loadEnvModules };

/** Training stopped on an error its message explains in full (NaN, a broken env): exit code 1. */
export class TrainingFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrainingFailed";
  }
}

/** Checks the env id against the registry; an unknown id is a usage error listing the known ones. */
export function checkEnvId(envId: string): void {
  const known = listEnvs();
  if (!known.includes(envId)) {
    throw new UsageError(`unknown environment "${envId}"; known environments: ${known.join(", ")}`);
  }
}

/** An env the algorithm cannot train on is a usage error, before any run directory exists. */
function checkAlgorithmEnv(algo: AnyAlgorithm, envId: string): void {
  try {
    algo.checkEnv?.(envId);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The algorithm's config from command-line overrides; a bad value is a usage error naming the flag. */
export function resolveCliConfig(
  algo: AnyAlgorithm,
  overrides: Readonly<Record<string, unknown>>,
): TrainRunConfig {
  try {
    return algo.resolveConfig(overrides);
  } catch (e) {
    if (e instanceof ConfigError) {
      throw new UsageError(
        `invalid value ${formatFlagValue(e.value)} for ${flagOf(e.field)}: expected ${e.expected}`,
      );
    }
    // Cross-field rules (e.g. GAE needs a value baseline): the message names the fields.
    throw new UsageError((e as Error).message);
  }
}

export interface TrainArgs {
  readonly algo: AnyAlgorithm;
  readonly envId: string;
  readonly overrides: Readonly<Record<string, unknown>>;
  readonly out?: string;
  readonly force: boolean;
  readonly checkpointEvery: number;
  /** Modules registering custom environments (`--env-module`). */
  readonly envModules: readonly string[];
  readonly argv: readonly string[];
}

/** `policygrad train`: a fresh run in a new run directory. */
export async function trainCommand(args: TrainArgs, io: Io): Promise<number> {
  const envModules = await loadEnvModules(args.envModules);
  checkEnvId(args.envId);
  const config = resolveCliConfig(args.algo, args.overrides);
  checkAlgorithmEnv(args.algo, args.envId);
  checkMemory(args.algo, config, args.envId);
  const runDir = args.out ?? defaultRunDir(args.envId, args.algo.name, config.seed);
  const lock = prepareRunDir(runDir, args.force);
  try {
    const rc: RunConfig = {
      policygrad: packageVersion(),
      algo: args.algo.name,
      envId: args.envId,
      config,
      envModules: envModules.map((m) => recordedModulePath(runDir, m)),
      envSpaces: envSpacesOf(args.envId),
      createdAt: new Date().toISOString(),
      command: ["policygrad", ...args.argv],
    };
    writeRunConfig(runDir, rc);
    io.stdout.write(
      `Training ${args.algo.name} on ${args.envId} for ${config.totalSteps} env steps (seed ${config.seed})\nRun directory: ${runDir}\n`,
    );
    return await runTraining(rc, envModules, runDir, null, args.checkpointEvery, io);
  } finally {
    lock.release();
  }
}

/** "0-4" -> [0, 1, 2, 3, 4]; "1,5,9" -> [1, 5, 9]; ranges and lists mix ("0-2,7"). */
export function parseSeeds(raw: string): number[] {
  const seeds: number[] = [];
  for (const part of raw.split(",")) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    const lo = m ? Number(m[1]) : Number.NaN;
    const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
    if (!m || !Number.isSafeInteger(hi) || hi < lo || hi - lo >= 1000) {
      throw new UsageError(
        `invalid value ${JSON.stringify(raw)} for --seeds: expected seeds >= 0 as a range or a list, e.g. 0-4 or 1,5,9`,
      );
    }
    for (let s = lo; s <= hi; s++) if (!seeds.includes(s)) seeds.push(s);
  }
  return seeds;
}

/**
 * `policygrad train <env> --seeds 0-4`: one `policygrad train` child process per seed (as many at
 * once as the machine has cores), each with its own run directory `<out>/s<seed>`, then one plot of
 * them all (mean and band) in `<out>`. `argv` is the train command's own arguments, forwarded to
 * every child without `--seeds` and `--out`.
 */
export async function trainSeedsCommand(
  args: TrainArgs & { readonly seeds: readonly number[] },
  io: Io,
): Promise<number> {
  await loadEnvModules(args.envModules);
  checkEnvId(args.envId);
  if ("seed" in args.overrides) {
    throw new UsageError("--seed and --seeds exclude each other: --seeds gives every run its seed");
  }
  const config = resolveCliConfig(args.algo, args.overrides);
  checkAlgorithmEnv(args.algo, args.envId);
  const out =
    args.out ?? defaultRunDir(args.envId, args.algo.name, `${args.seeds[0]}-${args.seeds.at(-1)}`);
  const dirs = args.seeds.map((seed) => join(out, `s${seed}`));
  // Checked (and replaced when --force) here, before any child starts; each child then takes the
  // directory's lock itself, with --force to replace the marker written here.
  for (const d of dirs) prepareRunDir(d, args.force).release();
  const forwarded = withoutOptions(args.argv.slice(1), ["--seeds", "--out"]);
  const parallel = Math.max(1, Math.min(availableParallelism(), args.seeds.length));
  io.stdout.write(
    `Training ${args.algo.name} on ${args.envId} with ${args.seeds.length} seeds (${args.seeds.join(", ")}), ${parallel} at a time, ${config.totalSteps} env steps each\nRun directories: ${display(out)}/s<seed>\n`,
  );
  const childArgs = (i: number) => [
    ...forwarded,
    "--seed",
    String(args.seeds[i]),
    "--out",
    dirs[i],
    "--force",
  ];
  // A stop signal (Ctrl-C, SIGTERM, SIGHUP) is passed on to every running child, which saves
  // and exits as a lone run does; no further seed starts, and this process exits with the
  // signal's code once they are done. The children have process groups of their own, so that a
  // terminal's Ctrl-C reaches each of them once, from here (a second one quits at once).
  const running = new Set<ChildProcess>();
  let stop: "SIGINT" | "SIGTERM" | "SIGHUP" | null = null;
  let plotting = false;
  const offSignals = onStopSignals((reason, count) => {
    if (reason === "stdout closed") return; // (not a signal; never reported here)
    if (count === 1) {
      stop = reason;
      const again = reason === "SIGINT" ? "Ctrl-C" : reason;
      io.stdout.write(
        `Stopping every seed after its current update and saving its checkpoint (${again} again to quit at once)...\n`,
      );
    } else if (plotting) {
      process.exit(STOP_EXIT_CODE[reason]);
    }
    for (const child of running) child.kill(reason);
  });
  const codes = new Map<number, number>();
  try {
    let next = 0;
    const worker = async () => {
      while (next < args.seeds.length && stop === null) {
        const i = next++;
        const r = await runChild(childArgs(i), running);
        writeFileAtomic(join(dirs[i], "train.log"), r.output);
        codes.set(args.seeds[i], r.code);
        io.stdout.write(`  seed ${args.seeds[i]}: ${seedSummary(dirs[i], r.code)}\n`);
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    const done = dirs.filter((d) => existsSync(join(d, RUN_FILES.metrics)));
    if (done.length > 0) {
      plotting = true;
      await plotRuns(done, join(out, RUN_FILES.plotSvg), { png: join(out, RUN_FILES.plotPng) });
      io.stdout.write(
        `Plot: ${display(join(out, RUN_FILES.plotPng))} (and .svg), every seed with its mean and band\n`,
      );
    }
  } finally {
    offSignals();
  }
  const notStarted = args.seeds.filter((s) => !codes.has(s));
  for (const s of notStarted) {
    const i = args.seeds.indexOf(s);
    io.stdout.write(
      `  seed ${s}: not started; train it with: ${shellCommand(["policygrad", "train", ...childArgs(i)])}\n`,
    );
  }
  const failed = args.seeds.filter((s) => codes.has(s) && codes.get(s) !== 0);
  if (failed.length > 0) {
    io.stdout.write(
      `Seeds ${failed.join(", ")} did not finish; their output is in <run>/train.log (resume an interrupted one with policygrad resume <run>)\n`,
    );
  }
  // (Set by the signal handler: the compiler cannot see that assignment.)
  const stopped = stop as "SIGINT" | "SIGTERM" | "SIGHUP" | null;
  if (stopped !== null) return STOP_EXIT_CODE[stopped];
  if (failed.length > 0) return failed.every((s) => isStopCode(codes.get(s)!)) ? INTERRUPTED : 1;
  return 0;
}

/** True for the exit code of a run that was stopped and saved (Ctrl-C, SIGTERM, SIGHUP, a closed pipe). */
function isStopCode(code: number): boolean {
  return Object.values(STOP_EXIT_CODE).includes(code);
}

/** `args` as one line a POSIX shell reads back as the same words. */
function shellCommand(args: readonly string[]): string {
  return args
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`))
    .join(" ");
}

/** `argv` without the named options and their values (`--x v` or `--x=v`). */
function withoutOptions(argv: readonly string[], names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (names.includes(argv[i])) i++;
    else if (!names.some((n) => argv[i].startsWith(`${n}=`))) out.push(argv[i]);
  }
  return out;
}

/**
 * Runs `policygrad train <args>` in a child process of its own process group, listed in `running`
 * while it runs; resolves to its exit code and output.
 */
function runChild(
  trainArgs: readonly string[],
  running: Set<ChildProcess>,
): Promise<{ code: number; output: string }> {
  const here = import.meta.url;
  const main = fileURLToPath(new URL(here.endsWith(".ts") ? "./main.ts" : "./main.js", here));
  const pre = here.endsWith(".ts") ? ["--import", import.meta.resolve("tsx")] : [];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...pre, main, "train", ...trainArgs], {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      windowsHide: true,
    });
    running.add(child);
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    child.on("error", (e) => {
      running.delete(child);
      reject(e);
    });
    child.on("close", (code, signal) => {
      running.delete(child);
      // Killed by a signal before it could handle it (still starting): the shell's 128 + n.
      const bySignal = signal === null ? 1 : 128 + (osConstants.signals[signal] ?? 0);
      resolvePromise({ code: code ?? bySignal, output });
    });
  });
}

/** One line about a finished seed: its evaluation (eval.json) or why it has none. */
function seedSummary(dir: string, code: number): string {
  if (isStopCode(code)) return `interrupted (${display(dir)})`;
  const path = join(dir, RUN_FILES.eval);
  if (code !== 0 || !existsSync(path))
    return `failed with exit code ${code} (see ${display(join(dir, "train.log"))})`;
  const e = JSON.parse(readFileSync(path, "utf8"));
  const d = e.deterministic;
  return `deterministic return ${Number(d.return_mean).toFixed(1)} ± ${Number(d.return_std).toFixed(1)} (${e.checkpoint} checkpoint, update ${e.update}), ${display(dir)}`;
}

export interface ResumeArgs {
  readonly runDir: string;
  readonly totalSteps?: number;
  readonly checkpointEvery: number;
  /** Modules registering the run's custom env, given again (consent, or a module that moved). */
  readonly envModules?: readonly string[];
  /** Import the modules the run's config.json lists. */
  readonly allowEnvModules?: boolean;
  readonly argv: readonly string[];
}

/**
 * `policygrad resume`: continues from the run's latest checkpoint. Metrics rows written after that
 * checkpoint (the update the interruption cut short) are dropped first, so the resumed run's
 * metrics.jsonl equals an uninterrupted run's. `--total-steps` may extend the budget. A run that
 * reached its budget but whose final evaluation or plots were interrupted gets them now.
 */
export async function resumeCommand(args: ResumeArgs, io: Io): Promise<number> {
  const rc0 = readRunConfig(args.runDir);
  warnIfNewer(args.runDir, rc0, io);
  const algo = getAlgorithm(rc0.algo);
  const lock = lockRunDir(args.runDir, "resume");
  try {
    const envModules = await loadRunEnvModules(
      args.runDir,
      rc0.envId,
      rc0.envModules ?? [],
      args.envModules ?? [],
      args.allowEnvModules === true,
    );
    checkEnvId(rc0.envId);
    checkSameEnv(args.runDir, rc0.envId, rc0.envSpaces);
    checkHasCheckpoint(args.runDir, rc0, "resume");
    const ckpt = loadCheckpoint(args.runDir); // validates before anything is changed
    const config = resolveCliConfig(algo, {
      ...rc0.config,
      ...(args.totalSteps !== undefined ? { totalSteps: args.totalSteps } : {}),
    });
    checkMemory(algo, config, rc0.envId);
    const rc: RunConfig = {
      ...rc0,
      config,
      ...(args.envModules && args.envModules.length > 0
        ? { envModules: envModules.map((m) => recordedModulePath(args.runDir, m)) }
        : {}),
      command: ["policygrad", ...args.argv],
    };
    const done = ckpt.info.envSteps;
    // A run is over when its budget is spent, or (unless a new budget is given) when its last
    // evaluation reached the return it stops at. Over but without its final evaluation (a stop
    // during it): finish that now.
    const budgetSpent = done >= (config.totalSteps as number);
    const stoppedAt =
      budgetSpent || args.totalSteps !== undefined
        ? null
        : stopReturnReached(args.runDir, config, rc0.envId, ckpt.info.update);
    if (budgetSpent || stoppedAt !== null) {
      const why = budgetSpent
        ? `reached its budget (${done} of ${config.totalSteps} env steps)`
        : `stopped when an evaluation reached ${stoppedAt}`;
      if (finished(args.runDir, ckpt.info.update)) {
        io.stdout.write(`${args.runDir} already ${why}; pass --total-steps to extend it\n`);
        return 0;
      }
      io.stdout.write(
        `${args.runDir} ${why}; finishing its final evaluation and plots, which were interrupted\n`,
      );
      return await finishRun(rc, args.runDir, { path: ckpt.path, ...ckpt.info }, io);
    }
    writeRunConfig(args.runDir, rc);
    const metricsPath = join(args.runDir, RUN_FILES.metrics);
    if (existsSync(metricsPath)) {
      const { rows } = readMetrics(metricsPath);
      writeMetrics(
        metricsPath,
        rows.filter((r) => typeof r.update === "number" && r.update <= ckpt.info.update),
      );
    }
    removePath(join(args.runDir, RUN_FILES.eval)); // it described an earlier end of the run
    io.stdout.write(
      `Resuming ${rc.algo} on ${rc.envId} at update ${ckpt.info.update}, ${done} env steps (target ${config.totalSteps})\nRun directory: ${args.runDir}\nFrom:          the latest checkpoint, ${display(ckpt.path)}\n`,
    );
    return await runTraining(
      rc,
      envModules,
      args.runDir,
      ckpt.path,
      args.checkpointEvery,
      io,
      done,
    );
  } finally {
    lock.release();
  }
}

/**
 * The return a run stopped at when the evaluation after its update `update` reached it (the run
 * config's stopAtReturn, else the env's reward threshold, as the trainer decides), else null.
 */
function stopReturnReached(
  runDir: string,
  config: TrainRunConfig,
  envId: string,
  update: number,
): number | null {
  if (!config.stop) return null;
  const threshold = config.stopAtReturn ?? rewardThreshold(envId) ?? null;
  const path = join(runDir, RUN_FILES.metrics);
  if (threshold === null || !existsSync(path)) return null;
  // The first evaluation row of an update decides (the deterministic one when both ran).
  const row = readMetrics(path).rows.find((r) => isEvalRow(r) && r.update === update);
  return row !== undefined && Number(row.evalReturnMean) >= threshold ? threshold : null;
}

/**
 * Throws, saying how to start over, when the run in `runDir` saved no checkpoint (it was killed
 * before its first one).
 */
function checkHasCheckpoint(runDir: string, rc: RunConfig, what: string): void {
  if (!existsSync(join(runDir, RUN_FILES.checkpoints, "latest.json"))) {
    throw new RunDirError(
      `${runDir} has no checkpoint: the run stopped before it saved its first one, so there is nothing to ${what}; start over with: ${startOverCommand(runDir, rc)}`,
    );
  }
}

/** The command that starts `runDir`'s run over: its own command line with --out and --force. */
function startOverCommand(runDir: string, rc: RunConfig): string {
  const cmd = [...rc.command];
  if (!cmd.some((a) => a === "--out" || a.startsWith("--out="))) cmd.push("--out", runDir);
  if (!cmd.includes("--force")) cmd.push("--force");
  return shellCommand(cmd);
}

/** True when eval.json was written after the run's last update `update`, and both plots exist. */
function finished(runDir: string, update: number): boolean {
  const evalPath = join(runDir, RUN_FILES.eval);
  if (!existsSync(evalPath)) return false;
  if (!existsSync(join(runDir, RUN_FILES.plotSvg)) || !existsSync(join(runDir, RUN_FILES.plotPng)))
    return false;
  try {
    const e = JSON.parse(readFileSync(evalPath, "utf8"));
    // No field: written before the field existed, when eval.json came last in a finished run too.
    return e.lastUpdate === undefined || e.lastUpdate === update;
  } catch {
    return false;
  }
}

/** Starts the worker thread (through tsx when running from the TypeScript sources). */
function startWorker(input: WorkerInput): Worker {
  const young = trainingYoungGenerationMb(input.algo);
  const resourceLimits = young === undefined ? {} : { maxYoungGenerationSizeMb: young };
  const here = import.meta.url;
  if (here.endsWith(".ts")) {
    // Node 20 does not apply the parent's --import loader to a worker's entry module: register
    // tsx inside the worker before importing it.
    const tsx = import.meta.resolve("tsx/esm/api");
    const entry = new URL("./train-worker.ts", here).href;
    const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
    return new Worker(code, { eval: true, workerData: input, execArgv: [], resourceLimits });
  }
  return new Worker(new URL("./train-worker.js", here), { workerData: input, resourceLimits });
}

async function runTraining(
  rc: RunConfig,
  envModules: readonly string[],
  runDir: string,
  resumeFrom: string | null,
  checkpointEvery: number,
  io: Io,
  startSteps = 0,
): Promise<number> {
  const algo = getAlgorithm(rc.algo);
  const config = resolveCliConfig(algo, rc.config);
  const progress = new Progress(io.stdout, config.totalSteps, startSteps);
  const stopFlag = new SharedArrayBuffer(4);
  const worker = startWorker({
    algo: rc.algo,
    envId: rc.envId,
    config: rc.config,
    envModules,
    runDir,
    checkpointEvery,
    resumeFrom,
    stopFlag,
  });
  let stopReason: StopReason | null = null;
  const requestStop = (reason: StopReason, count: number) => {
    if (count === 1) {
      stopReason = reason;
      Atomics.store(new Int32Array(stopFlag), 0, 1);
      progress.finish();
      const again = reason === "SIGINT" ? "Ctrl-C" : `${reason}`;
      // With stdout gone, say it where someone may still read.
      (reason === "stdout closed" ? io.stderr : io.stdout).write(
        reason === "stdout closed"
          ? "policygrad: stdout was closed; stopping after this update and saving a checkpoint\n"
          : `Stopping after this update and saving a checkpoint (${again} again to quit at once)...\n`,
      );
    } else if (reason !== "stdout closed") {
      // The latest checkpoint on disk is complete (atomic saves), so quitting now loses only
      // the updates since it.
      io.stderr.write(
        `policygrad: quit; the latest saved checkpoint is intact (continue with: policygrad resume ${runDir})\n`,
      );
      process.exit(STOP_EXIT_CODE[reason]);
    }
  };
  let stops = 0;
  const offSignals = onStopSignals((reason) => requestStop(reason, ++stops));
  const offClose = io.stdout.onClose?.(() => requestStop("stdout closed", ++stops));
  let result: Extract<WorkerMessage, { type: "done" }>;
  try {
    result = await new Promise((resolvePromise, reject) => {
      worker.on("message", (m: WorkerMessage) => {
        if (m.type === "metrics") {
          progress.update(m.row);
        } else if (m.type === "eval") {
          // Show the evaluations that decide "best": the deterministic ones when both kinds run.
          if (config.evalMode !== "both" || m.row.evalDeterministic === 1) {
            progress.evaluation(m.row.evalReturnMean, m.row.evalBest === 1);
          }
        } else if (m.type === "warning") {
          progress.finish();
          io.stderr.write(`policygrad: warning: ${m.message.replace(/\n/g, " ")}\n`);
        } else if (m.type === "done") resolvePromise(m);
        else if (m.type === "error") {
          const where = m.lastCheckpoint ? `; the last good checkpoint is ${m.lastCheckpoint}` : "";
          const err = new TrainingFailed(`training failed: ${m.message}${where}`);
          if (m.stack) err.stack = m.stack;
          reject(err);
        }
      });
      worker.on("error", reject);
      worker.on("exit", (code) =>
        reject(new Error(`training thread exited unexpectedly (code ${code})`)),
      );
    });
  } finally {
    offClose?.();
    progress.finish();
    if (stopReason === null) offSignals();
  }
  const rel = display;
  const plot = () =>
    plotRuns([runDir], join(runDir, RUN_FILES.plotSvg), { png: join(runDir, RUN_FILES.plotPng) });
  if (result.stopReason === "interrupted") {
    // Signals stay handled until the plots are written: a second one quits at once.
    try {
      // (Set by the signal handler: the compiler cannot see that assignment.)
      const reason = (stopReason as StopReason | null) ?? "SIGINT";
      const where = `update ${result.update}, ${result.envSteps} env steps`;
      if (reason === "stdout closed") {
        io.stderr.write(
          `policygrad: interrupted at ${where}; checkpoint ${rel(result.path)}; continue with: policygrad resume ${runDir}\n`,
        );
      } else {
        io.stdout.write(
          `Interrupted at ${where}.\nCheckpoint: ${rel(result.path)}\nContinue with: policygrad resume ${runDir}\n`,
        );
      }
      if (hasMetrics(runDir)) await plot();
      return STOP_EXIT_CODE[reason];
    } finally {
      offSignals();
    }
  }
  const stopped =
    result.stopReason === "return" && result.lastEval !== null
      ? `Stopped early: the evaluation mean return ${result.lastEval.evalReturnMean.toFixed(1)} reached ${result.stopAtReturn} (--stop-at-return; --no-stop trains the whole budget).\n`
      : "";
  return finishRun(rc, runDir, result, io, stopped);
}

/**
 * The end of a run: the final evaluation (eval.json), the plots and the summary. A stop signal
 * here exits at once with a message; the checkpoints are complete, so `resume` redoes this step.
 *
 * @param last the run's last checkpoint and its counters
 * @param stopped a line saying why training stopped before its budget, or ""
 */
async function finishRun(
  rc: RunConfig,
  runDir: string,
  last: { readonly path: string; readonly update: number; readonly envSteps: number },
  io: Io,
  stopped = "",
): Promise<number> {
  const offSignals = onStopSignals((reason) => {
    io.stderr.write(
      `policygrad: stopped during the final evaluation; training is complete and saved, and "policygrad resume ${runDir}" finishes the evaluation and plots\n`,
    );
    process.exit(STOP_EXIT_CODE[reason]);
  });
  try {
    const algo = getAlgorithm(rc.algo);
    // The final evaluation is of the checkpoint `eval` uses (the best when there is one), read
    // back from disk, which also proves it loads. Its seed differs from the in-training ones'.
    const chosen = chooseCheckpoint(runDir, undefined);
    const ckpt = loadCheckpoint(chosen.path);
    const evalSeed = finalEvalSeed(rc);
    const episodes = FINAL_EVAL_EPISODES;
    const stochastic = evaluateCheckpoint(algo, rc.envId, ckpt, {
      episodes,
      seed: evalSeed,
      deterministic: false,
    });
    const greedy = evaluateCheckpoint(algo, rc.envId, ckpt, {
      episodes,
      seed: evalSeed,
      deterministic: true,
    });
    const threshold = rewardThreshold(rc.envId);
    writePolicyFile(algo, rc, runDir, ckpt);
    await plotRuns([runDir], join(runDir, RUN_FILES.plotSvg), {
      png: join(runDir, RUN_FILES.plotPng),
    });
    // Written last: its presence (for the last update) says the run finished; resume checks it.
    writeFileAtomic(
      join(runDir, RUN_FILES.eval),
      `${JSON.stringify({ checkpoint: chosen.label, update: ckpt.info.update, lastUpdate: last.update, seed: evalSeed, rewardThreshold: threshold ?? null, stochastic: evalJson(stochastic), deterministic: evalJson(greedy) }, null, 2)}\n`,
    );
    const verdict = (e: EvaluateResult) =>
      threshold === undefined
        ? ""
        : e.returnMean >= threshold
          ? `  solved (threshold ${threshold})`
          : `  below the threshold ${threshold}`;
    const line = (label: string, e: EvaluateResult) =>
      `  ${label.padEnd(13)} return ${e.returnMean.toFixed(1)} ± ${e.returnStd.toFixed(1)}, length ${e.lengthMean.toFixed(1)}${verdict(e)}\n`;
    const rel = display;
    io.stdout.write(
      `${stopped}Done: ${last.update} updates, ${last.envSteps} env steps${solvedAt(runDir, threshold)}.\n` +
        `Evaluation of the ${chosen.label} checkpoint (update ${ckpt.info.update}, ${ckpt.info.envSteps} env steps; ${episodes} episodes, seed ${evalSeed}):\n` +
        line("stochastic", stochastic) +
        line("deterministic", greedy) +
        `Plot:       ${rel(join(runDir, RUN_FILES.plotPng))} (and .svg)\n` +
        `Checkpoint: ${rel(ckpt.path)} (${chosen.label})${chosen.label === "best" ? `; last: ${rel(last.path)}` : ""}\n` +
        `One file:   ${rel(join(runDir, RUN_FILES.policyFile))} (the ${chosen.label} checkpoint, for the browser playground and eval)\n` +
        `Metrics:    ${rel(join(runDir, RUN_FILES.metrics))}\n` +
        `Evaluate again with: policygrad eval ${runDir}\n`,
    );
    return 0;
  } finally {
    offSignals();
  }
}

/** Episodes of the final evaluation. */
const FINAL_EVAL_EPISODES = 10;

/** The seed of a run's final evaluation: apart from every training stream. */
export function finalEvalSeed(rc: Pick<RunConfig, "config">): number {
  return (rc.config.seed as number) + 1_000_000;
}

function hasMetrics(runDir: string): boolean {
  const path = join(runDir, RUN_FILES.metrics);
  return existsSync(path) && readMetrics(path).rows.length > 0;
}

/**
 * The checkpoint of a run directory that `which` names: "best" (the best evaluation's), "last"
 * (the latest) or an update number; by default the best when the run has one, else the latest.
 */
export function chooseCheckpoint(
  runDir: string,
  which: string | undefined,
): { path: string; label: string } {
  const ckpts = join(runDir, RUN_FILES.checkpoints);
  const best = join(ckpts, BEST_CHECKPOINTS);
  if (which === undefined) {
    return existsSync(best) ? { path: best, label: "best" } : { path: runDir, label: "last" };
  }
  if (which === "best") {
    if (!existsSync(best)) {
      throw new UsageError(
        `--checkpoint best: ${runDir} has no best checkpoint (no evaluation ran; see --eval-every)`,
      );
    }
    return { path: best, label: "best" };
  }
  if (which === "last") return { path: runDir, label: "last" };
  if (/^\d+$/.test(which)) {
    const path = join(ckpts, `ckpt-${which.padStart(8, "0")}`);
    if (!existsSync(path)) {
      throw new UsageError(
        `--checkpoint ${which}: no checkpoint of update ${which} in ${ckpts} (older ones are pruned; use last or best)`,
      );
    }
    return { path, label: `update ${which}` };
  }
  throw new UsageError(
    `invalid value ${JSON.stringify(which)} for --checkpoint: expected last, best or an update number`,
  );
}

/**
 * Writes the checkpoint `eval` uses as one file with the run's learning curve: what the browser
 * playground opens and `eval <file>.safetensors` reads.
 */
function writePolicyFile(
  algo: AnyAlgorithm,
  rc: RunConfig,
  runDir: string,
  ckpt: LoadedCheckpoint,
): void {
  const metricsPath = join(runDir, RUN_FILES.metrics);
  const rows = existsSync(metricsPath)
    ? readMetrics(metricsPath).rows.filter((r) => !isEvalRow(r))
    : [];
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  const env = make(rc.envId);
  try {
    const policy = checkpointPolicy(algo, ckpt, env);
    writeCheckpointFile(join(runDir, RUN_FILES.policyFile), {
      info: {
        algo: ckpt.info.algo,
        envId: ckpt.info.envId,
        update: ckpt.info.update,
        envSteps: ckpt.info.envSteps,
      },
      policySpec: policy.spec,
      params: ckpt.params,
      ...(ckpt.valueParams ? { valueParams: ckpt.valueParams } : {}),
      normalizer: policy.observationNormalizer?.() ?? null,
      state: ckpt.state,
      curve: {
        envSteps: rows.map((r) => Number(r.envSteps)),
        returnMean: rows.map((r) => num(r.returnMean)),
        returnMean100: rows.map((r) => num(r.returnMean100)),
      },
    });
  } finally {
    env.close();
  }
}

/** Evaluates a saved checkpoint's policy with the algorithm that trained it. */
export function evaluateCheckpoint(
  algo: AnyAlgorithm,
  envId: string,
  ckpt: LoadedCheckpoint,
  options: { episodes: number; seed: number; deterministic: boolean },
): EvaluateResult {
  const env = make(envId);
  try {
    let policy: Policy;
    try {
      policy = checkpointPolicy(algo, ckpt, env);
    } catch (e) {
      throw new CheckpointError(ckpt.path, `its state does not load: ${(e as Error).message}`);
    }
    return evaluate(policy, envId, options);
  } finally {
    env.close();
  }
}

/**
 * ", solved at N env steps" when the mean return of the last 100 episodes (Gymnasium's criterion,
 * logged as returnMean100) first reached the threshold; else "".
 */
function solvedAt(runDir: string, threshold: number | undefined): string {
  if (threshold === undefined) return "";
  const path = join(runDir, RUN_FILES.metrics);
  if (!existsSync(path)) return "";
  const row = readMetrics(path).rows.find(
    (r) => !isEvalRow(r) && typeof r.returnMean100 === "number" && r.returnMean100 >= threshold,
  );
  return row
    ? ` (mean return of the last 100 episodes first reached ${threshold} at ${row.envSteps} env steps)`
    : "";
}

function evalJson(e: EvaluateResult): Record<string, unknown> {
  return {
    return_mean: e.returnMean,
    return_std: e.returnStd,
    length_mean: e.lengthMean,
    episodes: e.episodes,
  };
}

function rewardThreshold(envId: string): number | undefined {
  const env = make(envId);
  const t = env.rewardThreshold;
  env.close();
  return t;
}

export interface EvalArgs {
  readonly path: string;
  readonly episodes: number;
  /** Default: the run's final-evaluation seed (so `eval` alone reproduces eval.json), else 0. */
  readonly seed?: number;
  readonly deterministic: boolean;
  /** Modules registering the run's custom env, given again (consent, or a module that moved). */
  readonly envModules: readonly string[];
  /** Import the modules the run's config.json lists. */
  readonly allowEnvModules?: boolean;
  /** For a run directory: "last", "best" or an update number (default: best when it exists). */
  readonly checkpoint?: string;
}

/** `policygrad eval`: summary lines, then one JSON line. */
export async function evalCommand(args: EvalArgs, io: Io): Promise<number> {
  if (args.path.endsWith(".safetensors")) return evalFile(args, io);
  const isRunDir = existsSync(join(args.path, RUN_FILES.config));
  if (!isRunDir && args.checkpoint !== undefined) {
    throw new UsageError(
      `--checkpoint ${args.checkpoint} needs a run directory; ${args.path} is not one (it has no ${RUN_FILES.config})`,
    );
  }
  if (isRunDir) checkHasCheckpoint(args.path, readRunConfig(args.path), "evaluate");
  const chosen = isRunDir
    ? chooseCheckpoint(args.path, args.checkpoint)
    : { path: args.path, label: "given" };
  const ckpt = loadCheckpoint(chosen.path);
  const algo = getAlgorithm(ckpt.info.algo);
  // The run around the checkpoint: `path` is a run directory, <run>/checkpoints/<ckpt> or
  // <run>/checkpoints/best/<ckpt>.
  const up = (p: string, n: number): string => (n === 0 ? p : up(dirname(p), n - 1));
  const runDir = [args.path, up(resolve(ckpt.path), 2), up(resolve(ckpt.path), 3)].find((d) =>
    existsSync(join(d, RUN_FILES.config)),
  );
  const rc = runDir === undefined ? undefined : readRunConfig(runDir);
  if (rc !== undefined && runDir !== undefined) warnIfNewer(runDir, rc, io);
  await loadRunEnvModules(
    runDir,
    ckpt.info.envId,
    rc?.envModules ?? [],
    args.envModules,
    args.allowEnvModules === true,
  );
  checkEnvId(ckpt.info.envId);
  if (runDir !== undefined) checkSameEnv(runDir, ckpt.info.envId, rc?.envSpaces);
  const seed = args.seed ?? (rc === undefined ? 0 : finalEvalSeed(rc));
  const seedNote =
    args.seed === undefined && rc !== undefined ? ", the final evaluation's seed" : "";
  const e = evaluateCheckpoint(algo, ckpt.info.envId, ckpt, {
    episodes: args.episodes,
    seed,
    deterministic: args.deterministic,
  });
  const threshold = rewardThreshold(ckpt.info.envId);
  const min = Math.min(...e.returns);
  const max = Math.max(...e.returns);
  io.stdout.write(
    `Checkpoint:  ${ckpt.path} (${chosen.label}; ${ckpt.info.algo}, update ${ckpt.info.update}, ${ckpt.info.envSteps} env steps)\n` +
      `Environment: ${ckpt.info.envId}${threshold === undefined ? "" : ` (reward threshold ${threshold})`}\n` +
      `Episodes:    ${e.episodes} (${args.deterministic ? "deterministic" : "stochastic"} actions, seed ${seed}${seedNote})\n` +
      `Return:      ${e.returnMean.toFixed(2)} ± ${e.returnStd.toFixed(2)} (min ${min.toFixed(1)}, max ${max.toFixed(1)})\n` +
      `Length:      ${e.lengthMean.toFixed(1)}\n` +
      `${JSON.stringify(evalJson(e))}\n`,
  );
  return 0;
}

/** `policygrad eval <file>.safetensors`: a single-file checkpoint (e.g. one the page downloaded). */
async function evalFile(args: EvalArgs, io: Io): Promise<number> {
  if (args.checkpoint !== undefined) {
    throw new UsageError(
      `--checkpoint ${args.checkpoint} needs a run directory; ${args.path} is a single-file checkpoint`,
    );
  }
  const file = readCheckpointFile(args.path);
  await loadEnvModules(args.envModules);
  checkEnvId(file.info.envId);
  const seed = args.seed ?? 0;
  const e = evaluate(loadAgent(file).policy, file.info.envId, {
    episodes: args.episodes,
    seed,
    deterministic: args.deterministic,
  });
  io.stdout.write(
    `Checkpoint:  ${args.path} (${file.info.algo}, update ${file.info.update}, ${file.info.envSteps} env steps)\n` +
      `Return:      ${e.returnMean.toFixed(2)} ± ${e.returnStd.toFixed(2)} over ${e.episodes} episodes (${args.deterministic ? "deterministic" : "stochastic"}, seed ${seed})\n` +
      `${JSON.stringify(evalJson(e))}\n`,
  );
  return 0;
}

/** Warns when config.json was written by a newer policygrad than this one. */
function warnIfNewer(runDir: string, rc: RunConfig, io: Io): void {
  if (typeof rc.policygrad === "string" && compareVersions(rc.policygrad, packageVersion()) > 0) {
    io.stderr.write(
      `policygrad: warning: ${runDir} was written by policygrad ${rc.policygrad}, newer than this ${packageVersion()}; what it added is ignored and may be lost\n`,
    );
  }
}

/** Compares dotted versions numerically ("0.10.0" > "0.9.1"); a pre-release tag is ignored. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split("-")[0].split(".").map(Number);
  const pb = b.split("-")[0].split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

export interface PlotArgs {
  readonly runDirs: readonly string[];
  readonly out?: string;
  readonly band: "minmax" | "std";
}

/** `policygrad plot`: one SVG or PNG of the given runs (default: next to a single run, else ./learning-curves.svg). */
export async function plotCommand(args: PlotArgs, io: Io): Promise<number> {
  if (args.out !== undefined && !/\.(svg|png)$/i.test(args.out)) {
    throw new UsageError(
      `invalid value ${JSON.stringify(args.out)} for --out: expected a file name ending in .svg or .png`,
    );
  }
  let written: string[];
  if (args.out !== undefined) {
    await plotRuns(args.runDirs, args.out, { band: args.band });
    written = [args.out];
  } else if (args.runDirs.length === 1) {
    const svg = join(args.runDirs[0], RUN_FILES.plotSvg);
    const png = join(args.runDirs[0], RUN_FILES.plotPng);
    await plotRuns(args.runDirs, svg, { band: args.band, png });
    written = [svg, png];
  } else {
    await plotRuns(args.runDirs, "learning-curves.svg", {
      band: args.band,
      png: "learning-curves.png",
    });
    written = ["learning-curves.svg", "learning-curves.png"];
  }
  io.stdout.write(`Wrote ${written.join(" and ")}\n`);
  return 0;
}

/**
 * Plots runs: those with the same algorithm, env and config apart from the seed form one series
 * (mean and band); series are labelled by the config fields that tell them apart.
 */
export async function plotRuns(
  runDirs: readonly string[],
  out: string,
  options: { band?: "minmax" | "std"; png?: string } = {},
): Promise<void> {
  // The same run named twice (./r, r/, a symlink) is one run, not two seeds.
  const seen = new Set<string>();
  const unique = runDirs.filter((dir) => {
    const key = existsSync(dir) ? realpathSync(dir) : resolve(dir);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const runs = unique.map((dir) => {
    const rc = readRunConfig(dir);
    const path = join(dir, RUN_FILES.metrics);
    const rows = existsSync(path) ? readMetrics(path).rows : [];
    if (rows.length === 0) {
      throw new RunDirError(
        `${dir}: no metrics to plot yet (${RUN_FILES.metrics} is ${existsSync(path) ? "empty" : "missing"}: the run has not finished an update)`,
      );
    }
    return { dir, rc, rows };
  });
  const groups = new Map<string, typeof runs>();
  for (const r of runs) {
    const { seed: _seed, ...rest } = r.rc.config;
    const key = JSON.stringify([r.rc.algo, r.rc.envId, rest]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const reps = [...groups.values()].map((g) => g[0].rc);
  const envIds = [...new Set(runs.map((r) => r.rc.envId))];
  const algos = [...new Set(runs.map((r) => r.rc.algo))];
  // The fields that tell apart series of the same algorithm (configs of different algorithms
  // have different fields: those are told apart by the algorithm's name).
  const differingFor = (algo: string) => {
    const same = reps.filter((rc) => rc.algo === algo);
    return Object.keys(same[0].config).filter(
      (k) =>
        k !== "seed" &&
        same.some((rc) => JSON.stringify(rc.config[k]) !== JSON.stringify(same[0].config[k])),
    );
  };
  const series: Series[] = [];
  for (const g of groups.values()) {
    const rc = g[0].rc;
    const parts: string[] = [];
    const differing = differingFor(rc.algo);
    if (algos.length > 1 || differing.length === 0) parts.push(rc.algo);
    if (envIds.length > 1) parts.push(rc.envId);
    for (const k of differing) parts.push(`${k}=${formatFlagValue(rc.config[k])}`);
    const seeds = g.length === 1 ? ` (seed ${rc.config.seed})` : "";
    const label = `${parts.join(" ")}${seeds}`;
    series.push({
      label,
      runs: g.map((r) => {
        const rows = r.rows.filter((row) => !isEvalRow(row));
        return {
          steps: rows.map((row) => Number(row.envSteps)),
          values: rows.map((row) => (typeof row.returnMean === "number" ? row.returnMean : null)),
        };
      }),
    });
    // The evaluations that decide "best": the deterministic ones when both kinds ran.
    const evals = g.map((r) => {
      const all = r.rows.filter(isEvalRow);
      const det = all.filter((row) => row.evalDeterministic === 1);
      return det.length > 0 ? det : all;
    });
    if (evals.some((rows) => rows.length > 0)) {
      const kind = evals.some((rows) => rows.some((row) => row.evalDeterministic === 1))
        ? "deterministic"
        : "stochastic";
      series.push({
        label: `${label}: evaluation (${kind})`,
        style: "points",
        runs: evals.map((rows) => ({
          steps: rows.map((row) => Number(row.envSteps)),
          values: rows.map((row) => Number(row.evalReturnMean)),
        })),
      });
    }
  }
  const threshold = envIds.length === 1 ? rewardThreshold(envIds[0]) : undefined;
  const opts = {
    title: `${envIds.join(", ")}: ${algos.join(", ")}`,
    yLabel: "mean episode return",
    band: options.band ?? "minmax",
    ...(threshold !== undefined
      ? { threshold: { value: threshold, label: `reward threshold ${threshold}` } }
      : {}),
  } as const;
  await writePlot(out, series, opts);
  if (options.png) await writePlot(options.png, series, opts);
}

/** A space for a table: Box bounds rounded to 4 significant digits, one value when all agree. */
export function formatSpace(space: Space): string {
  if (space.kind !== "box") return describe(space);
  const num = (v: number) =>
    v === Infinity ? "inf" : v === -Infinity ? "-inf" : String(Number(v.toPrecision(4)));
  const bound = (b: Float64Array) =>
    b.every((v) => v === b[0]) ? num(b[0]) : `[${Array.from(b, num).join(", ")}]`;
  return `Box(${bound(space.low)}, ${bound(space.high)}, [${space.shape.join(", ")}])`;
}

/** `policygrad envs`: the registered environments. */
export function envsCommand(io: Io): number {
  const algos = Object.entries(ALGORITHMS);
  const rows = envSpecs().map((s) => [
    s.id,
    formatSpace(s.observationSpace),
    formatSpace(s.actionSpace),
    s.rewardThreshold === undefined ? "-" : String(s.rewardThreshold),
    s.maxEpisodeSteps === undefined ? "-" : String(s.maxEpisodeSteps),
    s.differentiable === true ? "yes" : "no",
    ...algos.map(([, a]) => a.envPresets[s.id]?.description ?? "-"),
  ]);
  const header = [
    "id",
    "observation space",
    "action space",
    "reward threshold",
    "max steps",
    "differentiable",
    ...algos.map(([name]) => `${name} preset`),
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) =>
    `${r
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd()}\n`;
  io.stdout.write(fmt(header) + fmt(widths.map((w) => "-".repeat(w))) + rows.map(fmt).join(""));
  return 0;
}

/** Resolves a path for messages relative to the current directory. */
export function display(p: string): string {
  const r = relative(process.cwd(), resolve(p));
  return r === "" ? "." : r.startsWith("..") ? resolve(p) : r;
}

export interface GradProbeArgs {
  readonly envId: string;
  /** A run directory or checkpoint whose policy to probe; default a fresh APG policy. */
  readonly checkpoint?: string;
  readonly horizons: readonly number[];
  readonly samples: number;
  readonly seed: number;
  /** Where the table's JSON and the plots go; default the run directory, else runs/<env>__gradprobe. */
  readonly out?: string;
}

/**
 * `policygrad gradprobe`: REINFORCE vs APG gradient estimates of one policy, per horizon (see
 * src/algos/gradprobe.ts): a table, gradprobe.json and two plots (cosine, variance vs horizon).
 */
export async function gradprobeCommand(args: GradProbeArgs, io: Io): Promise<number> {
  checkEnvId(args.envId);
  let diff: DifferentiableEnv;
  try {
    diff = apgEnv(args.envId);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let spec: PolicySpec;
  let params: Params;
  let outDir: string;
  if (args.checkpoint !== undefined) {
    const isRunDir = existsSync(join(args.checkpoint, RUN_FILES.config));
    const chosen = isRunDir
      ? chooseCheckpoint(args.checkpoint, undefined)
      : { path: args.checkpoint };
    const ckpt = loadCheckpoint(chosen.path);
    const algo = getAlgorithm(ckpt.info.algo);
    const env = make(args.envId);
    const policy = checkpointPolicy(algo, ckpt, env);
    env.close();
    if (policy.head.kind !== "gaussian" || policy.head.logStd !== "state-independent") {
      throw new UsageError(
        `gradprobe: the checkpoint's policy must be a Gaussian with a state-independent log-std (APG's, or reinforce with --log-std state-independent)`,
      );
    }
    spec = policy.spec;
    params = policy.params;
    outDir = args.out ?? (isRunDir ? args.checkpoint : dirname(resolve(chosen.path)));
  } else {
    // The env's APG preset fixes the architecture (a linear policy on the LQ task, where g* is exact).
    const cfg = resolveApgConfig({ ...APG_ENV_PRESETS[args.envId]?.config, seed: args.seed });
    spec = apgPolicySpecFor(cfg, diff);
    params = createPolicy(spec, streamRng(args.seed, "policyInit")).params;
    outDir = args.out ?? join("runs", `${args.envId}__gradprobe`);
  }
  io.stdout.write(
    `Gradient probe on ${args.envId}: ${args.samples} samples per estimator and horizon (seed ${args.seed})\n`,
  );
  const r = gradProbe(diff, spec, params, {
    horizons: args.horizons,
    samples: args.samples,
    seed: args.seed,
  });
  io.stdout.write(`${formatProbeTable(r)}\n`);
  mkdirSync(outDir, { recursive: true });
  writeFileAtomic(join(outDir, "gradprobe.json"), `${JSON.stringify(r, null, 1)}\n`);
  const curve = (est: string, key: "cosine" | "variance") => {
    const rows = r.rows.filter((x) => x.estimator === est);
    return {
      label: est,
      runs: [
        {
          steps: rows.map((x) => x.horizon),
          values: rows.map((x) => (key === "cosine" ? x.cosine : math.log(x.variance) / Math.LN10)),
        },
      ],
    };
  };
  for (const [key, yLabel] of [
    ["cosine", "E[cos(g, g*)] of one sample"],
    ["variance", "log10 tr(Cov g) / |g*|^2"],
  ] as const) {
    const series = [curve("reinforce", key), curve("apg", key)];
    const options = { title: `${args.envId}: gradient estimates`, xLabel: "horizon H", yLabel };
    await writePlot(join(outDir, `gradprobe-${key}.svg`), series, options);
    await writePlot(join(outDir, `gradprobe-${key}.png`), series, options);
  }
  io.stdout.write(
    `Table and plots: ${display(join(outDir, "gradprobe.json"))}, gradprobe-{cosine,variance}.{svg,png}\n`,
  );
  return 0;
}
