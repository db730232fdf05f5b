// Class 2 of issue #16: signals and pipes. SIGTERM (and SIGHUP) save and exit like Ctrl-C, and
// resume then equals an uninterrupted run bit for bit; `train | head -1` stops quietly, saves, and
// resume completes it to the same result; a run stopped during its final evaluation is finished by
// resume; a run killed before its first checkpoint says how to start over.
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadCheckpoint } from "../../src/io/checkpoint.ts";
import { readMetrics } from "../../src/io/metrics.ts";
import { assertRefused, cli, spawnCli, waitFor, withoutClock } from "./helpers.ts";

const tmp = mkdtempSync(join(tmpdir(), "pg-hard-signals-"));
// Long enough that a signal lands mid-run; no checkpoint before the stop (so resume starts from it).
const BUDGET = ["--total-steps", "40000", "--seed", "11", "--checkpoint-every", "1000"];

let reference = "";
/** The uninterrupted run every stopped one must match. */
async function uninterrupted(): Promise<string> {
  if (reference === "") {
    reference = join(tmp, "full");
    const r = await cli(["train", "CartPole-v1", ...BUDGET, "--out", reference]);
    assert.equal(r.code, 0, r.stderr);
  }
  return reference;
}

const rowsOf = (dir: string) => readMetrics(join(dir, "metrics.jsonl")).rows;
const metricRows = (dir: string) =>
  existsSync(join(dir, "metrics.jsonl")) ? rowsOf(dir).length : 0;
const paramsOf = (dir: string) =>
  readFileSync(join(loadCheckpoint(dir).path, "params.safetensors"));

