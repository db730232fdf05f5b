/**
 * The command-line program: builds the commander commands (the `train` flags derived from the
 * chosen algorithm's config schema), runs one, and turns every error into one line on stderr and
 * an exit code. src/cli/main.ts is the executable that calls {@link main}.
 */
import { Command, CommanderError, Option } from "commander";
import { FileWriteError } from "../io/atomic.ts";
import { CheckpointError } from "../io/checkpoint.ts";
import { SafetensorsError } from "../io/safetensors.ts";
import { ALGORITHMS, getAlgorithm } from "./algorithms.ts";
import {
  envsCommand,
  evalCommand,
  gradprobeCommand,
  type Io,
  parseSeeds,
  plotCommand,
  resumeCommand,
  TrainingFailed,
  trainCommand,
  trainSeedsCommand,
} from "./commands.ts";
import {
  addConfigOptions,
  collectOverrides,
  flagOf,
  formatFlagValue,
  UsageError,
} from "./flags.ts";
import { packageVersion, RunDirBusyError, RunDirError } from "./run-dir.ts";

/**
 * An integer option value in [min, max]; a bad one is a usage error naming the flag. Integers past
 * 2^53 are refused: a double cannot hold them exactly (1e300 would silently equal other seeds).
 */
function intOption(
  flag: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): (raw: string) => number {
  return (raw) => {
    const n = Number(raw.trim().replace(/_/g, ""));
    const capped = max < Number.MAX_SAFE_INTEGER;
    if (Number.isInteger(n) && !Number.isSafeInteger(n) && !capped && n > 0) {
      throw new UsageError(
        `invalid value ${JSON.stringify(raw)} for ${flag}: expected an integer >= ${min}, at most 2^53 - 1 (larger integers are not exact in a double)`,
      );
    }
    if (raw.trim() === "" || !Number.isInteger(n) || n < min || n > max) {
      throw new UsageError(
        `invalid value ${JSON.stringify(raw)} for ${flag}: expected an integer >= ${min}${capped ? ` and <= ${max}` : ""}`,
      );
    }
    return n;
  };
}

/** Most episodes one `eval` runs: more would run for days with nothing to show. */
const MAX_EVAL_EPISODES = 100_000;

/** The repeatable `--env-module <file>` option of train, resume and eval. */
function envModuleOption(): Option {
  return new Option(
    "--env-module <file>",
    "a JS module (or TS, when run through tsx) that registers custom environments with register(); repeatable. Importing it runs its code",
  )
    .argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .default([]);
}

/** resume and eval: consent to import the modules the run's config.json lists. */
function allowEnvModulesOption(): Option {
  return new Option(
    "--allow-env-modules",
    "import (run) the env modules the run's config.json lists; without it, only --env-module files are imported",
  );
}

/** " (field=value, ...)" for a preset's fields, or "". */
function presetFields(config: Readonly<Record<string, unknown>>): string {
  const entries = Object.entries(config);
  return entries.length === 0
    ? ""
    : ` (${entries.map(([k, v]) => `${flagOf(k)} ${formatFlagValue(v)}`).join(", ")})`;
}

/** `--algo x` or `--algo=x` in the arguments of `train`, before commander parses them. */
function algoFromArgv(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--") break;
    if (argv[i] === "--algo" && i + 1 < argv.length) return argv[i + 1];
    if (argv[i].startsWith("--algo=")) return argv[i].slice("--algo=".length);
  }
  return "reinforce";
}

/**
 * Builds the program. The `train` flags depend on `--algo` (each algorithm has its own config), so
 * the algorithm is read from argv first.
 */
