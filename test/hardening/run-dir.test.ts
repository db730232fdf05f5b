// Class 1 of issue #16: one writer per run directory. A lock held by a live process refuses a
// second train or resume (exit 2, naming the owner) and changes nothing; a stale lock (dead pid)
// is recovered; --force replaces only a policygrad run.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { lockRunDir, RUN_LOCK } from "../../src/cli/run-dir.ts";
import { acquireLock, LockHeldError, processStart } from "../../src/io/lock.ts";
import { assertRefused, cli, snapshot } from "./helpers.ts";

const tmp = mkdtempSync(join(tmpdir(), "pg-hard-rundir-"));
const TINY = ["--total-steps", "300", "--batch-episodes", "2", "--num-envs", "2"];

function lockFile(dir: string, owner: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, RUN_LOCK), `${JSON.stringify(owner)}\n`);
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  return Number(r.stdout);
}

let trained = "";
async function aRun(): Promise<string> {
  if (trained === "") {
    trained = join(tmp, "run");
    const r = await cli(["train", "CartPole-v1", ...TINY, "--out", trained]);
    assert.equal(r.code, 0, r.stderr);
  }
  return trained;
}

test("a train into a directory another live process holds exits 2 naming it, and touches nothing", async () => {
  const dir = join(tmp, "held");
  lockFile(dir, {
    pid: process.pid,
    host: hostname(),
    since: "t0",
    what: "policygrad train",
    token: "x",
  });
  writeFileSync(join(dir, ".policygrad"), "{}\n");
  writeFileSync(join(dir, "config.json"), "{}\n");
  const before = snapshot(dir);
  for (const force of [[], ["--force"]]) {
    const r = await cli(["train", "CartPole-v1", ...TINY, "--out", dir, ...force]);
    assertRefused(
      r,
      2,
      new RegExp(`in use: held by policygrad train \\(pid ${process.pid} on ${hostname()}`),
    );
  }
  assert.deepEqual(snapshot(dir), before);
});

test("a resume of a run another live process holds exits 2 and leaves its files as they were", async () => {
  const dir = await aRun();
  const before = snapshot(dir);
  const lock = acquireLock(join(dir, RUN_LOCK), "policygrad resume");
  try {
    const r = await cli(["resume", dir, "--total-steps", "600"]);
    assertRefused(r, 2, /is in use: held by policygrad resume \(pid \d+/);
  } finally {
    lock.release();
  }
  assert.deepEqual(snapshot(dir), before);
});

test("a lock left by a dead process is recovered; the lock is gone after the run", async () => {
  const dir = join(tmp, "stale");
  lockFile(dir, {
    pid: deadPid(),
    host: hostname(),
    since: "t0",
    what: "policygrad train",
    token: "y",
  });
  const r = await cli(["train", "CartPole-v1", ...TINY, "--out", dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!existsSync(join(dir, RUN_LOCK)), "released at the end");
  assert.ok(existsSync(join(dir, "eval.json")));
});

const PROC = processStart(process.pid) !== null;

test("processStart: this process's boot id and start tick, stable; null for a pid that is gone", {
  skip: !PROC && "no /proc here",
}, () => {
  const me = processStart(process.pid)!;
  assert.match(me, /^[0-9a-f-]*\/\d+$/);
  assert.equal(processStart(process.pid), me);
  assert.equal(processStart(deadPid()), null);
});

test("a lock whose pid now runs another process (the pid was reused) is stale and recovered", {
  skip: !PROC && "no /proc here",
}, () => {
  const dir = join(tmp, "reused");
  // This test's own pid is alive, but it is not the process that took this lock.
  const owner = { pid: process.pid, host: hostname(), since: "t0", what: "policygrad train" };
  lockFile(dir, { ...owner, token: "r", started: `${processStart(process.pid)}0` });
  const lock = lockRunDir(dir, "train");
  assert.match(readFileSync(join(dir, RUN_LOCK), "utf8"), /"what":"policygrad train".*"started"/);
  lock.release();
  // The same pid with the owner's start time is the owner: held, and `kill` is named.
  lockFile(dir, { ...owner, token: "s", started: processStart(process.pid) });
  assert.throws(
    () => lockRunDir(dir, "train"),
    new RegExp(
      `in use: held by policygrad train \\(pid ${process.pid} .*or stop it \\(kill ${process.pid}\\)`,
    ),
  );
  // A record without a start time (no /proc where it was taken) cannot be checked: held, and
  // the message says how to recover instead of naming a pid to kill that may be someone else's.
  lockFile(dir, { ...owner, token: "t" });
  assert.throws(
    () => lockRunDir(dir, "train"),
    (e: Error) => {
      assert.doesNotMatch(e.message, /kill/);
      assert.match(
        e.message,
        /if pid \d+ is not that policygrad process, the lock is stale: remove \S+\.policygrad\.lock\)$/,
      );
      return true;
    },
  );
});

test("a lock from another host counts as held; the message names the file to remove by hand", async () => {
  const dir = join(tmp, "other-host");
  lockFile(dir, {
    pid: 1,
    host: "elsewhere.example",
    since: "t0",
    what: "policygrad train",
    token: "z",
  });
  const r = await cli(["train", "CartPole-v1", ...TINY, "--out", dir]);
  assertRefused(
    r,
    2,
    /on elsewhere\.example.*if that process is gone, remove \S+\.policygrad\.lock/,
  );
});

test("an unreadable lock is held while fresh and recovered once old", () => {
  const path = join(tmp, "garbage.lock");
  writeFileSync(path, "{ half a rec");
  assert.throws(() => acquireLock(path, "x"), LockHeldError);
  const old = (Date.now() - 60_000) / 1000;
  utimesSync(path, old, old);
  acquireLock(path, "x").release();
  assert.ok(!existsSync(path));
});

test("two locks in one process: the second is refused until the first is released", () => {
  const path = join(tmp, "twice.lock");
  const a = acquireLock(path, "a");
  assert.throws(() => acquireLock(path, "b"), /held by a \(pid/);
  a.release();
  a.release(); // twice is harmless
  const b = acquireLock(path, "b");
  assert.match(readFileSync(path, "utf8"), /"what":"b"/);
  b.release();
});

test("--force never replaces a directory that merely holds a config.json", async () => {
  const dir = join(tmp, "foreign");
  mkdirSync(dir);
  writeFileSync(join(dir, "config.json"), '{"mine": true}\n');
  writeFileSync(join(dir, "metrics.jsonl"), "precious\n");
  const before = snapshot(dir);
  for (const force of [["--force"], []]) {
    const r = await cli(["train", "CartPole-v1", ...TINY, "--out", dir, ...force]);
    assertRefused(r, 2, /holds config\.json, metrics\.jsonl but is not a policygrad run/);
  }
  assert.deepEqual(snapshot(dir), before);
});

test("--force replaces a policygrad run, which carries its marker", async () => {
  const dir = join(tmp, "forced");
  assert.equal((await cli(["train", "CartPole-v1", ...TINY, "--out", dir])).code, 0);
  assert.ok(existsSync(join(dir, ".policygrad")));
  const r = await cli(["train", "CartPole-v1", ...TINY, "--seed", "9", "--out", dir, "--force"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).config.seed, 9);
});

test("a refused train leaves no directory behind", async () => {
  const dir = join(tmp, "never");
  const r = await cli(["train", "CartPole-v1", "--seed", "1e300", "--out", dir]);
  assertRefused(r, 2, /--seed/);
  assert.ok(!existsSync(dir));
});
