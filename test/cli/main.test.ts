// The CLI end to end, as a user runs it: a child process per command, checking exit codes, output
// and the files left in the run directory.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { evaluate } from "../../src/algos/evaluate.ts";
import { reinforcePolicy } from "../../src/algos/reinforce.ts";
import { reinforceSchema } from "../../src/algos/reinforce-config.ts";
import { make } from "../../src/envs/registry.ts";
import { loadCheckpoint, readCheckpointFile } from "../../src/io/checkpoint.ts";
import { readMetrics } from "../../src/io/metrics.ts";
import { type CliResult, MAIN, ROOT, runCli, TSX } from "./run-cli.ts";

const LR = reinforceSchema.lr.default; // the tests follow the trainer's tuned default
const esc = (x: unknown) => String(x).replace(/\./g, "\\.");

const tmp = mkdtempSync(join(tmpdir(), "pg-cli-"));

function cli(args: string[]): CliResult {
  return runCli(args, tmp);
}

/** A usage error: exit 2, "policygrad: <message>" then one usage line, no stack trace. */
function assertUsageError(r: ReturnType<typeof cli>, message: RegExp): void {
  assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 2, `expected error + usage, got:\n${r.stderr}`);
  assert.match(lines[0], /^policygrad: /);
  assert.match(lines[0], message);
  assert.match(lines[1], /^usage: policygrad /);
}

/** A runtime error: exit 1, a single line, no stack trace. */
function assertCleanError(r: ReturnType<typeof cli>, message: RegExp): void {
  assert.equal(r.code, 1, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0], /^policygrad: /);
  assert.match(lines[0], message);
  assert.ok(!/\n\s+at /.test(r.stderr));
}

// Metrics that depend on the clock: everything else must match exactly across resume.
const CLOCK = new Set(["wallTimeS", "stepsPerSecond", "stepsPerS", "updateTimeS", "fps", "sps"]);
function withoutClock(
  rows: readonly Record<string, number | null>[],
): Record<string, number | null>[] {
  return rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).filter(([k]) => !CLOCK.has(k) && !/time|persec|fps/i.test(k)),
    ),
  );
}

test("bad command lines in a real process: exit code 2, one line naming the problem, then the usage", () => {
  // (program.test.ts covers every case in-process; these check the executable itself.)
  assertUsageError(cli(["trian", "CartPole-v1"]), /unknown command 'trian'.*Did you mean train\?/);
  assertUsageError(cli(["train", "CartPole-v1", "--bogus"]), /unknown option '--bogus'/);
  assertUsageError(
    cli(["train", "CartPole-v1", "--lr", "-1"]),
    /invalid value "-1" for --lr: expected a number > 0$/,
  );
  assertUsageError(
    cli(["train", "CartPole-v1", "--gamma", "1.5"]),
    /invalid value "1\.5" for --gamma: expected a number >= 0 and <= 1$/,
  );
});

test("an unknown env id lists the known ones (exit 2)", () => {
  const r = cli(["train", "CartPole-v0", "--out", join(tmp, "never")]);
  assertUsageError(
    r,
    /unknown environment "CartPole-v0"; known environments: .*CartPole-v1.*Pendulum-v1/,
  );
  assert.ok(!existsSync(join(tmp, "never")), "no run directory for a bad command");
});

test("cross-field config rules are usage errors too", () => {
  assertUsageError(cli(["train", "CartPole-v1", "--gae-lambda", "0.95"]), /gaeLambda.*baseline/);
});

