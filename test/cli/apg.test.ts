// `--algo apg` and `gradprobe` through the real command line.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readMetrics } from "../../src/io/metrics.ts";
import { runCli } from "./run-cli.ts";

const tmp = mkdtempSync(join(tmpdir(), "pg-cli-apg-"));

test("train --algo apg writes the run directory, resume continues it exactly, eval reads it", () => {
  const full = join(tmp, "full");
  const part = join(tmp, "part");
  // A constant lr: a schedule spans the budget, so a shorter first budget would change it.
  const args = [
    ...["--algo", "apg", "--seed", "2", "--window", "16", "--lr-schedule", "constant"],
    ...["--eval-every", "256"],
  ];
  const a = runCli(["train", "Pendulum-v1", ...args, "--total-steps", "512", "--out", full], tmp);
  assert.equal(a.code, 0, a.stderr);
  const rc = JSON.parse(readFileSync(join(full, "config.json"), "utf8"));
  assert.equal(rc.algo, "apg");
  assert.equal(rc.config.window, 16);
  const rows = readMetrics(join(full, "metrics.jsonl")).rows;
  assert.ok(
    rows.some((r) => typeof r.gradNorm === "number" && typeof r.speedClipFraction === "number"),
  );
  assert.ok(existsSync(join(full, "checkpoints", "best")));
  const b = runCli(["train", "Pendulum-v1", ...args, "--total-steps", "256", "--out", part], tmp);
  assert.equal(b.code, 0, b.stderr);
  const r = runCli(["resume", part, "--total-steps", "512"], tmp);
  assert.equal(r.code, 0, r.stderr);
  const clockless = (rs: Record<string, number | null>[]) =>
    rs.map((x) => Object.fromEntries(Object.entries(x).filter(([k]) => !/time|persec/i.test(k))));
  assert.deepEqual(
    clockless(readMetrics(join(part, "metrics.jsonl")).rows),
    clockless(readMetrics(join(full, "metrics.jsonl")).rows),
  );
  const e = runCli(["eval", full, "--episodes", "2", "--deterministic"], tmp);
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout.trimEnd().split("\n").pop() ?? "", /^\{"return_mean":-?\d/);
});

test("train --algo apg on a discrete env is a usage error (exit 2) saying why and what to use, before any run directory", () => {
  const r = runCli(["train", "CartPole-v1", "--algo", "apg", "--out", join(tmp, "cp")], tmp);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /Discrete\(2\).*--algo reinforce/);
  assert.match(
    r.stderr.split("\n")[0],
    /^policygrad: apg: cannot differentiate CartPole-v1: .*--algo reinforce/,
  );
  assert.ok(!existsSync(join(tmp, "cp")));
});

test("gradprobe prints the table and writes gradprobe.json and the plots", () => {
  const out = join(tmp, "probe");
  const r = runCli(
    ["gradprobe", "LinearQuadratic-v0", "--horizons", "1,5", "--samples", "20", "--out", out],
    tmp,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /H +estimator +variance/);
  assert.match(r.stdout, /\n *5 +apg /);
  const j = JSON.parse(readFileSync(join(out, "gradprobe.json"), "utf8"));
  assert.equal(j.rows.length, 4);
  assert.equal(j.references[0].kind, "exact");
  for (const f of ["gradprobe-cosine.svg", "gradprobe-cosine.png", "gradprobe-variance.svg"]) {
    assert.ok(existsSync(join(out, f)), f);
  }
});
