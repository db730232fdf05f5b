import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { UsageError } from "../../src/cli/flags.ts";
import {
  defaultRunDir,
  holdsRun,
  packageVersion,
  prepareRunDir,
  RunDirError,
  readRunConfig,
  writeRunConfig,
} from "../../src/cli/run-dir.ts";

const tmp = mkdtempSync(join(tmpdir(), "pg-rundir-"));

test("default run dir: env, algo, seed and UTC time, unique", () => {
  const now = new Date(Date.UTC(2026, 10, 28, 17, 53, 0));
  const cwd = process.cwd();
  process.chdir(tmp);
  try {
    const a = defaultRunDir("CartPole-v1", "reinforce", 3, now);
    assert.equal(a, join("runs", "CartPole-v1__reinforce__s3__20261128-175300"));
    mkdirSync(a, { recursive: true });
    assert.equal(defaultRunDir("CartPole-v1", "reinforce", 3, now), `${a}-2`);
  } finally {
    process.chdir(cwd);
  }
});

test("prepareRunDir refuses a run without force; force removes only the run's own files", () => {
  const dir = join(tmp, "run");
  prepareRunDir(dir, false).release(); // creates it, with the marker of a policygrad run
  assert.deepEqual(readdirSync(dir), [".policygrad"]);
  writeRunConfig(dir, {
    policygrad: "0",
    algo: "reinforce",
    envId: "CartPole-v1",
    config: { seed: 1 },
    createdAt: "",
    command: [],
  });
  mkdirSync(join(dir, "checkpoints"));
  writeFileSync(join(dir, "notes.txt"), "mine");
  assert.equal(holdsRun(dir), true);
  assert.throws(
    () => prepareRunDir(dir, false),
    (e: unknown) =>
      e instanceof UsageError && /already holds a run.*resume.*--force/.test(e.message),
  );
  prepareRunDir(dir, true).release();
  assert.deepEqual(readdirSync(dir).sort(), [".policygrad", "notes.txt"]);
  const file = join(tmp, "afile");
  writeFileSync(file, "x");
  assert.throws(() => prepareRunDir(file, false), /is a file, not a directory/);
});

test("readRunConfig: round trip, and clear errors for a missing or foreign directory", () => {
  const dir = join(tmp, "rc");
  mkdirSync(dir);
  const rc = {
    policygrad: packageVersion(),
    algo: "reinforce",
    envId: "CartPole-v1",
    config: { lr: 0.01 },
    createdAt: "t",
    command: ["policygrad"],
  };
  writeRunConfig(dir, rc);
  assert.deepEqual(readRunConfig(dir), rc);
  assert.throws(
    () => readRunConfig(join(tmp, "nope")),
    (e: unknown) => e instanceof RunDirError && /no such run directory/.test(e.message),
  );
  const other = join(tmp, "other");
  mkdirSync(other);
  writeFileSync(join(other, "x.txt"), "");
  assert.throws(
    () => readRunConfig(other),
    /not a run directory \(no config\.json; found x\.txt\)/,
  );
  writeFileSync(join(other, "config.json"), "{");
  assert.throws(() => readRunConfig(other), /config\.json: not valid JSON/);
  assert.match(packageVersion(), /^\d+\.\d+\.\d+/);
  assert.ok(!existsSync(join(other, "metrics.jsonl")));
});