test("envs lists every environment with spaces and reward thresholds", () => {
  const r = cli(["envs"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^id\s+observation space\s+action space\s+reward threshold\s+max steps\s+differentiable\s+reinforce preset\s+ppo preset/,
  );
  assert.match(
    r.stdout,
    /\nCartPole-v1\s+Box\(.*\)\s+Discrete\(2\)\s+475\s+500\s+no\s+>= 475 every seed/,
  );
  assert.match(
    r.stdout,
    /\nPendulum-v1\s+Box\(.*\)\s+Box\(.*\)\s+-\s+200\s+yes\s+>= -300 every seed/,
  );
  for (const id of ["Pendulum-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1"])
    assert.match(r.stdout, new RegExp(`\\n${id} `));
});

test("help for train lists the config flags with their docs", () => {
  const r = cli(["train", "--help"]);
  assert.equal(r.code, 0, r.stderr);
  const help = r.stdout.replace(/\s+/g, " ");
  assert.match(
    help,
    new RegExp(
      `--lr <number> Learning rate of the policy optimizer\\. \\[default: ${esc(LR)}\\] \\(a number > 0\\)`,
    ),
  );
  assert.match(help, /--hidden-sizes <n,n,\.\.\.>/);
  assert.match(help, /--total-steps <int>/);
  assert.match(help, /--no-normalize-advantages to turn off/);
  assert.match(help, /--stop-at-return <number\|null>/);
  assert.match(help, /--seeds <list>/);
  assert.match(
    help,
    /Per-environment presets of reinforce .* Acrobot-v1 >= -100 every seed; V\(s\) \+ GAE/,
  );
});

test("eval of a missing, truncated or corrupted checkpoint: one clear line, exit 1", () => {
  assertCleanError(cli(["eval", join(tmp, "nothing-here")]), /nothing-here: does not exist/);
  const empty = join(tmp, "empty-run");
  mkdirSync(empty, { recursive: true });
  assertCleanError(cli(["eval", empty]), /no checkpoint found/);
});

test("a run that produces Infinity stops with one line saying where, exit 1", () => {
  // exp(800) overflows: the Gaussian's std is Infinity, so its first action is not finite.
  const r = cli([
    "train",
    "Pendulum-v1",
    "--total-steps",
    "2000",
    "--init-log-std",
    "800",
    "--out",
    join(tmp, "inf"),
  ]);
  assertCleanError(
    r,
    /^policygrad: training failed: reinforce \(update 1, env step 0\): .*non-finite/,
  );
});

// ---------------------------------------------------------------------------------------------
// Real runs (small budgets).

const SMALL = ["--total-steps", "6000", "--seed", "3"];

test("train writes a complete run directory, refuses to overwrite it, and eval/plot read it", () => {
  const dir = join(tmp, "run-a");
  const r = cli(["train", "CartPole-v1", ...SMALL, "--out", dir, "--checkpoint-every", "2"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Plot: +\S*run-a\/learning-curve\.png/);
  assert.match(r.stdout, /Checkpoint: \S*run-a\/checkpoints\/ckpt-\d{8}/);
  assert.match(r.stdout, /stochastic +return [\d.]+ ± [\d.]+/);
  assert.equal(r.stderr, "");

  const rc = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  assert.equal(rc.policygrad, pkg.version);
  assert.equal(rc.algo, "reinforce");
  assert.equal(rc.envId, "CartPole-v1");
  assert.equal(rc.config.totalSteps, 6000);
  assert.equal(rc.config.seed, 3);
  assert.equal(rc.config.lr, LR); // defaults are written out too: the full resolved config
  const { rows } = readMetrics(join(dir, "metrics.jsonl"));
  assert.ok(rows.length >= 2);
  assert.deepEqual(
    rows.map((x) => x.update),
    rows.map((_, i) => i + 1),
  );
  assert.ok((rows.at(-1)!.envSteps as number) >= 6000);
  for (const f of [
    "learning-curve.svg",
    "learning-curve.png",
    "eval.json",
    "checkpoints/latest.json",
  ]) {
    assert.ok(existsSync(join(dir, f)), `${f} missing`);
  }
  assert.match(readFileSync(join(dir, "learning-curve.svg"), "utf8"), /CartPole-v1: reinforce/);

  assertUsageError(
    cli(["train", "CartPole-v1", ...SMALL, "--out", dir]),
    /already holds a run.*--force/,
  );

  const e = cli(["eval", dir, "--episodes", "3", "--seed", "7", "--deterministic"]);
  assert.equal(e.code, 0, e.stderr);
  const last = JSON.parse(e.stdout.trimEnd().split("\n").at(-1)!);
  assert.deepEqual(Object.keys(last), ["return_mean", "return_std", "length_mean", "episodes"]);
  assert.equal(last.episodes, 3);
  assert.ok(last.return_mean > 0 && last.return_mean <= 500);
  // CartPole's reward is 1 per step, so mean return = mean length.
  assert.equal(last.return_mean, last.length_mean);
  // Same seed, same numbers.
  assert.equal(
    cli(["eval", dir, "--episodes", "3", "--seed", "7", "--deterministic"]).stdout,
    e.stdout,
  );
  // The run's single-file checkpoint (what the browser page opens) evaluates the same.
  const file = join(dir, "policy.safetensors");
  const f = cli(["eval", file, "--episodes", "3", "--seed", "7", "--deterministic"]);
  assert.equal(f.code, 0, f.stderr);
  assert.equal(f.stdout.trimEnd().split("\n").at(-1), e.stdout.trimEnd().split("\n").at(-1));
  assert.equal(readCheckpointFile(file).curve?.envSteps.length, rows.length);

  const p = cli(["plot", dir, "--out", join(tmp, "a.png")]);
  assert.equal(p.code, 0, p.stderr);
  assert.deepEqual([...readFileSync(join(tmp, "a.png")).subarray(1, 4)], [0x50, 0x4e, 0x47]);

  const forced = cli(["train", "CartPole-v1", ...SMALL, "--out", dir, "--force", "--seed", "4"]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).config.seed, 4);
});

test("eval reports corrupted checkpoints in a run as one line (NaN, truncation)", () => {
  const dir = join(tmp, "run-corrupt");
  assert.equal(cli(["train", "CartPole-v1", "--total-steps", "1500", "--out", dir]).code, 0);
  const ptr = JSON.parse(readFileSync(join(dir, "checkpoints", "latest.json"), "utf8"));
  const params = join(dir, "checkpoints", ptr.checkpoint, "params.safetensors");
  const good = readFileSync(params);
  const nan = Buffer.from(good);
  nan.writeDoubleLE(Number.NaN, nan.length - 8);
  writeFileSync(params, nan);
  assertCleanError(
    cli(["eval", dir, "--checkpoint", "last"]),
    /params\.safetensors: tensor "\S+" holds NaN at flat index \d+/,
  );
  writeFileSync(params, good.subarray(0, 40));
  assertCleanError(
    cli(["eval", dir, "--checkpoint", "last"]),
    /params\.safetensors: has 40 bytes but the manifest says \d+/,
  );
  rmSync(params);
  assertCleanError(
    cli(["eval", dir, "--checkpoint", "last"]),
    /params\.safetensors: file is missing/,
  );
});

test("resume after a smaller budget gives the metrics of one uninterrupted run", () => {
  const full = join(tmp, "full");
  const part = join(tmp, "part");
  assert.equal(
    cli(["train", "CartPole-v1", "--total-steps", "8000", "--seed", "5", "--out", full]).code,
    0,
  );
  assert.equal(
    cli(["train", "CartPole-v1", "--total-steps", "3000", "--seed", "5", "--out", part]).code,
    0,
  );
  assert.match(cli(["resume", part]).stdout, /already reached its budget/);
  const r = cli(["resume", part, "--total-steps", "8000"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Resuming reinforce on CartPole-v1 at update \d+/);
  const a = readMetrics(join(full, "metrics.jsonl")).rows;
  const b = readMetrics(join(part, "metrics.jsonl")).rows;
  assert.ok(a.length >= 4);
  assert.deepEqual(withoutClock(b), withoutClock(a));
});

test("Ctrl-C (SIGINT) saves a checkpoint and exits 130; resume then matches an uninterrupted run", async () => {
  const full = join(tmp, "sig-full");
  const cut = join(tmp, "sig-cut");
  const budget = ["--total-steps", "40000", "--seed", "11"];
  assert.equal(cli(["train", "CartPole-v1", ...budget, "--out", full]).code, 0);

  const child = spawn(
    process.execPath,
    [
      "--import",
      TSX,
      MAIN,
      "train",
      "CartPole-v1",
      ...budget,
      "--out",
      cut,
      "--checkpoint-every",
      "1000",
    ],
    {
      cwd: tmp,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  // Interrupt once a few updates are logged (and before the end).
  const metrics = join(cut, "metrics.jsonl");
  for (let i = 0; i < 400; i++) {
    await new Promise((r) => setTimeout(r, 25));
    if (existsSync(metrics) && readFileSync(metrics, "utf8").split("\n").length > 4) break;
  }
  child.kill("SIGINT");
  const code = await exited;
  assert.equal(code, 130, `stdout: ${stdout}\nstderr: ${stderr}`);
  assert.match(stdout, /Interrupted at update \d+/);
  assert.match(stdout, /Continue with: policygrad resume /);
  assert.equal(stderr, "");
  const interruptedRows = readMetrics(metrics).rows.length;
  assert.ok(
    interruptedRows < readMetrics(join(full, "metrics.jsonl")).rows.length,
    "the interrupt came too late to test anything",
  );

  const r = cli(["resume", cut]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    withoutClock(readMetrics(metrics).rows),
    withoutClock(readMetrics(join(full, "metrics.jsonl")).rows),
  );
});

test("a run that collapses late keeps the pre-collapse policy as best, and eval uses it", () => {
  // Seed 0 solves CartPole (evaluation 500) by 10.5k env steps; resumed with Adam at lr 3 it
  // collapses (about 130). config.json is what resume reads, so editing it forces the lr.
  const dir = join(tmp, "collapse");
  const cfg = ["--seed", "0", "--eval-every", "2000", "--no-stop", "--out", dir];
  assert.equal(cli(["train", "CartPole-v1", "--total-steps", "12000", ...cfg]).code, 0);
  const rcPath = join(dir, "config.json");
  const rc = JSON.parse(readFileSync(rcPath, "utf8"));
  writeFileSync(rcPath, JSON.stringify({ ...rc, config: { ...rc.config, lr: 3 } }));
  const resumed = cli(["resume", dir, "--total-steps", "20000"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /From: +the latest checkpoint, \S*ckpt-\d{8}/);
  const evals = readMetrics(join(dir, "metrics.jsonl")).rows.filter(
    (r) => typeof r.evalReturnMean === "number",
  );
  const best = evals.filter((r) => r.evalBest === 1).at(-1)!;
  assert.ok((best.envSteps as number) <= 12_500, `best at ${best.envSteps}, before the collapse`);
  assert.ok((evals.at(-1)!.evalReturnMean as number) < (best.evalReturnMean as number) - 100);
  assert.match(
    resumed.stdout,
    new RegExp(`Evaluation of the best checkpoint \\(update ${best.update},`),
  );

  const score = (args: string[]) => {
    const r = cli(["eval", dir, "--episodes", "10", "--seed", "5", "--deterministic", ...args]);
    assert.equal(r.code, 0, r.stderr);
    return { out: r.stdout, ret: JSON.parse(r.stdout.trimEnd().split("\n").at(-1)!).return_mean };
  };
  const byDefault = score([]);
  assert.match(byDefault.out, new RegExp(`\\(best; reinforce, update ${best.update},`));
  assert.deepEqual(score(["--checkpoint", "best"]), byDefault);
  const last = score(["--checkpoint", "last"]);
  assert.match(last.out, /\(last; reinforce/);
  assert.ok(
    byDefault.ret >= 475 && last.ret < byDefault.ret - 100,
    `best ${byDefault.ret}, last ${last.ret}`,
  );
});

test("eval applies the observation statistics saved with the policy", () => {
  const dir = join(tmp, "norm");
  const args = ["--normalize-observations", "--total-steps", "1000", "--out", dir];
  assert.equal(cli(["train", "Pendulum-v1", ...args]).code, 0);
  const r = cli(["eval", dir, "--episodes", "2", "--seed", "4", "--deterministic"]);
  assert.equal(r.code, 0, r.stderr);
  const cliReturn = JSON.parse(r.stdout.trimEnd().split("\n").at(-1)!).return_mean;
  const policy = reinforcePolicy(loadCheckpoint(dir), make("Pendulum-v1"));
  const opts = { episodes: 2, seed: 4, deterministic: true };
  assert.equal(cliReturn, evaluate(policy, "Pendulum-v1", opts).returnMean);
  // Without the statistics the same parameters act differently.
  const { state: _s, ...raw } = loadCheckpoint(dir);
  const plain = reinforcePolicy(
    { ...raw, state: { version: 1, config: { normalizeObservations: false } } },
    make("Pendulum-v1"),
  );
  assert.notEqual(cliReturn, evaluate(plain, "Pendulum-v1", opts).returnMean);
});

test("train --seeds runs one process per seed into <out>/s<seed> and plots them with a band", () => {
  const group = join(tmp, "seeds");
  const r = cli([
    "train",
    "CartPole-v1",
    "--total-steps",
    "2000",
    "--seeds",
    "1-2",
    "--out",
    group,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /with 2 seeds \(1, 2\), 2 at a time/);
  assert.match(r.stdout, /seed 1: deterministic return [\d.]+/);
  const dirs = [1, 2].map((s) => join(group, `s${s}`));
  for (const [i, d] of dirs.entries()) {
    assert.equal(JSON.parse(readFileSync(join(d, "config.json"), "utf8")).config.seed, i + 1);
  }
  assert.match(readFileSync(join(group, "learning-curve.svg"), "utf8"), /mean of 2 seeds/);
  assertUsageError(
    cli(["train", "CartPole-v1", "--seeds", "1-2", "--seed", "3"]),
    /--seed and --seeds exclude each other/,
  );
  assertUsageError(
    cli(["train", "CartPole-v1", "--seeds", "4-1"]),
    /invalid value "4-1" for --seeds/,
  );

  // plot groups runs that differ only in seed into a mean with a band.
  const other = join(tmp, "lr-other");
  assert.equal(
    cli(["train", "CartPole-v1", "--total-steps", "2000", "--lr", "0.003", "--out", other]).code,
    0,
  );
  const out = join(tmp, "group.svg");
  const p = cli(["plot", ...dirs, other, "--out", out]);
  assert.equal(p.code, 0, p.stderr);
  const svg = readFileSync(out, "utf8");
  assert.match(svg, new RegExp(`lr=${esc(LR)} \\(mean of 2 seeds, min-max band\\)`));
  assert.match(svg, /lr=0\.003 \(seed 0\)/);
  assert.equal((svg.match(/<polygon /g) ?? []).length, 1);
});
