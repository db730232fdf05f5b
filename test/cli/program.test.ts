// The program in-process (no child process): every bad command line is exit code 2 with one line
// naming the problem and one usage line; runtime errors are one line and exit code 1.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { VANILLA } from "../../src/algos/reinforce-config.ts";
import { cliInProcess } from "./in-process.ts";

const tmp = mkdtempSync(join(tmpdir(), "pg-program-"));

const run = cliInProcess;

async function usageError(
  argv: string[],
  message: RegExp,
  usage: RegExp = /^usage: policygrad /,
): Promise<void> {
  const r = await run(argv);
  assert.equal(r.code, 2, `${argv.join(" ")}: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 2, r.stderr);
  assert.match(lines[0], /^policygrad: /);
  assert.match(lines[0], message);
  assert.match(lines[1], usage);
  assert.equal(r.stdout, "");
}

test("unknown command or flag: named, with the usage of the command concerned", async () => {
  await usageError(
    ["trian"],
    /unknown command 'trian' \(Did you mean train\?\)/,
    /commands: train, resume, eval, plot, gradprobe, envs/,
  );
  await usageError(["evaluate", "x"], /unknown command 'evaluate'/);
  await usageError(
    ["train", "CartPole-v1", "--learning-rate", "3"],
    /unknown option '--learning-rate'/,
    /^usage: policygrad train \[options\] <env-id>/,
  );
  await usageError(
    ["eval", "x", "--episode", "3"],
    /unknown option '--episode'.*--episodes/,
    /^usage: policygrad eval /,
  );
  await usageError(["plot"], /missing required argument 'run-dir'/, /^usage: policygrad plot /);
  await usageError(["envs", "extra"], /too many arguments/);
});

test("bad values name the flag, the value and the allowed range", async () => {
  const cases: [string[], RegExp][] = [
    [["--lr", "-0.5"], /^policygrad: invalid value "-0\.5" for --lr: expected a number > 0$/],
    [["--gamma", "-0.1"], /invalid value "-0\.1" for --gamma: expected a number >= 0 and <= 1$/],
    [["--gamma", "two"], /invalid value "two" for --gamma: expected a number >= 0 and <= 1$/],
    [["--num-envs", "0"], /invalid value "0" for --num-envs: expected an integer >= 1$/],
    [["--total-steps", "1e3.5"], /for --total-steps: expected an integer >= 1$/],
    [
      ["--baseline", "critic"],
      /invalid value "critic" for --baseline: expected one of none, batch-mean, value$/,
    ],
    [
      ["--max-grad-norm", "0"],
      /for --max-grad-norm: expected a number > 0 \(or null to turn it off\)$/,
    ],
    [["--seed", "-1"], /invalid value "-1" for --seed: expected an integer >= 0$/],
    [
      ["--checkpoint-every", "0"],
      /invalid value "0" for --checkpoint-every: expected an integer >= 1$/,
    ],
    [
      ["--algo", "nope"],
      /unknown algorithm "nope" for --algo; known algorithms: reinforce, ppo, is, is-pd, apg$/,
    ],
  ];
  for (const [flags, message] of cases)
    await usageError(["train", "CartPole-v1", ...flags], message);
  await usageError(["resume", "x", "--total-steps", "-5"], /invalid value "-5" for --total-steps/);
  await usageError(["plot", "x", "--band", "iqr"], /argument 'iqr' is invalid.*minmax, std/);
});

test("unknown env id lists the known ones; an existing run needs --force", async () => {
  await usageError(
    ["train", "Cartpole-v1"],
    /unknown environment "Cartpole-v1"; known environments: CartPole-v1, Pendulum-v1, MountainCar-v0, MountainCarContinuous-v0, Acrobot-v1/,
  );
  const dir = join(tmp, "run");
  mkdirSync(join(dir, "checkpoints"), { recursive: true });
  writeFileSync(join(dir, ".policygrad"), "{}\n"); // the marker of a policygrad run
  await usageError(
    ["train", "CartPole-v1", "--out", dir],
    /already holds a run; continue it with "policygrad resume .*", or pass --force/,
  );
});

test("runtime errors: one line, exit code 1, no stack trace", async () => {
  for (const argv of [
    ["eval", join(tmp, "missing")],
    ["resume", join(tmp, "missing")],
    ["plot", join(tmp, "missing")],
  ]) {
    const r = await run(argv);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /^policygrad: .*missing/);
  }
});

test("help and version exit 0; no arguments prints the help and exits 2", async () => {
  const h = await run(["--help"]);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Commands:[\s\S]*train[\s\S]*resume[\s\S]*eval[\s\S]*plot[\s\S]*envs/);
  const v = await run(["--version"]);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
  const none = await run([]);
  assert.equal(none.code, 2);
  assert.match(none.stdout, /^Usage: policygrad/);
});

test("--preset vanilla starts from the textbook estimator; explicit flags override it", async () => {
  const out = join(tmp, "vanilla");
  const r = await run([
    "train",
    "CartPole-v1",
    "--preset",
    "vanilla",
    "--gamma",
    "1",
    "--total-steps",
    "500",
    "--out",
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const { config } = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
  assert.equal(config.gamma, 1);
  for (const [k, v] of Object.entries(VANILLA)) assert.deepEqual(config[k], v, k);
  await usageError(["train", "CartPole-v1", "--preset", "fast"], /'fast' is invalid.*vanilla/);
});