function buildProgram(argv: readonly string[], io: Io, setCode: (c: number) => void): Command {
  const program = new Command("policygrad")
    .description("Policy-gradient reinforcement learning: train, evaluate, plot and resume runs.")
    .version(packageVersion(), "-V, --version")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Errors are printed by main() in one line with the usage; commander's own text is dropped.
      outputError: () => {},
    })
    .showSuggestionAfterError(true)
    .helpCommand(true);

  const algoName = argv[0] === "train" ? algoFromArgv(argv.slice(1)) : "reinforce";
  if (!(algoName in ALGORITHMS)) {
    throw new UsageError(
      `unknown algorithm "${algoName}" for --algo; known algorithms: ${Object.keys(ALGORITHMS).join(", ")}`,
      "policygrad train <env-id> [--algo reinforce] [options]",
    );
  }
  const algo = getAlgorithm(algoName);
  const train = program
    .command("train")
    .description(
      `Train an agent on an environment (see "policygrad envs"); ${algo.name}: ${algo.summary}`,
    )
    .argument("<env-id>", "environment id, e.g. CartPole-v1")
    .addOption(
      new Option(
        "--algo <name>",
        `training algorithm: ${Object.keys(ALGORITHMS).join(", ")}`,
      ).default("reinforce"),
    )
    .option("--out <dir>", "run directory (default: runs/<env>__<algo>__s<seed>__<time>)")
    .option("--force", "replace the run in --out if there is one")
    .option(
      "--seeds <list>",
      "train several seeds (e.g. 0-4 or 1,5,9), one process per seed using the machine's cores; runs in <out>/s<seed>, plotted together",
    )
    .addOption(
      new Option("--checkpoint-every <updates>", "save a checkpoint every this many updates")
        .argParser(intOption("--checkpoint-every", 1))
        .default(10),
    )
    .addOption(envModuleOption());
  const presetNames = Object.keys(algo.presets);
  if (presetNames.length > 0) {
    train.addOption(
      new Option(
        "--preset <name>",
        `start from a named config; flags override it (${presetNames.map((n) => `${n}: ${algo.presets[n].description}`).join("; ")})`,
      ).choices(presetNames),
    );
  }
  addConfigOptions(train, algo.schema, `${algo.configName} options (--algo ${algo.name}):`);
  const envPresets = Object.entries(algo.envPresets);
  if (envPresets.length > 0) {
    train.addHelpText(
      "after",
      `\nPer-environment presets of ${algo.name} (the base config on that env; --preset and flags override it):\n${envPresets
        .map(([id, p]) => `  ${id.padEnd(26)} ${p.description}${presetFields(p.config)}`)
        .join("\n")}\n`,
    );
  }
  train.action(async (envId: string, opts: Record<string, unknown>) => {
    const run = typeof opts.seeds === "string" ? trainSeedsCommand : trainCommand;
    setCode(
      await run(
        {
          seeds: typeof opts.seeds === "string" ? parseSeeds(opts.seeds) : [],
          algo,
          envId,
          overrides: {
            ...algo.envPresets[envId]?.config,
            ...(typeof opts.preset === "string" ? algo.presets[opts.preset].config : {}),
            ...collectOverrides(algo.schema, opts),
          },
          ...(typeof opts.out === "string" ? { out: opts.out } : {}),
          force: opts.force === true,
          checkpointEvery: opts.checkpointEvery as number,
          envModules: opts.envModule as string[],
          argv,
        },
        io,
      ),
    );
  });

  program
    .command("resume")
    .description("Continue an interrupted run from its latest checkpoint")
    .argument("<run-dir>", "the run directory")
    .addOption(
      new Option(
        "--total-steps <int>",
        "new budget in env steps (default: the run's own)",
      ).argParser(intOption("--total-steps", 1)),
    )
    .addOption(
      new Option("--checkpoint-every <updates>", "save a checkpoint every this many updates")
        .argParser(intOption("--checkpoint-every", 1))
        .default(10),
    )
    .addOption(envModuleOption())
    .addOption(allowEnvModulesOption())
    .action(async (runDir: string, opts: Record<string, unknown>) => {
      setCode(
        await resumeCommand(
          {
            runDir,
            ...(opts.totalSteps !== undefined ? { totalSteps: opts.totalSteps as number } : {}),
            checkpointEvery: opts.checkpointEvery as number,
            envModules: opts.envModule as string[],
            allowEnvModules: opts.allowEnvModules === true,
            argv,
          },
          io,
        ),
      );
    });

  program
    .command("eval")
    .description("Evaluate a trained policy; the last line of output is JSON")
    .argument(
      "<path>",
      "a run directory, a checkpoint directory, or a single-file checkpoint (.safetensors)",
    )
    .addOption(
      new Option("--episodes <n>", "episodes to run")
        .argParser(intOption("--episodes", 1, MAX_EVAL_EPISODES))
        .default(10),
    )
    .addOption(
      new Option(
        "--seed <s>",
        "seed of the evaluation episodes (default: the run's final-evaluation seed, else 0)",
      ).argParser(intOption("--seed", 0)),
    )
    .option("--deterministic", "act with the most likely action instead of sampling")
    .option(
      "--checkpoint <which>",
      "for a run directory: last, best or an update number (default: best when the run has one, else last)",
    )
    .addOption(envModuleOption())
    .addOption(allowEnvModulesOption())
    .action(async (path: string, opts: Record<string, unknown>) => {
      setCode(
        await evalCommand(
          {
            path,
            ...(typeof opts.checkpoint === "string" ? { checkpoint: opts.checkpoint } : {}),
            episodes: opts.episodes as number,
            ...(opts.seed !== undefined ? { seed: opts.seed as number } : {}),
            deterministic: opts.deterministic === true,
            envModules: opts.envModule as string[],
            allowEnvModules: opts.allowEnvModules === true,
          },
          io,
        ),
      );
    });

  program
    .command("plot")
    .description(
      "Plot learning curves (return vs env steps); runs differing only in seed share a mean and band",
    )
    .argument("<run-dir...>", "one or more run directories")
    .option(
      "--out <file>",
      "output file, .svg or .png (default: learning-curve.svg/.png in the run dir)",
    )
    .addOption(
      new Option("--band <kind>", "band around the mean of several seeds")
        .choices(["minmax", "std"])
        .default("minmax"),
    )
    .action(async (runDirs: string[], opts: Record<string, unknown>) => {
      setCode(
        await plotCommand(
          {
            runDirs,
            ...(typeof opts.out === "string" ? { out: opts.out } : {}),
            band: opts.band as "minmax" | "std",
          },
          io,
        ),
      );
    });

  program
    .command("gradprobe")
    .description(
      "Compare the REINFORCE and APG gradient estimates of one policy per horizon: variance, cosine to the true gradient, bias, samples to cosine 0.9",
    )
    .argument("<env>", "a differentiable env id, e.g. LinearQuadratic-v0 or Pendulum-v1")
    .option(
      "--checkpoint <run>",
      "probe this run's (or checkpoint's) policy instead of a fresh one",
    )
    .addOption(
      new Option("--horizons <list>", "comma-separated horizons H")
        .argParser((raw: string) => raw.split(",").map((x) => intOption("--horizons", 1)(x)))
        .default([1, 2, 4, 8, 16, 32, 64, 128, 200]),
    )
    .addOption(
      new Option("--samples <n>", "samples per estimator and horizon")
        .argParser(intOption("--samples", 2))
        .default(200),
    )
    .addOption(
      new Option("--seed <s>", "seed of the starts, the noise and a fresh policy")
        .argParser(intOption("--seed", 0))
        .default(0),
    )
    .option("--out <dir>", "where gradprobe.json and the plots go (default: the run directory)")
    .action(async (envId: string, opts: Record<string, unknown>) => {
      setCode(
        await gradprobeCommand(
          {
            envId,
            ...(typeof opts.checkpoint === "string" ? { checkpoint: opts.checkpoint } : {}),
            horizons: opts.horizons as number[],
            samples: opts.samples as number,
            seed: opts.seed as number,
            ...(typeof opts.out === "string" ? { out: opts.out } : {}),
          },
          io,
        ),
      );
    });

  program
    .command("envs")
    .description("List the environments with their spaces and reward thresholds")
    .action(() => {
      setCode(envsCommand(io));
    });
  return program;
}

