// Class 6 of issue #16: messages that say what is true. Users' paths, never our temp files; an
// empty --out is a usage error; a plot of a run without metrics fails in words; a newer config.json
// warns; the no-signal note has one prefix and says it is common at first; eval with no flags
// reproduces the final evaluation; a run killed before its first checkpoint says how to start over.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { ROOT } from "../cli/run-cli.ts";
import { assertRefused, cli } from "./helpers.ts";

const tmp = mkdtempSync(join(tmpdir(), "pg-hard-messages-"));
const TINY = ["--total-steps", "300", "--batch-episodes", "2", "--num-envs", "2", "--seed", "4"];

let trained = "";
async function aRun(): Promise<string> {
  if (trained === "") {
    trained = join(tmp, "run");
    const r = await cli(["train", "CartPole-v1", ...TINY, "--out", trained]);
    assert.equal(r.code, 0, r.stderr);
  }
  return trained;
}

test('--out "" is a usage error', async () => {
  assertRefused(
    await cli(["train", "CartPole-v1", "--out", ""]),
    2,
    /invalid value "" for --out: expected a directory/,
  );
});

test("a write that fails names the user's file and the reason, never our temp file", async () => {
  const dir = await aRun();
  const file = join(tmp, "a-file");
  writeFileSync(file, "x");
  const target = join(file, "curve.svg"); // a directory that is a file
  assertRefused(
    await cli(["plot", dir, "--out", target]),
    1,
    new RegExp(
      `cannot write ${target.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: ENOTDIR: not a directory$`,
    ),
  );
});

test("plot of a run with no metrics fails with a message instead of a blank chart", async () => {
  const dir = join(tmp, "no-metrics");
  mkdirSync(dir);
  const rc = JSON.parse(readFileSync(join(await aRun(), "config.json"), "utf8"));
  writeFileSync(join(dir, "config.json"), JSON.stringify(rc));
  assertRefused(
    await cli(["plot", dir]),
    1,
    /no-metrics: no metrics to plot yet \(metrics\.jsonl is missing/,
  );
  writeFileSync(join(dir, "metrics.jsonl"), "");
  assertRefused(
    await cli(["plot", dir, "--out", join(tmp, "x.svg")]),
    1,
    /metrics\.jsonl is empty/,
  );
  assert.ok(!existsSync(join(tmp, "x.svg")));
});

test("a config.json from a newer policygrad warns, in one line", async () => {
  const dir = join(tmp, "newer");
  const src = await aRun();
  mkdirSync(dir);
  for (const f of ["config.json", "metrics.jsonl"])
    writeFileSync(join(dir, f), readFileSync(join(src, f)));
  const rc = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  writeFileSync(join(dir, "config.json"), JSON.stringify({ ...rc, policygrad: "99.1.0" }));
  const r = await cli([
    "eval",
    join(
      src,
      "checkpoints",
      JSON.parse(readFileSync(join(src, "checkpoints", "latest.json"), "utf8")).checkpoint,
    ),
    "--episodes",
    "1",
  ]);
  assert.equal(r.stderr, "", "the run's own config is current");
  const p = await cli(["resume", dir]);
  assert.match(
    p.stderr.split("\n")[0],
    /^policygrad: warning: \S+newer was written by policygrad 99\.1\.0, newer than this \d+\.\d+\.\d+; what it added is ignored/,
  );
});

test("eval with no flags reproduces the final evaluation's numbers (same seed and mode), and says which", async () => {
  const dir = await aRun();
  const saved = JSON.parse(readFileSync(join(dir, "eval.json"), "utf8"));
  const r = await cli(["eval", dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    new RegExp(`stochastic actions, seed ${saved.seed}, the final evaluation's seed`),
  );
  const last = JSON.parse(r.stdout.trimEnd().split("\n").at(-1)!);
  assert.deepEqual(last, saved.stochastic);
  const d = await cli(["eval", dir, "--deterministic"]);
  assert.deepEqual(JSON.parse(d.stdout.trimEnd().split("\n").at(-1)!), saved.deterministic);
});

test("a run stopped before its first checkpoint: resume and eval say how to start over", async () => {
  const dir = join(tmp, "no-ckpt");
  mkdirSync(dir);
  const rc = JSON.parse(readFileSync(join(await aRun(), "config.json"), "utf8"));
  writeFileSync(
    join(dir, "config.json"),
    JSON.stringify({ ...rc, command: ["policygrad", "train", "CartPole-v1", "--seed", "4"] }),
  );
  writeFileSync(join(dir, ".policygrad"), "{}\n");
  assertRefused(
    await cli(["resume", dir]),
    1,
    /no-ckpt has no checkpoint: the run stopped before it saved its first one, so there is nothing to resume; start over with: policygrad train CartPole-v1 --seed 4 --out \S+no-ckpt --force$/,
  );
  assertRefused(
    await cli(["eval", dir]),
    1,
    /no-ckpt has no checkpoint: .* nothing to evaluate; start over with: policygrad train CartPole-v1 --seed 4 --out \S+no-ckpt --force$/,
  );
});

test("the no-signal note: one prefix, says this batch had no variation and that it is common at first", async () => {
  const mod = join(tmp, "flat.mts");
  writeFileSync(
    mod,
    `import { box, discrete, register } from ${JSON.stringify(pathToFileURL(join(ROOT, "src", "index.ts")).href)};
register("Flat-v0", () => ({
  id: "Flat-v0", observationSpace: box(0, 1, [1]), actionSpace: discrete(2), t: 0,
  reset() { this.t = 0; return { observation: Float64Array.of(0), info: {} }; },
  step() { this.t++; return { observation: Float64Array.of(0), reward: 0, terminated: this.t >= 3, truncated: false, info: {} }; },
  close() {},
}));
`,
  );
  const r = await cli([
    "train",
    "Flat-v0",
    "--env-module",
    mod,
    "--total-steps",
    "60",
    "--out",
    join(tmp, "flat"),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(
    lines[0],
    /^policygrad: warning: this batch had no variation: every episode's return was the same.*common at the start of sparse-reward tasks.*only if it persists for 20 batches\.$/,
  );
});

test("runtime errors about missing things: one line, one prefix, the user's path", async () => {
  assertRefused(await cli(["resume", join(tmp, "nope")]), 1, /nope: no such run directory$/);
  assertRefused(await cli(["eval", join(tmp, "nope")]), 1, /nope: does not exist$/);
  assertRefused(await cli(["plot", join(tmp, "nope")]), 1, /nope: no such run directory$/);
});