/** The stopped run, resumed, equals the uninterrupted one: metrics, parameters and evaluation. */
async function assertResumesToReference(dir: string): Promise<void> {
  const full = await uninterrupted();
  assert.ok(rowsOf(dir).length < rowsOf(full).length, "the stop came too late to test anything");
  const r = await cli(["resume", dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(withoutClock(rowsOf(dir)), withoutClock(rowsOf(full)));
  assert.ok(paramsOf(dir).equals(paramsOf(full)), "final parameters bit for bit");
  const evalOf = (d: string) => {
    const { stochastic, deterministic, seed } = JSON.parse(
      readFileSync(join(d, "eval.json"), "utf8"),
    );
    return { stochastic, deterministic, seed };
  };
  assert.deepEqual(evalOf(dir), evalOf(full));
}

for (const [signal, code] of [
  ["SIGTERM", 143],
  ["SIGHUP", 129],
] as const) {
  test(`${signal} mid-run saves a checkpoint and exits ${code}; resume equals an uninterrupted run`, async () => {
    const dir = join(tmp, signal);
    const { child, exited } = spawnCli(["train", "CartPole-v1", ...BUDGET, "--out", dir], tmp);
    await waitFor(() => metricRows(dir) > 4);
    child.kill(signal);
    const r = await exited;
    assert.equal(r.code, code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.match(r.stdout, /Stopping after this update and saving a checkpoint/);
    assert.match(r.stdout, /Interrupted at update \d+.*\n.*\nContinue with: policygrad resume /);
    assert.equal(r.stderr, "");
    if (signal === "SIGTERM") await assertResumesToReference(dir);
    else assert.ok(loadCheckpoint(dir).info.update > 0);
  });
}

test("SIGTERM to train --seeds reaches every running seed: each saves, the parent exits 143, and a seed resumes to its end", async () => {
  const dir = join(tmp, "seeds");
  // Long enough that both seeds (when there are 2 cores) are mid-run at once.
  const argv = ["train", "CartPole-v1", "--total-steps", "300000", "--no-stop", "--seeds", "11-12"];
  const { child, exited } = spawnCli([...argv, "--checkpoint-every", "1000", "--out", dir], tmp);
  const both = availableParallelism() >= 2;
  const s11 = join(dir, "s11");
  const s12 = join(dir, "s12");
  await waitFor(() => metricRows(s11) > 2 && (!both || metricRows(s12) > 2));
  child.kill("SIGTERM");
  const r = await exited;
  assert.equal(r.code, 143, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.equal(r.stderr, "");
  assert.match(r.stdout, /Stopping every seed after its current update and saving its checkpoint/);
  // Each running seed saved at the update it stopped after: its checkpoint is its last row's.
  for (const d of both ? [s11, s12] : [s11]) {
    assert.match(r.stdout, new RegExp(`seed ${d.endsWith("11") ? 11 : 12}: interrupted`));
    const rows = rowsOf(d);
    assert.ok(rows.at(-1)!.envSteps! < 300_000, "the stop came too late to test anything");
    assert.equal(loadCheckpoint(d).info.update, rows.at(-1)!.update);
    assert.match(readFileSync(join(d, "train.log"), "utf8"), /Interrupted at update \d+/);
  }
  if (!both) {
    assert.match(
      r.stdout,
      /seed 12: not started; train it with: policygrad train CartPole-v1 .*--seed 12 --out \S+s12 --force\n/,
    );
  }
  const resumed = await cli(["resume", s11]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /Done: \d+ updates, 30\d{4} env steps/);
});

test("train | head -1: output stops quietly, the run saves and exits 141, resume completes it", async () => {
  const dir = join(tmp, "head");
  const { child, exited } = spawnCli(["train", "CartPole-v1", ...BUDGET, "--out", dir], tmp);
  // What head does: read a line, then close the pipe.
  await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
  child.stdout!.destroy();
  const r = await exited;
  assert.equal(r.code, 141, r.stderr);
  assert.ok(!/\n\s+at |EPIPE|Error/.test(r.stderr), `no stack trace, no error: ${r.stderr}`);
  assert.match(
    r.stderr,
    /^policygrad: stdout was closed; stopping after this update and saving a checkpoint\n/,
  );
  assert.match(
    r.stderr,
    /policygrad: interrupted at update \d+, \d+ env steps; checkpoint \S+; continue with: policygrad resume /,
  );
  await assertResumesToReference(dir);
});

test("a run stopped during its final evaluation or plots is finished by resume, with the same numbers", async () => {
  const full = await uninterrupted();
  const dir = join(tmp, "cut-in-eval");
  cpSync(full, dir, { recursive: true });
  const want = readFileSync(join(full, "eval.json"), "utf8");
  // What a stop during the evaluation leaves: training saved, no eval.json, plots maybe stale.
  rmSync(join(dir, "eval.json"));
  rmSync(join(dir, "learning-curve.png"));
  const r = await cli(["resume", dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    / (reached its budget \(\d+ of 40000 env steps\)|stopped when an evaluation reached 475); finishing its final evaluation and plots, which were interrupted\n/,
  );
  assert.match(r.stdout, /Done: \d+ updates/);
  assert.equal(readFileSync(join(dir, "eval.json"), "utf8"), want);
  assert.ok(existsSync(join(dir, "learning-curve.png")));
  // Finished now: a second resume has nothing to do.
  const again = await cli(["resume", dir]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(
    again.stdout,
    /already (reached its budget \(\d+ of 40000 env steps\)|stopped when an evaluation reached 475); pass --total-steps to extend it\n$/,
  );
});

test("a run killed before its first checkpoint: its stale lock is recovered and resume says how to start over", async () => {
  const dir = join(tmp, "killed");
  const { child, exited } = spawnCli(
    [
      "train",
      "CartPole-v1",
      "--total-steps",
      "1000000",
      "--checkpoint-every",
      "100000",
      "--out",
      dir,
    ],
    tmp,
  );
  await waitFor(() => metricRows(dir) > 0);
  child.kill("SIGKILL");
  await exited;
  assert.ok(existsSync(join(dir, ".policygrad.lock")), "a kill -9 leaves the lock");
  assertRefused(
    await cli(["resume", dir]),
    1,
    /has no checkpoint: the run stopped before it saved its first one, so there is nothing to resume; start over with: policygrad train CartPole-v1 --total-steps 1000000 --checkpoint-every 100000 --out \S+killed --force$/,
  );
});