/** The usage line of the command named in argv (or of the program). */
function usageFor(program: Command | null, argv: readonly string[]): string {
  if (program === null) return "policygrad <command> [options] (see policygrad --help)";
  const sub = program.commands.find((c) => c.name() === argv[0]);
  return sub
    ? `policygrad ${sub.name()} ${sub.usage()}  (see policygrad ${sub.name()} --help)`
    : `policygrad ${program.usage()}  (commands: ${program.commands.map((c) => c.name()).join(", ")})`;
}

/** Runs the CLI on `argv` (without node and script); resolves to the exit code. */
export async function main(
  argv: readonly string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let code = 0;
  let program: Command | null = null;
  const fail = (message: string, usage?: string): number => {
    io.stderr.write(`policygrad: ${message}\n${usage ? `usage: ${usage}\n` : ""}`);
    return usage ? 2 : 1;
  };
  try {
    program = buildProgram(argv, io, (c) => {
      code = c;
    });
    if (argv.length === 0) {
      program.outputHelp();
      return 2;
    }
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof UsageError) return fail(e.message, e.usage ?? usageFor(program, argv));
    if (e instanceof CommanderError) {
      if (
        e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" ||
        e.code === "commander.help"
      ) {
        return 0;
      }
      // commander's message, minus its "error: " prefix, on one line.
      const msg = e.message.replace(/^error: /, "").replace(/\n/g, " ");
      return fail(msg, usageFor(program, argv));
    }
    // Another process owns the run directory: nothing was touched, so like a usage error, exit 2.
    if (e instanceof RunDirBusyError) {
      io.stderr.write(`policygrad: ${e.message}\n`);
      return 2;
    }
    if (e instanceof TrainingFailed && process.env.POLICYGRAD_DEBUG)
      io.stderr.write(`${e.stack}\n`);
    if (
      e instanceof CheckpointError ||
      e instanceof SafetensorsError ||
      e instanceof RunDirError ||
      e instanceof TrainingFailed ||
      e instanceof FileWriteError
    ) {
      return fail(e.message);
    }
    const err = e as Error;
    if (process.env.POLICYGRAD_DEBUG) io.stderr.write(`${err?.stack ?? String(e)}\n`);
    return fail(
      `${err?.message ?? String(e)}${process.env.POLICYGRAD_DEBUG ? "" : " (set POLICYGRAD_DEBUG=1 for a stack trace)"}`,
    );
  }
}
